#include "harness/live/endpoints.h"

#include <sstream>

namespace bpsim::harness::live {

std::string FormatLiveEndpoints(const LiveEndpoints& endpoints) {
  std::string out = "# bpsim serve: its listeners (docs/live-mode.md, \"Ephemeral ports\")\n";
  for (const LiveEndpoints::Bank& b : endpoints.banks) {
    out += "bank " + b.id + " " + mocks::DialectName(b.dialect) + " " + b.url + "\n";
  }
  if (!endpoints.messenger.empty()) out += "messenger " + endpoints.messenger + "\n";
  return out;
}

Result<LiveEndpoints> ParseLiveEndpoints(const std::string& text, const std::string& file) {
  LiveEndpoints out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  for (; std::getline(in, line); ++number) {
    const std::string where = file + ":" + std::to_string(number + 1) + ": ";
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind, a, b, c, extra;
    fields >> kind >> a >> b >> c >> extra;
    if (kind == "messenger" && !a.empty() && b.empty()) {
      if (!out.messenger.empty()) return Error{where + "a second messenger line"};
      out.messenger = a;
    } else if (kind == "bank" && !c.empty() && extra.empty()) {
      LiveEndpoints::Bank bank{a, mocks::Dialect::kObie, c};
      bool known = false;
      for (mocks::Dialect d : {mocks::Dialect::kObie, mocks::Dialect::kBerlinGroup,
                               mocks::Dialect::kPlaid}) {
        if (b == mocks::DialectName(d)) {
          bank.dialect = d;
          known = true;
        }
      }
      if (!known) return Error{where + "unknown dialect '" + b + "' (obie, berlin-group or plaid)"};
      out.banks.push_back(std::move(bank));
    } else {
      return Error{where + "expected 'bank ID DIALECT URL' or 'messenger URL', got '" + line + "'"};
    }
  }
  if (text.empty() || text.back() != '\n') {
    return Error{file + ":" + std::to_string(number) + ": incomplete (no final newline)"};
  }
  if (out.banks.empty()) return Error{file + ": no bank line"};
  return out;
}

}  // namespace bpsim::harness::live
