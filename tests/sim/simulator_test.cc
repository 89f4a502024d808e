#include "sim/simulator.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <utility>
#include <vector>

using namespace bpsim;

namespace {

// Records (time, arg) of every event it handles; optionally reacts to some args.
struct Recorder {
  Simulator& sim;
  HandlerId id = 0;
  std::vector<std::pair<SimTime, std::uint64_t>> seen;
  std::uint64_t stop_on = ~0ULL;
  std::uint64_t spawn_on = ~0ULL;  // schedules arg 100 at the same time

  explicit Recorder(Simulator& s) : sim(s) { id = sim.Register<&Recorder::On>(this, "recorder"); }

  void On(std::uint64_t arg) {
    seen.emplace_back(sim.Now(), arg);
    if (arg == stop_on) sim.Stop();
    if (arg == spawn_on) sim.After(0, id, 100);
  }
};

using Seen = std::vector<std::pair<SimTime, std::uint64_t>>;

}  // namespace

TEST_CASE("Simulator runs events in time order and sets Now to each event's time",
          "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  sim.At(30, r.id, 3);
  sim.At(10, r.id, 1);
  sim.After(20, r.id, 2);
  CHECK(sim.RunUntil(100));
  CHECK(r.seen == Seen{{10, 1}, {20, 2}, {30, 3}});
  CHECK(sim.events_processed() == 3);
  CHECK(sim.handler_name(r.id) == "recorder");
}

TEST_CASE("RunUntil runs events exactly at end, keeps later ones and leaves Now at end",
          "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  sim.At(50, r.id, 1);
  sim.At(51, r.id, 2);
  CHECK(sim.RunUntil(50));
  CHECK(r.seen == Seen{{50, 1}});
  CHECK(sim.Now() == 50);
  CHECK(sim.pending() == 1);

  CHECK(sim.RunUntil(40));  // an earlier end never moves time backwards
  CHECK(sim.Now() == 50);
  CHECK(sim.RunUntil(1'000));
  CHECK(r.seen == Seen{{50, 1}, {51, 2}});
  CHECK(sim.Now() == 1'000);
  CHECK(sim.pending() == 0);
}

TEST_CASE("After is relative to Now after a RunUntil", "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  CHECK(sim.RunUntil(500));
  sim.After(5, r.id, 7);
  CHECK(sim.RunUntil(1'000));
  CHECK(r.seen == Seen{{505, 7}});
}

TEST_CASE("Stop returns mid-run at the stopping event and a later RunUntil continues",
          "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  r.stop_on = 2;
  for (std::uint64_t i = 1; i <= 4; ++i) sim.At(static_cast<SimTime>(i * 10), r.id, i);
  CHECK_FALSE(sim.RunUntil(100));
  CHECK(sim.stopped());
  CHECK(r.seen == Seen{{10, 1}, {20, 2}});
  CHECK(sim.Now() == 20);
  CHECK(sim.pending() == 2);

  CHECK(sim.RunUntil(100));
  CHECK_FALSE(sim.stopped());
  CHECK(r.seen == Seen{{10, 1}, {20, 2}, {30, 3}, {40, 4}});
  CHECK(sim.Now() == 100);
}

TEST_CASE("Cancel prevents the event and leaves others and Now untouched", "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  EventId first = sim.At(10, r.id, 1);
  EventId second = sim.At(20, r.id, 2);
  sim.At(20, r.id, 3);
  CHECK(first != kNoEvent);
  CHECK(first != second);
  sim.Cancel(second);
  sim.Cancel(second);    // twice is a no-op
  sim.Cancel(kNoEvent);  // "no timer" is a no-op
  CHECK(sim.RunUntil(15));
  CHECK(sim.RunUntil(100));
  CHECK(r.seen == Seen{{10, 1}, {20, 3}});
  CHECK(sim.events_processed() == 2);
}

TEST_CASE("A handler can cancel a same-time event queued after it", "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  struct Canceller {
    Simulator* sim;
    EventId victim = kNoEvent;
    void On(std::uint64_t) { sim->Cancel(victim); }
  } canceller{&sim};
  HandlerId c = sim.Register<&Canceller::On>(&canceller, "canceller");
  sim.At(10, c, 0);
  canceller.victim = sim.At(10, r.id, 1);
  sim.At(10, r.id, 2);
  CHECK(sim.pending() == 3);
  CHECK(sim.RunUntil(10));
  CHECK(r.seen == Seen{{10, 2}});
  CHECK(sim.events_processed() == 2);  // the canceller and event 2
  CHECK(sim.pending() == 0);
}

TEST_CASE("Events scheduled at the current time run after already-queued same-time events",
          "[sim][simulator]") {
  Simulator sim;
  Recorder r(sim);
  r.spawn_on = 1;
  sim.At(10, r.id, 1);
  sim.At(10, r.id, 2);
  sim.At(10, r.id, 3);
  sim.At(11, r.id, 4);
  CHECK(sim.RunUntil(20));
  CHECK(r.seen == Seen{{10, 1}, {10, 2}, {10, 3}, {10, 100}, {11, 4}});
}

TEST_CASE("Register passes the context pointer and argument to a plain function",
          "[sim][simulator]") {
  Simulator sim;
  std::uint64_t sum = 0;
  HandlerId h = sim.Register(
      [](void* ctx, Simulator& s, std::uint64_t arg) {
        *static_cast<std::uint64_t*>(ctx) += arg * static_cast<std::uint64_t>(s.Now());
      },
      &sum, "sum");
  sim.At(2, h, 3);
  sim.At(5, h, 7);
  CHECK(sim.RunUntil(10));
  CHECK(sum == 2 * 3 + 5 * 7);
}

namespace {

// The order in which 32 events at t = 10 (args 0..31), with one at t = 5 and one at
// t = 20 around them, run under ShuffleSameInstant(key).
Seen ShuffledRun(std::uint64_t key) {
  Simulator sim;
  sim.ShuffleSameInstant(key);
  Recorder r(sim);
  sim.At(20, r.id, 99);
  for (std::uint64_t i = 0; i < 32; ++i) sim.At(10, r.id, i);
  sim.At(5, r.id, 98);
  CHECK(sim.RunUntil(100));
  return r.seen;
}

}  // namespace

TEST_CASE("ShuffleSameInstant runs same-time events in an order drawn from the key",
          "[sim][simulator]") {
  const Seen a = ShuffledRun(1), again = ShuffledRun(1), b = ShuffledRun(2);
  CHECK(a == again);  // a pure function of the key
  CHECK(a != b);      // another key, another order
  for (const Seen& run : {a, b}) {
    REQUIRE(run.size() == 34);
    CHECK(run.front() == std::pair<SimTime, std::uint64_t>{5, 98});  // time order holds
    CHECK(run.back() == std::pair<SimTime, std::uint64_t>{20, 99});
    std::vector<std::uint64_t> middle;
    for (std::size_t i = 1; i < 33; ++i) middle.push_back(run[i].second);
    std::vector<std::uint64_t> sorted = middle;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint64_t i = 0; i < 32; ++i) CHECK(sorted[i] == i);  // each exactly once
    CHECK(middle != sorted);  // and not in push order
  }
}

TEST_CASE("Under ShuffleSameInstant a handler's own events still follow it and Cancel works",
          "[sim][simulator]") {
  for (std::uint64_t key = 0; key < 16; ++key) {
    Simulator sim;
    sim.ShuffleSameInstant(key);
    CHECK(sim.shuffles_same_instant());
    Recorder r(sim);
    r.spawn_on = 1;  // schedules arg 100 at the same instant
    sim.At(10, r.id, 1);
    const EventId victim = sim.At(10, r.id, 2);
    sim.At(10, r.id, 3);
    sim.Cancel(victim);
    CHECK(sim.RunUntil(10));
    INFO("key " << key);
    REQUIRE(r.seen.size() == 3);
    const auto pos = [&](std::uint64_t arg) {
      return std::find_if(r.seen.begin(), r.seen.end(),
                          [&](const auto& e) { return e.second == arg; }) -
             r.seen.begin();
    };
    CHECK(pos(2) == 3);  // cancelled: never ran
    CHECK(pos(1) < pos(100));
    CHECK(pos(3) < 3);
  }
}

TEST_CASE("SetPrefetch sees each bucket's events before they run and changes nothing",
          "[sim][simulator]") {
  // The same random schedule with and without a prefetcher: the same events in the
  // same order; with it, each event is announced, with its time, before it runs.
  auto run = [](bool with_prefetch, Seen* announced) {
    Simulator sim;
    Recorder r(sim);
    if (with_prefetch) {
      // The prefetcher of r's handler, with r's context: record through a side table.
      static Seen* sink = nullptr;
      sink = announced;
      sim.SetPrefetch(r.id, [](void*, SimTime at, std::uint64_t arg) {
        sink->emplace_back(at, arg);
      });
    }
    std::uint64_t x = 12345;
    for (std::uint64_t i = 0; i < 20000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      sim.At(SimTime((x >> 20) % (SimTime(1) << 36)), r.id, i);
    }
    REQUIRE(sim.RunUntil(SimTime(1) << 37));
    return r.seen;
  };
  Seen announced;
  const Seen plain = run(false, nullptr);
  const Seen prefetched = run(true, &announced);
  CHECK(prefetched == plain);
  CHECK(plain.size() == 20000);
  // Every event was announced (events go through the ring's buckets here), once,
  // with the time it ran at.
  std::sort(announced.begin(), announced.end());
  Seen ran = plain;
  std::sort(ran.begin(), ran.end());
  CHECK(announced == ran);
}

TEST_CASE("A Batch gives its events the same ids and runs them in the same order",
          "[sim][simulator]") {
  // One handler schedules thousands of events at scattered times (ties included),
  // inside nested Batches or without one: the ids At returns, the events run and
  // their order are the same.
  struct Spawner {
    Simulator& sim;
    bool batched;
    HandlerId spawn = 0, record = 0;
    std::vector<EventId> ids;
    Seen seen;
    Spawner(Simulator& s, bool b) : sim(s), batched(b) {
      spawn = sim.Register<&Spawner::OnSpawn>(this, "spawn");
      record = sim.Register<&Spawner::OnRecord>(this, "record");
    }
    void Schedule(std::uint64_t from, std::uint64_t to) {
      for (std::uint64_t i = from; i < to; ++i) {
        const std::uint64_t x = (i * 0x9E3779B97F4A7C15ULL) >> 30;
        const SimTime delay = i % 5 == 0 ? 0 : SimTime(x % (SimTime(1) << (20 + i % 24)));
        ids.push_back(sim.After(delay, record, i));
      }
    }
    void OnSpawn(std::uint64_t) {
      if (!batched) {
        Schedule(0, 6000);
        return;
      }
      Simulator::Batch outer(sim);
      Schedule(0, 3000);
      {
        Simulator::Batch inner(sim);
        Schedule(3000, 3005);
      }
      Schedule(3005, 6000);
    }
    void OnRecord(std::uint64_t arg) { seen.emplace_back(sim.Now(), arg); }
  };
  auto run = [](bool batched) {
    Simulator sim;
    Spawner s(sim, batched);
    // Events already pending at the same instants as some of the spawned ones.
    for (std::uint64_t i = 0; i < 100; ++i) sim.At(SimTime(1000 + i), s.record, 10000 + i);
    sim.At(1000, s.spawn);
    REQUIRE(sim.RunUntil(SimTime(1) << 45));
    CHECK(sim.pending() == 0);
    return std::make_pair(s.ids, s.seen);
  };
  const auto plain = run(false);
  const auto batched = run(true);
  CHECK(plain.second.size() == 6100);
  CHECK(batched.first == plain.first);
  CHECK(batched.second == plain.second);
}
