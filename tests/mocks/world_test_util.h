#pragma once
// Helpers for tests of the world: a scenario from YAML text, and a subscriber that
// keeps every trace entry.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "harness/scenario/scenario.h"
#include "mocks/trace.h"
#include "mocks/world.h"
#include "sim/simulator.h"

namespace bpsim::testing {

inline harness::Scenario ScenarioFromYaml(const std::string& yaml) {
  auto s = harness::ParseScenario(yaml, "test.yaml");
  if (!s.ok()) FAIL(s.error().message);
  return std::move(s).value();
}

class Recorder final : public mocks::WorldTraceSubscriber {
 public:
  void OnEntry(const mocks::TraceEntry& e) override { entries.push_back(e); }
  std::size_t Count(mocks::EntryType type) const {
    std::size_t n = 0;
    for (const auto& e : entries) n += e.type == type;
    return n;
  }
  template <typename Pred>
  std::size_t CountIf(Pred pred) const {
    std::size_t n = 0;
    for (const auto& e : entries) n += pred(e) ? 1 : 0;
    return n;
  }
  std::vector<mocks::TraceEntry> entries;
};

// Runs a world built from `yaml` through duration and drain, recording the trace.
struct RecordedRun {
  explicit RecordedRun(const std::string& yaml)
      : scenario(ScenarioFromYaml(yaml)), world(scenario.spec, &sim, &bus) {
    bus.Subscribe(&recorder);
    world.Start();
    sim.RunUntil(scenario.spec.duration);
    world.BeginDrain();
    sim.RunUntil(scenario.spec.duration + scenario.spec.drain);
  }
  harness::Scenario scenario;
  Simulator sim;
  mocks::WorldTraceBus bus;
  Recorder recorder;
  mocks::World world;
};

}  // namespace bpsim::testing
