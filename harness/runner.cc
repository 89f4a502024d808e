#include "harness/runner.h"

#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string_view>

#include "harness/async_bus.h"
#include "harness/invariants/metrics.h"
#include "harness/invariants/monitor.h"
#include "harness/invariants/situations.h"
#include "harness/invariants/tracking.h"
#include "harness/trace_outputs.h"
#include "harness/trace_hash.h"
#include "mocks/world.h"
#include "sim/simulator.h"

namespace bpsim::harness {
namespace {

std::string FormatNumber(double v, bool duration) {
  if (duration) return DescribeSeconds(v);
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", v);
  }
  return buf;
}

std::string PatternText(const Pattern& p) {
  std::string s = "{" + p.type;
  if (!p.fields.empty()) {
    s += ": {";
    for (std::size_t i = 0; i < p.fields.size(); ++i) {
      if (i) s += ", ";
      s += p.fields[i].field + ": ";
      const auto& v = p.fields[i].any_of;
      if (v.size() == 1) {
        s += v[0];
      } else {
        s += "[";
        for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + v[k];
        s += "]";
      }
    }
    s += "}";
  }
  return s + "}";
}

// The monitors and the situation tracker of a run (RunScenario's first step).
struct Judges {
  std::vector<std::unique_ptr<Monitor>> monitors;  // invariants, then rules
  std::unique_ptr<SituationTracker> situations;
};

// One monitor per enabled invariant and per rule, in the scenario's order, and the
// tracker of the situations it expects, subscribed to `bus`; the error of a rule or
// situation that cannot be judged.
Result<Judges> SubscribeJudges(const Scenario& scenario, const MonitorContext& context,
                               mocks::WorldTraceBus& bus) {
  Judges judges;
  for (const InvariantConfig& config : scenario.invariants) {
    judges.monitors.push_back(MakeInvariantMonitor(config, context));
  }
  for (const Rule& rule : scenario.rules) {
    auto monitor = MakeRuleMonitor(rule, context);
    if (!monitor.ok()) return monitor.error();
    judges.monitors.push_back(std::move(monitor).value());
  }
  auto tracker = SituationTracker::Make(scenario.expect.sometimes, context);
  if (!tracker.ok()) return tracker.error();
  judges.situations = std::move(tracker).value();
  for (auto& m : judges.monitors) bus.Subscribe(m.get(), m->type_mask());
  bus.Subscribe(judges.situations.get(), judges.situations->type_mask());
  return Result<Judges>(std::move(judges));
}

// Runs the started world to duration + drain in slices, so that progress and
// interruption are seen without touching the hot path (or lets options.drive run
// it); false when the run was cut short.
bool RunToEnd(mocks::World& world, Simulator& sim, const RunOptions& options) {
  const mocks::WorldSpec& spec = world.spec();
  const SimTime end = spec.duration + spec.drain;
  world.Start();
  if (options.drive) return options.drive(world, sim);
  const SimTime slice = std::max<SimTime>(kMinute, end / 200);
  bool drained = false;
  for (SimTime t = 0; t < end;) {
    SimTime next = std::min(end, t + slice);
    if (!drained && next >= spec.duration) next = spec.duration;
    sim.RunUntil(next);
    t = next;
    if (!drained && t >= spec.duration) {
      world.BeginDrain();
      drained = true;
    }
    if (options.progress) options.progress(t, end, sim.events_processed());
    if (options.interrupted != nullptr && options.interrupted->load()) return false;
  }
  return true;
}

// Every metric of the finished run by name; the per-bank ones ("NAME@BANK") also
// in *per_bank, in the collector's order.
std::map<std::string, double> MetricValues(mocks::World& world, const Simulator& sim,
                                           const MetricsCollector& metrics, const Judges& judges,
                                           double wall_seconds, std::vector<std::string>* per_bank) {
  std::map<std::string, double> values;
  mocks::WorldStats stats = world.stats();
  values["events"] = double(sim.events_processed());
  values["customers"] = double(stats.customers);
  values["card_transactions"] = double(stats.card_transactions);
  for (const auto& [name, value] : metrics.Metrics()) {
    values[name] = value;
    if (name.find('@') != std::string::npos) per_bank->push_back(name);
  }
  std::uint64_t violation_total = 0;
  for (const auto& m : judges.monitors) violation_total += m->violation_count();
  values["violations"] = double(violation_total);
  values["wall_seconds"] = wall_seconds;
  return values;
}

// One check per monitor (fired as expected or not), per metric bound, per expected
// situation, and the verdict; the violations into result.
void JudgeExpectations(const Expectation& expect, const Judges& judges,
                       const std::map<std::string, double>& values,
                       reports::ScenarioResult& result) {
  auto expected_to_fire = [&](const std::string& id) {
    for (const auto& v : expect.violations) {
      if (v == id) return true;
    }
    return false;
  };
  bool any_fired = false;
  for (const auto& m : judges.monitors) {
    for (const auto& v : m->violations()) result.violations.push_back(v);
    reports::Check check;
    check.name = m->id();
    check.fired = m->violation_count();
    any_fired = any_fired || check.fired > 0;
    bool expected = expected_to_fire(m->id());
    check.passed = expected ? check.fired > 0 : check.fired == 0;
    if (expected && check.fired == 0) {
      check.detail = "expected " + m->id() + " to fire, but it found no violation";
    } else if (!expected && check.fired > 0) {
      check.detail = std::to_string(check.fired) + " violation" + (check.fired == 1 ? "" : "s") +
                     "; first: " + (m->violations().empty() ? "" : m->violations()[0].message);
    } else {
      check.detail = expected ? std::to_string(check.fired) + " violations, as expected"
                              : "no violations";
    }
    result.checks.push_back(std::move(check));
  }
  for (const MetricBound& bound : expect.metrics) {
    reports::Check check;
    check.name = "metric:" + bound.metric;
    bool duration = IsDurationMetric(bound.metric);
    auto it = values.find(bound.metric);
    double v = it == values.end() ? 0 : it->second;
    check.passed = (!bound.min || v >= *bound.min) && (!bound.max || v <= *bound.max);
    check.detail = "measured " + FormatNumber(v, duration);
    if (bound.min) check.detail += ", min " + FormatNumber(*bound.min, duration);
    if (bound.max) check.detail += ", max " + FormatNumber(*bound.max, duration);
    result.checks.push_back(std::move(check));
  }
  if (judges.situations) {
    for (std::size_t i = 0; i < expect.sometimes.size(); ++i) {
      const Situation& s = expect.sometimes[i];
      reports::Check check;
      check.name = "sometimes:" + (s.pattern ? PatternText(*s.pattern) : s.name);
      check.fired = judges.situations->count(i);
      check.passed = judges.situations->occurred(i);
      check.detail = check.passed ? "occurred " + std::to_string(check.fired) + " times"
                                  : "never occurred in this run";
      result.checks.push_back(std::move(check));
    }
  }
  {
    reports::Check verdict;
    verdict.name = "verdict";
    bool expect_fail = expect.verdict == Expectation::Verdict::kFail;
    verdict.passed = expect_fail == any_fired;
    verdict.detail = std::string("expected ") + (expect_fail ? "fail" : "pass") + ", got " +
                     (any_fired ? "fail" : "pass");
    result.checks.push_back(std::move(verdict));
  }
}

// The metrics into result in kMetricNames order, with the per-bank ones before
// wall_seconds (which report readers take out of the list and append last).
void ListMetrics(const std::map<std::string, double>& values,
                 const std::vector<std::string>& per_bank, reports::ScenarioResult& result) {
  for (const char* name : kMetricNames) {
    if (std::string_view(name) == "wall_seconds") {
      for (const std::string& b : per_bank) result.metrics.emplace_back(b, values.at(b));
    }
    auto it = values.find(name);
    if (it != values.end()) result.metrics.emplace_back(name, it->second);
  }
}

}  // namespace

std::string ReproCommand(const std::string& file, std::uint64_t seed) {
  return "bpsim replay " + file + " --seed " + std::to_string(seed);
}

reports::ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options) {
  auto wall_start = std::chrono::steady_clock::now();
  reports::ScenarioResult result;
  result.id = scenario.id;
  result.file = scenario.file;
  result.description = scenario.description;
  result.tags = scenario.tags;
  mocks::WorldSpec spec = scenario.spec;
  if (options.seed) spec.seed = *options.seed;
  result.seed = spec.seed;
  result.repro = ReproCommand(scenario.file, spec.seed);
  const SimTime end = spec.duration + spec.drain;

  Simulator sim;
  mocks::WorldTraceBus world_bus;
  // Days drawn ahead when judging runs on its own thread (a core is spare), from
  // before the platform is built: the first day's draws overlap the construction.
  const bool prefetch_days = options.prefetch_days.value_or(options.async_judging);
  mocks::World world(spec, &sim, &world_bus, options.platform, prefetch_days);
  if (!world.perturbation().empty()) {
    result.description +=
        (result.description.empty() ? "[perturbed: " : " [perturbed: ") + world.perturbation() + "]";
  }
  // Every consumer of the trace runs on a second thread (harness/async_bus.h), or
  // inline on this one when asked (RunOptions::async_judging).
  std::unique_ptr<AsyncTraceForwarder> forwarder;
  if (options.async_judging) {
    forwarder = std::make_unique<AsyncTraceForwarder>();
    world_bus.SetSink(forwarder.get());
  }
  mocks::WorldTraceBus& bus = forwarder ? forwarder->consumer_bus() : world_bus;
  // One table of cache items and one of consents for every monitor and the metrics;
  // subscribed after them (below), so they read each as it was before each entry.
  CacheItemTable cache_items;
  ConsentTable consents;
  MonitorContext context;
  context.names = &world.names();
  context.cache_items = &cache_items;
  context.consents = &consents;

  auto fail_setup = [&](std::string message) {
    result.error = std::move(message);
    result.passed = false;
    return result;
  };

  Judges judges;
  if (options.monitors) {
    auto subscribed = SubscribeJudges(scenario, context, bus);
    if (!subscribed.ok()) return fail_setup(scenario.file + ": " + subscribed.error().message);
    judges = std::move(subscribed).value();
  }
  MetricsCollector metrics(end, &world.names(), MetricsCollector::kDefaultBuckets, &cache_items,
                           &consents);
  bus.Subscribe(&metrics, MetricsCollector::kTypeMask);
  bus.Subscribe(&cache_items, CacheItemTable::kTypeMask);  // after every reader
  bus.Subscribe(&consents, ConsentTable::kTypeMask);       // after every reader
  if (forwarder) {
    // Cache items, the consent record of each request, and whatever a monitor asks
    // for (revocation-honoured: its state of a cache put's consent): one memory miss
    // each otherwise. Prefetching the record of each labelled flow as well made the
    // million-customer run 1.07x slower (bench/README.md).
    std::uint64_t mask =
        CacheItemTable::kTypeMask | mocks::TypeBit(mocks::EntryType::kApiRequest);
    std::vector<const Monitor*> ahead;
    for (const auto& m : judges.monitors) {
      if (m->lookahead_mask() != 0) {
        ahead.push_back(m.get());
        mask |= m->lookahead_mask();
      }
    }
    forwarder->SetLookahead(mask, [&cache_items, &consents, ahead = std::move(ahead)](
                                      const mocks::TraceEntry& e) {
      if (CacheItemTable::kTypeMask & mocks::TypeBit(e.type)) cache_items.Prefetch(e.ref);
      if (e.type == mocks::EntryType::kApiRequest) consents.Prefetch(e.consent);
      for (const Monitor* m : ahead) {
        if (m->lookahead_mask() & mocks::TypeBit(e.type)) m->Ahead(e);
      }
    });
  }
  TraceHasher hasher;
  bus.Subscribe(&hasher);
  if (options.observer != nullptr) bus.Subscribe(options.observer);

  TraceOutputs::Options outputs_options;
  outputs_options.jsonl_path = options.trace_jsonl_path;
  outputs_options.perfetto_path = options.perfetto_path;
  outputs_options.format_unwritten = options.hash_trace;
  outputs_options.filter = options.trace_filter;
  outputs_options.announce_bytes = options.announce_bytes;
  outputs_options.announce = options.announce_output;
  auto outputs = TraceOutputs::Open(std::move(outputs_options), spec, &world.names(), end);
  if (!outputs.ok()) return fail_setup(outputs.error().message);
  if (*outputs) bus.Subscribe(outputs->get());

  result.incomplete = !RunToEnd(world, sim, options);
  const SimTime finished_at = sim.Now();
  if (forwarder) forwarder->Finish();
  for (auto& m : judges.monitors) m->Finish(finished_at);
  metrics.Finish();

  const std::string write_error = *outputs ? (*outputs)->Finish() : std::string();

  result.trace_hash = hasher.digest();
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::vector<std::string> per_bank;  // "NAME@BANK", in the collector's order
  const std::map<std::string, double> values =
      MetricValues(world, sim, metrics, judges, result.wall_seconds, &per_bank);
  result.timeline = metrics.timeline();
  result.alert_latency = metrics.alert_latency();

  JudgeExpectations(scenario.expect, judges, values, result);
  if (!write_error.empty()) result.error = write_error;
  ListMetrics(values, per_bank, result);
  result.passed = result.error.empty() && !result.incomplete;
  for (const reports::Check& check : result.checks) result.passed = result.passed && check.passed;
  return result;
}

}  // namespace bpsim::harness
