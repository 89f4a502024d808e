#pragma once
// The world's typed configuration (docs/world.md, docs/scenario-reference.md): what the scenario loader
// produces and the world is assembled from. Every field has the documented default
// (docs/scenario-reference.md); a scenario only writes what it changes.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/time.h"

namespace bpsim::mocks {

// Consent scopes and the data categories they cover (docs/trace.md).
enum Scope : std::uint8_t {
  kScopeAccounts = 1 << 0,      // covers categories identity, accounts
  kScopeBalances = 1 << 1,      // covers category balance
  kScopeTransactions = 1 << 2,  // covers category transactions
};
using ScopeSet = std::uint8_t;

enum class Category : std::uint8_t { kIdentity, kAccounts, kBalance, kTransactions, kAlert };
inline constexpr int kCategoryCount = 5;
using CategorySet = std::uint8_t;  // bit (1 << Category)
inline constexpr CategorySet CategoryBit(Category c) { return CategorySet(1u << unsigned(c)); }

// Purposes a consent names, and the purpose a flow serves.
enum Purpose : std::uint8_t {
  kPurposeDisplay = 1 << 0,
  kPurposeFraudAlerts = 1 << 1,
  kPurposeAds = 1 << 2,        // never granted by a consent; the purpose of the ads sink
  kPurposeAnalytics = 1 << 3,  // never granted by a consent; the purpose of analytics
  kPurposeSharing = 1 << 4,    // handing data to a third party
};
using PurposeSet = std::uint8_t;

// The scope that covers a category (alerts: none, they travel under fraud_alerts).
ScopeSet ScopeFor(Category c);

struct LatencyConfig {
  SimTime median = 120 * kMillisecond;
  SimTime p99 = 900 * kMillisecond;
};

// The API a bank serves in live mode (docs/live-mode.md): UK Open Banking, Berlin
// Group NextGenPSD2, or the Plaid API (an aggregator's, as United States platforms
// reach their banks). In simulation a dialect is only a label.
enum class Dialect : std::uint8_t { kObie, kBerlinGroup, kPlaid };
// "obie", "berlin-group", "plaid": the scenario's names.
const char* DialectName(Dialect d);

struct BankApiConfig {
  LatencyConfig latency;
  double rate_limit_per_s = 50;   // per client (the platform); 0 = unlimited
  double error_rate = 0.001;      // fraction of requests answered 500
  Dialect dialect = Dialect::kObie;
  std::uint32_t frequency_per_day = 0;  // Berlin Group frequencyPerDay; 0 = unlimited
  SimTime max_consent_life = 180 * kDay;  // live mode: longer validities are clamped
};

struct FraudConfig {
  double detection_rate = 0.95;
  double false_positive_rate = 0.001;
  SimTime detect_delay = 30 * kSecond;
};

struct RetryConfig {
  SimTime initial = kSecond;
  SimTime max = 10 * kMinute;
};

struct WebhookFaultConfig {
  double drop = 0;
  double duplicate = 0;
  double reorder = 0;
  LatencyConfig delay{50 * kMillisecond, 500 * kMillisecond};
};

struct NetworkLinkConfig {
  double loss = 0;                  // fraction of requests or responses lost
  SimTime timeout = 30 * kSecond;   // the platform's request timeout
};

// A party's own clock (docs/world.md, "Clocks"): it reads the true simulated time t
// as t + offset + drift_ppm * 1e-6 * t. The invariants judge on true time.
struct ClockConfig {
  SimTime offset = 0;
  double drift_ppm = 0;
  bool exact() const { return offset == 0 && drift_ppm == 0; }
};

struct BankConfig {
  std::string id;
  ClockConfig clock;
  BankApiConfig api;
  FraudConfig fraud;
  RetryConfig webhook_retry{kSecond, 10 * kMinute};
  WebhookFaultConfig webhook_faults;
  NetworkLinkConfig link;
};

struct ConsentBehaviour {
  double opt_in = 0.3;              // fraction who link their bank at the start
  ScopeSet scopes = kScopeAccounts | kScopeBalances | kScopeTransactions;
  SimTime expiry = 90 * kDay;
  double alerts_opt_in = 0.8;       // fraction of consents that include fraud_alerts
  double reject = 0.02;             // fraction of authorisations the customer rejects
  double revoke_per_year = 0.5;     // hazard of a later revocation
  double revoke_via_messenger = 0.5;  // fraction of revocations made in the messenger
  double reconsent = 0.3;           // chance a customer links again after revoking
  SimTime authorise_delay = 2 * kMinute;  // mean time to authorise at the bank
};

struct CustomerFraudConfig {
  double compromise_rate_per_year = 0.02;
  double fraud_tx_per_day = 6;      // card transactions by the fraudster once compromised
};

struct AmountConfig {
  std::int64_t median_cents = 2'500;
  std::int64_t p99_cents = 40'000;
};

struct CustomersConfig {
  std::uint32_t count = 1000;
  // Bank shares by bank id, in the order written; empty = equal shares.
  std::vector<std::pair<std::string, double>> banks;
  double card_tx_per_day = 2.5;
  AmountConfig card_amount;
  std::int64_t salary_cents_median = 180'000;
  SimTime payday_every = 14 * kDay;
  double balance_checks_per_day = 0.3;
  double balance_checks_from_groups = 0.1;
  ConsentBehaviour consent;
  CustomerFraudConfig fraud;
  std::uint32_t friends = 20;
  std::uint32_t group_chats = 2;
};

struct PlatformConfig {
  SimTime poll_interval = 24 * kHour;  // 0 = no polling, on-demand only
  SimTime cache_ttl = 24 * kHour;
  SimTime cache_sweep_every = 30 * kSecond;
  RetryConfig alert_retry{kSecond, 5 * kMinute};
  std::vector<std::string> partners = {"adpartner"};
  SimTime segment_job_every = 24 * kHour;  // ads segments, partner exports
  ClockConfig clock;
  // The platform stops using a consent this long before its expiry by its own clock:
  // a bound on how far its clock may be behind the true time.
  SimTime expiry_margin = 0;
};

struct WorldConfig {
  std::vector<BankConfig> banks;  // at least one
  CustomersConfig customers;
  PlatformConfig platform;
};

// Timeline actions (docs/scenario-reference.md).
enum class Via : std::uint8_t { kBank, kMessenger };
enum class OutageMode : std::uint8_t { kUnavailable, kSlow, kErrors, kPartition };

struct RevokeConsents {
  double fraction = 0;
  std::optional<std::string> bank;
  Via via = Via::kBank;
};
struct GrantConsents {
  double fraction = 0;
  std::optional<std::string> bank;
  std::optional<ScopeSet> scopes;  // default: customers.consent.scopes
};
struct Outage {
  std::string target;  // a bank id or "messenger"
  SimTime duration = 0;
  OutageMode mode = OutageMode::kUnavailable;
  LatencyConfig latency{5 * kSecond, 20 * kSecond};  // mode slow: added latency
  double rate = 0.5;                                 // mode errors: error fraction
};
struct FraudWave {
  std::string bank;
  std::uint32_t cards = 0;
};
// A process crashes and restarts `down` later (docs/world.md, "Crashes and
// restarts"): what it kept in memory is gone, what it persisted is back.
struct Crash {
  std::string target;  // a bank id, "platform" or "messenger"
  SimTime down = 10 * kMinute;
};
using TimelineAction = std::variant<RevokeConsents, GrantConsents, Outage, FraudWave, Crash>;

struct TimelineEntry {
  SimTime at = 0;
  TimelineAction action;
  int line = 0;  // position in the scenario file, for diagnostics
};

// Defects (docs/world.md, "Defects"): realistic bugs switched on inside the mocks' own logic.
enum class Defect : std::uint8_t {
  kIgnoresRevocation,
  kNoPurgeOnRevoke,
  kAdsUsesBankData,
  kSharesWithPartner,
  kGroupChatLeak,
  kOverfetchScopes,
  kCacheNeverExpires,
  kDropsAlertsDuringOutage,
  kBankSkipsConsentCheck,
  kBankSkipsAudit,
  kAcksRevocationBeforePersisting,
  kTrustsOwnClock,
};
inline constexpr int kDefectCount = 12;
inline constexpr std::array<const char*, kDefectCount> kDefectNames = {
    "platform.ignores_revocation", "platform.no_purge_on_revoke",
    "platform.ads_uses_bank_data", "platform.shares_with_partner",
    "platform.group_chat_leak",    "platform.overfetch_scopes",
    "platform.cache_never_expires", "platform.drops_alerts_during_outage",
    "bank.skips_consent_check",    "bank.skips_audit",
    "platform.acks_revocation_before_persisting", "platform.trusts_own_clock"};
std::optional<Defect> DefectFromName(std::string_view name);

class DefectSet {
 public:
  bool has(Defect d) const { return bits_ & (1u << unsigned(d)); }
  void add(Defect d) { bits_ |= (1u << unsigned(d)); }
  void remove(Defect d) { bits_ &= ~(1u << unsigned(d)); }
  bool empty() const { return bits_ == 0; }
  std::uint32_t bits() const { return bits_; }

 private:
  std::uint32_t bits_ = 0;
};

// Schedule perturbation (docs/world.md, "Perturbation"): what may legitimately vary
// is drawn from the seed, so a correct platform must pass whatever is drawn.
struct PerturbConfig {
  // Events at the same simulated instant run in an order drawn from the seed.
  bool same_instant = false;
  // The knobs that may vary within their configured bounds are drawn from the seed:
  // latency medians below their p99 (wider spread), retry back-offs and the cache
  // sweeper's interval at or below the configured values (mocks/perturb.h).
  bool knobs = false;
  // Crashes and restarts of the platform, each bank and the messenger are drawn from
  // the seed and added to the timeline (mocks/perturb.h).
  bool crashes = false;

  bool any() const { return same_instant || knobs || crashes; }
};

// Everything the world needs to run.
struct WorldSpec {
  std::uint64_t seed = 1;
  SimTime duration = 14 * kDay;
  SimTime drain = kHour;
  WorldConfig world;
  std::vector<TimelineEntry> timeline;
  DefectSet defects;
  PerturbConfig perturb;
};

}  // namespace bpsim::mocks
