#pragma once
// Runs a shell command for a test and captures what it printed: the one helper the
// tests use to drive the bpsim binary (and xmllint) as a user would.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace bpsim::testing {

struct CommandResult {
  int exit_code = -1;  // -1 if the command could not be started or was killed
  std::string output;  // stdout and stderr together
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed";
    return result;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

#ifdef BPSIM_BINARY
// `bpsim ARGS` with the binary under test.
inline CommandResult Bpsim(const std::string& args) {
  return RunCommand(std::string(BPSIM_BINARY) + " " + args);
}
#endif

}  // namespace bpsim::testing
