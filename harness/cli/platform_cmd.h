#pragma once
// `bpsim platform` (docs/platform-contract.md): the reference platform
// (harness/live/reference_platform.h) as a process.

#include <string>
#include <vector>

namespace bpsim::harness {

// `bpsim platform --listen HOST:PORT --banks ID=DIALECT:URL[,...] --messenger URL
// [--webhook-secret S] [--defect NAME]... [--poll-every S] [--cache-ttl S]
// [--segment-every S] [--partner NAME]`; runs until SIGINT/SIGTERM. Returns the exit
// code.
int CmdPlatform(const std::vector<std::string>& args);

}  // namespace bpsim::harness
