// The bpsim command line; see harness/cli/cli.h.
#include "harness/cli/cli.h"

int main(int argc, char** argv) { return bpsim::harness::RunCli(argc, argv); }
