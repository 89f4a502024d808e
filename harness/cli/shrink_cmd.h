#pragma once
// `bpsim shrink` (docs/shrinking.md).

#include <string>
#include <vector>

namespace bpsim::harness {

extern const char* const kShrinkHelp;

// Runs the command with the arguments after "shrink"; returns the exit code.
int CmdShrink(const std::vector<std::string>& args);

}  // namespace bpsim::harness
