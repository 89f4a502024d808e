#pragma once
// Sweeps (README.md, docs/cluster.md): one scenario over a range of seeds on several threads,
// split into shards for a cluster, and shard reports merged back into one.
//
// A sweep's report is a pure function of (scenario, seed range, shard, swarm,
// perturb) except the wall-clock fields: results are ordered by seed, never by
// completion, so `--jobs 1` and `--jobs 8` give the same report.json, and merging the
// shards of a range gives the verdicts and metrics of the single-machine sweep.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/scenario.h"
#include "reports/result.h"
#include "reports/sweep_summary.h"
#include "sim/status.h"

namespace bpsim::harness {

// An inclusive seed range "A..B".
struct SeedRange {
  std::uint64_t first = 0, last = 0;
  std::uint64_t size() const { return last - first + 1; }
};

// Parses "A..B" (A <= B) or "N" (the range N..N), e.g. errors "--seeds expects A..B
// with A <= B, got '9..3'".
Result<SeedRange> ParseSeedRange(std::string_view text);

// One shard of a range: seed s belongs to shard (s - first) mod count.
struct Shard {
  std::uint32_t index = 0, count = 1;
};

// Parses "I/N" with 0 <= I < N, e.g. errors "--shard expects I/N with 0 <= I < N,
// got '3/3'".
Result<Shard> ParseShard(std::string_view text);

// The seeds of `range` that belong to `shard`, ascending.
std::vector<std::uint64_t> ShardSeeds(SeedRange range, Shard shard);

// Swarm testing: the variant of `base` that `seed` draws from its own stream
// (independent of the world's streams): a random subset of the timeline, fault
// settings per bank (webhook drop/duplicate/reorder, link loss, API error rate; the
// scenario's defects are kept as they are), customers.count x U(0.5, 1.5) and the
// customers' activity rates x U(0.8, 1.2), and always schedule perturbation (both
// parts of WorldSpec::perturb, drawn by the world from the run's seed). The variant
// drops the scenario's metric bounds and `sometimes` expectations (the variation may
// remove what they rely on): it is judged by invariants, rules and expected
// violations. `drawn` (if not null) receives one line saying what was drawn, e.g.
// "swarm: customers 300 -> 412; card_tx_per_day x1.07; ...". A pure function of
// (base, seed).
Scenario SwarmVariant(const Scenario& base, std::uint64_t seed, std::string* drawn);

// How every seed of a run, replay, sweep or shrink varies its scenario: as written,
// perturbed (--perturb: both parts of WorldSpec::perturb on), or its swarm variant
// (--swarm, perturbed too).
struct SeedVariation {
  bool perturb = false;
  bool swarm = false;
};
// The scenario seed `seed` runs under `variation`; `drawn` as for SwarmVariant (left
// empty unless swarm).
Scenario VaryScenario(const Scenario& base, std::uint64_t seed, SeedVariation variation,
                      std::string* drawn);
// The command-line flag that asks for `variation`: "", " --perturb" or " --swarm".
std::string VariationFlag(SeedVariation variation);

// The command that reproduces one seed: "bpsim replay FILE --seed N" followed by
// VariationFlag.
std::string SweepReproCommand(const std::string& file, std::uint64_t seed,
                              SeedVariation variation);
// The command that shrinks the run a repro command reproduces (reports/sweep_summary.h).
using reports::ShrinkCommand;

struct SweepOptions {
  SeedRange seeds;
  Shard shard;
  unsigned jobs = 1;  // worker threads (at least 1; never more than the seeds)
  bool swarm = false;    // every seed runs its SwarmVariant (perturbed too)
  bool perturb = false;  // every seed runs perturbed (implied by swarm)
  // Judge each seed by its invariants, rules and expected violations only: the
  // scenario's metric bounds and `sometimes` expectations were chosen for its own
  // seed (a count reached, a situation hit) and are not judged on other seeds.
  bool invariants_only = false;
  bool monitors = true;
  // When it becomes true, running seeds stop at their next slice and no new seed
  // starts; the report is then incomplete and holds only the seeds that finished.
  const std::atomic<bool>* interrupted = nullptr;
  // Called after each seed, from worker threads, one call at a time.
  std::function<void(std::size_t done, std::size_t total)> on_seed_done;
};

// Runs the shard's seeds of `scenario` and returns the report: one ScenarioResult per
// seed (id "ID@seed=N", ordered by seed; with swarm, the description ends with what
// the seed drew; repro is SweepReproCommand), `sweep` set, `command` left empty
// for the caller. Thread-safe in the sense that each run builds its own world.
reports::RunReport RunSweep(const Scenario& scenario, const SweepOptions& options);

// Merges shard reports of one sweep (`names` label each part in errors, e.g. its
// directory). Fails when a part is not a sweep report, when parts cover different
// sweeps (scenario, file, seed range or swarm), or when a seed appears twice, e.g.
// "seed 7 is in both out/a and out/b". The result has the results sorted by seed,
// shard 0/1, and is incomplete when any part was or when seeds of the range are
// missing (a shard not given).
Result<reports::RunReport> MergeSweepReports(const std::vector<reports::RunReport>& parts,
                                             const std::vector<std::string>& names);

}  // namespace bpsim::harness
