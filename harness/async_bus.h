#pragma once
// Runs the trace's consumers (monitors, metrics, writers) on a second thread: the
// simulation's bus writes entries into blocks (this forwarder is its sink,
// TraceBus::SetSink) that are handed to a consumer thread, which republishes them,
// in the same order, on its own bus. Consumers see exactly the sequence they would
// see synchronously, so results are unchanged; the simulation and the judging just
// overlap on two cores.
//
// Thread safety: the sink is filled by the simulation thread only; subscribers of
// consumer_bus() run on the consumer thread only. Finish() joins; after it the
// consumers' results may be read from the calling thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "mocks/trace.h"

namespace bpsim::harness {

class AsyncTraceForwarder final : public EntrySink<mocks::TraceEntry> {
 public:
  AsyncTraceForwarder();
  ~AsyncTraceForwarder() override;

  // Subscribe consumers here, before the first entry.
  mocks::WorldTraceBus& consumer_bus() { return consumer_bus_; }

  // Shows `ahead` each entry whose type bit is in `type_mask` kLookahead entries
  // before the entry is published, on the consumer thread, so a consumer can
  // prefetch what it will touch (the cache-item table's slot: one memory miss per
  // put/purge otherwise). `ahead` must not change what any consumer reads.
  // REQUIRES: called before the first entry.
  void SetLookahead(std::uint64_t type_mask, std::function<void(const mocks::TraceEntry&)> ahead) {
    lookahead_mask_ = type_mask;
    lookahead_ = std::move(ahead);
  }

  // Delivers everything published so far and stops the consumer thread. The bus
  // must not publish into this sink afterwards.
  void Finish();

 private:
  static constexpr std::size_t kBlockEntries = 4096;
  static constexpr std::size_t kMaxBlocksInFlight = 64;  // bounds memory (~20 MB)
  static constexpr std::size_t kLookahead = 16;
  static constexpr std::size_t kStreamAhead = 64;  // block lines asked for (Consume)
  static constexpr std::size_t kWakeBatch = 8;
  // kBlockEntries slots; `size` of them written.
  struct Block {
    std::unique_ptr<mocks::TraceEntry[]> entries{new mocks::TraceEntry[kBlockEntries]};
    std::size_t size = 0;
  };

  mocks::TraceEntry* Refill() override;  // hands the full block, takes a free one
  void Hand(std::size_t size);
  void Consume();
  std::unique_ptr<Block> TakeFree();

  // The consumer thread's; off the line of next_ and end_, which the simulation
  // thread writes on every entry.
  alignas(64) mocks::WorldTraceBus consumer_bus_;
  std::uint64_t lookahead_mask_ = 0;
  std::function<void(const mocks::TraceEntry&)> lookahead_;
  // The producer's block on a cache line of its own (the sink's next_ and end_ have
  // the object's first line, which consumer_bus_'s alignment leaves to them): the
  // consumer thread bumps its bus's entry counter on every entry, and when that
  // counter shared this line each entry waited for the line to come back from the
  // other core (half of the hand-off's samples on the simulation thread).
  alignas(64) std::unique_ptr<Block> current_;
  alignas(64) std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<Block>> full_;  // guarded by mu_
  // Blocks the consumer has finished with, guarded by mu_. The producer takes the
  // one freed longest ago: its cache lines have had time to leave the consumer's
  // core, so refilling it does not pull each line back across cores (taking the
  // most recently freed block instead made the million-customer run 1.26x slower).
  std::deque<std::unique_ptr<Block>> free_;
  bool done_ = false;                         // guarded by mu_
  std::thread consumer_;
};

}  // namespace bpsim::harness
