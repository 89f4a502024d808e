#pragma once
// `bpsim sweep` and `bpsim merge` (README.md, docs/cluster.md). `args` are the
// arguments after the command name; `command` is the whole command line, recorded in
// the reports. Both return the exit codes of harness/cli/cli.h.

#include <string>
#include <vector>

namespace bpsim::harness {

extern const char* const kSweepHelp;
extern const char* const kMergeHelp;

int CmdSweep(const std::vector<std::string>& args, const std::string& command);
int CmdMerge(const std::vector<std::string>& args, const std::string& command);

}  // namespace bpsim::harness
