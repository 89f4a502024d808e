// Event queue micro-benchmarks: a steady-state hold (pop one, push one) at queue
// sizes 10^3 .. 10^6, for the bpsim event queue (calendar buckets over 4-ary heaps)
// and std::priority_queue.

#include <benchmark/benchmark.h>

#include <queue>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"

namespace {

void BM_EventQueueHold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  bpsim::Rng rng(1, bpsim::StreamKey("bench.queue"));
  bpsim::EventQueue q;
  q.reserve(n + 1);
  std::uint64_t seq = 0;
  auto delay = [&] { return static_cast<bpsim::SimTime>(rng.Exponential(1e9)); };
  for (std::size_t i = 0; i < n; ++i) q.push({delay(), (seq++) << 24, i});
  for (auto _ : state) {
    bpsim::Event e = q.pop();
    q.push({e.time + delay(), (seq++) << 24, e.arg});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHold)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_StdPriorityQueueHold(benchmark::State& state) {
  struct Entry {
    double t;
    std::uint32_t id;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.t > b.t; }
  };
  const auto n = static_cast<std::size_t>(state.range(0));
  bpsim::Rng rng(1, bpsim::StreamKey("bench.queue"));
  std::priority_queue<Entry, std::vector<Entry>, Later> q;
  for (std::size_t i = 0; i < n; ++i) q.push({rng.Exponential(1.0), std::uint32_t(i)});
  for (auto _ : state) {
    Entry e = q.top();
    q.pop();
    q.push({e.t + rng.Exponential(1.0), e.id});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StdPriorityQueueHold)->RangeMultiplier(10)->Range(1000, 1000000);

}  // namespace
