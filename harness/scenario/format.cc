// The scenario format as tables (DESIGN §5, docs/scenario-reference.md): one
// ObjectSpec per mapping, whose Fields read values into the typed structs and
// describe them in the JSON Schema, so the loader and the schema cannot drift.
// Defaults in the schema are read from default-constructed structs.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "harness/scenario/reader.h"
#include "harness/scenario/scenario.h"
#include "mocks/trace.h"

namespace bpsim::harness {
namespace {

using namespace scenario_internal;  // NOLINT: this file is the format's implementation

constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kI64Max = std::uint64_t(std::numeric_limits<std::int64_t>::max());

template <typename S>
S* As(void* p) { return static_cast<S*>(p); }
template <typename S>
const S* AsDefaults(const void* p) { return static_cast<const S*>(p); }

template <typename Array>
std::vector<std::string> Names(const Array& a) {
  return std::vector<std::string>(std::begin(a), std::end(a));
}

Json EnumSchema(const std::vector<std::string>& names) {
  return Json{{"type", "string"}, {"enum", names}};
}
Json NameSchema() { return Json{{"type", "string"}, {"pattern", "^[a-z0-9][a-z0-9_-]*$"}}; }

// --- Field builders ------------------------------------------------------------

// A key that must be written: its schema has no default, and says so.
Field Required(Field f) {
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

std::optional<std::string> ReadBankRef(Ctx& c, const YAML::Node& n, Position p,
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

std::optional<mocks::ScopeSet> ReadScopes(Ctx& c, const YAML::Node& n, Position p,
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

Json ScopesSchema() {
  return Json{{"type", "array"},
              {"minItems", 1},
              {"uniqueItems", true},
              {"items", EnumSchema({"accounts", "balances", "transactions"})}};
}

std::string ScopesText(mocks::ScopeSet set) {
  std::vector<std::string> names;
  const char* all[] = {"accounts", "balances", "transactions"};
  for (unsigned i = 0; i < 3; ++i) {
    if (set & (1u << i)) names.push_back(all[i]);
  }
  return "[" + JoinNames(names) + "]";
}

// --- World ---------------------------------------------------------------------

ObjectSpec LatencySpec() {
  using mocks::LatencyConfig;
  ObjectSpec s;
  s.fields = {
      DurationField("median", &LatencyConfig::median, DurationBound::kPositive,
                    "Median of the log-normal latency."),
      DurationField("p99", &LatencyConfig::p99, DurationBound::kPositive,
                    "99th percentile; must be >= median."),
  };
  s.post = [](Ctx& c, const std::vector<Pair>& pairs, Position pos, const std::string& path,
              void* o) {
    auto* l = As<LatencyConfig>(o);
    if (l->p99 >= l->median) return;
    Position at = pos;
    for (const Pair& p : pairs) {
      if (p.key == "p99") at = p.value_pos;
    }
    c.Fail(at, ChildPath(path, "p99"),
           "must be >= median (" + FormatDuration(l->median) + "), got " + FormatDuration(l->p99));
  };
  return s;
}

ObjectSpec RetrySpec() {
  using mocks::RetryConfig;
  ObjectSpec s;
  s.fields = {
      DurationField("initial", &RetryConfig::initial, DurationBound::kPositive,
                    "First retry delay; doubles on each attempt."),
      DurationField("max", &RetryConfig::max, DurationBound::kPositive,
                    "Longest delay between attempts; must be >= initial."),
  };
  s.post = [](Ctx& c, const std::vector<Pair>& pairs, Position pos, const std::string& path,
              void* o) {
    auto* r = As<RetryConfig>(o);
    if (r->max >= r->initial) return;
    Position at = pos;
    for (const Pair& p : pairs) {
      if (p.key == "max") at = p.value_pos;
    }
    c.Fail(at, ChildPath(path, "max"),
           "must be >= initial (" + FormatDuration(r->initial) + "), got " + FormatDuration(r->max));
  };
  return s;
}

ObjectSpec BankSpec() {
  using mocks::BankApiConfig;
  using mocks::BankConfig;
  using mocks::FraudConfig;
  using mocks::NetworkLinkConfig;
  using mocks::WebhookFaultConfig;
  ObjectSpec api;
  api.fields = {
      ObjectField("latency", &BankApiConfig::latency, LatencySpec(),
                  "Response latency of the bank's data API."),
      RateField("rate_limit", &BankApiConfig::rate_limit_per_s,
                "Requests per client (the platform) before 429, e.g. 50/s or 3000/m; 0 = unlimited."),
      NumberField("error_rate", &BankApiConfig::error_rate, NumberBound::kFraction,
                  "Fraction of requests answered 500."),
      EnumField("dialect", &BankApiConfig::dialect, {"obie", "berlin-group"},
                "API standard served in live mode: UK Open Banking (obie) or Berlin Group NextGenPSD2."),
      IntegerField("frequency_per_day", &BankApiConfig::frequency_per_day, 0, kU32Max,
                   "Berlin Group frequencyPerDay per consent; 0 = unlimited."),
  };
  ObjectSpec fraud;
  fraud.fields = {
      NumberField("detection_rate", &FraudConfig::detection_rate, NumberBound::kFraction,
                  "Fraction of fraudulent card transactions the engine flags."),
      NumberField("false_positive_rate", &FraudConfig::false_positive_rate,
                  NumberBound::kFraction, "Fraction of genuine card transactions flagged."),
      DurationField("detect_delay", &FraudConfig::detect_delay, DurationBound::kNonNegative,
                    "Time from transaction to detection."),
  };
  ObjectSpec faults;
  faults.fields = {
      NumberField("drop", &WebhookFaultConfig::drop, NumberBound::kFraction,
                  "Fraction of webhook attempts lost."),
      NumberField("duplicate", &WebhookFaultConfig::duplicate, NumberBound::kFraction,
                  "Fraction of webhooks delivered twice."),
      NumberField("reorder", &WebhookFaultConfig::reorder, NumberBound::kFraction,
                  "Fraction of webhooks overtaken by later ones."),
      ObjectField("delay", &WebhookFaultConfig::delay, LatencySpec(),
                  "Delivery delay of a webhook attempt."),
  };
  ObjectSpec link;
  link.fields = {
      NumberField("loss", &NetworkLinkConfig::loss, NumberBound::kFraction,
                  "Fraction of requests or responses lost on the link."),
      DurationField("timeout", &NetworkLinkConfig::timeout, DurationBound::kPositive,
                    "The platform's request timeout."),
  };
  ObjectSpec bank;
  Field id{"id", true};
  id.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadName(c, n, p, path)) As<BankConfig>(o)->id = *v;
  };
  id.schema = [](const void*) {
    return Described("Bank id, unique, used by customers.banks, timeline and patterns.",
                     NameSchema());
  };
  bank.fields = {
      Required(id),
      ObjectField("api", &BankConfig::api, api, "The bank's data API."),
      ObjectField("fraud", &BankConfig::fraud, fraud, "The bank's fraud engine."),
      ObjectField("webhook_retry", &BankConfig::webhook_retry, RetrySpec(),
                  "Retry schedule of the bank's webhooks (fraud alerts, revocations)."),
      ObjectField("webhook_faults", &BankConfig::webhook_faults, faults,
                  "Faults injected into webhook delivery."),
      ObjectField("link", &BankConfig::link, link, "The network link platform <-> bank."),
  };
  return bank;
}

Field BanksField() {
  Field f{"banks"};
  ObjectSpec bank = BankSpec();
  f.read = [bank](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* world = As<mocks::WorldConfig>(o);
    world->banks.clear();
    c.bank_ids.clear();
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    if (items->empty()) c.Fail(p, path, "expected at least one bank, got an empty list");
    std::vector<Position> first_pos;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      mocks::BankConfig b;
      std::size_t before = c.diags.size();
      auto pairs = ReadObject(c, bank, it.node, it.pos, ItemPath(path, i), &b);
      if (!pairs || b.id.empty()) continue;
      Position id_pos = it.pos;
      for (const Pair& pr : *pairs) {
        if (pr.key == "id") id_pos = pr.value_pos;
      }
      auto dup = std::find(c.bank_ids.begin(), c.bank_ids.end(), b.id);
      if (dup != c.bank_ids.end()) {
        c.Fail(id_pos, ChildPath(ItemPath(path, i), "id"),
               "duplicate bank id " + Quote(b.id) + " (first at line " +
                   std::to_string(first_pos[std::size_t(dup - c.bank_ids.begin())].line) + ")");
        continue;
      }
      c.bank_ids.push_back(b.id);
      first_pos.push_back(id_pos);
      if (c.diags.size() == before) world->banks.push_back(std::move(b));
    }
  };
  f.schema = [bank](const void*) {
    mocks::BankConfig defaults;
    return Described("The banks, at least one; ids unique.",
                     Json{{"type", "array"}, {"minItems", 1},
                          {"items", ObjectSchema(bank, &defaults)}},
                     std::nullopt, "one bank with id \"bank\" and every default");
  };
  return f;
}

Field CustomerBanksField() {
  Field f{"banks"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* customers = As<mocks::CustomersConfig>(o);
    auto pairs = MapPairs(c, n, p, path);
    if (!pairs) return;
    std::vector<std::pair<std::string, double>> shares;
    bool ok = true;
    double sum = 0;
    for (const Pair& pr : *pairs) {
      if (std::find(c.bank_ids.begin(), c.bank_ids.end(), pr.key) == c.bank_ids.end()) {
        c.Fail(pr.key_pos, path,
               "unknown bank " + Quote(pr.key) + "; expected one of: " + JoinNames(c.bank_ids));
        ok = false;
      }
      auto share = ReadNumber(c, pr.value, pr.value_pos, ChildPath(path, pr.key),
                              NumberBound::kFraction);
      if (!share) {
        ok = false;
        continue;
      }
      sum += *share;
      shares.emplace_back(pr.key, *share);
    }
    if (!ok) return;
    if (std::abs(sum - 1) > 1e-6) {
      c.Fail(p, path, "shares must sum to 1, got " + FormatNumber(sum));
      return;
    }
    customers->banks = std::move(shares);
  };
  f.schema = [](const void*) {
    return Described(
        "Share of customers at each bank, by bank id; every id known, shares in [0, 1] summing to 1.",
        Json{{"type", "object"},
             {"propertyNames", NameSchema()},
             {"additionalProperties", NumberSchema(NumberBound::kFraction)}},
        std::nullopt, "equal shares");
  };
  return f;
}

ObjectSpec CustomersSpec() {
  using mocks::AmountConfig;
  using mocks::ConsentBehaviour;
  using mocks::CustomerFraudConfig;
  using mocks::CustomersConfig;
  ObjectSpec amount;
  amount.fields = {
      IntegerField("median_cents", &AmountConfig::median_cents, 1, kI64Max,
                   "Median card amount in cents."),
      IntegerField("p99_cents", &AmountConfig::p99_cents, 1, kI64Max,
                   "99th percentile card amount in cents; must be >= median_cents."),
  };
  amount.post = [](Ctx& c, const std::vector<Pair>& pairs, Position pos,
                   const std::string& path, void* o) {
    auto* a = As<AmountConfig>(o);
    if (a->p99_cents >= a->median_cents) return;
    Position at = pos;
    for (const Pair& p : pairs) {
      if (p.key == "p99_cents") at = p.value_pos;
    }
    c.Fail(at, ChildPath(path, "p99_cents"),
           "must be >= median_cents (" + std::to_string(a->median_cents) + "), got " +
               std::to_string(a->p99_cents));
  };
  ObjectSpec consent;
  Field scopes{"scopes"};
  scopes.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadScopes(c, n, p, path)) As<ConsentBehaviour>(o)->scopes = *v;
  };
  scopes.schema = [](const void* d) {
    std::optional<Json> def;
    std::string text;
    if (d) {
      mocks::ScopeSet set = AsDefaults<ConsentBehaviour>(d)->scopes;
      Json names = Json::array();
      const char* all[] = {"accounts", "balances", "transactions"};
      for (unsigned i = 0; i < 3; ++i) {
        if (set & (1u << i)) names.push_back(all[i]);
      }
      def = names;
      text = ScopesText(set);
    }
    return Described("Scopes customers grant.", ScopesSchema(), def, text);
  };
  consent.fields = {
      NumberField("opt_in", &ConsentBehaviour::opt_in, NumberBound::kFraction,
                  "Fraction of customers who link their bank at the start."),
      scopes,
      DurationField("expiry", &ConsentBehaviour::expiry, DurationBound::kPositive,
                    "Lifetime of a consent."),
      NumberField("alerts_opt_in", &ConsentBehaviour::alerts_opt_in, NumberBound::kFraction,
                  "Fraction of consents that include the fraud_alerts purpose."),
      NumberField("reject", &ConsentBehaviour::reject, NumberBound::kFraction,
                  "Fraction of authorisations the customer rejects."),
      NumberField("revoke_per_year", &ConsentBehaviour::revoke_per_year,
                  NumberBound::kNonNegative, "Hazard of a later revocation, per year."),
      NumberField("revoke_via_messenger", &ConsentBehaviour::revoke_via_messenger,
                  NumberBound::kFraction, "Fraction of revocations made in the messenger."),
      NumberField("reconsent", &ConsentBehaviour::reconsent, NumberBound::kFraction,
                  "Chance a customer links again after revoking."),
      DurationField("authorise_delay", &ConsentBehaviour::authorise_delay,
                    DurationBound::kNonNegative, "Mean time to authorise at the bank."),
  };
  ObjectSpec fraud;
  fraud.fields = {
      NumberField("compromise_rate_per_year", &CustomerFraudConfig::compromise_rate_per_year,
                  NumberBound::kNonNegative, "Hazard of a card compromise, per customer-year."),
      NumberField("fraud_tx_per_day", &CustomerFraudConfig::fraud_tx_per_day,
                  NumberBound::kNonNegative,
                  "Card transactions per day by the fraudster once compromised."),
  };
  ObjectSpec s;
  s.fields = {
      IntegerField("count", &CustomersConfig::count, 1, 10'000'000,
                   "Number of synthetic customers."),
      CustomerBanksField(),
      NumberField("card_tx_per_day", &CustomersConfig::card_tx_per_day,
                  NumberBound::kNonNegative, "Card transactions per customer per day."),
      ObjectField("card_amount", &CustomersConfig::card_amount, amount,
                  "Log-normal card transaction amounts."),
      IntegerField("salary_cents", &CustomersConfig::salary_cents_median, 1, kI64Max,
                   "Median salary per payday, in cents."),
      DurationField("payday_every", &CustomersConfig::payday_every, DurationBound::kPositive,
                    "Time between paydays."),
      NumberField("balance_checks_per_day", &CustomersConfig::balance_checks_per_day,
                  NumberBound::kNonNegative, "Balance questions per customer per day."),
      NumberField("balance_checks_from_groups", &CustomersConfig::balance_checks_from_groups,
                  NumberBound::kFraction, "Fraction of balance questions asked in a group chat."),
      ObjectField("consent", &CustomersConfig::consent, consent, "Consent behaviour."),
      ObjectField("fraud", &CustomersConfig::fraud, fraud, "Card compromise."),
      IntegerField("friends", &CustomersConfig::friends, 0, kU32Max,
                   "Friends per customer in the friend graph."),
      IntegerField("group_chats", &CustomersConfig::group_chats, 0, kU32Max,
                   "Group chats per customer."),
  };
  return s;
}

Field PartnersField() {
  Field f{"partners"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    std::vector<std::string> names;
    bool ok = true;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      auto name = ReadName(c, it.node, it.pos, ItemPath(path, i));
      if (!name) {
        ok = false;
        continue;
      }
      if (std::find(names.begin(), names.end(), *name) != names.end()) {
        c.Fail(it.pos, ItemPath(path, i), "duplicate partner " + Quote(*name));
        ok = false;
        continue;
      }
      names.push_back(*name);
    }
    c.partners = names;
    if (ok) As<mocks::PlatformConfig>(o)->partners = names;
  };
  f.schema = [](const void* d) {
    std::optional<Json> def;
    if (d) def = Json(AsDefaults<mocks::PlatformConfig>(d)->partners);
    return Described("Third parties the platform knows (sinks partner:<name>).",
                     Json{{"type", "array"}, {"uniqueItems", true}, {"items", NameSchema()}},
                     def, d ? "[" + JoinNames(AsDefaults<mocks::PlatformConfig>(d)->partners) + "]"
                            : "");
  };
  return f;
}

ObjectSpec PlatformSpec() {
  using mocks::PlatformConfig;
  ObjectSpec s;
  s.fields = {
      DurationField("poll_interval", &PlatformConfig::poll_interval, DurationBound::kNonNegative,
                    "Time between background polls per linked customer; 0 = on demand only."),
      DurationField("cache_ttl", &PlatformConfig::cache_ttl, DurationBound::kPositive,
                    "How long cached bank data may be kept."),
      DurationField("cache_sweep_every", &PlatformConfig::cache_sweep_every,
                    DurationBound::kPositive, "Time between cache expiry sweeps."),
      ObjectField("alert_retry", &PlatformConfig::alert_retry, RetrySpec(),
                  "Retry schedule for fraud alerts that cannot be shown yet."),
      PartnersField(),
      DurationField("segment_job_every", &PlatformConfig::segment_job_every,
                    DurationBound::kPositive, "Time between ads-segment and partner-export jobs."),
  };
  return s;
}

ObjectSpec WorldSpecTable() {
  using mocks::WorldConfig;
  ObjectSpec s;
  s.fields = {
      BanksField(),
      ObjectField("customers", &WorldConfig::customers, CustomersSpec(),
                  "The synthetic customer population."),
      ObjectField("platform", &WorldConfig::platform, PlatformSpec(),
                  "The messenger platform's connector, cache and jobs."),
  };
  return s;
}

// --- Timeline --------------------------------------------------------------------

struct TimelineItem {
  SimTime at = 0;
  std::optional<mocks::TimelineAction> action;
};

template <typename Action>
Field ActionField(std::string name, ObjectSpec spec, std::string doc) {
  Field f{name};
  f.read = [spec](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    Action a;
    std::size_t before = c.diags.size();
    ReadObject(c, spec, n, p, path, &a);
    if (c.diags.size() == before) As<TimelineItem>(o)->action = a;
  };
  f.schema = [spec, doc](const void*) {
    Action defaults;
    return Described(doc, ObjectSchema(spec, &defaults));
  };
  return f;
}

ObjectSpec TimelineItemSpec() {
  using mocks::FraudWave;
  using mocks::GrantConsents;
  using mocks::Outage;
  using mocks::RevokeConsents;
  ObjectSpec revoke;
  revoke.fields = {
      Required(NumberField("fraction", &RevokeConsents::fraction, NumberBound::kFraction,
                           "Fraction of authorised consents to revoke.")),
      OptionalBankRefField("bank", &RevokeConsents::bank, "Only consents at this bank."),
      EnumField("via", &RevokeConsents::via, {"bank", "messenger"},
                "Where customers revoke: at the bank, or in the messenger."),
  };
  ObjectSpec grant;
  Field scopes{"scopes"};
  scopes.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadScopes(c, n, p, path)) As<GrantConsents>(o)->scopes = *v;
  };
  scopes.schema = [](const void*) {
    return Described("Scopes of the new consents.", ScopesSchema(), std::nullopt,
                     "world.customers.consent.scopes");
  };
  grant.fields = {
      Required(NumberField("fraction", &GrantConsents::fraction, NumberBound::kFraction,
                           "Fraction of unlinked customers who link now.")),
      OptionalBankRefField("bank", &GrantConsents::bank, "Only customers of this bank."),
      scopes,
  };
  ObjectSpec outage;
  outage.fields = {
      Required(BankRefField("target", &Outage::target, "A bank id, or messenger.", true)),
      Required(DurationField("for", &Outage::duration, DurationBound::kPositive,
                             "How long the outage lasts.")),
      EnumField("mode", &Outage::mode, {"unavailable", "slow", "errors", "partition"},
                "unavailable (503), slow (added latency), errors (500s), partition (no answer)."),
      ObjectField("latency", &Outage::latency, LatencySpec(),
                  "Mode slow only: the added latency."),
      NumberField("rate", &Outage::rate, NumberBound::kFraction,
                  "Mode errors only: the fraction of requests answered 500."),
  };
  outage.post = [](Ctx& c, const std::vector<Pair>& pairs, Position, const std::string& path,
                   void* o) {
    auto* out = As<Outage>(o);
    for (const Pair& p : pairs) {
      if (p.key == "latency" && out->mode != mocks::OutageMode::kSlow) {
        c.diags.Add(p.key_pos, ChildPath(path, "latency") + ": only allowed with mode slow, got mode " +
                                   std::string(mocks::OutageModeName(out->mode)));
      }
      if (p.key == "rate" && out->mode != mocks::OutageMode::kErrors) {
        c.diags.Add(p.key_pos, ChildPath(path, "rate") + ": only allowed with mode errors, got mode " +
                                   std::string(mocks::OutageModeName(out->mode)));
      }
    }
  };
  ObjectSpec wave;
  wave.fields = {
      Required(BankRefField("bank", &FraudWave::bank, "The bank whose cards are compromised.")),
      Required(IntegerField("cards", &FraudWave::cards, 1, kU32Max,
                            "Number of cards compromised at once.")),
  };
  ObjectSpec item;
  item.fields = {
      Required(DurationField("at", &TimelineItem::at, DurationBound::kNonNegative,
                             "When the action happens; must be before duration.")),
      ActionField<RevokeConsents>("revoke_consents", revoke, "Customers revoke consents."),
      ActionField<GrantConsents>("grant_consents", grant, "Customers link their bank."),
      ActionField<Outage>("outage", outage, "A bank or the messenger fails for a while."),
      ActionField<FraudWave>("fraud_wave", wave, "Many cards of one bank are compromised."),
  };
  item.exactly_one_of = {"revoke_consents", "grant_consents", "outage", "fraud_wave"};
  return item;
}

Field TimelineField() {
  Field f{"timeline"};
  ObjectSpec item = TimelineItemSpec();
  f.read = [item](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* spec = As<mocks::WorldSpec>(o);
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      TimelineItem t;
      std::size_t before = c.diags.size();
      auto pairs = ReadObject(c, item, it.node, it.pos, ItemPath(path, i), &t);
      if (!pairs || c.diags.size() != before || !t.action) continue;
      if (c.duration && t.at >= *c.duration) {
        Position at_pos = it.pos;
        for (const Pair& pr : *pairs) {
          if (pr.key == "at") at_pos = pr.value_pos;
        }
        c.Fail(at_pos, ChildPath(ItemPath(path, i), "at"),
               FormatDuration(t.at) + " is not before the end of the run (duration " +
                   FormatDuration(*c.duration) + ")");
        continue;
      }
      spec->timeline.push_back(mocks::TimelineEntry{t.at, *t.action, it.pos.line});
    }
    std::stable_sort(spec->timeline.begin(), spec->timeline.end(),
                     [](const mocks::TimelineEntry& a, const mocks::TimelineEntry& b) {
                       return a.at < b.at;
                     });
  };
  f.schema = [item](const void*) {
    TimelineItem defaults;
    return Described("Scheduled actions, each `at` plus exactly one action; any order.",
                     Json{{"type", "array"}, {"items", ObjectSchema(item, &defaults)}},
                     std::nullopt, "[]");
  };
  return f;
}

// --- Defects, invariants -----------------------------------------------------------

Field DefectsField() {
  Field f{"defects"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* spec = As<mocks::WorldSpec>(o);
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    std::vector<std::string> names = Names(mocks::kDefectNames);
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      std::string item_path = ItemPath(path, i);
      if (!it.node.IsScalar()) {
        c.Fail(it.pos, item_path, "expected a defect name, got " + KindOf(it.node));
        continue;
      }
      auto d = mocks::DefectFromName(it.node.Scalar());
      if (!d) {
        c.Fail(it.pos, item_path,
               "unknown defect " + Quote(it.node.Scalar()) + "; expected one of: " + JoinNames(names));
        continue;
      }
      if (spec->defects.has(*d)) {
        c.Fail(it.pos, item_path, "duplicate defect " + Quote(it.node.Scalar()));
        continue;
      }
      spec->defects.add(*d);
    }
  };
  f.schema = [](const void*) {
    return Described("Realistic bugs switched on in the mocks.",
                     Json{{"type", "array"},
                          {"uniqueItems", true},
                          {"items", EnumSchema(Names(mocks::kDefectNames))}},
                     std::nullopt, "[]");
  };
  return f;
}

ObjectSpec InvariantParamsSpec(const std::string& id) {
  ObjectSpec s;
  if (id == "revocation-honoured") {
    s.fields = {
        DurationField("grace", &InvariantConfig::grace, DurationBound::kNonNegative,
                      "Requests allowed this long after the platform learns of a revocation."),
        DurationField("purge_within", &InvariantConfig::purge_within,
                      DurationBound::kNonNegative,
                      "Cached data under the consent must be purged within this."),
    };
  } else if (id == "retention-limit") {
    s.fields = {DurationField("slack", &InvariantConfig::slack, DurationBound::kNonNegative,
                              "Allowed lateness past put time + cache_ttl.")};
  } else if (id == "fraud-alert-delivery") {
    s.fields = {
        DurationField("p99", &InvariantConfig::p99, DurationBound::kPositive,
                      "Bound on the 99th percentile of detection-to-display latency."),
        IntegerField("lost", &InvariantConfig::lost, 0, kU64Max,
                     "Alerts allowed never to be displayed."),
    };
  }
  s.no_keys_note = id + " takes no parameters";
  return s;
}

Field InvariantsField() {
  Field f{"invariants"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* scenario = As<Scenario>(o);
    scenario->invariants.clear();
    c.invariant_ids.clear();
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    std::vector<std::string> ids = Names(kInvariantIds);
    std::vector<int> first_line;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      std::string item_path = ItemPath(path, i);
      std::string name;
      YAML::Node params;
      Position params_pos = it.pos;
      if (it.node.IsScalar()) {
        name = it.node.Scalar();
      } else if (it.node.IsMap() && it.node.size() == 1) {
        auto pairs = MapPairs(c, it.node, it.pos, item_path);
        if (!pairs || pairs->empty()) continue;
        name = (*pairs)[0].key;
        params = (*pairs)[0].value;
        params_pos = (*pairs)[0].value_pos;
      } else {
        c.Fail(it.pos, item_path,
               "expected an invariant name or {name: {parameters}}, got " + KindOf(it.node) +
                   (it.node.IsMap() ? " with " + std::to_string(it.node.size()) + " keys" : ""));
        continue;
      }
      if (std::find(ids.begin(), ids.end(), name) == ids.end()) {
        c.Fail(it.pos, item_path,
               "unknown invariant " + Quote(name) + "; expected one of: " + JoinNames(ids));
        continue;
      }
      auto dup = std::find(c.invariant_ids.begin(), c.invariant_ids.end(), name);
      if (dup != c.invariant_ids.end()) {
        c.Fail(it.pos, item_path,
               "duplicate invariant " + Quote(name) + " (first at line " +
                   std::to_string(first_line[std::size_t(dup - c.invariant_ids.begin())]) + ")");
        continue;
      }
      InvariantConfig inv;
      inv.id = name;
      inv.line = it.pos.line;
      std::size_t before = c.diags.size();
      ReadObject(c, InvariantParamsSpec(name), params, params_pos, ChildPath(item_path, name),
                 &inv, /*allow_null=*/true);
      c.invariant_ids.push_back(name);
      first_line.push_back(it.pos.line);
      if (c.diags.size() == before) scenario->invariants.push_back(inv);
    }
  };
  f.schema = [](const void*) {
    Json with_params = Json::object();
    InvariantConfig defaults;
    for (const char* id : kInvariantIds) {
      Json params = ObjectSchema(InvariantParamsSpec(id), &defaults);
      with_params[id] = Json{{"anyOf", Json::array({Json{{"type", "null"}}, params})}};
    }
    Json item{{"anyOf", Json::array({EnumSchema(Names(kInvariantIds)),
                                     Json{{"type", "object"},
                                          {"minProperties", 1},
                                          {"maxProperties", 1},
                                          {"additionalProperties", false},
                                          {"properties", with_params}}})}};
    return Described(
        "Built-in invariants to check: a name, or {name: {parameters}}. Written: exactly these.",
        Json{{"type", "array"}, {"items", item}}, std::nullopt,
        "all nine built-ins with default parameters");
  };
  return f;
}

// --- Patterns and rules --------------------------------------------------------------

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

const std::vector<std::string> kReasonNames = {
    "poll",        "on_demand",       "retry",      "fraud",        "false_positive",
    "fraud_alert", "consent_revoked", "ttl",        "revocation",   "expiry",
    "replaced",    "answered",        "not_linked", "unavailable",  "redirected_to_private",
    "bank",        "messenger",       "slow",       "errors",       "partition",
    "consent_inactive", "scope",      "wrong_subject", "no_token",  "rate_limited",
    "outage",      "error",           "timeout"};

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

template <typename S>
Field PatternField(std::string name, Pattern S::*m, std::string doc) {
  Field f{name};
  f.read = [m](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadPattern(c, n, p, path)) As<S>(o)->*m = *v;
  };
  f.schema = [doc](const void*) { return Described(doc, PatternSchemaRef()); };
  return f;
}

Field KeyField() {
  Field f{"key"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    std::vector<std::string> names = Names(kPatternFields);
    if (auto idx = ReadEnum(c, n, p, path, names)) As<Rule>(o)->key = names[*idx];
  };
  f.schema = [](const void*) {
    return Described("The field whose value must be equal in trigger and response.",
                     EnumSchema(Names(kPatternFields)), std::nullopt, "none");
  };
  return f;
}

// A rule kind: a mapping whose keys fill the Rule itself.
Field RuleKindField(std::string name, Rule::Kind kind, ObjectSpec spec, std::string doc) {
  Field f{name};
  f.read = [kind, spec](Ctx& c, const YAML::Node& n, Position p, const std::string& path,
                        void* o) {
    As<Rule>(o)->kind = kind;
    ReadObject(c, spec, n, p, path, o);
  };
  f.schema = [spec, doc](const void* d) { return Described(doc, ObjectSchema(spec, d)); };
  return f;
}

ObjectSpec RuleSpec() {
  Field id{"id", true};
  id.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (auto v = ReadName(c, n, p, path)) As<Rule>(o)->id = *v;
  };
  id.schema = [](const void*) {
    return Described("Rule id, unique, distinct from the built-in invariant ids.", NameSchema());
  };
  Field never{"never"};
  never.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    As<Rule>(o)->kind = Rule::Kind::kNever;
    if (auto v = ReadPattern(c, n, p, path)) As<Rule>(o)->trigger = *v;
  };
  never.schema = [](const void*) {
    return Described("Absence: no entry may match this pattern.", PatternSchemaRef());
  };
  ObjectSpec within;
  within.fields = {
      Required(PatternField("trigger", &Rule::trigger, "The entry that starts the clock.")),
      Required(PatternField("response", &Rule::response, "The entry that must follow.")),
      Required(DurationField("max", &Rule::max, DurationBound::kPositive,
                             "Longest allowed time from trigger to response.")),
      KeyField(),
  };
  ObjectSpec after;
  after.fields = {
      Required(PatternField("trigger", &Rule::trigger, "The entry after which `forbid` must not occur.")),
      Required(PatternField("forbid", &Rule::response, "The pattern that must not occur after a trigger (with the same `key` value, if set).")),
      KeyField(),
  };
  ObjectSpec rule;
  rule.fields = {
      Required(id),
      never,
      RuleKindField("within", Rule::Kind::kWithin, within,
                    "Response: every trigger is followed by a response within max."),
      RuleKindField("after", Rule::Kind::kAfter, after,
                    "Precedence: after a trigger, the forbidden pattern never occurs."),
  };
  rule.exactly_one_of = {"never", "within", "after"};
  return rule;
}

Field RulesField() {
  Field f{"rules"};
  ObjectSpec spec = RuleSpec();
  f.read = [spec](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* scenario = As<Scenario>(o);
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    std::vector<int> first_line;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      std::string item_path = ItemPath(path, i);
      Rule r;
      r.line = it.pos.line;
      std::size_t before = c.diags.size();
      auto pairs = ReadObject(c, spec, it.node, it.pos, item_path, &r);
      if (!pairs || r.id.empty()) continue;
      Position id_pos = it.pos;
      for (const Pair& pr : *pairs) {
        if (pr.key == "id") id_pos = pr.value_pos;
      }
      std::vector<std::string> builtin = Names(kInvariantIds);
      if (std::find(builtin.begin(), builtin.end(), r.id) != builtin.end()) {
        c.Fail(id_pos, ChildPath(item_path, "id"),
               Quote(r.id) + " is the id of a built-in invariant; choose another rule id");
        continue;
      }
      auto dup = std::find(c.rule_ids.begin(), c.rule_ids.end(), r.id);
      if (dup != c.rule_ids.end()) {
        c.Fail(id_pos, ChildPath(item_path, "id"),
               "duplicate rule id " + Quote(r.id) + " (first at line " +
                   std::to_string(first_line[std::size_t(dup - c.rule_ids.begin())]) + ")");
        continue;
      }
      c.rule_ids.push_back(r.id);
      first_line.push_back(it.pos.line);
      if (c.diags.size() == before) scenario->rules.push_back(std::move(r));
    }
  };
  f.schema = [spec](const void*) {
    Rule defaults;
    return Described("User rules over the trace: never, within or after (DESIGN §6).",
                     Json{{"type", "array"}, {"items", ObjectSchema(spec, &defaults)}},
                     std::nullopt, "[]");
  };
  return f;
}

// --- Expectations --------------------------------------------------------------------

Field VerdictField() {
  Field f{"verdict"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* e = As<Expectation>(o);
    if (auto v = ReadEnum(c, n, p, path, {"pass", "fail"})) {
      e->verdict = *v == 0 ? Expectation::Verdict::kPass : Expectation::Verdict::kFail;
      e->verdict_written = true;
    }
  };
  f.schema = [](const void*) {
    return Described("The expected verdict; must agree with violations.",
                     EnumSchema({"pass", "fail"}), std::nullopt,
                     "fail if violations is non-empty, else pass");
  };
  return f;
}

Field ViolationsField() {
  Field f{"violations"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* e = As<Expectation>(o);
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    std::vector<std::string> known = c.invariant_ids;
    known.insert(known.end(), c.rule_ids.begin(), c.rule_ids.end());
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      std::string item_path = ItemPath(path, i);
      auto id = ReadString(c, it.node, it.pos, item_path);
      if (!id) continue;
      if (std::find(known.begin(), known.end(), *id) == known.end()) {
        c.Fail(it.pos, item_path,
               Quote(*id) + " is not an enabled invariant or a rule of this scenario; expected one of: " +
                   (known.empty() ? std::string("(none)") : JoinNames(known)));
        continue;
      }
      if (std::find(e->violations.begin(), e->violations.end(), *id) != e->violations.end()) {
        c.Fail(it.pos, item_path, "duplicate id " + Quote(*id));
        continue;
      }
      e->violations.push_back(*id);
    }
  };
  f.schema = [](const void*) {
    return Described("Exactly the invariant and rule ids that must fire.",
                     Json{{"type", "array"}, {"uniqueItems", true}, {"items", {{"type", "string"}}}},
                     std::nullopt, "[]");
  };
  return f;
}

std::optional<double> ReadMetricBound(Ctx& c, const std::string& metric, const YAML::Node& n,
                                      Position p, const std::string& path) {
  if (!IsDurationMetric(metric)) return ReadNumber(c, n, p, path, NumberBound::kAny);
  double d;
  if (IsPlainScalar(n) && ParseNumber(n.Scalar(), &d) != NumberParse::kNotNumber) {
    return ReadNumber(c, n, p, path, NumberBound::kNonNegative);
  }
  if (auto t = ReadDuration(c, n, p, path, DurationBound::kNonNegative)) return ToSeconds(*t);
  return std::nullopt;
}

Field MetricsField() {
  Field f{"metrics"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* e = As<Expectation>(o);
    auto pairs = MapPairs(c, n, p, path);
    if (!pairs) return;
    std::vector<std::string> names = Names(kMetricNames);
    for (const Pair& pr : *pairs) {
      if (std::find(names.begin(), names.end(), pr.key) == names.end()) {
        c.diags.Add(pr.key_pos, "unknown metric " + Quote(pr.key) + " in " + path +
                                    "; expected one of: " + JoinNames(names));
        continue;
      }
      std::string metric_path = ChildPath(path, pr.key);
      auto bounds = MapPairs(c, pr.value, pr.value_pos, metric_path);
      if (!bounds) continue;
      MetricBound mb;
      mb.metric = pr.key;
      mb.line = pr.key_pos.line;
      bool ok = true;
      for (const Pair& b : *bounds) {
        if (b.key != "min" && b.key != "max") {
          c.diags.Add(b.key_pos, "unknown key " + Quote(b.key) + " in " + metric_path +
                                     "; expected one of: min, max");
          ok = false;
          continue;
        }
        auto v = ReadMetricBound(c, pr.key, b.value, b.value_pos, ChildPath(metric_path, b.key));
        if (!v) {
          ok = false;
          continue;
        }
        (b.key == "min" ? mb.min : mb.max) = *v;
      }
      if (!ok) continue;
      if (!mb.min && !mb.max) {
        c.Fail(pr.value_pos, metric_path, "expected at least one of: min, max");
        continue;
      }
      if (mb.min && mb.max && *mb.min > *mb.max) {
        c.Fail(pr.value_pos, metric_path,
               "min (" + FormatNumber(*mb.min) + ") is greater than max (" +
                   FormatNumber(*mb.max) + ")");
        continue;
      }
      e->metrics.push_back(mb);
    }
  };
  f.schema = [](const void*) {
    Json props = Json::object();
    for (const char* m : kMetricNames) {
      Json bound = IsDurationMetric(m)
                       ? Json{{"anyOf", Json::array({NumberSchema(NumberBound::kNonNegative),
                                                     DurationSchema(DurationBound::kNonNegative)})}}
                       : NumberSchema(NumberBound::kAny);
      props[m] = Json{{"type", "object"},
                      {"additionalProperties", false},
                      {"minProperties", 1},
                      {"properties", {{"min", bound}, {"max", bound}}}};
    }
    return Described(
        "Bounds on metrics, {min, max} (at least one); duration metrics take durations or seconds.",
        Json{{"type", "object"}, {"additionalProperties", false}, {"properties", props}},
        std::nullopt, "{}");
  };
  return f;
}

Field SometimesField() {
  Field f{"sometimes"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* e = As<Expectation>(o);
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    std::vector<std::string> situations = Names(kSituationNames);
    const std::vector<std::string>& types = EntryTypeNames();
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& it = (*items)[i];
      std::string item_path = ItemPath(path, i);
      Situation s;
      s.line = it.pos.line;
      if (it.node.IsScalar()) {
        const std::string& name = it.node.Scalar();
        if (std::find(situations.begin(), situations.end(), name) != situations.end()) {
          s.name = name;
          e->sometimes.push_back(s);
          continue;
        }
        if (name != "*" && std::find(types.begin(), types.end(), name) == types.end()) {
          c.Fail(it.pos, item_path,
                 "unknown situation " + Quote(name) + "; expected a pattern or one of: " +
                     JoinNames(situations));
          continue;
        }
      }
      if (auto pattern = ReadPattern(c, it.node, it.pos, item_path)) {
        s.pattern = *pattern;
        e->sometimes.push_back(s);
      }
    }
  };
  f.schema = [](const void*) {
    Json item{{"anyOf", Json::array({EnumSchema(Names(kSituationNames)), PatternSchemaRef()})}};
    return Described("Situations the run must exercise at least once: built-in names or patterns.",
                     Json{{"type", "array"}, {"items", item}}, std::nullopt, "[]");
  };
  return f;
}

ObjectSpec ExpectSpec() {
  ObjectSpec s;
  s.fields = {VerdictField(), ViolationsField(), MetricsField(), SometimesField()};
  s.post = [](Ctx& c, const std::vector<Pair>& pairs, Position pos, const std::string& path,
              void* o) {
    auto* e = As<Expectation>(o);
    bool fails = !e->violations.empty();
    if (!e->verdict_written) {
      e->verdict = fails ? Expectation::Verdict::kFail : Expectation::Verdict::kPass;
      return;
    }
    bool says_fail = e->verdict == Expectation::Verdict::kFail;
    if (says_fail == fails) return;
    Position at = pos;
    for (const Pair& p : pairs) {
      if (p.key == "verdict") at = p.value_pos;
    }
    c.Fail(at, ChildPath(path, "verdict"),
           says_fail ? "'fail' contradicts expect.violations, which is empty; a failing "
                       "scenario names the invariants or rules that fire"
                     : "'pass' contradicts expect.violations, which names " +
                           JoinNames(e->violations) + "; expected fail");
  };
  return s;
}

// --- The whole scenario -------------------------------------------------------------

ObjectSpec TopSpec() {
  Field id{"scenario"};
  id.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto v = ReadString(c, n, p, path);
    if (!v) return;
    if (v->empty()) {
      c.Fail(p, path, "expected a non-empty id, got an empty string");
      return;
    }
    As<Scenario>(o)->id = *v;
  };
  id.schema = [](const void*) {
    return Described("Scenario id, e.g. consent/revocation-during-outage.",
                     Json{{"type", "string"}, {"minLength", 1}}, std::nullopt,
                     "the file path without .yaml, relative to the nearest enclosing scenarios/ directory");
  };
  Field tags{"tags"};
  tags.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto items = ListItems(c, n, p, path);
    if (!items) return;
    for (std::size_t i = 0; i < items->size(); ++i) {
      if (auto t = ReadString(c, (*items)[i].node, (*items)[i].pos, ItemPath(path, i))) {
        As<Scenario>(o)->tags.push_back(*t);
      }
    }
  };
  tags.schema = [](const void*) {
    return Described("Free-form tags for bpsim list and filtering.",
                     Json{{"type", "array"}, {"items", {{"type", "string"}}}}, std::nullopt, "[]");
  };
  Field duration = DurationField("duration", &mocks::WorldSpec::duration,
                                 DurationBound::kPositive,
                                 "Simulated time during which customers act and faults happen.");
  ReadFn read_duration = duration.read;
  duration.read = [read_duration](Ctx& c, const YAML::Node& n, Position p,
                                  const std::string& path, void* o) {
    std::size_t before = c.diags.size();
    read_duration(c, n, p, path, o);
    c.duration = c.diags.size() == before ? std::optional(As<mocks::WorldSpec>(o)->duration)
                                          : std::nullopt;
  };
  ObjectSpec s;
  s.fields = {
      id,
      StringField("description", &Scenario::description, "One or two sentences: what this scenario shows.",
                  "\"\""),
      tags,
      Lift(IntegerField("seed", &mocks::WorldSpec::seed, 0, kU64Max,
                        "Root seed; a run is a pure function of (scenario, seed)."),
           &Scenario::spec),
      Lift(duration, &Scenario::spec),
      Lift(DurationField("drain", &mocks::WorldSpec::drain, DurationBound::kNonNegative,
                         "Quiet phase after duration: in-flight work completes, liveness is judged."),
           &Scenario::spec),
      Lift(ObjectField("world", &mocks::WorldSpec::world, WorldSpecTable(),
                       "The parties: banks, customers, platform."),
           &Scenario::spec),
      Lift(TimelineField(), &Scenario::spec),
      Lift(DefectsField(), &Scenario::spec),
      InvariantsField(),
      RulesField(),
      ObjectField("expect", &Scenario::expect, ExpectSpec(),
                  "What the run must show; without it, a pass with no violations."),
  };
  return s;
}

const ObjectSpec& Top() {
  static const ObjectSpec spec = TopSpec();
  return spec;
}

std::string DefaultId(const std::string& path) {
  std::string id = path;
  if (id.size() > 5 && id.compare(id.size() - 5, 5, ".yaml") == 0) id.resize(id.size() - 5);
  const std::string dir = "scenarios/";
  for (std::size_t at = id.rfind(dir); at != std::string::npos;
       at = at == 0 ? std::string::npos : id.rfind(dir, at - 1)) {
    if (at == 0 || id[at - 1] == '/') return id.substr(at + dir.size());
  }
  return id;
}

// Measures the document from parser events before any tree is built: nesting depth,
// and the number of nodes the tree has once every alias is expanded (an alias counts
// as the whole subtree it names), so an alias bomb is refused in linear time.
class ExpansionLimits : public YAML::EventHandler {
 public:
  struct Exceeded {
    Position pos;
    std::string message;
  };

  void OnDocumentStart(const YAML::Mark&) override { sizes_.clear(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(mark, anchor < sizes_.size() && sizes_[anchor] > 0 ? sizes_[anchor] : 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    std::size_t nodes;
  };
  static Position PosOf(const YAML::Mark& m) { return {m.line + 1, m.column + 1}; }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Record(anchor, 1);
    Add(mark, 1);
  }
  void Record(YAML::anchor_t anchor, std::size_t nodes) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= sizes_.size()) sizes_.resize(anchor + 1, 0);
    sizes_[anchor] = nodes;
  }
  void Add(const YAML::Mark& mark, std::size_t nodes) {
    total_ = std::min(total_ + nodes, kMaxNodes + 1);
    if (!stack_.empty()) stack_.back().nodes = std::min(stack_.back().nodes + nodes, kMaxNodes + 1);
    if (total_ > kMaxNodes) {
      throw Exceeded{PosOf(mark), "the document expands to more than " + std::to_string(kMaxNodes) +
                                      " nodes (each use of an alias counts); refusing to load it"};
    }
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (int(stack_.size()) + 1 > kMaxNestingDepth) {
      throw Exceeded{PosOf(mark), "nesting deeper than " + std::to_string(kMaxNestingDepth) +
                                      " levels; a scenario never needs more"};
    }
    Add(mark, 1);
    stack_.push_back(Frame{anchor, 1});
  }
  void Close() {
    Frame f = stack_.back();
    stack_.pop_back();
    Record(f.anchor, f.nodes);
    if (!stack_.empty()) {
      // The frame's own nodes were already added to the total as they arrived.
      stack_.back().nodes = std::min(stack_.back().nodes + f.nodes - 1, kMaxNodes + 1);
    }
  }

  std::vector<Frame> stack_;
  // Expanded size by anchor id (yaml-cpp numbers a document's anchors 1, 2, ...).
  std::vector<std::size_t> sizes_;
  std::size_t total_ = 0;
};

std::string SizeMessage(std::uint64_t bytes) {
  return "scenario is " + std::to_string(bytes) + " bytes; the limit is " +
         std::to_string(kMaxScenarioBytes) + " bytes (16 MiB)";
}

}  // namespace

bool IsDurationMetric(std::string_view name) {
  return name == "fraud_alert_latency_p50" || name == "fraud_alert_latency_p99" ||
         name == "fraud_alert_latency_max" || name == "wall_seconds";
}

Result<Scenario> ParseScenario(const std::string& text, const std::string& path) {
  Diagnostics diags;
  if (auto problem = CheckScenarioText(text)) {
    diags.Add(problem->pos, problem->message);
    return Error{diags.Render(path)};
  }
  std::vector<YAML::Node> docs;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    ExpansionLimits limits;
    while (parser.HandleNextDocument(limits)) {
    }
    docs = YAML::LoadAll(text);
  } catch (const ExpansionLimits::Exceeded& e) {
    diags.Add(e.pos, e.message);
    return Error{diags.Render(path)};
  } catch (const YAML::DeepRecursion& e) {
    diags.Add({e.mark.line + 1, e.mark.column + 1},
              "nesting deeper than the YAML parser allows; a scenario never needs more than " +
                  std::to_string(kMaxNestingDepth) + " levels");
    return Error{diags.Render(path)};
  } catch (const YAML::Exception& e) {
    Position pos = e.mark.is_null() ? Position{1, 1} : Position{e.mark.line + 1, e.mark.column + 1};
    diags.Add(pos, "YAML syntax error: " + e.msg);
    return Error{diags.Render(path)};
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].IsNull())) {
    diags.Add({1, 1}, "empty scenario; expected a mapping with keys such as scenario, duration, world");
    return Error{diags.Render(path)};
  }
  if (docs.size() > 1) {
    diags.Add(PosOf(docs[1], {1, 1}),
              "a scenario file holds one YAML document; found " + std::to_string(docs.size()));
    return Error{diags.Render(path)};
  }
  const YAML::Node& root = docs[0];
  if (!root.IsMap()) {
    diags.Add(PosOf(root, {1, 1}),
              "expected a mapping with keys such as scenario, duration, world at the top level, got " +
                  KindOf(root));
    return Error{diags.Render(path)};
  }

  Ctx c;
  c.invariant_ids = Names(kInvariantIds);
  Scenario scenario;
  scenario.file = path;
  scenario.id = DefaultId(path);
  for (const char* id : kInvariantIds) {
    InvariantConfig inv;
    inv.id = id;
    scenario.invariants.push_back(inv);
  }
  try {
    ReadObject(c, Top(), root, PosOf(root, {1, 1}), "", &scenario);
  } catch (const YAML::Exception& e) {
    c.diags.Add({e.mark.line + 1, e.mark.column + 1}, std::string("internal error reading YAML: ") + e.what());
  }
  if (!c.diags.empty()) return Error{c.diags.Render(path)};
  if (scenario.spec.world.banks.empty()) {
    mocks::BankConfig bank;
    bank.id = "bank";
    scenario.spec.world.banks.push_back(bank);
  }
  return scenario;
}

Result<Scenario> LoadScenario(const std::string& path) {
  auto cannot_read = [&](int err) {
    return Error{path + ": cannot read: " + std::strerror(err)};
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cannot_read(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return cannot_read(err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return cannot_read(EISDIR);
  }
  if (S_ISREG(st.st_mode) && std::uint64_t(st.st_size) > kMaxScenarioBytes) {
    ::close(fd);
    return Error{path + ": " + SizeMessage(std::uint64_t(st.st_size))};
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return cannot_read(err);
    }
    if (n == 0) break;
    text.append(buf, std::size_t(n));
    if (text.size() > kMaxScenarioBytes) {  // a pipe or a file that grew
      ::close(fd);
      return Error{path + ": " + SizeMessage(text.size()) + " or more"};
    }
  }
  ::close(fd);
  return ParseScenario(text, path);
}

std::string ScenarioJsonSchema() {
  Scenario defaults;
  Json schema = Json::object();
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  schema["$id"] = "https://bpsim.dev/schema/scenario.schema.json";
  schema["title"] = "bpsim scenario";
  schema["description"] =
      "One bpsim scenario (DESIGN §5; docs/scenario-reference.md). Generated by `bpsim schema` "
      "from the loader's own tables.";
  Json body = ObjectSchema(Top(), &defaults);
  for (auto it = body.begin(); it != body.end(); ++it) schema[it.key()] = it.value();
  schema["$defs"] = Json{{"pattern", PatternSchema()}, {"pattern_fields", PatternFieldsSchema()}};
  return schema.dump(2) + "\n";
}

}  // namespace bpsim::harness
