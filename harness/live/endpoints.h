#pragma once
// The live.endpoints file (docs/live-mode.md, "Ephemeral ports"): what `bpsim serve`
// listens on, written once every listener is up so that a script or `bpsim platform
// --endpoints FILE` can learn ports chosen by the system (--listen HOST:0). One line
// per listener, fields separated by one space:
//
//   bank northbank obie http://127.0.0.1:41871/open-banking/v3.1/aisp
//   bank southbank berlin-group http://127.0.0.1:41872
//   messenger http://127.0.0.1:41873
//
// `bank ID DIALECT BASE-URL` in world.banks order (the URL a client of that dialect
// starts from), then `messenger URL` (the sinks) when serve drives a platform. Lines
// starting with '#' are comments. The file is replaced atomically (reports/files.h),
// so a reader never sees half of it, and removed when the listeners close.

#include <string>
#include <vector>

#include "mocks/config.h"
#include "sim/status.h"

namespace bpsim::harness::live {

struct LiveEndpoints {
  struct Bank {
    std::string id;
    mocks::Dialect dialect = mocks::Dialect::kObie;
    std::string url;
  };
  std::vector<Bank> banks;
  std::string messenger;  // "" when serve drives no platform
};

// The file's text.
std::string FormatLiveEndpoints(const LiveEndpoints& endpoints);
// Reads the text of `file`; errors are "FILE:LINE: what was expected".
Result<LiveEndpoints> ParseLiveEndpoints(const std::string& text, const std::string& file);

}  // namespace bpsim::harness::live
