#pragma once
// The `bpsim` command (DESIGN §7). Exit codes: 0 every expectation met; 1 an
// expectation failed; 2 usage or scenario error; 3 internal error.

namespace bpsim::harness {

inline constexpr int kExitOk = 0;
inline constexpr int kExitExpectationFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;

int RunCli(int argc, char** argv);

}  // namespace bpsim::harness
