#include "sim/simulator.h"

#include <cassert>
#include <stdexcept>

#include "sim/rng.h"

namespace bpsim {

HandlerId Simulator::Register(HandlerFn fn, void* context, std::string name) {
  assert(handlers_.size() < Event::kHandlerMask);
  handlers_.push_back(Handler{fn, context, std::move(name)});
  return static_cast<HandlerId>(handlers_.size() - 1);
}

void Simulator::SetPrefetch(HandlerId handler, PrefetchFn fn) {
  assert(handler < handlers_.size());
  handlers_[handler].prefetch = fn;
  queue_.SetRefillObserver(&Simulator::PrefetchBucket, this);
}

void Simulator::PrefetchBucket(void* self, const Event* events, std::size_t n) {
  const Simulator& sim = *static_cast<const Simulator*>(self);
  for (std::size_t i = 0; i < n; ++i) {
    const Handler& h = sim.handlers_[events[i].handler()];
    if (h.prefetch != nullptr) h.prefetch(h.context, events[i].time, events[i].arg);
  }
}

void Simulator::ShuffleSameInstant(std::uint64_t key) {
  assert(queue_.empty() && next_sequence_ == kNoEvent + 1);
  shuffle_ = true;
  std::uint64_t state = key;
  scramble_[0] = SplitMix64(state);
  for (int i = 1; i < 4; ++i) scramble_[i] = SplitMix64(state) | 1;
}

void Simulator::Cancel(EventId id) {
  // The queue knows an event by its tie-break key, which is what pops compare.
  if (id != kNoEvent && id < next_sequence_) cancelled_.insert(TieBreak(id));
}

bool Simulator::RunUntil(SimTime end) {
  stopped_ = false;
  while (!queue_.empty() && queue_.top().time <= end) {
    Event e = queue_.pop();
    if (!cancelled_.empty() && cancelled_.erase(e.sequence()) > 0) continue;
    assert(e.time >= now_ && "simulated time never goes backwards");
    now_ = e.time;
    const Handler& h = handlers_[e.handler()];
    h.fn(h.context, *this, e.arg);
    ++events_processed_;
    if (stopped_) return false;
  }
  if (end > now_) now_ = end;
  return true;
}

}  // namespace bpsim
