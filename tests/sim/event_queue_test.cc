#include "sim/event_queue.h"

#include <catch2/catch.hpp>
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

TEST_CASE("EventQueue matches a multimap model under interleaved push and pop",
          "[sim][event_queue]") {
  Rng rng(3, StreamKey("test.queue.model"));
  EventQueue q;
  std::multimap<std::pair<SimTime, std::uint64_t>, std::uint64_t> model;
  std::uint64_t sequence = 0;
  SimTime now = 0;
  for (int op = 0; op < 100'000; ++op) {
    // Push a little more often than pop so the queue grows to thousands of entries.
    if (model.empty() || rng.Below(100) < 55) {
      SimTime t = now + static_cast<SimTime>(rng.Below(1'000));
      std::uint64_t arg = rng.Next();
      q.push(MakeEvent(t, sequence, 0, arg));
      model.emplace(std::make_pair(t, sequence), arg);
      ++sequence;
    } else {
      auto expected = model.begin();
      REQUIRE(q.top().time == expected->first.first);
      Event e = q.pop();
      INFO("operation " << op);
      REQUIRE(e.time == expected->first.first);
      REQUIRE(e.sequence() == expected->first.second);
      REQUIRE(e.arg == expected->second);
      now = e.time;
      model.erase(expected);
    }
    REQUIRE(q.size() == model.size());
  }
  while (!model.empty()) {
    Event e = q.pop();
    REQUIRE(e.sequence() == model.begin()->first.second);
    model.erase(model.begin());
  }
  CHECK(q.empty());
}
