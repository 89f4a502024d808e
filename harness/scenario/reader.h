#pragma once
// The typed YAML reading layer of the scenario loader: the context that collects
// diagnostics and cross-references while a file is read, checked readers for each
// kind of value (duration, fraction, integer, name, ...), and the declarative
// description of a mapping's keys (Field / ObjectSpec) that drives both the loader
// and the JSON Schema. Internal to harness/scenario.
//
// Readers never throw and never apply a default for a wrong value: on a bad value
// they add one diagnostic naming the key path and return nullopt, and the caller
// keeps going so that every problem of a file is reported at once.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/input.h"
#include "sim/time.h"

namespace bpsim::harness::scenario_internal {

using Json = nlohmann::ordered_json;

// State shared by every reader while one file is read. Keys are read in the order
// of the tables (not of the file), so cross-references are known when needed:
// bank ids and partners before patterns and timeline, invariants and rules before
// expect.
struct Ctx {
  Diagnostics diags;
  std::vector<std::string> bank_ids = {"bank"};     // world.banks (default: one)
  std::vector<std::string> partners = {"adpartner"};  // world.platform.partners
  std::optional<SimTime> duration = 14 * kDay;       // nullopt once found invalid
  std::vector<std::string> invariant_ids;            // enabled invariants
  std::vector<std::string> rule_ids;

  // Adds "PATH: message" (just "message" when path is empty) at `pos`.
  void Fail(Position pos, const std::string& path, const std::string& message);
};

// The 1-based position of a node, or `fallback` for null and missing nodes (whose
// marks yaml-cpp places at the following token).
Position PosOf(const YAML::Node& node, Position fallback);

std::string ChildPath(const std::string& path, const std::string& key);
std::string ItemPath(const std::string& path, std::size_t index);
// "a mapping", "a list", "null", "a number", "a boolean", "a string".
std::string KindOf(const YAML::Node& node);
// A scalar for messages: 'text' (shortened past 60 bytes).
std::string Quote(const std::string& text);
std::string JoinNames(const std::vector<std::string>& names);
// Shortest decimal that reads back as the same double ("0.35", "1e-06").
std::string FormatNumber(double value);

// One key of a mapping, after duplicate and key-type checks.
struct Pair {
  std::string key;
  YAML::Node value;
  Position key_pos;
  Position value_pos;  // key_pos when the value is null
};

// The pairs of a mapping in file order. Reports non-scalar keys and duplicate keys
// (yaml-cpp keeps both; the first wins). A null node counts as an empty mapping
// only when `allow_null`. nullopt (with a diagnostic) when `node` is not a mapping.
std::optional<std::vector<Pair>> MapPairs(Ctx& c, const YAML::Node& node, Position pos,
                                          const std::string& path, bool allow_null = false);
// The items of a list with their positions; nullopt (with a diagnostic) otherwise.
struct Item {
  YAML::Node node;
  Position pos;
};
std::optional<std::vector<Item>> ListItems(Ctx& c, const YAML::Node& node, Position pos,
                                           const std::string& path);

enum class DurationBound { kNonNegative, kPositive };
// kPerDay: a mean count of card transactions a customer makes in a day, in
// [0, kMaxPerDay]. A day's transactions are numbered from 0 and the fraudster's from
// 1000 (mocks/customers/population.cc), so a mean of 200 (1.2x that under a swarm)
// never reaches a thousand in a day; a larger mean would give two transactions one id.
enum class NumberBound { kAny, kNonNegative, kFraction, kPerDay };
inline constexpr int kMaxPerDay = 200;

std::optional<SimTime> ReadDuration(Ctx& c, const YAML::Node& n, Position pos,
                                    const std::string& path, DurationBound bound);
std::optional<double> ReadNumber(Ctx& c, const YAML::Node& n, Position pos,
                                 const std::string& path, NumberBound bound);
// An integer in [lo, hi]; plain decimal digits only (no exponent, no fraction).
std::optional<std::uint64_t> ReadInteger(Ctx& c, const YAML::Node& n, Position pos,
                                         const std::string& path, std::uint64_t lo,
                                         std::uint64_t hi);
// "50/s" style, or the number 0 (unlimited); events per second.
std::optional<double> ReadRate(Ctx& c, const YAML::Node& n, Position pos,
                               const std::string& path);
std::optional<std::string> ReadString(Ctx& c, const YAML::Node& n, Position pos,
                                      const std::string& path);
// A name matching [a-z0-9][a-z0-9_-]* (bank ids, partners, rule ids).
std::optional<std::string> ReadName(Ctx& c, const YAML::Node& n, Position pos,
                                    const std::string& path);
bool IsName(const std::string& s);
// true or false (YAML 1.2 core schema, any of its three spellings of each).
std::optional<bool> ReadBool(Ctx& c, const YAML::Node& n, Position pos, const std::string& path);
// Index of the value in `names`.
std::optional<std::size_t> ReadEnum(Ctx& c, const YAML::Node& n, Position pos,
                                    const std::string& path,
                                    const std::vector<std::string>& names);

// Plain scalars (unquoted, untagged or tagged !!int / !!float / !!bool), parsed as
// YAML 1.2's core schema reads them; quoted scalars are strings.
bool IsPlainScalar(const YAML::Node& n);
bool ParseUnsigned(const std::string& text, std::uint64_t* out);
enum class NumberParse { kOk, kNotNumber, kNonFinite };
NumberParse ParseNumber(const std::string& text, double* out);

// --- Declarative mapping descriptions -------------------------------------------

// Reads one key's value into the object being filled (`owner`, the struct the
// enclosing ObjectSpec describes).
using ReadFn = std::function<void(Ctx& c, const YAML::Node& value, Position pos,
                                  const std::string& path, void* owner)>;
// The JSON Schema of the key's value. `defaults` is a default-constructed owner (so
// documented defaults are the structs' own), or null where there is none.
using SchemaFn = std::function<Json(const void* defaults)>;

struct Field {
  std::string name;
  bool required = false;
  ReadFn read = nullptr;
  SchemaFn schema = nullptr;
};

struct ObjectSpec;
// Runs after all keys of a mapping were read without error.
using PostFn = std::function<void(Ctx& c, const std::vector<Pair>& pairs, Position pos,
                                  const std::string& path, void* owner)>;

struct ObjectSpec {
  std::vector<Field> fields;
  // Exactly one of these keys must be present (a choice of actions / rule kinds).
  std::vector<std::string> exactly_one_of;
  // Said instead of "expected one of: ..." when there are no fields.
  std::string no_keys_note;
  PostFn post;
};

// Reads a mapping described by `spec` into `owner`: unknown keys, duplicate keys and
// missing required keys are diagnosed; keys are read in the spec's order. Returns
// the pairs, or nullopt when `node` is not a mapping.
std::optional<std::vector<Pair>> ReadObject(Ctx& c, const ObjectSpec& spec,
                                            const YAML::Node& node, Position pos,
                                            const std::string& path, void* owner,
                                            bool allow_null = false);
Json ObjectSchema(const ObjectSpec& spec, const void* defaults);

// {"description": doc [+ " Default: D."], "default": D, ...schema}.
Json Described(const std::string& doc, const Json& schema,
               const std::optional<Json>& default_value = std::nullopt,
               const std::string& default_text = "");
Json DurationSchema(DurationBound bound);
Json NumberSchema(NumberBound bound);

}  // namespace bpsim::harness::scenario_internal
