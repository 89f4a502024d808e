#include "sim/math.h"

namespace bpsim::math::internal {

const double* LogFactorialTable() {
  // log(k!) = sum of Log(i) for i <= k, accumulated in double-double (Knuth's
  // TwoSum keeps each addition's rounding error), so the table is as accurate as
  // the Log values it sums.
  struct Table {
    double v[kLogFactorialTable];
    Table() {
      double hi = 0, lo = 0;
      v[0] = 0;
      for (int i = 1; i < kLogFactorialTable; ++i) {
        const double a = Log(static_cast<double>(i));
        const double sum = hi + a;
        const double b = sum - hi;
        const double err = (hi - (sum - b)) + (a - b);
        hi = sum;
        lo += err;
        v[i] = hi + lo;
      }
    }
  };
  static const Table table;
  return table.v;
}

}  // namespace bpsim::math::internal
