#pragma once
// The discrete-event simulator: a clock, the event queue and a table of handlers.
//
// Handlers are plain function pointers with a context pointer, registered once; an
// event names its handler by a small integer and carries one 64-bit argument (an
// entity id or an index into a typed pool owned by the handler's object). No
// std::function and no allocation per event.
//
// Same-instant events run in push order, or, once ShuffleSameInstant(key) was called,
// in an order drawn from the key (schedule perturbation, docs/world.md): the queue's
// tie-break becomes a keyed bijective scramble of the sequence number instead of the
// number itself, so the queue's structure and cost are the same either way.
//
// Not thread-safe. Handlers run on the caller's thread inside Run*().

#include <cassert>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "sim/clock.h"
#include "sim/event_queue.h"
#include "sim/time.h"

namespace bpsim {

class Simulator;

using HandlerId = std::uint32_t;
using EventId = std::uint64_t;  // the event's sequence number
// No event has this id (sequence numbers start at 1), so entities can use it as
// "no timer pending".
inline constexpr EventId kNoEvent = 0;
using HandlerFn = void (*)(void* context, Simulator& sim, std::uint64_t arg);
// What a handler's event (due at `at`, with `arg`) will touch, to be prefetched
// (Simulator::SetPrefetch).
using PrefetchFn = void (*)(void* context, SimTime at, std::uint64_t arg);

class Simulator final : public Clock {
 public:
  Simulator() = default;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  SimTime Now() const override { return now_; }

  // Registers a handler; `name` appears in diagnostics only.
  HandlerId Register(HandlerFn fn, void* context, std::string name);

  // Registers a member function `void T::Method(std::uint64_t arg)` of `object`.
  template <auto Method, typename T>
  HandlerId Register(T* object, std::string name) {
    return Register(
        [](void* ctx, Simulator&, std::uint64_t arg) { (static_cast<T*>(ctx)->*Method)(arg); },
        object, std::move(name));
  }

  // Declares that `handler`'s event due at `at` with `arg` will touch what
  // `fn(context, at, arg)` prefetches (context: the handler's). Events whose entity is drawn at random from
  // millions (a customer's poll) each cost a memory miss one after another; with a
  // prefetcher the simulator asks for a whole bucket of upcoming events' data at
  // once, before the first of them runs, so the misses overlap. `fn` must only
  // prefetch: it may run for events that are later cancelled or ignored, and never
  // changes what runs. REQUIRES: `handler` registered.
  void SetPrefetch(HandlerId handler, PrefetchFn fn);
  // The same with a const member function of the handler's object, either
  // `void T::Method(std::uint64_t arg) const` or, for a prefetcher that asks for less
  // when it can tell the event will read less (a request its bank will throttle),
  // `void T::Method(SimTime at, std::uint64_t arg) const`.
  template <auto Method, typename T>
  void SetPrefetch(HandlerId handler) {
    SetPrefetch(handler, [](void* ctx, SimTime at, std::uint64_t arg) {
      const T* object = static_cast<const T*>(ctx);
      if constexpr (std::is_invocable_v<decltype(Method), const T*, SimTime, std::uint64_t>) {
        (object->*Method)(at, arg);
      } else {
        (object->*Method)(arg);
      }
    });
  }

  // Schedules `handler(arg)` at absolute time `at`. REQUIRES: at >= Now().
  // Defined here so that handlers scheduling their next event inline the push.
  EventId At(SimTime at, HandlerId handler, std::uint64_t arg = 0) {
    assert(at >= now_);
    assert(handler < handlers_.size());
    EventId id = next_sequence_++;
    assert(id <= Event::kMaxSequence);
    const Event e{at, (TieBreak(id) << Event::kHandlerBits) | handler, arg};
    if (batches_ != 0) {
      queue_.PushPipelined(e);
    } else {
      queue_.push(e);
    }
    return id;
  }

  // Schedules after `delay` from now. REQUIRES: 0 <= delay <= kSimTimeMax - Now().
  EventId After(SimTime delay, HandlerId handler, std::uint64_t arg = 0) {
    assert(delay >= 0 && delay <= kSimTimeMax - now_);
    return At(now_ + delay, handler, arg);
  }

  // For a handler that will schedule an event at `at` when it ends: warms the cache
  // for that push in two steps, some work apart (the queue's list head for `at`,
  // then the chunk it names; EventQueue::PrefetchHead). Changes nothing else.
  void PrefetchAtHead(SimTime at) const { queue_.PrefetchHead(at); }
  void PrefetchAtChunk(SimTime at) const { queue_.PrefetchChunk(at); }

  // While a Batch lives, At() and After() hand events to the queue through its push
  // pipeline (EventQueue::PushPipelined), which prefetches where each will go a few
  // pushes ahead: for a handler that schedules many events at scattered times (the
  // start of a day schedules each customer's balance checks). Ids, order and what
  // runs are the same as without it. A Batch ends inside the handler that made it
  // (RunUntil must not be called while one lives); batches nest.
  class Batch {
   public:
    explicit Batch(Simulator& sim) : sim_(sim) { ++sim_.batches_; }
    ~Batch() {
      if (--sim_.batches_ == 0) sim_.queue_.Flush();
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    Simulator& sim_;
  };

  // The event will not run; cancelling twice, or cancelling kNoEvent, is a no-op.
  // Its queue entry is discarded when it reaches the front, without moving Now().
  // REQUIRES: it has not run yet (entities that may hold a stale id should use a
  // generation check in their handler instead).
  void Cancel(EventId id);

  // Runs events with time <= end in (time, sequence) order; afterwards Now() == end
  // unless Stop() was called, in which case Now() is the stopping event's time.
  // Returns false if stopped.
  bool RunUntil(SimTime end);
  // Makes the running RunUntil return after the current event.
  void Stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  // From now on, events at the same instant run in an order drawn from `key` (a
  // pure function of the key and the events' sequence numbers) instead of push
  // order. An event scheduled by a handler still runs after that handler: only
  // events pending at the same time are reordered. REQUIRES: nothing scheduled yet.
  void ShuffleSameInstant(std::uint64_t key);
  bool shuffles_same_instant() const { return shuffle_; }

  std::uint64_t events_processed() const { return events_processed_; }
  // Queued entries, including cancelled ones not yet discarded.
  std::size_t pending() const { return queue_.size(); }
  const std::string& handler_name(HandlerId id) const { return handlers_[id].name; }

 private:
  // The queue's order among same-time events: the sequence number itself, or a
  // bijection of the 40-bit sequence space keyed by ShuffleSameInstant's key
  // (multiplications by odd numbers and xor-shifts are each invertible modulo
  // 2^40, so distinct events never tie). One predictable branch when off.
  std::uint64_t TieBreak(EventId id) const {
    if (!shuffle_) return id;
    std::uint64_t x = (id ^ scramble_[0]) & Event::kMaxSequence;
    x = (x * scramble_[1]) & Event::kMaxSequence;
    x ^= x >> 19;
    x = (x * scramble_[2]) & Event::kMaxSequence;
    x ^= x >> 21;
    x = (x * scramble_[3]) & Event::kMaxSequence;
    return x ^ (x >> 17);
  }

  static void PrefetchBucket(void* self, const Event* events, std::size_t n);

  struct Handler {
    HandlerFn fn;
    void* context;
    std::string name;
    PrefetchFn prefetch = nullptr;
  };
  SimTime now_ = 0;
  std::uint64_t next_sequence_ = kNoEvent + 1;
  std::uint64_t events_processed_ = 0;
  bool stopped_ = false;
  bool shuffle_ = false;
  std::uint32_t batches_ = 0;  // Batch objects alive
  std::uint64_t scramble_[4] = {0, 1, 1, 1};  // xor key, then three odd multipliers
  EventQueue queue_;
  std::vector<Handler> handlers_;
  std::unordered_set<EventId> cancelled_;
};

}  // namespace bpsim
