#include "harness/scenario/reader.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace bpsim::harness::scenario_internal {

void Ctx::Fail(Position pos, const std::string& path, const std::string& message) {
  diags.Add(pos, path.empty() ? message : path + ": " + message);
}

Position PosOf(const YAML::Node& node, Position fallback) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  YAML::Mark m = node.Mark();
  if (m.is_null()) return fallback;
  return Position{m.line + 1, m.column + 1};
}

std::string ChildPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string ItemPath(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

bool IsPlainScalar(const YAML::Node& n) {
  if (!n.IsScalar()) return false;
  const std::string& tag = n.Tag();
  // Untagged plain scalars, and explicit core-schema tags (!!int, !!float, !!bool).
  return tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
         tag == "tag:yaml.org,2002:bool";
}

namespace {

bool IsBoolWord(const std::string& s) {
  return s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" ||
         s == "FALSE";
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

}  // namespace

std::string KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: {
      if (IsPlainScalar(node)) {
        double d;
        if (ParseNumber(node.Scalar(), &d) != NumberParse::kNotNumber) return "a number";
        if (IsBoolWord(node.Scalar())) return "a boolean";
      }
      return "a string";
    }
    default: return "null";
  }
}

std::string Quote(const std::string& text) {
  if (text.size() <= 60) return "'" + text + "'";
  std::size_t cut = 57;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return "'" + text.substr(0, cut) + "...'";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string FormatNumber(double value) {
  // The fewest significant digits that read back exactly; exponent form only for
  // very large or small magnitudes.
  char buf[64];
  double magnitude = std::fabs(value);
  bool plain = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e15);
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (plain && std::strchr(buf, 'e') != nullptr) continue;
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

bool ParseUnsigned(const std::string& text, std::uint64_t* out) {
  if (!IsDigits(text)) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

NumberParse ParseNumber(const std::string& text, double* out) {
  std::string_view s = text;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return NumberParse::kNonFinite;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body == ".inf" || body == ".Inf" || body == ".INF") return NumberParse::kNonFinite;
  // [0-9]* (. [0-9]*)? ([eE] [-+]? [0-9]+)? with at least one mantissa digit.
  std::size_t i = 0, mantissa_digits = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++mantissa_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return NumberParse::kNotNumber;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    if (!IsDigits(body.substr(i))) return NumberParse::kNotNumber;
    i = body.size();
  }
  if (i != body.size()) return NumberParse::kNotNumber;
  // from_chars does not take a leading '+'.
  std::string_view digits = s[0] == '+' ? s.substr(1) : s;
  double value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) return NumberParse::kNonFinite;
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return NumberParse::kNotNumber;
  if (!std::isfinite(value)) return NumberParse::kNonFinite;
  *out = value;
  return NumberParse::kOk;
}

std::optional<std::vector<Pair>> MapPairs(Ctx& c, const YAML::Node& node, Position pos,
                                          const std::string& path, bool allow_null) {
  if (allow_null && (!node.IsDefined() || node.IsNull())) return std::vector<Pair>{};
  if (!node.IsMap()) {
    c.Fail(pos, path, "expected a mapping, got " + KindOf(node));
    return std::nullopt;
  }
  std::vector<Pair> pairs;
  for (auto it = node.begin(); it != node.end(); ++it) {
    Position key_pos = PosOf(it->first, pos);
    if (!it->first.IsScalar()) {
      c.Fail(key_pos, path, "expected a plain key, got " + KindOf(it->first) + " as a key");
      continue;
    }
    std::string key = it->first.Scalar();
    bool duplicate = false;
    for (const Pair& p : pairs) {
      if (p.key == key) {
        std::string where = path.empty() ? "" : " in " + path;
        c.diags.Add(key_pos, "duplicate key " + Quote(key) + where + " (first written at line " +
                                 std::to_string(p.key_pos.line) + ")");
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    pairs.push_back(Pair{key, it->second, key_pos, PosOf(it->second, key_pos)});
  }
  return pairs;
}

std::optional<std::vector<Item>> ListItems(Ctx& c, const YAML::Node& node, Position pos,
                                           const std::string& path) {
  if (!node.IsSequence()) {
    c.Fail(pos, path, "expected a list, got " + KindOf(node));
    return std::nullopt;
  }
  std::vector<Item> items;
  for (const YAML::Node& item : node) items.push_back(Item{item, PosOf(item, pos)});
  return items;
}

namespace {

std::string ExpectedNumber(NumberBound bound) {
  switch (bound) {
    case NumberBound::kAny: return "a number";
    case NumberBound::kNonNegative: return "a number >= 0";
    case NumberBound::kFraction: return "a fraction in [0, 1]";
    case NumberBound::kPerDay:
      return "a number in [0, 200] (a day's transactions are numbered below 1000)";
  }
  return "a number";
}

// The scalar as the user wrote it, for "got ..." (strings are quoted).
std::string Got(const YAML::Node& n) {
  if (!n.IsScalar()) return KindOf(n);
  if (IsPlainScalar(n)) {
    double d;
    if (ParseNumber(n.Scalar(), &d) != NumberParse::kNotNumber) return n.Scalar();
    return Quote(n.Scalar());
  }
  return "the string " + Quote(n.Scalar());
}

}  // namespace

std::optional<bool> ReadBool(Ctx& c, const YAML::Node& n, Position pos, const std::string& path) {
  if (IsPlainScalar(n) && IsBoolWord(n.Scalar())) return n.Scalar()[0] == 't' || n.Scalar()[0] == 'T';
  c.Fail(pos, path, "expected true or false, got " + Got(n));
  return std::nullopt;
}

std::optional<SimTime> ReadDuration(Ctx& c, const YAML::Node& n, Position pos,
                                    const std::string& path, DurationBound bound) {
  if (!n.IsScalar()) {
    c.Fail(pos, path, "expected a duration such as 30s, got " + KindOf(n));
    return std::nullopt;
  }
  Result<SimTime> t = ParseDuration(n.Scalar());
  if (!t.ok()) {
    c.Fail(pos, path, t.error().message);
    return std::nullopt;
  }
  if (bound == DurationBound::kPositive && *t == 0) {
    c.Fail(pos, path, "expected a duration > 0, got " + n.Scalar());
    return std::nullopt;
  }
  return *t;
}

std::optional<double> ReadNumber(Ctx& c, const YAML::Node& n, Position pos,
                                 const std::string& path, NumberBound bound) {
  std::string expected = ExpectedNumber(bound);
  double value = 0;
  if (!IsPlainScalar(n)) {
    c.Fail(pos, path, "expected " + expected + ", got " + Got(n));
    return std::nullopt;
  }
  switch (ParseNumber(n.Scalar(), &value)) {
    case NumberParse::kNotNumber:
      c.Fail(pos, path, "expected " + expected + ", got " + Got(n));
      return std::nullopt;
    case NumberParse::kNonFinite:
      c.Fail(pos, path, "expected " + expected + ", got " + n.Scalar() + " (not a finite number)");
      return std::nullopt;
    case NumberParse::kOk: break;
  }
  bool ok = bound == NumberBound::kAny ||
            (value >= 0 && (bound != NumberBound::kFraction || value <= 1) &&
             (bound != NumberBound::kPerDay || value <= kMaxPerDay));
  if (!ok) {
    c.Fail(pos, path, "expected " + expected + ", got " + n.Scalar());
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> ReadInteger(Ctx& c, const YAML::Node& n, Position pos,
                                         const std::string& path, std::uint64_t lo,
                                         std::uint64_t hi) {
  bool open_ended = hi == std::numeric_limits<std::uint64_t>::max() ||
                    hi == std::numeric_limits<std::uint32_t>::max() ||
                    hi == std::uint64_t(std::numeric_limits<std::int64_t>::max());
  std::string expected = open_ended ? "an integer >= " + std::to_string(lo)
                                    : "an integer in [" + std::to_string(lo) + ", " +
                                          std::to_string(hi) + "]";
  if (!IsPlainScalar(n)) {
    c.Fail(pos, path, "expected " + expected + ", got " + Got(n));
    return std::nullopt;
  }
  std::string text = n.Scalar();
  bool negative = !text.empty() && text[0] == '-';
  std::string digits = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? text.substr(1) : text;
  if (!IsDigits(digits)) {
    double d;
    NumberParse p = ParseNumber(text, &d);
    c.Fail(pos, path,
           "expected " + expected + ", got " + Got(n) +
               (p == NumberParse::kNotNumber ? "" : " (not an integer)"));
    return std::nullopt;
  }
  std::uint64_t value = 0;
  bool fits = ParseUnsigned(digits, &value);
  if (negative && fits && value == 0) negative = false;
  if (!fits || negative || value < lo || value > hi) {
    std::string why;
    if (!negative && (!fits || value > hi)) why = " (too large; the maximum is " + std::to_string(hi) + ")";
    c.Fail(pos, path, "expected " + expected + ", got " + text + why);
    return std::nullopt;
  }
  return value;
}

std::optional<double> ReadRate(Ctx& c, const YAML::Node& n, Position pos,
                               const std::string& path) {
  if (!n.IsScalar()) {
    c.Fail(pos, path, "expected a rate such as 50/s, or 0, got " + KindOf(n));
    return std::nullopt;
  }
  if (IsPlainScalar(n)) {
    double d = -1;
    if (ParseNumber(n.Scalar(), &d) == NumberParse::kOk && d == 0) return 0.0;
  }
  Result<Rate> r = ParseRate(n.Scalar());
  if (!r.ok()) {
    c.Fail(pos, path, r.error().message + ", or 0 for unlimited");
    return std::nullopt;
  }
  return r->per_second;
}

std::optional<std::string> ReadString(Ctx& c, const YAML::Node& n, Position pos,
                                      const std::string& path) {
  if (!n.IsScalar()) {
    c.Fail(pos, path, "expected a string, got " + KindOf(n));
    return std::nullopt;
  }
  return n.Scalar();
}

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              (i > 0 && (ch == '_' || ch == '-'));
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> ReadName(Ctx& c, const YAML::Node& n, Position pos,
                                    const std::string& path) {
  std::optional<std::string> s = ReadString(c, n, pos, path);
  if (!s) return std::nullopt;
  if (!IsName(*s)) {
    c.Fail(pos, path,
           "invalid name " + Quote(*s) +
               "; expected lowercase letters, digits, '_' and '-', starting with a letter or digit");
    return std::nullopt;
  }
  return s;
}

std::optional<std::size_t> ReadEnum(Ctx& c, const YAML::Node& n, Position pos,
                                    const std::string& path,
                                    const std::vector<std::string>& names) {
  if (n.IsScalar()) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (n.Scalar() == names[i]) return i;
    }
  }
  c.Fail(pos, path, "expected one of: " + JoinNames(names) + "; got " + Got(n));
  return std::nullopt;
}

std::optional<std::vector<Pair>> ReadObject(Ctx& c, const ObjectSpec& spec,
                                            const YAML::Node& node, Position pos,
                                            const std::string& path, void* owner,
                                            bool allow_null) {
  std::size_t errors_before = c.diags.size();
  std::optional<std::vector<Pair>> pairs = MapPairs(c, node, pos, path, allow_null);
  if (!pairs) return std::nullopt;
  std::vector<std::string> names;
  for (const Field& f : spec.fields) names.push_back(f.name);
  for (const Pair& p : *pairs) {
    bool known = false;
    for (const Field& f : spec.fields) known = known || f.name == p.key;
    if (known) continue;
    std::string where = path.empty() ? "" : " in " + path;
    std::string hint = names.empty() ? spec.no_keys_note : "expected one of: " + JoinNames(names);
    c.diags.Add(p.key_pos, "unknown key " + Quote(p.key) + where + "; " + hint);
  }
  for (const Field& f : spec.fields) {
    const Pair* found = nullptr;
    for (const Pair& p : *pairs) {
      if (p.key == f.name) {
        found = &p;
        break;
      }
    }
    if (found != nullptr) {
      f.read(c, found->value, found->value_pos, ChildPath(path, f.name), owner);
    } else if (f.required) {
      c.Fail(pos, path, "missing required key '" + f.name + "'");
    }
  }
  if (!spec.exactly_one_of.empty()) {
    std::vector<std::string> present;
    for (const std::string& k : spec.exactly_one_of) {
      for (const Pair& p : *pairs) {
        if (p.key == k) present.push_back(k);
      }
    }
    if (present.size() != 1) {
      c.Fail(pos, path,
             "expected exactly one of: " + JoinNames(spec.exactly_one_of) + "; got " +
                 (present.empty() ? "none" : JoinNames(present)));
    }
  }
  if (spec.post && c.diags.size() == errors_before) spec.post(c, *pairs, pos, path, owner);
  return pairs;
}

Json Described(const std::string& doc, const Json& schema,
               const std::optional<Json>& default_value, const std::string& default_text) {
  Json out = Json::object();
  std::string text = doc;
  if (default_value) {
    std::string shown = default_text;
    if (shown.empty()) shown = default_value->is_string() ? default_value->get<std::string>()
                                                          : default_value->dump();
    text += " Default: " + shown + ".";
  } else if (!default_text.empty()) {
    text += " Default: " + default_text + ".";
  }
  out["description"] = text;
  if (default_value) out["default"] = *default_value;
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (it.key() != "description") out[it.key()] = it.value();
  }
  return out;
}

Json DurationSchema(DurationBound bound) {
  Json s = Json::object();
  s["type"] = "string";
  s["pattern"] = bound == DurationBound::kPositive
                     ? "^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|ms|s|m|h|d)$"
                     : "^(0|([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|ms|s|m|h|d))$";
  if (bound == DurationBound::kPositive) {
    s["not"] = Json{{"pattern", "^[0.]*[a-z]+$"}};
    return s;
  }
  return Json{{"anyOf", Json::array({s, Json{{"const", 0}}})}};
}

Json NumberSchema(NumberBound bound) {
  Json s = Json::object();
  s["type"] = "number";
  if (bound != NumberBound::kAny) s["minimum"] = 0;
  if (bound == NumberBound::kFraction) s["maximum"] = 1;
  if (bound == NumberBound::kPerDay) s["maximum"] = kMaxPerDay;
  return s;
}

Json ObjectSchema(const ObjectSpec& spec, const void* defaults) {
  Json s = Json::object();
  s["type"] = "object";
  s["additionalProperties"] = false;
  Json props = Json::object();
  Json required = Json::array();
  for (const Field& f : spec.fields) {
    props[f.name] = f.schema(defaults);
    if (f.required) required.push_back(f.name);
  }
  s["properties"] = props;
  if (!required.empty()) s["required"] = required;
  if (!spec.exactly_one_of.empty()) {
    Json one = Json::array();
    for (const std::string& k : spec.exactly_one_of) one.push_back(Json{{"required", {k}}});
    s["oneOf"] = one;
  }
  return s;
}

}  // namespace bpsim::harness::scenario_internal
