#include "sim/math.h"

#include "sim/math_tables.h"

namespace bpsim::math::internal {

// Evaluated by the compiler: no initialisation at run time, so the tables are ready
// before any static initialiser could draw.
constinit const Tables kTables = build::BuildTables();

}  // namespace bpsim::math::internal
