#pragma once
// Runs one scenario (docs/scenario-reference.md, docs/invariants.md, README.md): assembles the world, subscribes every monitor,
// the metrics collector, the situation tracker and the requested trace writers to
// the trace bus, runs the duration and the drain, and judges the expectations.
// The result is a pure function of (scenario, seed) except wall_seconds.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "harness/scenario/scenario.h"
#include "harness/trace_filter.h"
#include "harness/trace_outputs.h"
#include "mocks/trace.h"
#include "reports/result.h"

namespace bpsim {
class Simulator;
namespace mocks {
class World;
class PlatformPort;
}  // namespace mocks
}  // namespace bpsim

namespace bpsim::harness {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's seed
  std::string trace_jsonl_path;       // "" = do not write trace.jsonl
  std::string perfetto_path;          // "" = do not write trace.perfetto.json
  bool monitors = true;               // false: no invariants, rules or situations
  // What trace.jsonl and trace.perfetto.json keep (everything by default); the
  // monitors, metrics and the trace hash see every entry regardless.
  TraceFilter trace_filter;
  // Called once per trace output on course to pass announce_bytes, with one line to
  // show a person (harness/trace_outputs.h); on the judging thread.
  std::function<void(const std::string& line)> announce_output;
  std::uint64_t announce_bytes = kAnnounceOutputBytes;
  bool hash_trace = false;            // format every entry as JSON (unwritten), e.g. to
                                      // measure the writer; the trace hash is always computed
  // true: the trace's consumers (monitors, metrics, writers) run on a second thread
  // (harness/async_bus.h), overlapping the judging with the simulation. false: they
  // run inline on this thread, which is what a sweep's workers do (--jobs N means N
  // threads, each with its own simulation). The results are identical either way.
  bool async_judging = true;
  // Draw each day's customer behaviour one day ahead on another thread
  // (mocks::World::PrefetchCustomerDays); unset: on exactly when async_judging is.
  // Like async_judging it only pays when a core is spare. The results are identical.
  std::optional<bool> prefetch_days;
  // Called between slices of simulated time (about 200 per run), on this thread.
  std::function<void(SimTime now, SimTime end, std::uint64_t events)> progress;
  // When it becomes true the run stops at the next slice; the result is incomplete.
  const std::atomic<bool>* interrupted = nullptr;
  // Live mode (harness/live/serve.h): when set, it drives the simulation instead of
  // the slice loop, on this thread, after world.Start() and with every monitor
  // subscribed. It must call world.BeginDrain() when simulated time reaches the
  // scenario's duration and stop at or before duration + drain; it returns false
  // when the run was cut short (the result is then incomplete).
  std::function<bool(mocks::World& world, Simulator& sim)> drive;
  // Also sees every trace entry, in publication order, after the trace hash (on the
  // judging thread when async_judging): e.g. the prefix hashes of `bpsim pin`.
  mocks::WorldTraceSubscriber* observer = nullptr;
  // Live mode with an external platform: makes the platform the world talks to
  // instead of the simulated one (mocks::PlatformFactory).
  std::function<std::unique_ptr<mocks::PlatformPort>(mocks::World& world)> platform;
};

// The command that reproduces a run: "bpsim replay FILE --seed N".
std::string ReproCommand(const std::string& file, std::uint64_t seed);

// Runs the scenario. Failures to set up the run (a rule naming an unknown sink, an
// unwritable trace path) come back in ScenarioResult::error with passed = false.
reports::ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options);

}  // namespace bpsim::harness
