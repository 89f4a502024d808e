#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/simulator.h"
#include "sim/trace_bus.h"

using namespace bpsim;

namespace {

struct HopEntry {
  unsigned type = 0;
  SimTime time = 0;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  SimTime delay = 0;
};

void FormatHop(const void*, const HopEntry& e, std::string& out) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "{\"type\":%u,\"time\":%" PRId64 ",\"from\":%" PRIu64 ",\"to\":%" PRIu64
                ",\"delay\":%" PRId64 "}",
                e.type, e.time, e.from, e.to, e.delay);
  out += buf;
}

// PHOLD: each logical process, on an event, draws a target LP and an exponential
// delay from its own stream and sends it an event; every hop is traced.
struct Phold {
  Simulator sim;
  TraceBus<HopEntry> bus;
  std::vector<Rng> lp_rng;
  HandlerId handler = 0;
  std::uint64_t limit;

  Phold(std::uint64_t seed, std::uint64_t lps, std::uint64_t events) : limit(events) {
    for (std::uint64_t i = 0; i < lps; ++i) lp_rng.emplace_back(seed, StreamKey("phold.lp", i));
    handler = sim.Register<&Phold::OnEvent>(this, "phold");
    for (std::uint64_t i = 0; i < lps; ++i) {
      sim.At(static_cast<SimTime>(lp_rng[i].Exponential(1e6)), handler, i);
    }
  }

  void OnEvent(std::uint64_t lp) {
    Rng& rng = lp_rng[lp];
    std::uint64_t to = rng.Below(lp_rng.size());
    auto delay = static_cast<SimTime>(rng.Exponential(1e6));
    bus.Publish(HopEntry{0, sim.Now(), lp, to, delay});
    if (sim.events_processed() + 1 >= limit) sim.Stop();
    sim.After(delay, handler, to);
  }
};

std::uint64_t TraceHash(std::uint64_t seed) {
  Phold model(seed, 100, 10'000);
  JsonLinesWriter<HopEntry> writer(&FormatHop, nullptr, nullptr);
  model.bus.Subscribe(&writer);
  model.sim.RunUntil(kSimTimeMax);
  REQUIRE(writer.lines() == 10'000);
  return writer.hash();
}

}  // namespace

TEST_CASE("PHOLD traces hash the same for the same seed and differently for another",
          "[sim][determinism]") {
  std::uint64_t first = TraceHash(1);
  CHECK(TraceHash(1) == first);
  CHECK(TraceHash(2) != first);
}
