#pragma once
// The pending-event set: a 4-ary min-heap of small plain entries ordered by
// (time, sequence). Entries are 24 bytes and live in one contiguous vector, so
// scheduling an event allocates nothing once the vector has grown (DESIGN §2).
// Same-time events pop in the order they were pushed (sequence numbers only grow),
// which makes a run a pure function of its inputs.
//
// Not thread-safe; one queue per simulator.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
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

// The (time, sequence) order as one unsigned 128-bit key: the time with its sign bit
// flipped (so negative times still sort first) above the sequence/handler word. One
// 128-bit comparison compiles to cmp/sbb without branches.
inline unsigned __int128 OrderKey(const Event& e) {
  return (static_cast<unsigned __int128>(static_cast<std::uint64_t>(e.time) ^ (1ULL << 63)) << 64) |
         e.seq_handler;
}

inline bool EarlierThan(const Event& a, const Event& b) { return OrderKey(a) < OrderKey(b); }

// Allocates on cache-line boundaries, so the heap's layout relative to cache lines is
// fixed rather than whatever malloc returns.
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlignment); }
  friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
};

class EventQueue {
 public:
  EventQueue() : heap_(kRootSlot) {}

  bool empty() const { return heap_.size() == kRootSlot; }
  std::size_t size() const { return heap_.size() - kRootSlot; }
  void reserve(std::size_t n) { heap_.reserve(n + kRootSlot); }

  // REQUIRES: !empty().
  const Event& top() const {
    assert(!empty());
    return heap_[kRootSlot];
  }

  void push(const Event& e) {
    std::size_t hole = size();
    heap_.push_back(e);
    SiftUp(hole, e);
  }

  // Removes and returns the earliest event. REQUIRES: !empty().
  //
  // Bottom-up deletion (Floyd; Wegener): the hole left by the root first walks down
  // to a leaf along the earliest children without comparing against the displaced
  // last entry, then that entry sifts up from the leaf. The last entry usually
  // belongs near the bottom, so this saves about one comparison per level.
  Event pop() {
    assert(!empty());
    Event* h = heap_.data() + kRootSlot;
    Event result = h[0];
    Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = size();
    if (n == 0) return result;
    std::size_t hole = 0;
    while (true) {
      const std::size_t first = hole * kArity + 1;
      if (first + kArity <= n) {
        // All four children exist: a branch-free tournament.
        std::size_t a = EarlierThan(h[first + 1], h[first]) ? first + 1 : first;
        std::size_t b = EarlierThan(h[first + 3], h[first + 2]) ? first + 3 : first + 2;
        std::size_t best = EarlierThan(h[b], h[a]) ? b : a;
        h[hole] = h[best];
        hole = best;
        continue;
      }
      if (first < n) {
        std::size_t best = first;
        for (std::size_t c = first + 1; c < n; ++c) {
          if (EarlierThan(h[c], h[best])) best = c;
        }
        h[hole] = h[best];
        hole = best;
      }
      break;
    }
    SiftUp(hole, last);
    return result;
  }

 private:
  static constexpr std::size_t kArity = 4;
  // The root lives in slot 3 of a 64-byte-aligned array (slots 0-2 are unused), so
  // every group of four 24-byte siblings (96 bytes) starts at offset 0 or 32 of a
  // cache line and touches exactly two lines; from slot 0, half the groups touch three.
  static constexpr std::size_t kRootSlot = 3;

  // Moves `e` up from `hole` until its parent is earlier, then stores it there.
  void SiftUp(std::size_t hole, const Event& e) {
    Event* h = heap_.data() + kRootSlot;
    while (hole > 0) {
      std::size_t parent = (hole - 1) / kArity;
      if (!EarlierThan(e, h[parent])) break;
      h[hole] = h[parent];
      hole = parent;
    }
    h[hole] = e;
  }

  std::vector<Event, CacheLineAllocator<Event>> heap_;
};

}  // namespace bpsim
