#pragma once
// The pending-event set: a 4-ary min-heap of small plain entries ordered by
// (time, sequence). Entries are 24 bytes and live in one contiguous vector, so
// scheduling an event allocates nothing once the vector has grown (DESIGN §2).
// Same-time events pop in the order they were pushed (sequence numbers only grow),
// which makes a run a pure function of its inputs.
//
// Not thread-safe; one queue per simulator.

#include <cassert>
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace bpsim {

struct Event {
  SimTime time;
  // Sequence number in the high 40 bits, handler id in the low 24 bits: comparing
  // the whole word compares sequence numbers, which are unique.
  std::uint64_t seq_handler;
  std::uint64_t arg;  // the handler's payload: an entity id or a pool index

  static constexpr int kHandlerBits = 24;
  static constexpr std::uint64_t kHandlerMask = (1ULL << kHandlerBits) - 1;
  static constexpr std::uint64_t kMaxSequence = (1ULL << (64 - kHandlerBits)) - 1;

  std::uint64_t sequence() const { return seq_handler >> kHandlerBits; }
  std::uint32_t handler() const { return static_cast<std::uint32_t>(seq_handler & kHandlerMask); }
};

inline bool EarlierThan(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.seq_handler < b.seq_handler);
}

class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

  // REQUIRES: !empty().
  const Event& top() const {
    assert(!heap_.empty());
    return heap_[0];
  }

  void push(const Event& e) {
    std::size_t hole = heap_.size();
    heap_.push_back(e);
    while (hole > 0) {
      std::size_t parent = (hole - 1) / kArity;
      if (!EarlierThan(e, heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = e;
  }

  // Removes and returns the earliest event. REQUIRES: !empty().
  Event pop() {
    assert(!heap_.empty());
    Event result = heap_[0];
    Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return result;
    std::size_t hole = 0;
    while (true) {
      std::size_t first = hole * kArity + 1;
      if (first >= n) break;
      std::size_t best = first;
      std::size_t end = first + kArity < n ? first + kArity : n;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (EarlierThan(heap_[c], heap_[best])) best = c;
      }
      if (!EarlierThan(heap_[best], last)) break;
      heap_[hole] = heap_[best];
      hole = best;
    }
    heap_[hole] = last;
    return result;
  }

 private:
  static constexpr std::size_t kArity = 4;
  std::vector<Event> heap_;
};

}  // namespace bpsim
