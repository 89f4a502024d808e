#include "sim/event_queue.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "sim/rng.h"

using namespace bpsim;

namespace {

Event MakeEvent(SimTime time, std::uint64_t sequence, std::uint32_t handler = 0,
                std::uint64_t arg = 0) {
  return Event{time, (sequence << Event::kHandlerBits) | handler, arg};
}

}  // namespace

TEST_CASE("Event packs sequence and handler without mixing them", "[sim][event_queue]") {
  Event e = MakeEvent(5, Event::kMaxSequence, static_cast<std::uint32_t>(Event::kHandlerMask));
  CHECK(e.sequence() == Event::kMaxSequence);
  CHECK(e.handler() == Event::kHandlerMask);
  CHECK(sizeof(Event) <= 24);
}

TEST_CASE("EventHeap::ExtractIf takes exactly the matching entries and keeps a heap",
          "[sim][event_queue]") {
  // Heaps of every small size and a large one, each split by a time threshold as the
  // queue's drain splits its overflow: what is taken is the matching set, and what
  // is left still pops in (time, sequence) order.
  Rng rng(11, StreamKey("test.heap.extract"));
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5},
                        std::size_t{6}, std::size_t{17}, std::size_t{100'000}}) {
    for (SimTime threshold : {SimTime{0}, SimTime{300}, SimTime{1'001}}) {
      EventHeap heap;
      std::vector<std::pair<SimTime, std::uint64_t>> below, rest;
      for (std::size_t i = 0; i < n; ++i) {
        const auto t = static_cast<SimTime>(rng.Below(1'000));
        heap.push(MakeEvent(t, i));
        (t < threshold ? below : rest).emplace_back(t, i);
      }
      std::vector<std::pair<SimTime, std::uint64_t>> taken;
      heap.ExtractIf([&](const Event& e) { return e.time < threshold; },
                     [&](const Event& e) { taken.emplace_back(e.time, e.sequence()); });
      std::sort(taken.begin(), taken.end());
      std::sort(below.begin(), below.end());
      std::sort(rest.begin(), rest.end());
      INFO("n " << n << " threshold " << threshold);
      CHECK(taken == below);
      REQUIRE(heap.size() == rest.size());
      for (const auto& expected : rest) {
        const Event e = heap.pop();
        REQUIRE(e.time == expected.first);
        REQUIRE(e.sequence() == expected.second);
      }
      CHECK(heap.empty());
    }
  }
}

TEST_CASE("EventQueue pops random pushes in (time, sequence) order", "[sim][event_queue]") {
  Rng rng(1, StreamKey("test.queue.random"));
  EventQueue q;
  const int kEvents = 20'000;
  for (int i = 0; i < kEvents; ++i) {
    // Few distinct times, so many ties must be broken by sequence.
    q.push(MakeEvent(static_cast<SimTime>(rng.Below(500)), static_cast<std::uint64_t>(i),
                     static_cast<std::uint32_t>(i % 7), static_cast<std::uint64_t>(i)));
  }
  REQUIRE(q.size() == kEvents);
  Event previous = q.pop();
  for (int i = 1; i < kEvents; ++i) {
    Event e = q.pop();
    INFO("pop " << i);
    REQUIRE(EarlierThan(previous, e));
    REQUIRE(e.arg == e.sequence());  // the payload travelled with its key
    previous = e;
  }
  CHECK(q.empty());
}

TEST_CASE("EventQueue pops same-time events in push order among other events",
          "[sim][event_queue]") {
  Rng rng(2, StreamKey("test.queue.ties"));
  EventQueue q;
  const SimTime kTie = 1'000;
  const int kTied = 10'000;
  std::uint64_t sequence = 0;
  // Interleave the tied events with events before and after them, so the heap
  // moves the tied ones around many times before they surface.
  for (int i = 0; i < kTied; ++i) {
    q.push(MakeEvent(kTie, sequence++, 1, static_cast<std::uint64_t>(i)));
    q.push(MakeEvent(static_cast<SimTime>(rng.Below(2 * kTie)), sequence++, 2, 0));
  }
  std::vector<std::uint64_t> tied_order;
  SimTime last_time = 0;
  while (!q.empty()) {
    Event e = q.pop();
    REQUIRE(e.time >= last_time);
    last_time = e.time;
    if (e.handler() == 1) tied_order.push_back(e.arg);
  }
  REQUIRE(tied_order.size() == kTied);
  for (int i = 0; i < kTied; ++i) {
    INFO("tied event " << i);
    REQUIRE(tied_order[static_cast<std::size_t>(i)] == static_cast<std::uint64_t>(i));
  }
}

namespace {

// Interleaves `ops` pushes (with probability push_percent, at the time `next(rng, now)`
// gives) and pops on an EventQueue and on a multimap model ordered by (time,
// sequence); every pop must return the model's first event. Then drains both.
// `pipelined`: pushes go through the push pipeline (PushPipelined), flushed before
// each pop, with prefetch hints for random times in between.
template <typename NextTime>
void CheckAgainstModel(Rng& rng, int ops, std::uint64_t push_percent, NextTime next,
                       bool pipelined = false) {
  EventQueue q;
  std::multimap<std::pair<SimTime, std::uint64_t>, std::uint64_t> model;
  std::uint64_t sequence = 0;
  SimTime now = 0;
  for (int op = 0; op < ops; ++op) {
    if (model.empty() || rng.Below(100) < push_percent) {
      SimTime t = next(rng, now);
      std::uint64_t arg = rng.Next();
      if (pipelined) {
        // Hints for times anywhere, including before now and past the ring.
        const SimTime hint = static_cast<SimTime>(rng.Below(std::uint64_t{1} << 62));
        q.PrefetchHead(hint);
        q.PrefetchChunk(hint);
        q.PrefetchHead(t);
        q.PrefetchChunk(t);
        q.PushPipelined(MakeEvent(t, sequence, 0, arg));
      } else {
        q.push(MakeEvent(t, sequence, 0, arg));
      }
      model.emplace(std::make_pair(t, sequence), arg);
      ++sequence;
    } else {
      if (pipelined) q.Flush();
      auto expected = model.begin();
      INFO("operation " << op);
      REQUIRE(q.top().time == expected->first.first);
      Event e = q.pop();
      REQUIRE(e.time == expected->first.first);
      REQUIRE(e.sequence() == expected->first.second);
      REQUIRE(e.arg == expected->second);
      now = e.time;
      model.erase(expected);
    }
    REQUIRE(q.size() == model.size());
  }
  q.Flush();
  while (!model.empty()) {
    Event e = q.pop();
    REQUIRE(e.sequence() == model.begin()->first.second);
    model.erase(model.begin());
  }
  CHECK(q.empty());
}

}  // namespace

TEST_CASE("EventQueue matches a multimap model under interleaved push and pop",
          "[sim][event_queue]") {
  Rng rng(3, StreamKey("test.queue.model"));
  // Push a little more often than pop so the queue grows to thousands of entries.
  CheckAgainstModel(rng, 100'000, 55, [](Rng& r, SimTime now) {
    return now + static_cast<SimTime>(r.Below(1'000));
  });
}

TEST_CASE("EventQueue keeps (time, sequence) order across its buckets and overflow",
          "[sim][event_queue]") {
  // Delays from nanoseconds to days, so events land in the near heap, in ring
  // buckets (including ones that wrap around the ring) and in the overflow heap,
  // with ties inside one bucket and gaps that make the queue jump ahead.
  Rng rng(4, StreamKey("test.queue.tiers"));
  CheckAgainstModel(rng, 200'000, 52, [](Rng& r, SimTime now) {
    const SimTime kScales[] = {1, 1'000, 1'000'000, 100'000'000, 60'000'000'000,
                               3'600'000'000'000, 86'400'000'000'000};
    SimTime scale = kScales[r.Below(std::size(kScales))];
    SimTime t = now + static_cast<SimTime>(r.Below(static_cast<std::uint64_t>(scale)));
    if (r.Below(10) == 0) t = now;  // ties with the current instant
    return t;
  });
}

TEST_CASE("EventQueue orders crowded buckets of spread and tied times", "[sim][event_queue]") {
  // Tens of thousands of events within a few buckets: a bucket becoming current is
  // split into sub-ranges of its width, each sorted as the pops reach it
  // (EventQueue::SplitBucket), with an eighth of the events tied on round instants
  // (crowded sub-ranges) and pushes landing in the current bucket's current and
  // later sub-ranges while it is being popped.
  Rng rng(7, StreamKey("test.queue.crowded"));
  CheckAgainstModel(rng, 300'000, 60, [](Rng& r, SimTime now) {
    if (r.Below(8) == 0) return (now / 1'000'000 + 1) * 1'000'000;
    return now + static_cast<SimTime>(r.Below(50'000'000));
  });
}

TEST_CASE("EventQueue pops pipelined pushes exactly as plain ones, across every tier",
          "[sim][event_queue]") {
  // Bursts of pushes between pops (push 80 % of the time), so the pipeline fills,
  // wraps and is flushed part-full; times from the current instant to days ahead.
  Rng rng(6, StreamKey("test.queue.pipelined"));
  CheckAgainstModel(
      rng, 200'000, 80,
      [](Rng& r, SimTime now) {
        const SimTime kScales[] = {1, 1'000'000, 100'000'000, 3'600'000'000'000,
                                   86'400'000'000'000};
        SimTime t = now + static_cast<SimTime>(
                              r.Below(static_cast<std::uint64_t>(kScales[r.Below(5)])));
        if (r.Below(10) == 0) t = now;
        return t;
      },
      /*pipelined=*/true);
}

TEST_CASE("EventQueue widens its buckets while many events are pushed past the ring",
          "[sim][event_queue]") {
  // Dense events a second ahead (about 20 per initial 16.8 ms bucket: no reason to
  // widen by density) and, half as often, events a day ahead, past the 2.4-hour
  // ring, into the overflow heap. The buckets widen 4x twice (a day then fits in
  // the ring) and stay there: a few hundred events per bucket is not enough to
  // narrow them again. Every pop is checked against the model.
  Rng rng(7, StreamKey("test.queue.overflow"));
  EventQueue q;
  const int initial_shift = q.bucket_shift();
  std::multimap<std::pair<SimTime, std::uint64_t>, std::uint64_t> model;
  std::uint64_t sequence = 0;
  SimTime now = 0;
  auto push = [&](SimTime t) {
    q.push(MakeEvent(t, sequence, 0, 0));
    model.emplace(std::make_pair(t, sequence), 0);
    ++sequence;
  };
  constexpr SimTime kSecond = 1'000'000'000;
  for (int i = 0; i < 1'200; ++i) push(static_cast<SimTime>(rng.Below(kSecond)));
  std::vector<int> shifts{q.bucket_shift()};
  for (int op = 0; op < 1'200'000; ++op) {
    auto expected = model.begin();
    Event e = q.pop();
    INFO("operation " << op);
    REQUIRE(e.time == expected->first.first);
    REQUIRE(e.sequence() == expected->first.second);
    now = e.time;
    model.erase(expected);
    push(now + static_cast<SimTime>(rng.Below(kSecond)));
    if (rng.Below(2) == 0) push(now + 86'400 * kSecond + static_cast<SimTime>(rng.Below(kSecond)));
    if (shifts.back() != q.bucket_shift()) shifts.push_back(q.bucket_shift());
  }
  CHECK(shifts == std::vector<int>{initial_shift, initial_shift + 2, initial_shift + 4});
  while (!model.empty()) {
    REQUIRE(q.pop().sequence() == model.begin()->first.second);
    model.erase(model.begin());
  }
  CHECK(q.empty());
}

TEST_CASE("EventQueue adapts its bucket width to dense and sparse events in order",
          "[sim][event_queue]") {
  // Sparse phases (events minutes apart) widen the buckets; each change re-buckets
  // pending events, which must not disturb the order. Dense phases put everything
  // in one bucket, so the near heap alone orders them.
  Rng rng(5, StreamKey("test.queue.adapt"));
  EventQueue q;
  std::multimap<std::pair<SimTime, std::uint64_t>, std::uint64_t> model;
  std::uint64_t sequence = 0;
  SimTime now = 0;
  std::vector<int> shifts{q.bucket_shift()};
  for (int phase = 0; phase < 4; ++phase) {
    const SimTime spread = phase % 2 == 0 ? 1'000 : 600'000'000'000;
    for (int i = 0; i < 2'000; ++i) {
      SimTime t = now + static_cast<SimTime>(rng.Below(static_cast<std::uint64_t>(spread)));
      q.push(MakeEvent(t, sequence, 0, 0));
      model.emplace(std::make_pair(t, sequence), 0);
      ++sequence;
    }
    for (int op = 0; op < 60'000; ++op) {  // hold: pop one, push one
      auto expected = model.begin();
      Event e = q.pop();
      INFO("phase " << phase << " operation " << op);
      REQUIRE(e.time == expected->first.first);
      REQUIRE(e.sequence() == expected->first.second);
      now = e.time;
      model.erase(expected);
      SimTime t = now + static_cast<SimTime>(rng.Below(static_cast<std::uint64_t>(spread)));
      q.push(MakeEvent(t, sequence, 0, 0));
      model.emplace(std::make_pair(t, sequence), 0);
      ++sequence;
    }
    if (shifts.back() != q.bucket_shift()) shifts.push_back(q.bucket_shift());
  }
  CHECK(shifts.size() >= 2);  // the width changed at least once
  while (!model.empty()) {
    REQUIRE(q.pop().sequence() == model.begin()->first.second);
    model.erase(model.begin());
  }
  CHECK(q.empty());
}
