// Trace bus micro-benchmark: the cost of publishing one entry to 0, 1 and 9
// subscribers. Entries cycle through 8 types; subscribers take different type masks
// (all types, half of them, one of them), as monitors do, so the figure includes
// the per-type fan-out and the virtual calls.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "sim/trace_bus.h"

namespace {

struct BenchEntry {
  unsigned type = 0;
  std::int64_t time = 0;
  std::uint64_t payload = 0;
};

class CountingSubscriber final : public bpsim::TraceSubscriber<BenchEntry> {
 public:
  void OnEntry(const BenchEntry& e) override { sum_ += e.payload; }
  std::uint64_t sum() const { return sum_; }

 private:
  std::uint64_t sum_ = 0;
};

void BM_TraceBusPublish(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  bpsim::TraceBus<BenchEntry> bus;
  std::vector<CountingSubscriber> subs(subscribers);
  const std::uint64_t masks[] = {bpsim::TraceBus<BenchEntry>::kAllTypes, 0x55, 1ULL << 3};
  for (std::size_t i = 0; i < subs.size(); ++i) bus.Subscribe(&subs[i], masks[i % 3]);
  BenchEntry e;
  for (auto _ : state) {
    e.type = static_cast<unsigned>(e.payload & 7);
    ++e.payload;
    ++e.time;
    bus.Publish(e);
  }
  std::uint64_t total = 0;
  for (const auto& s : subs) total += s.sum();
  benchmark::DoNotOptimize(total);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceBusPublish)->Arg(0)->Arg(1)->Arg(9);

}  // namespace
