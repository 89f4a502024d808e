#pragma once
// Runs a shell command for a test and captures what it printed: the one helper the
// tests use to drive the bpsim binary (and xmllint) as a user would.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

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

// Waits for `pid` up to `limit`; its exit code, or -1 if it had to be killed.
inline int WaitExit(pid_t pid, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

#ifdef BPSIM_BINARY
// `bpsim ARGS` with the binary under test.
inline CommandResult Bpsim(const std::string& args) {
  return RunCommand(std::string(BPSIM_BINARY) + " " + args);
}

// Starts `bpsim ARGS...` in the background (in directory `cwd` if not empty), stdout
// and stderr into `log`; its pid.
inline pid_t Spawn(const std::vector<std::string>& args, const std::string& log,
                   const std::string& cwd = "") {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(BPSIM_BINARY));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(BPSIM_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}
#endif

}  // namespace bpsim::testing
