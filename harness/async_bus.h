#pragma once
// Runs the trace's consumers (monitors, metrics, writers) on a second thread: the
// simulation publishes entries into blocks that this forwarder hands to a consumer
// thread, which republishes them, in the same order, on its own bus. Consumers see
// exactly the sequence they would see synchronously, so results are unchanged; the
// simulation and the judging just overlap on two cores.
//
// Thread safety: OnEntry is called by the simulation thread only; subscribers of
// consumer_bus() run on the consumer thread only. Finish() joins; after it the
// consumers' results may be read from the calling thread.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "mocks/trace.h"

namespace bpsim::harness {

class AsyncTraceForwarder final : public mocks::WorldTraceSubscriber {
 public:
  AsyncTraceForwarder();
  ~AsyncTraceForwarder() override;

  // Subscribe consumers here, before the first entry.
  mocks::WorldTraceBus& consumer_bus() { return consumer_bus_; }

  void OnEntry(const mocks::TraceEntry& e) override {
    current_->push_back(e);
    if (current_->size() == kBlockEntries) Hand();
  }

  // Delivers everything published so far and stops the consumer thread.
  void Finish();

 private:
  static constexpr std::size_t kBlockEntries = 4096;
  static constexpr std::size_t kMaxBlocksInFlight = 64;  // bounds memory (~20 MB)
  using Block = std::vector<mocks::TraceEntry>;

  void Hand();
  void Consume();
  std::unique_ptr<Block> TakeFree();

  mocks::WorldTraceBus consumer_bus_;
  std::unique_ptr<Block> current_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<Block>> full_;  // guarded by mu_
  std::vector<std::unique_ptr<Block>> free_;  // guarded by mu_
  bool done_ = false;                         // guarded by mu_
  std::thread consumer_;
};

}  // namespace bpsim::harness
