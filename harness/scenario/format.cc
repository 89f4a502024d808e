// The scenario format as tables (docs/scenario-reference.md): one
// ObjectSpec per mapping, whose Fields read values into the typed structs and
// describe them in the JSON Schema, so the loader and the schema cannot drift.
// Defaults in the schema are read from default-constructed structs.

#include "harness/scenario/format.h"

#include <algorithm>
#include <cmath>

#include "harness/invariants/metrics.h"
#include "harness/scenario/fields.h"
#include "harness/scenario/pattern.h"
#include "harness/scenario/scenario.h"
#include "mocks/trace.h"

namespace bpsim::harness::scenario_internal {
namespace {

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

ObjectSpec ClockSpec() {
  using mocks::ClockConfig;
  Field offset{"offset"};
  offset.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    // A signed duration: "-30m" is behind the true time, "2m" ahead.
    const bool behind = n.IsScalar() && !n.Scalar().empty() && n.Scalar()[0] == '-';
    const YAML::Node magnitude = behind ? YAML::Node(n.Scalar().substr(1)) : n;
    if (auto v = ReadDuration(c, magnitude, p, path, DurationBound::kNonNegative)) {
      As<ClockConfig>(o)->offset = behind ? -*v : *v;
    }
  };
  offset.schema = [](const void* d) {
    Json s{{"type", "string"},
           {"pattern", "^(-?(0|([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|ms|s|m|h|d)))$"}};
    std::optional<Json> def;
    if (d) {
      const SimTime v = AsDefaults<ClockConfig>(d)->offset;
      def = Json(v < 0 ? "-" + FormatDuration(-v) : FormatDuration(v));
    }
    return Described("How far the clock reads ahead of the true time; a leading - is behind, "
                     "e.g. -30m.",
                     Json{{"anyOf", Json::array({s, Json{{"const", 0}}})}}, def);
  };
  ObjectSpec s;
  s.fields = {
      offset,
      NumberField("drift_ppm", &ClockConfig::drift_ppm, NumberBound::kAny,
                  "How fast the clock gains on the true time, in parts per million (negative: "
                  "it loses); between -1000 and 1000."),
  };
  s.post = [](Ctx& c, const std::vector<Pair>& pairs, Position pos, const std::string& path,
              void* o) {
    const double drift = As<ClockConfig>(o)->drift_ppm;
    if (drift >= -1000 && drift <= 1000) return;
    Position at = pos;
    for (const Pair& p : pairs) {
      if (p.key == "drift_ppm") at = p.value_pos;
    }
    c.Fail(at, ChildPath(path, "drift_ppm"),
           "expected a number between -1000 and 1000, got " + FormatNumber(drift));
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
      EnumField("dialect", &BankApiConfig::dialect, {"obie", "berlin-group", "plaid"},
                "API served in live mode: UK Open Banking (obie), Berlin Group NextGenPSD2, "
                "or the Plaid API (plaid)."),
      IntegerField("frequency_per_day", &BankApiConfig::frequency_per_day, 0, kU32Max,
                   "Berlin Group frequencyPerDay per consent; 0 = unlimited."),
      DurationField("max_consent_life", &BankApiConfig::max_consent_life,
                    DurationBound::kPositive,
                    "Live mode: the longest validity the bank grants a consent; a longer "
                    "validUntil / ExpirationDateTime (or none) is clamped to it."),
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
      ObjectField("clock", &BankConfig::clock, ClockSpec(),
                  "The bank's own clock, by which it judges consents' expiry (docs/world.md, "
                  "\"Clocks\")."),
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
                  NumberBound::kPerDay,
                  "Card transactions per day by the fraudster once compromised."),
  };
  ObjectSpec s;
  s.fields = {
      IntegerField("count", &CustomersConfig::count, 1, 10'000'000,
                   "Number of synthetic customers."),
      CustomerBanksField(),
      NumberField("card_tx_per_day", &CustomersConfig::card_tx_per_day, NumberBound::kPerDay,
                  "Card transactions per customer per day."),
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
                    "How long the platform keeps a cached item (its own setting; it is "
                    "judged by the retention-limit invariant's max)."),
      DurationField("cache_sweep_every", &PlatformConfig::cache_sweep_every,
                    DurationBound::kPositive, "Time between cache expiry sweeps."),
      ObjectField("alert_retry", &PlatformConfig::alert_retry, RetrySpec(),
                  "Retry schedule for fraud alerts that cannot be shown yet."),
      PartnersField(),
      DurationField("segment_job_every", &PlatformConfig::segment_job_every,
                    DurationBound::kPositive, "Time between ads-segment and partner-export jobs."),
      ObjectField("clock", &PlatformConfig::clock, ClockSpec(),
                  "The platform's own clock, by which it judges consents' expiry and its "
                  "cache's TTL (docs/world.md, \"Clocks\")."),
      DurationField("expiry_margin", &PlatformConfig::expiry_margin, DurationBound::kNonNegative,
                    "The platform stops using a consent this long before its expiry by its own "
                    "clock: at least how far that clock may be behind the true time."),
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

Field CrashTargetField() {
  Field f{"target"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    std::optional<std::string> s = ReadString(c, n, p, path);
    if (!s) return;
    std::vector<std::string> known = c.bank_ids;
    known.push_back("platform");
    known.push_back("messenger");
    if (std::find(known.begin(), known.end(), *s) == known.end()) {
      c.Fail(p, path, "unknown target " + Quote(*s) + "; expected one of: " + JoinNames(known));
      return;
    }
    As<mocks::Crash>(o)->target = *s;
  };
  f.schema = [](const void*) {
    return Described("What crashes: a bank id, platform (the messenger platform's backend) or "
                     "messenger (its chat service).",
                     Json{{"type", "string"}});
  };
  return f;
}

ObjectSpec TimelineItemSpec() {
  using mocks::Crash;
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
  ObjectSpec crash;
  crash.fields = {
      Required(CrashTargetField()),
      DurationField("down", &Crash::down, DurationBound::kPositive,
                    "How long the process is down before it restarts."),
  };
  ObjectSpec item;
  item.fields = {
      Required(DurationField("at", &TimelineItem::at, DurationBound::kNonNegative,
                             "When the action happens; must be before duration.")),
      ActionField<RevokeConsents>("revoke_consents", revoke, "Customers revoke consents."),
      ActionField<GrantConsents>("grant_consents", grant, "Customers link their bank."),
      ActionField<Outage>("outage", outage, "A bank or the messenger fails for a while."),
      ActionField<FraudWave>("fraud_wave", wave, "Many cards of one bank are compromised."),
      ActionField<Crash>("crash", crash,
                         "A process crashes and restarts: it loses its working memory and keeps "
                         "its records (docs/world.md, \"Crashes and restarts\")."),
  };
  item.exactly_one_of = {"revoke_consents", "grant_consents", "outage", "fraud_wave", "crash"};
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
    s.fields = {
        DurationField("max", &InvariantConfig::max, DurationBound::kPositive,
                      "The retention policy: how long bank data may be kept or shown after "
                      "the bank served it, whatever the platform's cache_ttl."),
        DurationField("slack", &InvariantConfig::slack, DurationBound::kNonNegative,
                      "Allowed lateness past served time + max (the fetch's latency, the "
                      "sweeper's period)."),
    };
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

// Whether `name` is a built-in invariant; if not, a diagnostic at `pos`.
bool KnownInvariant(Ctx& c, const std::string& name, Position pos, const std::string& path) {
  std::vector<std::string> ids = Names(kInvariantIds);
  if (std::find(ids.begin(), ids.end(), name) != ids.end()) return true;
  c.Fail(pos, path, "unknown invariant " + Quote(name) + "; expected one of: " + JoinNames(ids));
  return false;
}

// Reads the parameters (null or a mapping) of the known invariant `name` into `inv`,
// which holds the values they override; false (with a diagnostic) if one is bad.
bool ReadInvariantParams(Ctx& c, const std::string& name, Position name_pos,
                         const YAML::Node& params, Position params_pos, const std::string& path,
                         InvariantConfig* inv) {
  std::size_t before = c.diags.size();
  inv->id = name;
  inv->line = name_pos.line;
  ReadObject(c, InvariantParamsSpec(name), params, params_pos, ChildPath(path, name), inv,
             /*allow_null=*/true);
  return c.diags.size() == before;
}

// The list form: exactly these invariants, each with its own parameters.
void ReadInvariantList(Ctx& c, const YAML::Node& n, Position p, const std::string& path,
                       Scenario* scenario) {
  scenario->invariants.clear();
  c.invariant_ids.clear();
  auto items = ListItems(c, n, p, path);
  if (!items) return;
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
    if (!KnownInvariant(c, name, it.pos, item_path)) continue;
    auto dup = std::find(c.invariant_ids.begin(), c.invariant_ids.end(), name);
    if (dup != c.invariant_ids.end()) {
      c.Fail(it.pos, item_path,
             "duplicate invariant " + Quote(name) + " (first at line " +
                 std::to_string(first_line[std::size_t(dup - c.invariant_ids.begin())]) + ")");
      continue;
    }
    InvariantConfig inv;
    const bool ok = ReadInvariantParams(c, name, it.pos, params, params_pos, item_path, &inv);
    c.invariant_ids.push_back(name);
    first_line.push_back(it.pos.line);
    if (ok) scenario->invariants.push_back(inv);
  }
}

// The map form: changes to the defaults. `name: {parameters}` sets those parameters
// (the others keep their defaults), `name: off` removes the invariant; the ones not
// named stay as they are, in the built-in order.
void ReadInvariantMap(Ctx& c, const YAML::Node& n, Position p, const std::string& path,
                      Scenario* scenario) {
  auto pairs = MapPairs(c, n, p, path);
  if (!pairs) return;
  std::vector<std::string> off;
  for (const Pair& pair : *pairs) {
    if (!KnownInvariant(c, pair.key, pair.key_pos, path)) continue;
    if (pair.value.IsScalar() && IsPlainScalar(pair.value) && pair.value.Scalar() == "off") {
      off.push_back(pair.key);
      continue;
    }
    if (!pair.value.IsNull() && !pair.value.IsMap()) {
      const bool takes_params = !InvariantParamsSpec(pair.key).fields.empty();
      c.Fail(pair.value_pos, ChildPath(path, pair.key),
             std::string("expected ") + (takes_params ? "{parameters} or " : "") + "off, got " +
                 (pair.value.IsScalar() ? Quote(pair.value.Scalar()) : KindOf(pair.value)));
      continue;
    }
    auto it = std::find_if(scenario->invariants.begin(), scenario->invariants.end(),
                           [&](const InvariantConfig& inv) { return inv.id == pair.key; });
    InvariantConfig changed = it != scenario->invariants.end() ? *it : InvariantConfig{};
    if (ReadInvariantParams(c, pair.key, pair.key_pos, pair.value, pair.value_pos, path, &changed) &&
        it != scenario->invariants.end()) {
      *it = changed;
    }
  }
  std::erase_if(scenario->invariants, [&](const InvariantConfig& inv) {
    return std::find(off.begin(), off.end(), inv.id) != off.end();
  });
  c.invariant_ids.clear();
  for (const InvariantConfig& inv : scenario->invariants) c.invariant_ids.push_back(inv.id);
}

Field InvariantsField() {
  Field f{"invariants"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    if (n.IsMap()) {
      ReadInvariantMap(c, n, p, path, As<Scenario>(o));
    } else {
      ReadInvariantList(c, n, p, path, As<Scenario>(o));
    }
  };
  f.schema = [](const void*) {
    Json with_params = Json::object();
    Json changes = Json::object();
    InvariantConfig defaults;
    for (const char* id : kInvariantIds) {
      Json params = ObjectSchema(InvariantParamsSpec(id), &defaults);
      with_params[id] = Json{{"anyOf", Json::array({Json{{"type", "null"}}, params})}};
      changes[id] = Json{{"anyOf", Json::array({Json{{"type", "null"}}, Json{{"const", "off"}}, params})}};
    }
    Json item{{"anyOf", Json::array({EnumSchema(Names(kInvariantIds)),
                                     Json{{"type", "object"},
                                          {"minProperties", 1},
                                          {"maxProperties", 1},
                                          {"additionalProperties", false},
                                          {"properties", with_params}}})}};
    Json list{{"type", "array"}, {"items", item}};
    Json map{{"type", "object"}, {"additionalProperties", false}, {"properties", changes}};
    return Described(
        "Built-in invariants to check. A list names exactly these: a name, or {name: "
        "{parameters}}. A mapping changes the defaults: name: {parameters} sets those "
        "parameters, name: off removes the invariant, and the others stay.",
        Json{{"anyOf", Json::array({list, map})}}, std::nullopt,
        "all nine built-ins with default parameters");
  };
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
    return Described("User rules over the trace: never, within or after (docs/invariants.md).",
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

// The per-bank metrics an expectation may bound: the bank's alert count, then its
// percentiles, as the metrics collector reports them.
std::vector<std::string> PerBankMetricNames() {
  std::vector<std::string> names = {kPerBankAlertCount};
  for (const char* m : kPerBankMetricNames) names.emplace_back(m);
  return names;
}

Field MetricsField() {
  Field f{"metrics"};
  f.read = [](Ctx& c, const YAML::Node& n, Position p, const std::string& path, void* o) {
    auto* e = As<Expectation>(o);
    auto pairs = MapPairs(c, n, p, path);
    if (!pairs) return;
    std::vector<std::string> names = Names(kMetricNames);
    std::vector<std::string> per_bank = PerBankMetricNames();
    std::vector<std::string> banks = c.bank_ids;
    if (banks.empty()) banks.push_back("bank");  // the default world's one bank
    for (const Pair& pr : *pairs) {
      if (const std::size_t at = pr.key.find('@'); at != std::string::npos) {
        const std::string name = pr.key.substr(0, at), bank = pr.key.substr(at + 1);
        if (std::find(per_bank.begin(), per_bank.end(), name) == per_bank.end()) {
          c.diags.Add(pr.key_pos, "unknown per-bank metric " + Quote(pr.key) + " in " + path +
                                      "; expected NAME@BANK with NAME one of: " +
                                      JoinNames(per_bank));
          continue;
        }
        if (std::find(banks.begin(), banks.end(), bank) == banks.end()) {
          c.diags.Add(pr.key_pos, "metric " + Quote(pr.key) + " in " + path + ": unknown bank " +
                                      Quote(bank) + "; expected one of: " + JoinNames(banks));
          continue;
        }
      } else if (std::find(names.begin(), names.end(), pr.key) == names.end()) {
        c.diags.Add(pr.key_pos, "unknown metric " + Quote(pr.key) + " in " + path +
                                    "; expected one of: " + JoinNames(names) +
                                    " (per bank: NAME@BANK with NAME one of: " +
                                    JoinNames(per_bank) + ")");
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
    auto bounds = [](const std::string& m) {
      Json bound = IsDurationMetric(m)
                       ? Json{{"anyOf", Json::array({NumberSchema(NumberBound::kNonNegative),
                                                     DurationSchema(DurationBound::kNonNegative)})}}
                       : NumberSchema(NumberBound::kAny);
      return Json{{"type", "object"},
                  {"additionalProperties", false},
                  {"minProperties", 1},
                  {"properties", {{"min", bound}, {"max", bound}}}};
    };
    Json props = Json::object();
    for (const char* m : kMetricNames) props[m] = bounds(m);
    // NAME@BANK: the bank must be one of the world's, which a schema cannot see.
    // One pattern for the counts, one for the durations.
    Json per_bank = Json::object();
    for (bool durations : {false, true}) {
      std::string names;
      for (const std::string& m : PerBankMetricNames()) {
        if (IsDurationMetric(m) == durations) names += (names.empty() ? "" : "|") + m;
      }
      per_bank["^(" + names + ")@[a-z0-9][a-z0-9_-]*$"] = bounds(durations ? kPerBankMetricNames[0]
                                                                             : kPerBankAlertCount);
    }
    return Described(
        "Bounds on metrics, {min, max} (at least one); duration metrics take durations or "
        "seconds. Per-bank metrics are written NAME@BANK.",
        Json{{"type", "object"},
             {"additionalProperties", false},
             {"properties", props},
             {"patternProperties", per_bank}},
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

ObjectSpec PerturbSpec() {
  using mocks::PerturbConfig;
  ObjectSpec s;
  s.fields = {
      BoolField("same_instant", &PerturbConfig::same_instant,
                "Events at the same simulated instant run in an order drawn from the seed "
                "instead of the order they were scheduled in."),
      BoolField("knobs", &PerturbConfig::knobs,
                "Latency medians, retry back-offs and the cache sweeper's interval are "
                "drawn from the seed within their configured bounds."),
      BoolField("crashes", &PerturbConfig::crashes,
                "Crashes and restarts of the platform, each bank and the messenger are drawn "
                "from the seed and added to the timeline; --swarm switches it on."),
  };
  return s;
}

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
    return Described(
        "Scenario id, e.g. consent/revocation-during-outage; reports name the scenario by it and "
        "--baseline matches scenarios by it.",
        Json{{"type", "string"}, {"minLength", 1}}, std::nullopt,
        "the file path without .yaml, relative to the nearest enclosing scenarios/ directory, "
        "else the file name without .yaml");
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
    return Described("Free-form tags for bpsim list and filtering. A scenario tagged "
                     "run-when-named is left out when bpsim run or bpsim pin is given its "
                     "directory; it runs when its file is named.",
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
      Lift(ObjectField("perturb", &mocks::WorldSpec::perturb, PerturbSpec(),
                       "Schedule perturbation, drawn from the seed (docs/world.md); bpsim run "
                       "--perturb switches both on."),
           &Scenario::spec),
      InvariantsField(),
      RulesField(),
      ObjectField("expect", &Scenario::expect, ExpectSpec(),
                  "What the run must show; without it, a pass with no violations."),
  };
  return s;
}

}  // namespace

const ObjectSpec& ScenarioFormat() {
  static const ObjectSpec spec = TopSpec();
  return spec;
}

const ObjectSpec& BankFormat() {
  static const ObjectSpec spec = BankSpec();
  return spec;
}

}  // namespace bpsim::harness::scenario_internal
