#pragma once
// The pending-event set, ordered by (time, sequence). Entries are 24 bytes and live
// in contiguous vectors, so scheduling an event allocates nothing once the vectors
// have grown (docs/architecture.md). Same-time events pop in the order they were pushed
// (sequence numbers only grow), which makes a run a pure function of its inputs.
//
// Three tiers by time (a calendar queue with a heap on each end):
//   near      every event earlier than the current bucket's end, as a finer
//             calendar: the bucket split by time into sub-ranges, the current one
//             sorted (the run), later ones waiting with the events pushed into them
//             since, and a 4-ary min-heap of events pushed into the current one; a
//             pop takes the earlier of the run's head and the heap's top;
//   ring      kRingBuckets unsorted buckets of 2^shift ns each (the width adapts
//             to the density of events: a few to a few hundred per bucket);
//   overflow  a 4-ary min-heap of everything later.
// When the near tier runs dry the next non-empty bucket is split into it and
// overflow entries that now fall inside the ring move into their buckets. Every
// event in `near` is earlier than every event elsewhere, so the pop order is exactly
// the (time, sequence) order of one heap; the tiers only make it cheaper: most
// events (network round trips, alerts, retries) are scheduled a few milliseconds to
// minutes ahead, so they are appended to a bucket in O(1) and popped from a sorted
// run or a heap of a few entries, instead of walking a heap of a million entries.
// (The current bucket was one heap, heapified in place, until buckets of hundreds
// to thousands of events at ten million customers made its sift-downs a fifth of
// the simulation thread; see SplitBucket.)
//
// Not thread-safe; one queue per simulator.

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <vector>

#include "sim/huge_pages.h"
#include "sim/prefetch.h"
#include "sim/time.h"

namespace bpsim {

struct Event {
  SimTime time;
  // Sequence number in the high 40 bits, handler id in the low 24 bits: comparing
  // the whole word compares sequence numbers, which are unique. (Under schedule
  // perturbation the simulator stores a keyed bijection of the sequence number
  // instead, Simulator::ShuffleSameInstant; it is just as unique.)
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

// A 4-ary min-heap of events by (time, sequence).
class EventHeap {
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
    SiftUp(hole, e);
  }

  // Removes and returns the earliest event. REQUIRES: !empty().
  //
  // Bottom-up deletion (Floyd; Wegener): the hole left by the root first walks down
  // to a leaf along the earliest children without comparing against the displaced
  // last entry, then that entry sifts up from the leaf. The last entry usually
  // belongs near the bottom, so this saves about one comparison per level.
  //
  // Measured alternatives (bench/README.md): a branch-free tournament over the four
  // children and a single 128-bit key compare cut instructions but ran 30-80%
  // slower on heaps of 10^5-10^6 entries, because the data dependency serialises
  // cache misses that branch prediction otherwise overlaps; placing the root so each
  // sibling group fills exactly two cache lines also measured slower there.
  Event pop() {
    assert(!heap_.empty());
    Event result = heap_[0];
    Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return result;
    std::size_t hole = SiftDownToLeaf(0, n);
    SiftUp(hole, last);
    return result;
  }

  // Hands every entry for which `take(e)` holds to `out(e)`, in no particular order,
  // and keeps the rest as a heap: one pass over the array and a bottom-up rebuild,
  // O(n), where popping k entries would cost k walks from the root to a leaf (a
  // dozen dependent memory misses each once the heap is past the caches).
  template <typename Take, typename Out>
  void ExtractIf(Take take, Out out) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < heap_.size(); ++i) {
      if (take(heap_[i])) {
        out(heap_[i]);
      } else {
        heap_[kept++] = heap_[i];
      }
    }
    heap_.resize(kept);
    if (kept < 2) return;
    for (std::size_t i = (kept - 2) / kArity + 1; i-- > 0;) {
      const Event e = heap_[i];
      SiftUp(SiftDownToLeaf(i, kept), e, i);
    }
  }

 private:
  static constexpr std::size_t kArity = 4;

  // Walks the hole at `hole` down to a leaf along the earliest children, moving each
  // child up; returns the leaf. `n` is the number of entries.
  std::size_t SiftDownToLeaf(std::size_t hole, std::size_t n) {
    Event* h = heap_.data();
    while (true) {
      const std::size_t first = hole * kArity + 1;
      if (first + kArity <= n) {  // all four children exist
        std::size_t best = first;
        if (EarlierThan(h[first + 1], h[best])) best = first + 1;
        if (EarlierThan(h[first + 2], h[best])) best = first + 2;
        if (EarlierThan(h[first + 3], h[best])) best = first + 3;
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
      return hole;
    }
  }

  // Moves `e` up from `hole` until its parent is earlier, or it reaches `top`, then
  // stores it there.
  void SiftUp(std::size_t hole, const Event& e, std::size_t top = 0) {
    Event* h = heap_.data();
    while (hole > top) {
      std::size_t parent = (hole - 1) / kArity;
      if (!EarlierThan(e, h[parent])) break;
      h[hole] = h[parent];
      hole = parent;
    }
    h[hole] = e;
  }

  HugeVector<Event> heap_;  // the overflow heap grows to megabytes
};

class EventQueue {
 public:
  // 2^19 ring slots; a slot is 2^shift ns wide, 2^16 ns .. 2^40 ns (about 18 min),
  // adapted to the density of events (see Adapt).
  static constexpr std::size_t kRingBuckets = std::size_t{1} << 19;
  static constexpr int kMinShift = 16;
  static constexpr int kMaxShift = 40;
  static constexpr int kInitialShift = 24;  // 16.8 ms

  EventQueue() : heads_(kRingBuckets, kNil), occupied_(kRingBuckets / 64, 0) {}

  bool empty() const { return size() == 0; }
  std::size_t size() const {
    return static_cast<std::size_t>(run_end_ - run_next_) + near_.size() + later_in_bucket_ +
           ring_count_ + overflow_.size() + (piped_in_ - piped_out_);
  }
  void reserve(std::size_t n) { overflow_.reserve(n); }
  // The current bucket width, log2 ns (for tests and benchmarks).
  int bucket_shift() const { return shift_; }

  // Called with each bucket's events (in no particular order) as the bucket becomes
  // the current one, before any of them is popped: a chance to prefetch what they will
  // touch (Simulator::SetPrefetch). Must not change the queue. Null: none.
  using RefillObserver = void (*)(void* context, const Event* events, std::size_t n);
  void SetRefillObserver(RefillObserver fn, void* context) {
    observer_ = fn;
    observer_context_ = context;
  }

  // The earliest event. Non-const: it may move the next bucket into the near tier.
  // REQUIRES: !empty(), nothing in the push pipeline (Flush).
  const Event& top() {
    assert(piped_in_ == piped_out_);
    if (NearEmpty() && !NextSubRange()) Refill();
    return FromRun() ? *run_next_ : near_.top();
  }

  // REQUIRES: e.time >= 0.
  void push(const Event& e) {
    assert(e.time >= 0);
    const std::uint64_t b = Bucket(e.time);
    if (b < next_bucket_) {
      PushIntoBucket(e);
    } else if (b - next_bucket_ < kRingBuckets) {
      AddToRing(b, e);
    } else {
      overflow_.push(e);
      ++overflow_pushes_;
    }
  }

  // Pushes `e` through a short pipeline: it reaches its bucket kPipeline pushes
  // later, or at Flush(). Meanwhile its bucket's list head and then the head's chunk
  // are prefetched, so a burst of pushes to buckets scattered over hours (a day's
  // balance checks, all scheduled at the day's start) overlaps its memory misses
  // instead of paying them one after another. The queue pops in (time, sequence)
  // order, unique keys, whatever order events enter in, so the pipeline changes
  // nothing but timing, provided every event has entered before the next top() or
  // pop(). REQUIRES: e.time >= 0; Flush() before the next top() or pop().
  void PushPipelined(const Event& e) {
    assert(e.time >= 0);
    if (piped_in_ - piped_out_ == kPipeline) PushOldestPiped();
    PrefetchHead(e.time);
    piped_[piped_in_ % kPipeline] = e;
    if (piped_in_ - piped_out_ >= kPipelineStage) {
      // The event that entered kPipelineStage pushes ago: its head is in cache by now.
      PrefetchChunk(piped_[(piped_in_ - kPipelineStage) % kPipeline].time);
    }
    ++piped_in_;
  }

  // For a push at time `t` that will come a little later, in two steps some work
  // apart: PrefetchHead asks for the list head of t's bucket, PrefetchChunk (once the
  // head has arrived) for the chunk it names, which the push appends to. A push into
  // the near heap or the overflow needs neither. Changes nothing the queue holds.
  void PrefetchHead(SimTime t) const {
    const std::uint64_t b = Bucket(t);
    if (InRing(b)) Prefetch(&heads_[b & (kRingBuckets - 1)]);
  }
  void PrefetchChunk(SimTime t) const {
    const std::uint64_t b = Bucket(t);
    if (!InRing(b)) return;
    const std::uint32_t head = heads_[b & (kRingBuckets - 1)];
    if (head == kNil) return;
    const char* chunk = reinterpret_cast<const char*>(&chunks_[head]);
    Prefetch(chunk);
    Prefetch(chunk + 64);
  }

  // Pushes whatever is still in the pipeline.
  void Flush() {
    while (piped_out_ != piped_in_) PushOldestPiped();
  }

  // Removes and returns the earliest event. REQUIRES: !empty(), nothing in the push
  // pipeline (Flush).
  Event pop() {
    assert(piped_in_ == piped_out_);
    if (NearEmpty() && !NextSubRange()) Refill();
    if (FromRun()) return *run_next_++;
    return near_.pop();
  }

 private:
  bool NearEmpty() const { return run_next_ == run_end_ && near_.empty(); }
  // Whether the near tier's earliest event is the run's next one (else the heap's
  // top). REQUIRES: !NearEmpty().
  bool FromRun() const {
    return run_next_ != run_end_ && (near_.empty() || EarlierThan(*run_next_, near_.top()));
  }

  std::uint64_t Bucket(SimTime t) const { return static_cast<std::uint64_t>(t) >> shift_; }
  // Whether bucket b is held in the ring (rather than the near tier or the overflow).
  bool InRing(std::uint64_t b) const {
    return b >= next_bucket_ && b - next_bucket_ < kRingBuckets;
  }

  void PushOldestPiped() {
    push(piped_[piped_out_ % kPipeline]);
    ++piped_out_;
  }

  // Buckets are singly linked lists of chunks of up to kChunkEvents events in one
  // pool (most buckets hold a few events, and a vector per bucket would allocate on
  // first use). A chunk is two cache lines: taking a bucket follows one link per
  // kChunkEvents events, not one per event (each link a memory miss once the pool
  // is hundreds of megabytes, at ten million customers). Freed chunks are reused
  // last-in first-out, so a push usually writes a chunk still in cache. The order of
  // events within a bucket does not matter: it is sorted as it becomes current.
  void AddToRing(std::uint64_t b, const Event& e) {
    const std::size_t slot = b & (kRingBuckets - 1);
    AddToList(heads_[slot], e);
    occupied_[slot / 64] |= std::uint64_t{1} << (slot % 64);
    ++ring_count_;
  }

  // Appends the events of ring slot `slot` to `out`, empties the slot and frees its
  // chunks.
  void TakeSlot(std::size_t slot, HugeVector<Event>& out) {
    ring_count_ -= TakeList(heads_[slot], out);
    occupied_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
  }

  // Appends `e` to the chunk list that starts at `head` (a ring slot's, or a
  // sub-range's of the current bucket).
  void AddToList(std::uint32_t& head, const Event& e) {
    if (head == kNil || chunks_[head].count == kChunkEvents) {
      std::uint32_t chunk;
      if (free_ != kNil) {
        chunk = free_;
        free_ = chunks_[chunk].next;
      } else {
        chunk = static_cast<std::uint32_t>(chunks_.size());
        chunks_.emplace_back();
      }
      chunks_[chunk].next = head;
      chunks_[chunk].count = 0;
      head = chunk;
    }
    Chunk& c = chunks_[head];
    c.events[c.count++] = e;
  }

  // Appends the events of the list at `head` to `out`, frees its chunks and empties
  // it; returns how many.
  std::size_t TakeList(std::uint32_t& head, HugeVector<Event>& out) {
    std::size_t taken = 0;
    for (std::uint32_t n = head; n != kNil;) {
      Chunk& c = chunks_[n];
      out.insert(out.end(), c.events, c.events + c.count);
      taken += c.count;
      const std::uint32_t next = c.next;
      c.next = free_;
      free_ = n;
      n = next;
    }
    head = kNil;
    return taken;
  }

  // Moves overflow entries whose bucket now falls inside the ring into it.
  void PullOverflow() {
    while (!overflow_.empty() && RingReaches(overflow_.top())) {
      const Event e = overflow_.pop();
      AddToRing(Bucket(e.time), e);
    }
  }

  // PullOverflow in one pass over the heap (EventHeap::ExtractIf), for when the ring
  // has just widened and may now reach millions of the overflow's events.
  void DrainOverflow() {
    overflow_.ExtractIf([this](const Event& e) { return RingReaches(e); },
                        [this](const Event& e) { AddToRing(Bucket(e.time), e); });
  }

  // Whether an overflow event's bucket is within the ring (overflow events are never
  // before next_bucket_).
  bool RingReaches(const Event& e) const { return Bucket(e.time) - next_bucket_ < kRingBuckets; }

  // Every kAdaptEvery refills, widens the buckets 4x if they held fewer than 4 events
  // on average (scanning and refilling near-empty buckets costs more than it saves),
  // or fewer than 256 while more than an eighth as many events as the buckets held
  // were pushed past the ring into the overflow heap; narrows them 4x above 1,024
  // (each refill's split grows). The overflow rule is for ten million customers: their
  // density kept the buckets 67 ms wide and the ring 9.8 hours long, so the polls
  // and balance checks scheduled up to a day ahead (3.5 million events) sat in the
  // overflow heap, each pop a dozen levels of dependent memory misses; 4x wider
  // buckets hold them all in the ring, a few hundred events per bucket, a current
  // bucket that stays in cache (bench/README.md). Narrowing waits for 1,024 so that a
  // widening (below 256, hence below 1,024 after) is not undone by the next round.
  // The overflow also counts as busy while it holds more events than the ring and
  // more than kBigOverflow: ten million customers had 5.4 million events past the
  // ring in their first simulated minutes, and without the rule they stayed there
  // for the whole first day, leaving the heap one pop at a time. After a widening,
  // the events the ring now reaches leave the heap in one pass (DrainOverflow).
  // REQUIRES: the near tier empty.
  void Adapt() {
    constexpr std::uint32_t kAdaptEvery = 4096;
    // 24 MiB of events: past the last-level cache of the machines this runs on.
    constexpr std::size_t kBigOverflow = std::size_t{1} << 20;
    if (++refills_ < kAdaptEvery) return;
    const std::uint64_t mean = refilled_events_ / refills_;
    const bool overflow_busy =
        overflow_pushes_ * 8 > refilled_events_ ||
        (overflow_.size() > kBigOverflow && overflow_.size() > ring_count_);
    refills_ = 0;
    refilled_events_ = 0;
    overflow_pushes_ = 0;
    int shift = shift_;
    if ((mean < 4 || (overflow_busy && mean < 256)) && shift_ + 2 <= kMaxShift) shift += 2;
    if (mean > 1024 && shift_ - 2 >= kMinShift) shift -= 2;
    if (shift == shift_) return;
    // Re-bucket the ring: every entry is at or after the old boundary, so with the
    // near tier empty the new boundary is that instant rounded down.
    const SimTime boundary = static_cast<SimTime>(next_bucket_ << shift_);
    HugeVector<Event> moved;
    moved.reserve(ring_count_);
    for (std::size_t w = 0; w < occupied_.size(); ++w) {
      for (std::uint64_t bits = occupied_[w]; bits != 0; bits &= bits - 1) {
        TakeSlot(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)), moved);
      }
    }
    shift_ = shift;
    next_bucket_ = static_cast<std::uint64_t>(boundary) >> shift_;
    for (const Event& e : moved) push(e);
    DrainOverflow();
  }

  // REQUIRES: the near tier empty, queue not empty. Makes the earliest non-empty
  // bucket the current one (SplitBucket), loads its first sub-range into the run,
  // and advances the ring past it.
  void Refill() {
    assert(NearEmpty() && !empty());
    Adapt();
    if (ring_count_ == 0) {
      // Nothing within the ring: jump to the overflow's earliest bucket.
      next_bucket_ = Bucket(overflow_.top().time);
      PullOverflow();
    }
    // The first occupied slot at or after next_bucket_'s slot, wrapping around.
    const std::size_t start = next_bucket_ & (kRingBuckets - 1);
    const std::size_t words = kRingBuckets / 64;
    std::size_t slot = kRingBuckets;
    std::size_t w = start / 64;
    std::uint64_t bits = occupied_[w] & (~std::uint64_t{0} << (start % 64));
    for (std::size_t i = 0; i <= words; ++i) {
      if (bits != 0) {
        slot = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
        break;
      }
      w = (w + 1) % words;
      bits = occupied_[w];
    }
    assert(slot < kRingBuckets);
    const std::uint64_t bucket =
        next_bucket_ + ((slot - start) & (kRingBuckets - 1));  // distance in the ring
    const std::size_t before = ring_count_;
    scratch_.clear();
    TakeSlot(slot, scratch_);
    refilled_events_ += before - ring_count_;
    if (observer_ != nullptr) observer_(observer_context_, scratch_.data(), scratch_.size());
    SplitBucket(static_cast<SimTime>(bucket << shift_));
    next_bucket_ = bucket + 1;
    PullOverflow();
    const bool loaded = NextSubRange();
    assert(loaded);
    (void)loaded;
  }

  // The current bucket is a second, finer calendar: SplitBucket spreads its events
  // (scratch_; times in [start, start + 2^shift_)) over about n/4 sub-ranges of its
  // width by time, one counting pass and one scattering pass into bucket_; the pops
  // then take one sub-range at a time, sorted (NextSubRange), and an event pushed
  // into a later sub-range of the bucket meanwhile joins that sub-range's list
  // (PushIntoBucket). A pop is then a read of a sorted run or of a heap of a few
  // events, whatever the bucket holds: thousands of events at ten million customers,
  // where popping them from one heap was a fifth of the simulation thread, and
  // sorting them whole with std::sort made PHOLD slower (bench/README.md).
  void SplitBucket(SimTime start) {
    const std::size_t n = scratch_.size();
    const int bits = n <= kInsertionSortMax
                         ? 0
                         : std::min<int>(std::min(kMaxSubRangeBits, shift_),
                                         std::bit_width(n / 4) - 1);
    bucket_start_ = start;
    sub_range_down_ = shift_ - bits;
    const std::size_t ranges = std::size_t{1} << bits;
    if (ranges == 1) {
      // One sub-range (a bucket of a few events, the common case at a million
      // customers): the bucket as it came, swapped in rather than counted and copied.
      sub_range_starts_.assign({std::size_t{0}, n});
      bucket_.swap(scratch_);
    } else {
      sub_range_starts_.assign(ranges + 1, 0);
      for (const Event& e : scratch_) ++sub_range_starts_[SubRange(e.time) + 1];
      for (std::size_t r = 0; r < ranges; ++r) sub_range_starts_[r + 1] += sub_range_starts_[r];
      bucket_.resize(n);
      // Scatter, keeping sub_range_starts_ intact: `next` counts within each range.
      sub_range_next_.assign(sub_range_starts_.begin(), sub_range_starts_.end() - 1);
      for (const Event& e : scratch_) bucket_[sub_range_next_[SubRange(e.time)]++] = e;
    }
    later_heads_.assign(ranges, kNil);
    run_next_ = run_end_ = nullptr;  // bucket_ may have moved
    next_sub_range_ = 0;
    later_in_bucket_ = n;
  }
  // The sub-range of the current bucket that time t falls in. REQUIRES: t in it.
  std::size_t SubRange(SimTime t) const {
    assert(t >= bucket_start_ && t - bucket_start_ < (SimTime{1} << shift_));
    return static_cast<std::size_t>(static_cast<std::uint64_t>(t - bucket_start_) >>
                                    sub_range_down_);
  }
  // An event before the current bucket's end: into its sub-range's list if that is
  // still to come, else (the current sub-range, or a time already passed, which the
  // simulator never pushes) into the heap beside the run.
  void PushIntoBucket(const Event& e) {
    if (e.time >= bucket_start_) {
      const std::size_t r = SubRange(e.time);
      if (r >= next_sub_range_) {
        AddToList(later_heads_[r], e);
        ++later_in_bucket_;
        return;
      }
    }
    near_.push(e);
  }
  // REQUIRES: the run consumed and near_ empty. Makes the current bucket's next
  // sub-range with events the run, sorted; false when the bucket has none left.
  bool NextSubRange() {
    if (later_in_bucket_ == 0) return false;
    while (next_sub_range_ < later_heads_.size()) {
      const std::size_t r = next_sub_range_++;
      const std::size_t first = sub_range_starts_[r], last = sub_range_starts_[r + 1];
      if (first == last && later_heads_[r] == kNil) continue;
      Event* begin = bucket_.data() + first;
      Event* end = bucket_.data() + last;
      if (later_heads_[r] != kNil) {
        // Events pushed into it since the split: the run is a copy with them.
        later_.assign(begin, end);
        TakeList(later_heads_[r], later_);
        begin = later_.data();
        end = begin + later_.size();
      }
      later_in_bucket_ -= static_cast<std::size_t>(end - begin);
      if (end - begin <= std::ptrdiff_t{kInsertionSortMax}) {
        InsertionSort(begin, end);
      } else {
        // Crowded (many events at one instant, or a bucket of few sub-ranges).
        std::sort(begin, end, [](const Event& a, const Event& b) { return EarlierThan(a, b); });
      }
      run_next_ = begin;
      run_end_ = end;
      return true;
    }
    assert(false && "later_in_bucket_ counts events the sub-ranges do not hold");
    return false;
  }
  static void InsertionSort(Event* first, Event* last) {
    for (Event* i = first + (first != last); i < last; ++i) {
      const Event e = *i;
      Event* hole = i;
      for (; hole != first && EarlierThan(e, hole[-1]); --hole) *hole = hole[-1];
      *hole = e;
    }
  }
  static constexpr std::size_t kInsertionSortMax = 16;
  static constexpr int kMaxSubRangeBits = 14;

  static constexpr std::uint32_t kChunkEvents = 5;
  struct Chunk {
    Event events[kChunkEvents];
    std::uint32_t next;
    std::uint32_t count;
  };
  static_assert(sizeof(Chunk) == 128, "a chunk is two cache lines");
  static constexpr std::uint32_t kNil = ~std::uint32_t{0};

  // The near tier, the current bucket: the run [run_next_, run_end_), near_, and the
  // sub-ranges from next_sub_range_ on (bucket_'s and later_heads_' events,
  // later_in_bucket_ in all).
  const Event* run_next_ = nullptr;  // the current sub-range's events, sorted: in
  const Event* run_end_ = nullptr;   // bucket_, or in later_ if pushes joined them
  HugeVector<Event> later_;
  EventHeap near_;         // events pushed into the current sub-range since
  HugeVector<Event> bucket_;  // the bucket's events by sub-range (SplitBucket)
  std::vector<std::size_t> sub_range_starts_, sub_range_next_;  // bucket_'s offsets
  std::vector<std::uint32_t> later_heads_;  // per sub-range: events pushed since
  std::size_t next_sub_range_ = 0;
  std::size_t later_in_bucket_ = 0;
  SimTime bucket_start_ = 0;
  int sub_range_down_ = 0;  // sub-range = (time - bucket_start_) >> this
  HugeVector<Chunk> chunks_;
  HugeVector<std::uint32_t> heads_;  // per ring slot: first node, or kNil
  std::uint32_t free_ = kNil;         // free chunks, linked through `next`
  HugeVector<Event> scratch_;         // a bucket on its way into bucket_
  std::vector<std::uint64_t> occupied_;  // one bit per ring slot: non-empty
  std::size_t ring_count_ = 0;
  int shift_ = kInitialShift;
  // Buckets below this are in near_; [next_bucket_, next_bucket_ + kRingBuckets) in
  // the ring at slot (bucket mod kRingBuckets); later ones in overflow_.
  std::uint64_t next_bucket_ = 0;
  EventHeap overflow_;
  std::uint32_t refills_ = 0;
  std::uint64_t refilled_events_ = 0;
  std::uint64_t overflow_pushes_ = 0;  // since the last Adapt round
  RefillObserver observer_ = nullptr;
  void* observer_context_ = nullptr;
  // The push pipeline (PushPipelined): events piped_out_ .. piped_in_ - 1, each at
  // its number modulo kPipeline. An event's head is prefetched as it enters, its
  // chunk kPipelineStage pushes later, and it is pushed kPipeline pushes later.
  static constexpr std::uint64_t kPipeline = 16;
  static constexpr std::uint64_t kPipelineStage = 8;
  Event piped_[kPipeline];
  std::uint64_t piped_in_ = 0;
  std::uint64_t piped_out_ = 0;
};

}  // namespace bpsim
