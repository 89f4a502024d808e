#pragma once
// YAML emission of a Scenario (used by `bpsim shrink` to write minimal scenarios).
// The output is accepted by LoadScenario/ParseScenario and reads back into a Scenario
// equal to the input field by field (except the `line`/`column` positions and
// `file`). Only values that differ from the documented defaults are written; the
// world's keys are found from the format's own tables, so the writer cannot drift
// from the loader.

#include <string>

#include "harness/scenario/scenario.h"

namespace bpsim::harness {

// The scenario as YAML text, ending in a newline. `id` is written as `scenario:`
// when non-empty; `expect` is written when it is not the default (a pass with no
// violations).
std::string ScenarioToYaml(const Scenario& scenario);

}  // namespace bpsim::harness
