#include "harness/cli/cli.h"

#include <cstdio>

namespace bpsim::harness {

int RunCli(int, char**) {
  std::fprintf(stderr, "bpsim: the command line is being assembled\n");
  return kExitInternal;
}

}  // namespace bpsim::harness
