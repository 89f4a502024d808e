#pragma once
// The scenario format's top-level table (format.cc). Reading it with ReadObject into
// a Scenario fills every key; ObjectSchema of it is the JSON Schema's body.
// Internal to harness/scenario.

#include "harness/scenario/reader.h"

namespace bpsim::harness::scenario_internal {

// The owner it reads into is a harness::Scenario whose invariants are the defaults
// (all built-ins), and the Ctx's invariant_ids must list them.
const ObjectSpec& ScenarioFormat();
// One item of world.banks (reads into a mocks::BankConfig); used by the writer.
const ObjectSpec& BankFormat();

}  // namespace bpsim::harness::scenario_internal
