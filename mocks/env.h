#pragma once
// What every party of the world is handed (docs/architecture.md, convention 1): the clock, the trace bus,
// the root seed and the defect switches. Parties never read a system clock or a
// global RNG; they draw from streams keyed by (seed, process, entity, epoch).

#include <cstdint>

#include "mocks/config.h"
#include "mocks/trace.h"
#include "sim/clock.h"
#include "sim/rng.h"

namespace bpsim::mocks {

struct Env {
  const Clock* clock = nullptr;
  WorldTraceBus* bus = nullptr;
  std::uint64_t seed = 1;
  DefectSet defects;

  SimTime Now() const { return clock->Now(); }
  void Emit(TraceEntry e) const {
    e.time = clock->Now();
    bus->Publish(e);
  }
  Rng Stream(StreamName process, std::uint64_t entity = 0, std::uint64_t epoch = 0) const {
    return Rng(seed, StreamKeyOf(process.hash, entity, epoch));
  }
};

}  // namespace bpsim::mocks
