// The JSON Schema of the scenario format: the committed file is what the loader
// generates, and documents the loader accepts are valid against it.

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "harness/scenario/scenario.h"

using namespace bpsim::harness;
using Json = nlohmann::json;

namespace {

const std::string kSchemaPath = std::string(BPSIM_SOURCE_DIR) + "/scenarios/schema/scenario.schema.json";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// YAML as JSON, typing plain scalars as YAML 1.2's core schema does.
Json ToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    Json j = Json::object();
    for (auto it = n.begin(); it != n.end(); ++it) j[it->first.Scalar()] = ToJson(it->second);
    return j;
  }
  if (n.IsSequence()) {
    Json j = Json::array();
    for (const YAML::Node& item : n) j.push_back(ToJson(item));
    return j;
  }
  if (!n.IsScalar()) return nullptr;
  const std::string& s = n.Scalar();
  if (n.Tag() != "?") return s;
  if (s == "true" || s == "false") return s == "true";
  if (std::regex_match(s, std::regex("-?[0-9]+"))) return std::stoll(s);
  if (std::regex_match(s, std::regex("-?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?"))) {
    return std::stod(s);
  }
  return s;
}

bool HasType(const Json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

// The subset of draft 2020-12 the generated schema uses. Appends what fails to `why`.
bool Validate(const Json& root, const Json& s, const Json& v, const std::string& at,
              std::string& why) {
  auto fail = [&](const std::string& what) {
    why += at + ": " + what + "\n";
    return false;
  };
  if (s.contains("$ref")) {
    std::string ref = s["$ref"];
    return Validate(root, root["$defs"][ref.substr(std::string("#/$defs/").size())], v, at, why);
  }
  if (s.contains("type")) {
    bool ok = false;
    if (s["type"].is_array()) {
      for (const auto& t : s["type"]) ok = ok || HasType(v, t);
    } else {
      ok = HasType(v, s["type"]);
    }
    if (!ok) return fail("wrong type for " + s["type"].dump());
  }
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end()) {
    return fail("not in enum");
  }
  if (s.contains("const") && s["const"] != v) return fail("not the const");
  if (s.contains("anyOf")) {
    bool ok = false;
    std::string ignored;
    for (const auto& sub : s["anyOf"]) ok = ok || Validate(root, sub, v, at, ignored);
    if (!ok) return fail("matches no anyOf branch");
  }
  if (s.contains("oneOf")) {
    int n = 0;
    std::string ignored;
    for (const auto& sub : s["oneOf"]) n += Validate(root, sub, v, at, ignored) ? 1 : 0;
    if (n != 1) return fail("matches " + std::to_string(n) + " oneOf branches");
  }
  if (s.contains("not")) {
    std::string ignored;
    if (Validate(root, s["not"], v, at, ignored)) return fail("matches `not`");
  }
  if (v.is_string()) {
    if (s.contains("pattern") && !std::regex_search(v.get<std::string>(), std::regex(s["pattern"].get<std::string>()))) {
      return fail("does not match " + s["pattern"].get<std::string>());
    }
    if (s.contains("minLength") && v.get<std::string>().size() < s["minLength"].get<std::size_t>()) {
      return fail("too short");
    }
  }
  if (v.is_number()) {
    if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) return fail("below minimum");
    if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) return fail("above maximum");
  }
  bool ok = true;
  if (v.is_object()) {
    if (s.contains("minProperties") && v.size() < s["minProperties"].get<std::size_t>()) return fail("too few keys");
    if (s.contains("maxProperties") && v.size() > s["maxProperties"].get<std::size_t>()) return fail("too many keys");
    if (s.contains("required")) {
      for (const auto& k : s["required"]) {
        if (!v.contains(k.get<std::string>())) ok = fail("missing " + k.get<std::string>()) && ok;
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string child = at + "." + it.key();
      if (s.contains("propertyNames")) ok = Validate(root, s["propertyNames"], it.key(), child, why) && ok;
      if (s.contains("properties") && s["properties"].contains(it.key())) {
        ok = Validate(root, s["properties"][it.key()], it.value(), child, why) && ok;
      } else if (s.contains("additionalProperties")) {
        const Json& extra = s["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) {
          ok = fail("key '" + it.key() + "' is not in the schema") && ok;
        } else if (extra.is_object()) {
          ok = Validate(root, extra, it.value(), child, why) && ok;
        }
      }
    }
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>()) return fail("too few items");
    if (s.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        ok = Validate(root, s["items"], v[i], at + "[" + std::to_string(i) + "]", why) && ok;
      }
    }
  }
  return ok;
}

std::string SchemaErrors(const std::string& yaml) {
  Json schema = Json::parse(ScenarioJsonSchema());
  std::string why;
  Validate(schema, schema, ToJson(YAML::Load(yaml)), "$", why);
  return why;
}

}  // namespace

TEST_CASE("the committed JSON Schema is the one the loader generates", "[loader][schema]") {
  std::string generated = ScenarioJsonSchema();
  if (std::getenv("BPSIM_UPDATE_SCHEMA") != nullptr) {
    std::ofstream(kSchemaPath, std::ios::binary) << generated;
  }
  INFO("regenerate with: BPSIM_UPDATE_SCHEMA=1 ./build/dev/tests/bpsim_tests '[schema]'");
  CHECK(ReadFile(kSchemaPath) == generated);
}

TEST_CASE("the schema is draft 2020-12 and closed everywhere", "[loader][schema]") {
  Json schema = Json::parse(ScenarioJsonSchema());
  CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  CHECK(schema["additionalProperties"] == false);
  CHECK(schema["properties"]["duration"]["default"] == "14d");
  CHECK(schema["properties"]["world"]["properties"]["customers"]["properties"]["consent"]
              ["properties"]["opt_in"]["description"] ==
        "Fraction of customers who link their bank at the start. Default: 0.3.");
  CHECK(schema["properties"]["world"]["properties"]["platform"]["properties"]["alert_retry"]
              ["properties"]["max"]["default"] == "5m");
  // Every object schema with properties is closed.
  std::vector<const Json*> stack{&schema};
  int objects = 0;
  while (!stack.empty()) {
    const Json* j = stack.back();
    stack.pop_back();
    if (j->is_object()) {
      if (j->contains("properties")) {
        ++objects;
        INFO(j->dump().substr(0, 200));
        CHECK((*j)["additionalProperties"] == false);
      }
      for (const auto& [k, v] : j->items()) stack.push_back(&v);
    } else if (j->is_array()) {
      for (const auto& v : *j) stack.push_back(&v);
    }
  }
  CHECK(objects > 30);
}

TEST_CASE("documents the loader accepts are valid against the schema", "[loader][schema]") {
  std::vector<std::string> docs = {
      ReadFile(std::string(BPSIM_SOURCE_DIR) + "/tests/harness/scenario_full_example.yaml"),
      "duration: 1d\n",
      "{}\n",
      "world:\n  banks: [{id: a, api: {rate_limit: 0}}]\n  customers: {banks: {a: 1}}\n"
      "invariants: [audit-complete, {revocation-honoured: null}, {retention-limit: {}}]\n"
      "rules:\n  - {id: r, never: '*'}\n  - {id: s, never: {'*': null}}\n"
      "expect:\n  metrics: {wall_seconds: {max: 30}, fraud_alert_latency_max: {max: 2m}}\n"
      "  sometimes: [flow, {cache.purge: {reason: [ttl, expiry]}}]\n",
      "invariants: {fraud-alert-delivery: {p99: 7h}, audit-complete: off, retention-limit: }\n",
  };
  for (const std::string& doc : docs) {
    INFO(doc.substr(0, 300));
    REQUIRE(ParseScenario(doc, "s.yaml").ok());
    CHECK(SchemaErrors(doc).empty());
  }
}

TEST_CASE("the schema check is not vacuous: it rejects what the loader rejects", "[loader][schema]") {
  CHECK(SchemaErrors("world: {banksx: []}\n") == "$.world: key 'banksx' is not in the schema\n");
  CHECK(SchemaErrors("world: {customers: {consent: {opt_in: 1.5}}}\n") ==
        "$.world.customers.consent.opt_in: above maximum\n");
  CHECK(SchemaErrors("duration: 0s\n") == "$.duration: matches `not`\n");
  CHECK(SchemaErrors("timeline: [{at: 1d}]\n") == "$.timeline[0]: matches 0 oneOf branches\n");
  CHECK(SchemaErrors("invariants: [{audit-complete: {slack: 1m}}]\n") ==
        "$.invariants: matches no anyOf branch\n");
  CHECK(SchemaErrors("invariants: {audit-complete: {slack: 1m}}\n") ==
        "$.invariants: matches no anyOf branch\n");
  CHECK(SchemaErrors("invariants: {audit-complete: on}\n") ==
        "$.invariants: matches no anyOf branch\n");
}

TEST_CASE("docs/scenario-reference.md documents every key of the schema", "[loader][schema]") {
  std::string doc = ReadFile(std::string(BPSIM_SOURCE_DIR) + "/docs/scenario-reference.md");
  Json schema = Json::parse(ScenarioJsonSchema());
  std::vector<const Json*> stack{&schema};
  int keys = 0;
  while (!stack.empty()) {
    const Json* j = stack.back();
    stack.pop_back();
    if (j->is_object()) {
      if (j->contains("properties") && j != &schema["$defs"]["pattern"]["anyOf"][1]) {
        for (const auto& [name, sub] : (*j)["properties"].items()) {
          ++keys;
          INFO(name);
          CHECK(doc.find("`" + name + "`") != std::string::npos);
        }
      }
      for (const auto& [k, v] : j->items()) stack.push_back(&v);
    } else if (j->is_array()) {
      for (const auto& v : *j) stack.push_back(&v);
    }
  }
  CHECK(keys > 100);
}
