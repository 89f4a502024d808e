#include "harness/shrink.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <type_traits>
#include <variant>

#include "harness/runner.h"
#include "harness/scenario/writer.h"

namespace bpsim::harness {
namespace {

bool IsRuleOrInvariant(const Scenario& s, const std::string& name) {
  for (const InvariantConfig& c : s.invariants) {
    if (c.id == name) return true;
  }
  for (const Rule& r : s.rules) {
    if (r.id == name) return true;
  }
  return false;
}

// The sorted ids of the invariants and rules that fired in a run.
std::vector<std::string> Fired(const Scenario& s, const reports::ScenarioResult& r) {
  std::set<std::string> ids;
  for (const reports::Check& c : r.checks) {
    if (c.fired > 0 && IsRuleOrInvariant(s, c.name)) ids.insert(c.name);
  }
  for (const reports::Violation& v : r.violations) ids.insert(v.invariant);
  return {ids.begin(), ids.end()};
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Drops timeline entries that name `bank`.
void DropBankReferences(mocks::WorldSpec& spec, const std::string& bank) {
  auto names = [&](const mocks::TimelineEntry& e) {
    struct V {
      const std::string& b;
      bool operator()(const mocks::RevokeConsents& a) const { return a.bank && *a.bank == b; }
      bool operator()(const mocks::GrantConsents& a) const { return a.bank && *a.bank == b; }
      bool operator()(const mocks::Outage& a) const { return a.target == b; }
      bool operator()(const mocks::FraudWave& a) const { return a.bank == b; }
    };
    return std::visit(V{bank}, e.action);
  };
  auto& t = spec.timeline;
  t.erase(std::remove_if(t.begin(), t.end(), names), t.end());
}

// A bank as the writer shows it (every field that differs from the defaults).
std::string BankText(const mocks::BankConfig& bank) {
  Scenario s;
  s.spec.world.banks = {bank};
  return ScenarioToYaml(s);
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options) : options_(options), start_(Clock::now()) {}

  bool Exhausted() {
    if (runs_ >= options_.max_runs ||
        std::chrono::duration<double>(Clock::now() - start_).count() >= options_.max_seconds) {
      exhausted_ = true;
    }
    return exhausted_;
  }

  // Runs a candidate; true when it fires exactly `fired_`.
  bool Keeps(const Scenario& candidate) {
    if (Exhausted()) return false;
    ++runs_;
    RunOptions run;
    run.seed = options_.seed;
    reports::ScenarioResult r = RunScenario(candidate, run);
    if (!r.error.empty() || r.incomplete) return false;
    return Fired(candidate, r) == fired_;
  }

  // Tries `mutate` on a copy of best_; keeps it when the failure holds.
  bool Try(const std::string& change, const std::function<bool(Scenario&)>& mutate) {
    Scenario c = best_;
    if (!mutate(c)) return false;  // not applicable / no change
    if (!Keeps(c)) return false;
    best_ = std::move(c);
    changes_.push_back(change);
    if (options_.log) options_.log(change);
    return true;
  }

  void ShrinkCustomers() {
    std::uint32_t good = best_.spec.world.customers.count;
    // Small candidates first: 1, 2, 4, ... until one keeps the failure, then bisect
    // between the last that did not and the first that did.
    std::uint32_t bad = 0, probe = 1;
    while (probe < good && !Exhausted()) {
      Scenario c = best_;
      c.spec.world.customers.count = probe;
      if (Keeps(c)) {
        good = probe;
        break;
      }
      bad = probe;
      probe *= 2;
    }
    while (good - bad > 1 && !Exhausted()) {
      std::uint32_t mid = bad + (good - bad) / 2;
      Scenario c = best_;
      c.spec.world.customers.count = mid;
      (Keeps(c) ? good : bad) = mid;
    }
    std::uint32_t before = best_.spec.world.customers.count;
    if (good < before) {
      best_.spec.world.customers.count = good;
      Note("customers.count: " + std::to_string(before) + " -> " + std::to_string(good));
    }
  }

  void ShrinkDuration() {
    while (best_.spec.duration > kHour && !Exhausted()) {
      SimTime before = best_.spec.duration;
      SimTime half = before / 2;
      bool ok = Try("duration: " + FormatDuration(before) + " -> " + FormatDuration(half) +
                        " (timeline entries at or after it dropped)",
                    [&](Scenario& c) {
                      c.spec.duration = half;
                      auto& t = c.spec.timeline;
                      t.erase(std::remove_if(t.begin(), t.end(),
                                             [&](const mocks::TimelineEntry& e) { return e.at >= half; }),
                              t.end());
                      return true;
                    });
      if (!ok) break;
    }
  }

  // ddmin over timeline entries: remove chunks of decreasing size.
  void ShrinkTimeline() {
    std::size_t chunks = 2;
    while (!best_.spec.timeline.empty() && !Exhausted()) {
      auto& t = best_.spec.timeline;
      std::size_t n = t.size();
      chunks = std::min(chunks, n);
      std::size_t size = (n + chunks - 1) / chunks;
      bool removed = false;
      for (std::size_t start = 0; start < n && !Exhausted(); start += size) {
        std::size_t end = std::min(n, start + size);
        std::string what = "timeline: removed " + std::to_string(end - start) + " of " +
                           std::to_string(n) + " entries (from line " +
                           std::to_string(t[start].line) + ")";
        if (Try(what, [&](Scenario& c) {
              auto& ct = c.spec.timeline;
              ct.erase(ct.begin() + long(start), ct.begin() + long(end));
              return true;
            })) {
          removed = true;
          chunks = std::max<std::size_t>(chunks - 1, 2);
          break;
        }
      }
      if (removed) continue;
      if (size == 1) break;
      chunks = std::min(n, chunks * 2);
    }
  }

  void ShrinkDefects() {
    for (int i = 0; i < mocks::kDefectCount && !Exhausted(); ++i) {
      auto d = mocks::Defect(i);
      if (!best_.spec.defects.has(d)) continue;
      Try(std::string("defects: removed ") + mocks::kDefectNames[std::size_t(i)], [&](Scenario& c) {
        c.spec.defects.remove(d);
        return true;
      });
    }
  }

  void ShrinkBanks() {
    for (std::size_t i = best_.spec.world.banks.size(); i-- > 0 && !Exhausted();) {
      if (best_.spec.world.banks.size() < 2) break;
      std::string id = best_.spec.world.banks[i].id;
      Try("banks: removed " + id + " (its customer share and timeline entries too)",
          [&](Scenario& c) {
            auto& banks = c.spec.world.banks;
            banks.erase(banks.begin() + long(i));
            auto& shares = c.spec.world.customers.banks;
            shares.erase(std::remove_if(shares.begin(), shares.end(),
                                        [&](const auto& s) { return s.first == id; }),
                         shares.end());
            double sum = 0;
            for (const auto& s : shares) sum += s.second;
            if (shares.size() < 2 || sum <= 0) {
              shares.clear();
            } else {
              for (auto& s : shares) s.second /= sum;
            }
            DropBankReferences(c.spec, id);
            return true;
          });
    }
  }

  // Faults to zero, then parameters back to their defaults, one at a time.
  void ShrinkParameters() {
    using Mut = std::function<bool(Scenario&)>;
    std::vector<std::pair<std::string, Mut>> steps;
    for (std::size_t i = 0; i < best_.spec.world.banks.size(); ++i) {
      std::string b = "banks[" + best_.spec.world.banks[i].id + "].";
      auto bank = [i](Scenario& c) -> mocks::BankConfig& { return c.spec.world.banks[i]; };
      auto zero = [&](const std::string& name, auto field) {
        steps.emplace_back(b + name + " -> 0", [bank, field](Scenario& c) {
          double& v = field(bank(c));
          if (v == 0) return false;
          v = 0;
          return true;
        });
      };
      zero("webhook_faults.drop", [](mocks::BankConfig& k) -> double& { return k.webhook_faults.drop; });
      zero("webhook_faults.duplicate", [](mocks::BankConfig& k) -> double& { return k.webhook_faults.duplicate; });
      zero("webhook_faults.reorder", [](mocks::BankConfig& k) -> double& { return k.webhook_faults.reorder; });
      zero("link.loss", [](mocks::BankConfig& k) -> double& { return k.link.loss; });
      zero("api.error_rate", [](mocks::BankConfig& k) -> double& { return k.api.error_rate; });
      // Back to the default, except the fault rates, which the steps above zero.
      auto reset = [&](const std::string& name, auto member) {
        steps.emplace_back(b + name + " -> default", [bank, member](Scenario& c) {
          mocks::BankConfig& k = bank(c);
          const mocks::BankConfig old = k;
          k.*member = mocks::BankConfig{}.*member;
          k.api.error_rate = old.api.error_rate;
          k.link.loss = old.link.loss;
          k.webhook_faults.drop = old.webhook_faults.drop;
          k.webhook_faults.duplicate = old.webhook_faults.duplicate;
          k.webhook_faults.reorder = old.webhook_faults.reorder;
          return BankText(k) != BankText(old);
        });
      };
      reset("api", &mocks::BankConfig::api);
      reset("fraud", &mocks::BankConfig::fraud);
      reset("webhook_retry", &mocks::BankConfig::webhook_retry);
      reset("webhook_faults", &mocks::BankConfig::webhook_faults);
      reset("link", &mocks::BankConfig::link);
    }
    auto reset_world = [&](const std::string& name, auto get) {
      steps.emplace_back(name + " -> default", [get](Scenario& c) {
        Scenario d;
        auto& v = get(c);
        const auto& dv = get(d);
        if (SameAs(v, dv)) return false;
        v = dv;
        return true;
      });
    };
    reset_world("customers.consent", [](Scenario& c) -> auto& { return c.spec.world.customers.consent; });
    reset_world("customers.fraud", [](Scenario& c) -> auto& { return c.spec.world.customers.fraud; });
    reset_world("customers.card_tx_per_day", [](Scenario& c) -> auto& { return c.spec.world.customers.card_tx_per_day; });
    reset_world("customers.balance_checks_per_day", [](Scenario& c) -> auto& { return c.spec.world.customers.balance_checks_per_day; });
    reset_world("customers.balance_checks_from_groups", [](Scenario& c) -> auto& { return c.spec.world.customers.balance_checks_from_groups; });
    reset_world("customers.friends", [](Scenario& c) -> auto& { return c.spec.world.customers.friends; });
    reset_world("customers.group_chats", [](Scenario& c) -> auto& { return c.spec.world.customers.group_chats; });
    reset_world("platform.poll_interval", [](Scenario& c) -> auto& { return c.spec.world.platform.poll_interval; });
    reset_world("platform.cache_ttl", [](Scenario& c) -> auto& { return c.spec.world.platform.cache_ttl; });
    reset_world("platform.cache_sweep_every", [](Scenario& c) -> auto& { return c.spec.world.platform.cache_sweep_every; });
    reset_world("platform.segment_job_every", [](Scenario& c) -> auto& { return c.spec.world.platform.segment_job_every; });
    reset_world("drain", [](Scenario& c) -> auto& { return c.spec.drain; });
    // Without a part of schedule perturbation: if the failure stays, it does not
    // depend on what that part drew.
    auto unperturb = [&](const std::string& name, bool mocks::PerturbConfig::*part) {
      steps.emplace_back("perturb." + name + " -> false", [part](Scenario& c) {
        if (!(c.spec.perturb.*part)) return false;
        c.spec.perturb.*part = false;
        return true;
      });
    };
    unperturb("same_instant", &mocks::PerturbConfig::same_instant);
    unperturb("knobs", &mocks::PerturbConfig::knobs);
    for (const auto& [name, mutate] : steps) {
      if (Exhausted()) break;
      Try(name, mutate);
    }
  }

  Result<ShrinkResult> Run(const Scenario& original) {
    best_ = original;
    best_.spec.seed = options_.seed;
    RunOptions run;
    run.seed = options_.seed;
    ++runs_;
    reports::ScenarioResult r = RunScenario(best_, run);
    if (!r.error.empty()) return Error{original.file + ": " + r.error};
    fired_ = Fired(best_, r);
    if (fired_.empty()) {
      return Error{original.file + ": fires no invariant or rule with seed " +
                   std::to_string(options_.seed) + "; nothing to shrink"};
    }
    // Cheap, large reductions first; repeat while a pass still shrinks something.
    for (int pass = 0; pass < 3 && !Exhausted(); ++pass) {
      std::size_t before = changes_.size();
      ShrinkCustomers();
      ShrinkDuration();
      ShrinkTimeline();
      ShrinkDefects();
      ShrinkBanks();
      ShrinkParameters();
      if (changes_.size() == before) break;
    }
    ShrinkResult out;
    out.minimal = best_;
    out.minimal.expect = Expectation{};
    out.minimal.expect.violations = fired_;
    out.minimal.expect.verdict = Expectation::Verdict::kFail;
    out.minimal.id = original.id.empty() ? "" : original.id + "-min";
    out.minimal.description = "Minimised by bpsim shrink from " + original.file + " (seed " +
                              std::to_string(options_.seed) + "); fires exactly: " +
                              Join(fired_) + ".";
    out.fired = fired_;
    out.changes = changes_;
    out.runs = runs_;
    out.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    out.budget_exhausted = exhausted_;
    return out;
  }

 private:
  using Clock = std::chrono::steady_clock;

  template <typename T>
  static bool SameAs(const T& a, const T& b) {
    return ScenarioFragment(a) == ScenarioFragment(b);
  }
  // Compares values by their YAML text within a scenario (covers every field).
  template <typename T>
  static std::string ScenarioFragment(const T& v) {
    if constexpr (std::is_arithmetic_v<T>) {
      return std::to_string(v);
    } else if constexpr (std::is_same_v<T, mocks::ConsentBehaviour>) {
      Scenario s;
      s.spec.world.customers.consent = v;
      return ScenarioToYaml(s);
    } else if constexpr (std::is_same_v<T, mocks::CustomerFraudConfig>) {
      Scenario s;
      s.spec.world.customers.fraud = v;
      return ScenarioToYaml(s);
    }
  }
  void Note(const std::string& change) {
    changes_.push_back(change);
    if (options_.log) options_.log(change);
  }

  ShrinkOptions options_;
  Clock::time_point start_;
  Scenario best_;
  std::vector<std::string> fired_;
  std::vector<std::string> changes_;
  int runs_ = 0;
  bool exhausted_ = false;
};

}  // namespace

Result<ShrinkResult> ShrinkScenario(const Scenario& original, const ShrinkOptions& options) {
  Shrinker shrinker(options);
  return shrinker.Run(original);
}

std::string MinimalScenarioFile(const ShrinkResult& result, const std::string& original_file,
                                const std::string& out_path, const std::string& flags) {
  std::string h;
  h += "# Minimised by `bpsim shrink " + original_file + " --seed " +
       std::to_string(result.minimal.spec.seed) + flags + "` (" + std::to_string(result.runs) +
       " runs" + (result.budget_exhausted ? ", stopped by the run/time budget" : "") + ").\n";
  h += "# The failure kept: the run fires exactly [" + Join(result.fired) + "].\n";
  h += "# expect.violations lists them, so this file PASSES exactly when the failure\n";
  h += "# reproduces:  bpsim run " + out_path + "\n";
  h += "# Trace it:    bpsim replay " + out_path + " --seed " +
       std::to_string(result.minimal.spec.seed) + "\n";
  if (result.changes.empty()) {
    h += "# Changes: none (no smaller scenario kept the failure).\n";
  } else {
    h += "# Changes from the original:\n";
    for (const std::string& c : result.changes) h += "#   " + c + "\n";
  }
  return h + ScenarioToYaml(result.minimal);
}

}  // namespace bpsim::harness
