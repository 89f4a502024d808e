#pragma once
// `bpsim pin` (docs/cluster.md, "Determinism"): checks scenarios' traces against the
// pinned hashes in the repository, or updates them. `args` are the arguments after
// the command name; returns the exit codes of harness/cli/cli.h.

#include <string>
#include <vector>

namespace bpsim::harness {

extern const char* const kPinHelp;

int CmdPin(const std::vector<std::string>& args);

}  // namespace bpsim::harness
