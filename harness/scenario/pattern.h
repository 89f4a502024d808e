#pragma once
// Patterns over trace entries (docs/invariants.md; docs/scenario-reference.md "Patterns"):
// validation of `TYPE` / `{TYPE: {FIELD: VALUE}}` forms against the entry types,
// the pattern fields and the world's bank ids and partners, and their JSON Schema.
// Internal to harness/scenario.

#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/fields.h"
#include "harness/scenario/reader.h"
#include "harness/scenario/scenario.h"

namespace bpsim::harness::scenario_internal {

// Names of all entry types, in EntryType order.
const std::vector<std::string>& EntryTypeNames();
// Reads a pattern; nullopt (with diagnostics) when it is not valid.
std::optional<Pattern> ReadPattern(Ctx& c, const YAML::Node& n, Position pos,
                                   const std::string& path);
// {"$ref": "#/$defs/pattern"}, and the two $defs it refers to.
Json PatternSchemaRef();
Json PatternSchema();
Json PatternFieldsSchema();

template <typename S>
Field PatternField(std::string name, Pattern S::*m, std::string doc) {
  Field f{name};
  f.read = [m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadPattern(c, n, p, path)) As<S>(o)->*m = *v;
  };
  f.schema = [doc](const void*) { return Described(doc, PatternSchemaRef()); };
  return f;
}


}  // namespace bpsim::harness::scenario_internal
