#pragma once
// junit.xml (README.md, docs/report-format.md) for CI test reporters (Jenkins,
// GitLab, GitHub). Valid against reports/schema/junit-10.xsd.
//
// <testsuites name="bpsim"> holds one <testsuite name=SCENARIO-ID> per scenario and
// one <testcase classname=SCENARIO-ID> per Check (name = the check's name: an
// invariant or rule id, "metric:NAME", "sometimes:NAME", "verdict"). A failed check
// has a <failure> whose text is the detail, the violations of that check with their
// evidence chains (at most kMaxViolationsPerFailure, then a count of the rest, from
// Check::fired or the "violations" metric when the run listed only some) and
// the repro command. A scenario with `error` set or `incomplete` gets a testcase
// named "run" holding an <error>. Times are wall-clock seconds (the only
// non-deterministic attribute). All text is XML-escaped; characters XML 1.0 forbids
// become U+FFFD.

#include <cstddef>
#include <string>

#include "reports/result.h"

namespace bpsim::reports {

inline constexpr std::size_t kMaxViolationsPerFailure = 10;

std::string RenderJUnit(const RunReport& report);

}  // namespace bpsim::reports
