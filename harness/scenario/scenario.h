#pragma once
// A scenario as typed configuration (docs/scenario-reference.md, docs/invariants.md): the world to build, what to
// check (invariants, user rules) and what to expect. Produced by LoadScenario();
// every field has the default documented in docs/scenario-reference.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mocks/config.h"
#include "reports/result.h"
#include "sim/status.h"
#include "sim/time.h"

namespace bpsim::harness {

// Built-in invariants (docs/invariants.md), in the order reports list them.
inline constexpr const char* kInvariantIds[] = {
    "consent-before-access", "revocation-honoured", "purpose-limitation",
    "no-third-party-sharing", "subject-isolation",  "data-minimisation",
    "retention-limit",       "fraud-alert-delivery", "audit-complete"};

struct InvariantConfig {
  std::string id;  // one of kInvariantIds
  // Parameters; each invariant reads only its own (names and defaults: docs/scenario-reference.md).
  SimTime grace = 0;                  // revocation-honoured
  SimTime purge_within = kHour;       // revocation-honoured
  SimTime max = 24 * kHour;           // retention-limit: the policy, from when served
  SimTime slack = kMinute;            // retention-limit
  SimTime p99 = 60 * kSecond;         // fraud-alert-delivery
  std::uint64_t lost = 0;             // fraud-alert-delivery
  int line = 0;                       // 0 = implied default
};

// A pattern over trace entries (user rules, `sometimes`): an entry type (or "*" for
// any) and field constraints; a field matches if its value equals any of the listed
// values. Endpoint values may end in '*' to match a prefix ("partner:*").
struct FieldMatch {
  std::string field;  // one of kPatternFields
  std::vector<std::string> any_of;
};
// The field names a pattern may constrain (and a rule's `key` may name). Values are
// stored as validated text: endpoints and names as written, integers in decimal,
// booleans as "true" / "false".
inline constexpr const char* kPatternFields[] = {
    "from",   "to",     "category", "subject", "bank",    "consent",
    "status", "purpose", "reason",  "derived", "labelled", "ref"};
struct Pattern {
  std::string type;  // an entry type name ("flow", "consent.revoked", ...) or "*"
  std::vector<FieldMatch> fields;
  int line = 0, column = 0;
};

struct Rule {
  enum class Kind { kNever, kWithin, kAfter };
  std::string id;
  Kind kind = Kind::kNever;
  Pattern trigger;            // never: the forbidden pattern
  Pattern response;           // within: the response; after: the forbidden pattern
  SimTime max = 0;            // within
  std::string key;            // within/after: field that must be equal; "" = none
  int line = 0;
};

// Built-in situation names for `expect.sometimes` (docs/situations.md).
inline constexpr const char* kSituationNames[] = {
    "revocation_with_request_in_flight", "alert_queued_during_messenger_outage",
    "request_throttled_429",             "webhook_retried",
    "consent_expired_while_cached",      "webhook_duplicated",
    "revocation_via_messenger",          "revocation_via_bank",
    "consent_rejected",                  "balance_asked_in_group",
    "request_timed_out",                 "fraud_false_positive"};

struct Situation {
  std::string name;               // a built-in name, or empty when `pattern` is set
  std::optional<Pattern> pattern;
  int line = 0;
};

// Every metric a run reports (docs/metrics.md), by name; durations are
// reported in seconds.
inline constexpr const char* kMetricNames[] = {
    "events", "customers", "consents_granted", "consents_revoked", "consents_expired",
    "consents_rejected", "api_requests", "api_ok_200", "api_denied_401", "api_denied_403",
    "api_throttled_429", "api_errors_500", "api_unavailable_503", "api_timeouts",
    "balance_checks", "balance_answered", "card_transactions", "fraud_detected",
    "fraud_false_positives", "fraud_alerts_displayed", "alerts_lost", "alerts_duplicated", "alerts_withheld",
    "fraud_alert_latency_p50", "fraud_alert_latency_p99", "fraud_alert_latency_max",
    "revocation_latency_p50", "revocation_latency_p99",
    "webhooks_sent", "webhooks_retried", "cache_items_max", "cache_puts", "cache_purges",
    "flows", "trace_entries", "violations", "wall_seconds"};
// Metrics reported once per bank of the world, as "NAME@BANK"
// ("fraud_alert_latency_p99@northbank"): the same definition over that bank's alerts.
inline constexpr const char* kPerBankMetricNames[] = {"fraud_alert_latency_p50",
                                                      "fraud_alert_latency_p99"};
// Metrics whose values are durations (written as "60s" in expectations), per-bank
// ones included.
using reports::IsDurationMetric;

struct MetricBound {
  std::string metric;
  std::optional<double> min, max;  // seconds for duration metrics
  int line = 0;
};

struct Expectation {
  enum class Verdict { kPass, kFail };
  Verdict verdict = Verdict::kPass;
  bool verdict_written = false;
  std::vector<std::string> violations;  // the exact set of invariant / rule ids that fire
  std::vector<MetricBound> metrics;
  std::vector<Situation> sometimes;
};

struct Scenario {
  std::string id;           // `scenario:`; default: DefaultScenarioId(file)
  std::string file;         // path as given
  std::string description;
  std::vector<std::string> tags;
  mocks::WorldSpec spec;
  std::vector<InvariantConfig> invariants;  // default: all built-ins, default params
  std::vector<Rule> rules;
  Expectation expect;
};

// The id of a scenario file that has no `scenario:` key: its path without .yaml
// relative to the nearest enclosing directory named `scenarios`, else its file name
// without .yaml; the same however the path is written (absolute, relative, with ..),
// so reports and --baseline match it from any working directory.
std::string DefaultScenarioId(const std::string& path);

// Loads and validates one scenario file. On failure the error message holds every
// problem found, one per line, each "FILE:LINE:COL: message".
Result<Scenario> LoadScenario(const std::string& path);
// The same from text already in memory (`path` is used in messages and for the id).
Result<Scenario> ParseScenario(const std::string& text, const std::string& path);

// The JSON Schema (draft 2020-12) of the scenario format, as text.
std::string ScenarioJsonSchema();

}  // namespace bpsim::harness
