#pragma once
// Builders for the Fields of the scenario format's tables (see reader.h): each
// builder binds a key name to a member of the struct being filled, reads it with the
// checked reader for its kind, and describes it in the JSON Schema with the default
// read from a default-constructed struct. Internal to harness/scenario.

#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/reader.h"
#include "mocks/config.h"

namespace bpsim::harness::scenario_internal {

inline constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
inline constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::uint64_t kI64Max = std::uint64_t(std::numeric_limits<std::int64_t>::max());

template <typename S>
S* As(void* p) { return static_cast<S*>(p); }
template <typename S>
const S* AsDefaults(const void* p) { return static_cast<const S*>(p); }

template <typename Array>
std::vector<std::string> Names(const Array& a) {
  return std::vector<std::string>(std::begin(a), std::end(a));
}

inline Json EnumSchema(const std::vector<std::string>& names) {
  return Json{{"type", "string"}, {"enum", names}};
}
inline Json NameSchema() { return Json{{"type", "string"}, {"pattern", "^[a-z0-9][a-z0-9_-]*$"}}; }

// --- Field builders ------------------------------------------------------------

// A key that must be written: its schema has no default, and says so.
inline Field Required(Field f) {
  f.required = true;
  SchemaFn schema = f.schema;
  f.schema = [schema](const void* d) {
    Json j = schema(d);
    j.erase("default");
    std::string text = j["description"];
    std::size_t cut = text.find(" Default: ");
    if (cut != std::string::npos) text.resize(cut);
    j["description"] = text + " Required.";
    return j;
  };
  return f;
}

// Re-targets a field of `Inner` at the member `m` of `Outer`.
template <typename Outer, typename Inner>
Field Lift(Field f, Inner Outer::*m) {
  ReadFn read = f.read;
  SchemaFn schema = f.schema;
  f.read = [read, m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    read(c, n, p, path, &(As<Outer>(o)->*m));
  };
  f.schema = [schema, m](const void* d) {
    return schema(d ? &(AsDefaults<Outer>(d)->*m) : nullptr);
  };
  return f;
}

template <typename S>
Field DurationField(std::string name, SimTime S::*m, DurationBound bound, std::string doc) {
  Field f{name};
  f.read = [m, bound](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadDuration(c, n, p, path, bound)) As<S>(o)->*m = *v;
  };
  f.schema = [m, bound, doc](const void* d) {
    std::optional<Json> def;
    if (d) def = Json(FormatDuration(AsDefaults<S>(d)->*m));
    return Described(doc, DurationSchema(bound), def);
  };
  return f;
}

template <typename S>
Field NumberField(std::string name, double S::*m, NumberBound bound, std::string doc) {
  Field f{name};
  f.read = [m, bound](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadNumber(c, n, p, path, bound)) As<S>(o)->*m = *v;
  };
  f.schema = [m, bound, doc](const void* d) {
    std::optional<Json> def;
    std::string text;
    if (d) {
      def = Json(AsDefaults<S>(d)->*m);
      text = FormatNumber(AsDefaults<S>(d)->*m);
    }
    return Described(doc, NumberSchema(bound), def, text);
  };
  return f;
}

template <typename S, typename T>
Field IntegerField(std::string name, T S::*m, std::uint64_t lo, std::uint64_t hi,
                   std::string doc) {
  Field f{name};
  f.read = [m, lo, hi](Ctx& c, const YAML::Node& n, Position p, const std::string& path,
                       void* o) {
    if (auto v = ReadInteger(c, n, p, path, lo, hi)) As<S>(o)->*m = static_cast<T>(*v);
  };
  f.schema = [m, lo, hi, doc](const void* d) {
    Json s{{"type", "integer"}, {"minimum", lo}};
    if (hi != kU64Max) s["maximum"] = hi;
    std::optional<Json> def;
    if (d) def = Json(AsDefaults<S>(d)->*m);
    return Described(doc, s, def);
  };
  return f;
}

template <typename S>
Field RateField(std::string name, double S::*m, std::string doc) {
  Field f{name};
  f.read = [m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadRate(c, n, p, path)) As<S>(o)->*m = *v;
  };
  f.schema = [m, doc](const void* d) {
    Json s{{"anyOf", Json::array({Json{{"type", "string"},
                                       {"pattern", "^[0-9]+(\\.[0-9]+)?/(s|m|h|d)$"}},
                                  Json{{"const", 0}}})}};
    std::optional<Json> def;
    if (d) {
      double v = AsDefaults<S>(d)->*m;
      def = v == 0 ? Json(0) : Json(FormatRate(Rate{v}));
    }
    return Described(doc, s, def);
  };
  return f;
}

template <typename S, typename E>
Field EnumField(std::string name, E S::*m, std::vector<std::string> names, std::string doc) {
  Field f{name};
  f.read = [m, names](Ctx& c, const YAML::Node& n, Position p, const std::string& path,
                      void* o) {
    if (auto v = ReadEnum(c, n, p, path, names)) As<S>(o)->*m = static_cast<E>(*v);
  };
  f.schema = [m, names, doc](const void* d) {
    std::optional<Json> def;
    if (d) def = Json(names[static_cast<std::size_t>(AsDefaults<S>(d)->*m)]);
    return Described(doc, EnumSchema(names), def);
  };
  return f;
}

template <typename S>
Field BoolField(std::string name, bool S::*m, std::string doc) {
  Field f{name};
  f.read = [m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadBool(c, n, p, path)) As<S>(o)->*m = *v;
  };
  f.schema = [m, doc](const void* d) {
    std::optional<Json> def;
    if (d) def = Json(AsDefaults<S>(d)->*m);
    return Described(doc, Json{{"type", "boolean"}}, def);
  };
  return f;
}

template <typename S>
Field StringField(std::string name, std::string S::*m, std::string doc,
                  std::string default_text = "") {
  Field f{name};
  f.read = [m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadString(c, n, p, path)) As<S>(o)->*m = *v;
  };
  f.schema = [doc, default_text](const void*) {
    return Described(doc, Json{{"type", "string"}}, std::nullopt, default_text);
  };
  return f;
}

template <typename S, typename T>
Field ObjectField(std::string name, T S::*m, ObjectSpec spec, std::string doc) {
  Field f{name};
  f.read = [m, spec](Ctx& c, const YAML::Node& n, Position p, const std::string& path,
                     void* o) { ReadObject(c, spec, n, p, path, &(As<S>(o)->*m)); };
  f.schema = [m, spec, doc](const void* d) {
    return Described(doc, ObjectSchema(spec, d ? &(AsDefaults<S>(d)->*m) : nullptr));
  };
  return f;
}

// --- Cross-referenced values -----------------------------------------------------

inline std::optional<std::string> ReadBankRef(Ctx& c, const YAML::Node& n, Position p,
                                       const std::string& path, bool allow_messenger) {
  std::optional<std::string> s = ReadString(c, n, p, path);
  if (!s) return std::nullopt;
  for (const std::string& id : c.bank_ids) {
    if (*s == id) return s;
  }
  if (allow_messenger && *s == "messenger") return s;
  std::vector<std::string> known = c.bank_ids;
  if (allow_messenger) known.push_back("messenger");
  c.Fail(p, path, "unknown bank " + Quote(*s) + "; expected one of: " + JoinNames(known));
  return std::nullopt;
}

template <typename S>
Field BankRefField(std::string name, std::string S::*m, std::string doc,
                   bool allow_messenger = false) {
  Field f{name};
  f.read = [m, allow_messenger](Ctx& c, const YAML::Node& n, Position p,
                                const std::string& path, void* o) {
    if (auto v = ReadBankRef(c, n, p, path, allow_messenger)) As<S>(o)->*m = *v;
  };
  f.schema = [doc](const void*) { return Described(doc, Json{{"type", "string"}}); };
  return f;
}

template <typename S>
Field OptionalBankRefField(std::string name, std::optional<std::string> S::*m,
                           std::string doc) {
  Field f{name};
  f.read = [m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadBankRef(c, n, p, path, false)) As<S>(o)->*m = *v;
  };
  f.schema = [doc](const void*) {
    return Described(doc, Json{{"type", "string"}}, std::nullopt, "every bank");
  };
  return f;
}

inline std::optional<mocks::ScopeSet> ReadScopes(Ctx& c, const YAML::Node& n, Position p,
                                          const std::string& path) {
  auto items = ListItems(c, n, p, path);
  if (!items) return std::nullopt;
  if (items->empty()) {
    c.Fail(p, path, "expected at least one scope (accounts, balances, transactions)");
    return std::nullopt;
  }
  mocks::ScopeSet set = 0;
  bool ok = true;
  const std::vector<std::string> names = {"accounts", "balances", "transactions"};
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Item& it = (*items)[i];
    std::string item_path = ItemPath(path, i);
    auto idx = ReadEnum(c, it.node, it.pos, item_path, names);
    if (!idx) {
      ok = false;
      continue;
    }
    auto bit = static_cast<mocks::ScopeSet>(1u << *idx);
    if (set & bit) {
      c.Fail(it.pos, item_path, "duplicate scope " + Quote(names[*idx]));
      ok = false;
    }
    set |= bit;
  }
  if (!ok) return std::nullopt;
  return set;
}

inline Json ScopesSchema() {
  return Json{{"type", "array"},
              {"minItems", 1},
              {"uniqueItems", true},
              {"items", EnumSchema({"accounts", "balances", "transactions"})}};
}

inline std::string ScopesText(mocks::ScopeSet set) {
  std::vector<std::string> names;
  const char* all[] = {"accounts", "balances", "transactions"};
  for (unsigned i = 0; i < 3; ++i) {
    if (set & (1u << i)) names.push_back(all[i]);
  }
  return "[" + JoinNames(names) + "]";
}


}  // namespace bpsim::harness::scenario_internal
