// PHOLD, the classic discrete-event macro-benchmark: LPS logical processes, each
// starting with one event at Exp(1); processing an event at LP i draws a target LP j
// uniformly and a delay Exp(mean 1) and schedules an event at j. Stops after EVENTS.
//
//   phold [--engine bpsim|bare|both] [--lps N] [--events N] [--seed N] [--repeat N]
//
// --engine bare is the reference: a std::priority_queue of {double t; uint32_t lp}
// with no callbacks. "both" (the default) runs bare then bpsim in one process and
// prints the ratio, so the comparison holds on a noisy machine. --repeat N (default
// 1) alternates the two N times and prints the median ratios: on a shared machine
// the load changes between runs, and pairing each bpsim run with the bare run just
// before it cancels most of that. Times are wall-clock (seconds) and this thread's
// CPU time (cpu_seconds, which excludes time spent descheduled).

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <queue>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/simulator.h"

namespace {

using bpsim::kSecond;
using bpsim::Rng;
using bpsim::SimTime;
using bpsim::Simulator;

struct Options {
  std::string engine = "both";
  std::uint32_t lps = 10'000;
  std::uint64_t events = 10'000'000;
  std::uint64_t seed = 1;
  std::uint32_t repeat = 1;
};

// Mean delay 1 time unit = 1 simulated second in the bpsim engine (integer ns).
constexpr double kUnit = static_cast<double>(kSecond);

struct Result {
  double seconds;
  double cpu_seconds;
  std::uint64_t events;
  double checksum;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall and CPU time of one timed section.
class Stopwatch {
 public:
  Stopwatch() : wall_(std::chrono::steady_clock::now()), cpu_(ThreadCpuSeconds()) {}
  double wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
  }
  double cpu() const { return ThreadCpuSeconds() - cpu_; }

 private:
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

Result RunBare(const Options& o) {
  struct Entry {
    double t;
    std::uint32_t lp;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.t > b.t; }
  };
  Rng rng(o.seed, bpsim::StreamKey("phold"));
  std::priority_queue<Entry, std::vector<Entry>, Later> q;
  for (std::uint32_t i = 0; i < o.lps; ++i) q.push({rng.Exponential(1.0), i});
  Stopwatch watch;
  std::uint64_t n = 0;
  double last = 0;
  while (n < o.events) {
    Entry e = q.top();
    q.pop();
    ++n;
    last = e.t;
    auto j = static_cast<std::uint32_t>(rng.Below(o.lps));
    q.push({e.t + rng.Exponential(1.0), j});
  }
  return {watch.wall(), watch.cpu(), n, last};
}

struct PholdModel {
  Simulator sim;
  Rng rng;
  std::uint32_t lps;
  std::uint64_t limit;
  std::vector<std::uint64_t> per_lp;
  bpsim::HandlerId handler = 0;

  PholdModel(const Options& o)
      : rng(o.seed, bpsim::StreamKey("phold")), lps(o.lps), limit(o.events), per_lp(o.lps, 0) {
    handler = sim.Register<&PholdModel::OnEvent>(this, "phold.event");
  }

  void OnEvent(std::uint64_t lp) {
    ++per_lp[lp];
    if (sim.events_processed() + 1 >= limit) sim.Stop();
    auto j = rng.Below(lps);
    auto delay = static_cast<SimTime>(rng.Exponential(1.0) * kUnit);
    sim.After(delay, handler, j);
  }
};

Result RunBpsim(const Options& o) {
  PholdModel m(o);
  for (std::uint32_t i = 0; i < o.lps; ++i) {
    m.sim.At(static_cast<SimTime>(m.rng.Exponential(1.0) * kUnit), m.handler, i);
  }
  Stopwatch watch;
  m.sim.RunUntil(bpsim::kSimTimeMax);
  return {watch.wall(), watch.cpu(), m.sim.events_processed(), bpsim::ToSeconds(m.sim.Now())};
}

void Print(const char* engine, const Options& o, const Result& r) {
  std::printf("engine=%s lps=%u events=%" PRIu64
              " seconds=%.3f cpu_seconds=%.3f "
              "events_per_s=%.0f\n",
              engine, o.lps, r.events, r.seconds, r.cpu_seconds,
              static_cast<double>(r.events) / r.seconds);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Usage(const char* why) {
  std::fprintf(stderr,
               "phold: %s\nusage: phold [--engine bpsim|bare|both] [--lps N] [--events N] "
               "[--seed N] [--repeat N]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage("PHOLD macro-benchmark");
      return 0;
    }
    if (i + 1 >= argc) return Usage(("missing value for " + arg).c_str());
    std::string v = argv[++i];
    char* end = nullptr;
    if (arg == "--engine") {
      if (v != "bpsim" && v != "bare" && v != "both")
        return Usage("--engine takes bpsim, bare or both");
      o.engine = v;
    } else if (arg == "--lps") {
      o.lps = static_cast<std::uint32_t>(std::strtoul(v.c_str(), &end, 10));
      if (*end || o.lps == 0) return Usage("--lps takes a positive integer");
    } else if (arg == "--events") {
      o.events = std::strtoull(v.c_str(), &end, 10);
      if (*end || o.events == 0) return Usage("--events takes a positive integer");
    } else if (arg == "--seed") {
      o.seed = std::strtoull(v.c_str(), &end, 10);
      if (*end) return Usage("--seed takes an integer");
    } else if (arg == "--repeat") {
      o.repeat = static_cast<std::uint32_t>(std::strtoul(v.c_str(), &end, 10));
      if (*end || o.repeat == 0) return Usage("--repeat takes a positive integer");
    } else {
      return Usage(("unknown option " + arg).c_str());
    }
  }
  if (o.engine != "both") {
    for (std::uint32_t r = 0; r < o.repeat; ++r) {
      if (o.engine == "bare")
        Print("bare", o, RunBare(o));
      else
        Print("bpsim", o, RunBpsim(o));
    }
    return 0;
  }
  std::vector<double> wall_ratios, cpu_ratios;
  for (std::uint32_t r = 0; r < o.repeat; ++r) {
    Result bare = RunBare(o);
    Print("bare", o, bare);
    Result ours = RunBpsim(o);
    Print("bpsim", o, ours);
    wall_ratios.push_back(bare.seconds / ours.seconds);
    cpu_ratios.push_back(bare.cpu_seconds / ours.cpu_seconds);
  }
  // With --repeat 1 these are the single run's ratios.
  std::printf("ratio_bpsim_over_bare=%.3f\n", Median(wall_ratios));
  std::printf("ratio_cpu_bpsim_over_bare=%.3f\n", Median(cpu_ratios));
  return 0;
}
