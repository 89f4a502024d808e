#pragma once
// The `bpsim` command (README.md). Exit codes: 0 every expectation met; 1 an
// expectation failed; 2 usage or scenario error; 3 internal error.

#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/scenario.h"
#include "harness/trace_filter.h"
#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::harness {

inline constexpr int kExitOk = 0;
inline constexpr int kExitExpectationFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;

int RunCli(int argc, char** argv);

// Shared by the subcommands (cli.cc, sweep_cmd.cc, shrink_cmd.cc).
// Prints "bpsim: MESSAGE", a blank line and the subcommand's help; returns kExitUsage.
int UsageError(const std::string& message, const char* help);
// --help or -h.
bool IsHelp(const std::string& arg);
// Prints a result's error, unmet expectations and repro command (indented lines).
void PrintFailures(const reports::ScenarioResult& r);
// Writes every report format to `out`; prints the error and returns kExitInternal
// if that fails, else kExitOk.
int WriteReports(const reports::RunReport& report, const std::string& out);
// The exit code of a run whose reports were written: the verdict they all state
// (reports::VerdictOf): pass 0, fail 1, error 2.
int ExitCodeOf(reports::RunVerdict verdict);
// The value after the option at args[*i]: moves *i onto it and stores it in *out;
// false (nothing moved) when the option is the last argument.
bool TakeValue(const std::vector<std::string>& args, std::size_t* i, std::string* out);
// Reads a --trace option at args[*i] ("--trace", "--trace TERM", "--trace=TERM"):
// false if it is not one; true, with the term added to *filter and *i moved past it,
// if it is; the term's error otherwise. A following argument is a term when it starts
// with one of the filter's keys (trace_filter.h), so `--trace PATH` keeps its meaning.
Result<bool> TakeTraceOption(const std::vector<std::string>& args, std::size_t* i,
                             TraceFilter* filter);
// Prints an announcement of a large output (RunOptions::announce_output) on stderr,
// clearing a progress line first on a terminal.
void AnnounceOutput(const std::string& line);
// Expands files and directories (searched recursively for *.yaml) into a sorted list
// of scenario files; an error names a path that does not exist or holds none. With
// `skip_run_when_named` (run, pin), a scenario found in a directory whose tags include
// `run-when-named` is left out, and said so on stderr: it runs only when its file is
// named (scenarios/load/ten-million-customers.yaml: minutes and gigabytes).
inline constexpr const char* kRunWhenNamedTag = "run-when-named";
Result<std::vector<std::string>> CollectScenarioFiles(const std::vector<std::string>& paths,
                                                      bool skip_run_when_named = false);
// Loads every file; prints every error (and ids used twice) to stderr and returns
// nullopt if any failed.
std::optional<std::vector<Scenario>> LoadAll(const std::vector<std::string>& files);
// CollectScenarioFiles, then LoadAll; prints the error and returns nullopt if either
// fails.
std::optional<std::vector<Scenario>> LoadScenarios(const std::vector<std::string>& paths,
                                                   bool skip_run_when_named = false);

}  // namespace bpsim::harness
