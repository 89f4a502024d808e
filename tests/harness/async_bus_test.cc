// The trace forwarder delivers every entry, in order, on its consumer thread, and
// runs the task given to RunFirst there before any of them.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "harness/async_bus.h"

namespace {

class Recorder final : public bpsim::mocks::WorldTraceSubscriber {
 public:
  explicit Recorder(const std::atomic<bool>* task_done) : task_done_(task_done) {}
  void OnEntry(const bpsim::mocks::TraceEntry& e) override {
    if (times.empty()) task_done_before_first = task_done_->load();
    times.push_back(e.time);
    thread = std::this_thread::get_id();
  }
  std::vector<bpsim::SimTime> times;
  bool task_done_before_first = false;
  std::thread::id thread;

 private:
  const std::atomic<bool>* task_done_;
};

}  // namespace

TEST_CASE("AsyncTraceForwarder runs RunFirst's task on its thread before the first entry",
          "[async_bus]") {
  std::atomic<bool> task_done{false};
  std::thread::id task_thread;
  bpsim::mocks::WorldTraceBus bus;
  Recorder recorder(&task_done);
  {
    bpsim::harness::AsyncTraceForwarder forwarder;
    forwarder.consumer_bus().Subscribe(&recorder);
    forwarder.RunFirst([&] {
      // Slow on purpose: entries are published (and blocks handed over) meanwhile.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      task_thread = std::this_thread::get_id();
      task_done.store(true);
    });
    bus.SetSink(&forwarder);
    bpsim::mocks::TraceEntry e;
    for (bpsim::SimTime t = 0; t < 100'000; ++t) {  // ~24 blocks of 4,096
      e.time = t;
      bus.Publish(e);
    }
    forwarder.Finish();
  }
  REQUIRE(task_done.load());
  REQUIRE(recorder.task_done_before_first);
  REQUIRE(task_thread == recorder.thread);
  REQUIRE(task_thread != std::this_thread::get_id());
  REQUIRE(recorder.times.size() == 100'000);
  for (std::size_t i = 0; i < recorder.times.size(); ++i) REQUIRE(recorder.times[i] == bpsim::SimTime(i));
}
