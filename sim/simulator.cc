#include "sim/simulator.h"

#include <cassert>
#include <stdexcept>

namespace bpsim {

HandlerId Simulator::Register(HandlerFn fn, void* context, std::string name) {
  assert(handlers_.size() < Event::kHandlerMask);
  handlers_.push_back(Handler{fn, context, std::move(name)});
  return static_cast<HandlerId>(handlers_.size() - 1);
}

void Simulator::Cancel(EventId id) {
  if (id != kNoEvent && id < next_sequence_) cancelled_.insert(id);
}

bool Simulator::RunUntil(SimTime end) {
  stopped_ = false;
  while (!queue_.empty() && queue_.top().time <= end) {
    Event e = queue_.pop();
    if (!cancelled_.empty() && cancelled_.erase(e.sequence()) > 0) continue;
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
