#include "harness/scenario/pattern.h"

#include <algorithm>

#include "mocks/trace.h"

namespace bpsim::harness::scenario_internal {
namespace {

const std::vector<std::string> kReasonNames = {
    "poll",        "on_demand",       "retry",      "fraud",        "false_positive",
    "fraud_alert", "consent_revoked", "ttl",        "revocation",   "expiry",
    "replaced",    "answered",        "not_linked", "unavailable",  "redirected_to_private",
    "bank",        "messenger",       "slow",       "errors",       "partition",
    "consent_inactive", "scope",      "wrong_subject", "no_token",  "rate_limited",
    "outage",      "error",           "timeout",    "reset",        "crash"};

const char* const kEndpointForms =
    "*, bank:<id>, bank:*, platform.connector, platform.cache, chat:<customer>, chat:*, "
    "chat:group:<group>, chat:group:*, ads, partner:<name>, partner:*, analytics, log, "
    "customer:<id>, customer:*, messenger";

bool IsStarOrUnsigned(const std::string& s) {
  std::uint64_t v;
  return s == "*" || ParseUnsigned(s, &v);
}

// nullopt when `value` is valid for `field`; otherwise why not.
std::optional<std::string> CheckEndpoint(const Ctx& c, const std::string& v) {
  for (const char* fixed : {"*", "platform.connector", "platform.cache", "ads", "analytics",
                            "log", "messenger"}) {
    if (v == fixed) return std::nullopt;
  }
  auto rest_after = [&](const std::string& prefix) -> std::optional<std::string> {
    if (v.rfind(prefix, 0) == 0) return v.substr(prefix.size());
    return std::nullopt;
  };
  if (auto r = rest_after("bank:")) {
    if (*r == "*" || std::find(c.bank_ids.begin(), c.bank_ids.end(), *r) != c.bank_ids.end()) {
      return std::nullopt;
    }
    return "unknown bank " + Quote(*r) + "; expected one of: " + JoinNames(c.bank_ids);
  }
  if (auto r = rest_after("partner:")) {
    if (*r == "*" || std::find(c.partners.begin(), c.partners.end(), *r) != c.partners.end()) {
      return std::nullopt;
    }
    return "unknown partner " + Quote(*r) + "; expected one of: " +
           (c.partners.empty() ? std::string("(none)") : JoinNames(c.partners));
  }
  if (auto r = rest_after("chat:group:")) {
    if (IsStarOrUnsigned(*r)) return std::nullopt;
  } else if (auto r2 = rest_after("chat:")) {
    if (IsStarOrUnsigned(*r2)) return std::nullopt;
  } else if (auto r3 = rest_after("customer:")) {
    if (IsStarOrUnsigned(*r3)) return std::nullopt;
  }
  return "invalid endpoint " + Quote(v) + "; expected one of: " + kEndpointForms;
}

std::optional<std::string> CheckFieldValue(const Ctx& c, const std::string& field,
                                           const YAML::Node& node, std::string* normalized) {
  if (!node.IsScalar()) return "expected a value, got " + KindOf(node);
  const std::string& v = node.Scalar();
  *normalized = v;
  if (field == "from" || field == "to") return CheckEndpoint(c, v);
  if (field == "category") {
    mocks::Category cat;
    if (mocks::CategoryFromName(v, &cat)) return std::nullopt;
    return "unknown category " + Quote(v) +
           "; expected one of: identity, accounts, balance, transactions, alert";
  }
  if (field == "purpose") {
    mocks::Purpose p;
    if (mocks::PurposeFromName(v, &p)) return std::nullopt;
    return "unknown purpose " + Quote(v) +
           "; expected one of: display, fraud_alerts, ads, analytics, sharing";
  }
  if (field == "bank") {
    if (std::find(c.bank_ids.begin(), c.bank_ids.end(), v) != c.bank_ids.end()) {
      return std::nullopt;
    }
    return "unknown bank " + Quote(v) + "; expected one of: " + JoinNames(c.bank_ids);
  }
  if (field == "reason") {
    if (std::find(kReasonNames.begin(), kReasonNames.end(), v) != kReasonNames.end()) {
      return std::nullopt;
    }
    return "unknown reason " + Quote(v) + "; expected one of: " + JoinNames(kReasonNames);
  }
  std::uint64_t number = 0;
  if (field == "status") {
    if (IsPlainScalar(node) && ParseUnsigned(v, &number) && number <= 599) {
      *normalized = std::to_string(number);
      return std::nullopt;
    }
    return "expected an HTTP status, an integer in [0, 599], got " + v;
  }
  if (field == "subject" || field == "consent" || field == "ref") {
    if (IsPlainScalar(node) && ParseUnsigned(v, &number)) {
      *normalized = std::to_string(number);
      return std::nullopt;
    }
    return "expected an integer >= 0, got " + v;
  }
  // derived, labelled
  if (IsPlainScalar(node) && (v == "true" || v == "false")) return std::nullopt;
  return "expected true or false, got " + v;
}

}  // namespace

const std::vector<std::string>& EntryTypeNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (unsigned i = 0; i < unsigned(mocks::EntryType::kEntryTypeCount); ++i) {
      v.emplace_back(mocks::EntryTypeName(static_cast<mocks::EntryType>(i)));
    }
    return v;
  }();
  return names;
}

std::optional<Pattern> ReadPattern(Ctx& c, const YAML::Node& n, Position pos,
                                   const std::string& path) {
  const std::vector<std::string>& types = EntryTypeNames();
  auto check_type = [&](const std::string& t, Position at) {
    if (t == "*" || std::find(types.begin(), types.end(), t) != types.end()) return true;
    c.Fail(at, path, "unknown entry type " + Quote(t) + "; expected * or one of: " + JoinNames(types));
    return false;
  };
  Pattern pattern;
  pattern.line = pos.line;
  pattern.column = pos.column;
  if (n.IsScalar()) {
    if (!check_type(n.Scalar(), pos)) return std::nullopt;
    pattern.type = n.Scalar();
    return pattern;
  }
  if (!n.IsMap()) {
    c.Fail(pos, path,
           "expected a pattern (an entry type, *, or {TYPE: {FIELD: VALUE}}), got " + KindOf(n));
    return std::nullopt;
  }
  auto pairs = MapPairs(c, n, pos, path);
  if (!pairs) return std::nullopt;
  if (pairs->size() != 1) {
    c.Fail(pos, path,
           "a pattern mapping has exactly one key (an entry type), got " +
               std::to_string(pairs->size()));
    return std::nullopt;
  }
  const Pair& typed = (*pairs)[0];
  if (!check_type(typed.key, typed.key_pos)) return std::nullopt;
  pattern.type = typed.key;
  std::string type_path = ChildPath(path, typed.key);
  auto fields = MapPairs(c, typed.value, typed.value_pos, type_path, /*allow_null=*/true);
  if (!fields) return std::nullopt;
  std::vector<std::string> field_names = Names(kPatternFields);
  bool ok = true;
  for (const Pair& fp : *fields) {
    if (std::find(field_names.begin(), field_names.end(), fp.key) == field_names.end()) {
      c.diags.Add(fp.key_pos, "unknown field " + Quote(fp.key) + " in " + type_path +
                                  "; expected one of: " + JoinNames(field_names));
      ok = false;
      continue;
    }
    std::string field_path = ChildPath(type_path, fp.key);
    FieldMatch match{fp.key, {}};
    std::vector<Item> values;
    if (fp.value.IsSequence()) {
      auto items = ListItems(c, fp.value, fp.value_pos, field_path);
      values = *items;
      if (values.empty()) {
        c.Fail(fp.value_pos, field_path, "expected at least one value, got an empty list");
        ok = false;
        continue;
      }
    } else if (fp.value.IsScalar()) {
      values.push_back(Item{fp.value, fp.value_pos});
    } else {
      c.Fail(fp.value_pos, field_path, "expected a value or a list of values, got " + KindOf(fp.value));
      ok = false;
      continue;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::string normalized;
      std::string value_path = fp.value.IsSequence() ? ItemPath(field_path, i) : field_path;
      if (auto why = CheckFieldValue(c, fp.key, values[i].node, &normalized)) {
        c.Fail(values[i].pos, value_path, *why);
        ok = false;
        continue;
      }
      match.any_of.push_back(normalized);
    }
    pattern.fields.push_back(std::move(match));
  }
  if (!ok) return std::nullopt;
  return pattern;
}

Json PatternSchemaRef() { return Json{{"$ref", "#/$defs/pattern"}}; }

// The constraint map of a pattern, {FIELD: VALUE | [VALUE, ...]} or null.
Json PatternFieldsSchema() {
  Json value{{"type", {"string", "integer", "boolean"}}};
  Json field_value{{"anyOf", Json::array({value, Json{{"type", "array"},
                                                      {"minItems", 1},
                                                      {"items", value}}})}};
  Json fields = Json::object();
  for (const char* f : kPatternFields) fields[f] = field_value;
  return Json{{"description", "Field constraints of a pattern; an entry matches a field if its "
                              "value equals any listed value."},
              {"anyOf", Json::array({Json{{"type", "null"}},
                                     Json{{"type", "object"},
                                          {"additionalProperties", false},
                                          {"properties", fields}}})}};
}

Json PatternSchema() {
  Json by_type = Json::object();
  Json constraint{{"$ref", "#/$defs/pattern_fields"}};
  by_type["*"] = constraint;
  for (const std::string& t : EntryTypeNames()) by_type[t] = constraint;
  std::vector<std::string> type_names = {"*"};
  for (const std::string& t : EntryTypeNames()) type_names.push_back(t);
  return Json{
      {"description",
       "A pattern over trace entries: an entry type name or *, or {TYPE: {FIELD: VALUE | [VALUE, ...]}}."},
      {"anyOf", Json::array({EnumSchema(type_names),
                             Json{{"type", "object"},
                                  {"minProperties", 1},
                                  {"maxProperties", 1},
                                  {"additionalProperties", false},
                                  {"properties", by_type}}})}};
}


}  // namespace bpsim::harness::scenario_internal
