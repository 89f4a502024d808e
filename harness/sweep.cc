#include "harness/sweep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <variant>

#include "harness/runner.h"
#include "mocks/perturb.h"
#include "sim/rng.h"

namespace bpsim::harness {
namespace {

std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(v, 10, &v) ||
        __builtin_add_overflow(v, std::uint64_t(c - '0'), &v)) {
      return std::nullopt;
    }
  }
  return v;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

const char* ActionName(const mocks::TimelineAction& action) {
  return std::visit(
      [](const auto& a) -> const char* {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, mocks::RevokeConsents>) return "revoke_consents";
        if constexpr (std::is_same_v<T, mocks::GrantConsents>) return "grant_consents";
        if constexpr (std::is_same_v<T, mocks::Outage>) return "outage";
        if constexpr (std::is_same_v<T, mocks::Crash>) return "crash";
        return "fraud_wave";
      },
      action);
}

}  // namespace

Result<SeedRange> ParseSeedRange(std::string_view text) {
  const std::string bad = "--seeds expects A..B (or N), got '" + std::string(text) + "'";
  const std::size_t dots = text.find("..");
  std::optional<std::uint64_t> first, last;
  if (dots == std::string_view::npos) {
    first = last = ParseDecimal(text);
  } else {
    first = ParseDecimal(text.substr(0, dots));
    last = ParseDecimal(text.substr(dots + 2));
  }
  if (!first || !last) return Error{bad};
  if (*first > *last) {
    return Error{"--seeds expects A..B with A <= B, got '" + std::string(text) + "'"};
  }
  if (*first == 0 && *last == UINT64_MAX) return Error{"--seeds: the range is too large"};
  return SeedRange{*first, *last};
}

Result<Shard> ParseShard(std::string_view text) {
  const std::string bad = "--shard expects I/N with 0 <= I < N, got '" + std::string(text) + "'";
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Error{bad};
  auto index = ParseDecimal(text.substr(0, slash));
  auto count = ParseDecimal(text.substr(slash + 1));
  if (!index || !count || *count == 0 || *count > UINT32_MAX || *index >= *count) {
    return Error{bad};
  }
  return Shard{static_cast<std::uint32_t>(*index), static_cast<std::uint32_t>(*count)};
}

std::vector<std::uint64_t> ShardSeeds(SeedRange range, Shard shard) {
  std::vector<std::uint64_t> seeds;
  if (shard.index > range.last - range.first) return seeds;
  for (std::uint64_t s = range.first + shard.index;; s += shard.count) {
    seeds.push_back(s);
    if (range.last - s < shard.count) break;  // the next step would pass `last`
  }
  return seeds;
}

Scenario SwarmVariant(const Scenario& base, std::uint64_t seed, std::string* drawn) {
  Scenario s = base;
  Rng rng(seed, StreamKey("sweep.swarm"));
  std::string text = "swarm:";
  auto add = [&](const std::string& part) {
    text += text.back() == ':' ? " " : "; ";
    text += part;
  };

  mocks::CustomersConfig& customers = s.spec.world.customers;
  const double count_factor = 0.5 + rng.Uniform();
  const auto count = static_cast<std::uint32_t>(
      std::max(1.0, std::round(static_cast<double>(customers.count) * count_factor)));
  add("customers " + std::to_string(customers.count) + " -> " + std::to_string(count));
  customers.count = count;
  struct RateField {
    const char* name;
    double* value;
  };
  const RateField rates[] = {
      {"card_tx_per_day", &customers.card_tx_per_day},
      {"balance_checks_per_day", &customers.balance_checks_per_day},
      {"revoke_per_year", &customers.consent.revoke_per_year},
      {"compromise_rate_per_year", &customers.fraud.compromise_rate_per_year}};
  for (const RateField& r : rates) {
    const double factor = 0.8 + 0.4 * rng.Uniform();
    *r.value *= factor;
    add(std::string(r.name) + " x" + Fixed(factor, 3));
  }

  // Each timeline entry is kept with probability 1/2 (always one draw per entry).
  std::vector<mocks::TimelineEntry> kept;
  std::string kept_text;
  for (const mocks::TimelineEntry& e : s.spec.timeline) {
    if (!rng.Bernoulli(0.5)) continue;
    kept_text += (kept_text.empty() ? "" : ", ") + std::string(ActionName(e.action));
    if (e.line > 0) kept_text += " (line " + std::to_string(e.line) + ")";
    kept.push_back(e);
  }
  if (!s.spec.timeline.empty()) {
    add("timeline kept " + std::to_string(kept.size()) + " of " +
        std::to_string(s.spec.timeline.size()) + (kept.empty() ? "" : ": " + kept_text));
  }
  s.spec.timeline = std::move(kept);

  // Per bank, each fault is switched on with probability 1/4; its value is drawn
  // either way so that one bank's choices do not shift the next bank's draws.
  for (mocks::BankConfig& bank : s.spec.world.banks) {
    struct Fault {
      const char* name;
      double* value;
      double max;
    };
    const Fault faults[] = {{"webhook drop", &bank.webhook_faults.drop, 0.2},
                            {"webhook duplicate", &bank.webhook_faults.duplicate, 0.2},
                            {"webhook reorder", &bank.webhook_faults.reorder, 0.2},
                            {"link loss", &bank.link.loss, 0.05},
                            {"api error_rate", &bank.api.error_rate, 0.05}};
    std::string bank_text;
    for (const Fault& f : faults) {
      const bool on = rng.Bernoulli(0.25);
      const double value = f.max * rng.Uniform();
      if (!on) continue;
      *f.value = value;
      bank_text += (bank_text.empty() ? "" : ", ") + std::string(f.name) + " " + Fixed(value, 4);
    }
    if (!bank_text.empty()) add("bank " + bank.id + ": " + bank_text);
  }
  // What the variation may remove (an outage, a wave) is what `sometimes` and metric
  // bounds rely on: a swarm seed is judged by its invariants, rules and expected
  // violations only.
  if (!s.expect.metrics.empty() || !s.expect.sometimes.empty()) {
    add("metric and sometimes expectations not checked");
    s.expect.metrics.clear();
    s.expect.sometimes.clear();
  }
  // Swarm seeds are always perturbed; the world draws the perturbation from the
  // run's seed and the result's description says what it drew.
  s.spec.perturb.same_instant = true;
  s.spec.perturb.knobs = true;
  s.spec.perturb.crashes = true;
  // The crashes the world will draw for this seed (the same draw, made here) delay
  // what waits for the crashed party: an alert may wait out every downtime and then
  // a bank's longest retry back-off. A latency bound chosen without crashes is
  // widened by exactly that, and only when the seed draws a crash.
  mocks::WorldSpec crashes = s.spec;
  crashes.seed = seed;
  crashes.timeline.clear();
  mocks::PerturbCrashes(&crashes, seed);
  SimTime extra = 0, retry = 0;
  for (const mocks::TimelineEntry& e : crashes.timeline) extra += std::get<mocks::Crash>(e.action).down;
  for (const mocks::BankConfig& bank : s.spec.world.banks) retry = std::max(retry, bank.webhook_retry.max);
  if (extra > 0) {
    for (InvariantConfig& inv : s.invariants) {
      if (inv.id != "fraud-alert-delivery") continue;
      const SimTime widened = inv.p99 + extra + retry;
      add("fraud-alert-delivery p99 " + DescribeDuration(inv.p99) + " -> " + DescribeDuration(widened) +
          " for the crashes");
      inv.p99 = widened;
    }
  }
  if (drawn != nullptr) *drawn = text;
  return s;
}

Scenario VaryScenario(const Scenario& base, std::uint64_t seed, SeedVariation variation,
                      std::string* drawn) {
  if (variation.swarm) return SwarmVariant(base, seed, drawn);
  Scenario s = base;
  if (variation.perturb) {
    s.spec.perturb.same_instant = true;
    s.spec.perturb.knobs = true;
  }
  return s;
}

std::string VariationFlag(SeedVariation variation) {
  if (variation.swarm) return " --swarm";
  return variation.perturb ? " --perturb" : "";
}

std::string SweepReproCommand(const std::string& file, std::uint64_t seed,
                              SeedVariation variation) {
  return ReproCommand(file, seed) + VariationFlag(variation);
}

reports::RunReport RunSweep(const Scenario& given, const SweepOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Scenario scenario = given;
  if (options.invariants_only) {
    scenario.expect.metrics.clear();
    scenario.expect.sometimes.clear();
  }
  const std::vector<std::uint64_t> seeds = ShardSeeds(options.seeds, options.shard);
  std::vector<std::optional<reports::ScenarioResult>> results(seeds.size());
  std::atomic<std::size_t> next{0};
  std::mutex done_mutex;
  std::size_t done = 0;

  const unsigned jobs = static_cast<unsigned>(
      std::max<std::size_t>(1, std::min<std::size_t>(options.jobs, seeds.size())));
  auto interrupted = [&] { return options.interrupted != nullptr && options.interrupted->load(); };
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= seeds.size() || interrupted()) return;
      const std::uint64_t seed = seeds[i];
      std::string drawn;
      const SeedVariation variation{options.perturb, options.swarm};
      std::optional<Scenario> variant;
      if (variation.perturb || variation.swarm) {
        variant = VaryScenario(scenario, seed, variation, &drawn);
      }
      RunOptions run;
      run.seed = seed;
      run.monitors = options.monitors;
      run.interrupted = options.interrupted;
      // Each worker judges its runs inline, on its own thread: --jobs N means N
      // threads in all, so a sweep uses the cores it was given and no more (a
      // single `bpsim run` judges on a second thread instead).
      run.async_judging = false;
      reports::ScenarioResult r = RunScenario(variant ? *variant : scenario, run);
      r.id = scenario.id + "@seed=" + std::to_string(seed);
      r.repro = SweepReproCommand(scenario.file, seed, variation);
      if (options.swarm) r.description += (r.description.empty() ? "" : " ") + ("[" + drawn + "]");
      results[i] = std::move(r);
      std::lock_guard<std::mutex> lock(done_mutex);
      ++done;
      if (options.on_seed_done) options.on_seed_done(done, seeds.size());
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  reports::RunReport report;
  report.sweep = reports::SweepInfo{scenario.id,         scenario.file,       options.seeds.first,
                                    options.seeds.last,  options.swarm,       options.shard.index,
                                    options.shard.count, options.invariants_only};
  for (auto& r : results) {
    if (!r) {
      report.incomplete = true;  // never started: interrupted
      continue;
    }
    report.incomplete = report.incomplete || r->incomplete;
    report.scenarios.push_back(std::move(*r));
  }
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<reports::RunReport> MergeSweepReports(const std::vector<reports::RunReport>& parts,
                                             const std::vector<std::string>& names) {
  if (parts.empty()) return Error{"nothing to merge"};
  auto name = [&](std::size_t i) {
    return i < names.size() ? names[i] : "part " + std::to_string(i);
  };
  auto describe = [](const reports::SweepInfo& s) {
    return "scenario " + s.scenario + " (" + s.file + ") seeds " + std::to_string(s.first_seed) +
           ".." + std::to_string(s.last_seed) + (s.swarm ? " with swarm" : "");
  };
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].sweep) return Error{name(i) + ": not a sweep report (no \"sweep\" object)"};
  }
  const reports::SweepInfo& first = *parts[0].sweep;
  reports::RunReport merged;
  merged.bpsim_version = parts[0].bpsim_version;
  std::map<std::uint64_t, std::size_t> owner;  // seed -> part
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const reports::SweepInfo& info = *parts[i].sweep;
    if (info.scenario != first.scenario || info.file != first.file ||
        info.first_seed != first.first_seed || info.last_seed != first.last_seed ||
        info.swarm != first.swarm || info.invariants_only != first.invariants_only) {
      return Error{"cannot merge different sweeps: " + name(0) + " is " + describe(first) + ", " +
                   name(i) + " is " + describe(info)};
    }
    merged.incomplete = merged.incomplete || parts[i].incomplete;
    merged.wall_seconds = std::max(merged.wall_seconds, parts[i].wall_seconds);
    for (const reports::ScenarioResult& r : parts[i].scenarios) {
      if (r.seed < first.first_seed || r.seed > first.last_seed) {
        return Error{name(i) + ": seed " + std::to_string(r.seed) + " is outside the range " +
                     std::to_string(first.first_seed) + ".." + std::to_string(first.last_seed)};
      }
      auto [it, inserted] = owner.emplace(r.seed, i);
      if (!inserted) {
        return Error{"seed " + std::to_string(r.seed) + " is in both " + name(it->second) +
                     " and " + name(i)};
      }
      merged.scenarios.push_back(r);
    }
  }
  std::sort(merged.scenarios.begin(), merged.scenarios.end(),
            [](const reports::ScenarioResult& a, const reports::ScenarioResult& b) {
              return a.seed < b.seed;
            });
  const std::uint64_t expected = first.last_seed - first.first_seed + 1;
  if (merged.scenarios.size() != expected) merged.incomplete = true;
  reports::SweepInfo info = first;
  info.shard_index = 0;
  info.shard_count = 1;
  merged.sweep = std::move(info);
  return merged;
}

}  // namespace bpsim::harness
