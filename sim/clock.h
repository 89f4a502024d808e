#pragma once
// The one way any party reads time (docs/architecture.md, convention 1). The simulator is a Clock; live
// mode provides a wall clock scaled to simulated time. No party calls the system
// clock directly.

#include "sim/time.h"

namespace bpsim {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SimTime Now() const = 0;
};

}  // namespace bpsim
