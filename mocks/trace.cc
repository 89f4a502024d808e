#include "mocks/trace.h"

#include <array>
#include <cinttypes>
#include <cstdio>

namespace bpsim::mocks {
namespace {

constexpr std::array<std::string_view, std::size_t(EntryType::kEntryTypeCount)> kTypeNames = {
    "flow",           "consent.created",  "consent.authorised", "consent.rejected",
    "consent.revoked", "consent.expired", "consent.revoke_requested", "consent.delete_sent",
    "api.request",    "api.served",       "api.response",       "audit",
    "fraud.detected", "webhook.sent",     "webhook.received",   "alert.queued",
    "alert.displayed", "outage.start",    "outage.end",         "cache.put",
    "cache.purge",    "balance.check",    "balance.reply",      "card.compromised",
    "drain.start",    "webhook.withheld", "crash",          "restart"};

constexpr std::array<std::string_view, kCategoryCount> kCategoryNames = {
    "identity", "accounts", "balance", "transactions", "alert"};

constexpr std::array<std::string_view, 5> kPurposeNames = {"display", "fraud_alerts", "ads",
                                                           "analytics", "sharing"};
constexpr std::array<std::string_view, 3> kScopeNames = {"accounts", "balances", "transactions"};

void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void AppendKey(std::string& out, std::string_view key) {
  out.push_back(',');
  AppendQuoted(out, key);
  out.push_back(':');
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%" PRId64, v);
  out.append(buf, std::size_t(n));
}

template <std::size_t N>
std::string SetNames(std::uint8_t bits, const std::array<std::string_view, N>& names) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i) {
    if (bits & (1u << i)) {
      if (!s.empty()) s += ',';
      s += names[i];
    }
  }
  return s;
}

template <std::size_t N>
void AppendSet(std::string& out, std::string_view key, std::uint8_t bits,
               const std::array<std::string_view, N>& names) {
  AppendKey(out, key);
  out.push_back('[');
  bool first = true;
  for (std::size_t i = 0; i < N; ++i) {
    if (bits & (1u << i)) {
      if (!first) out.push_back(',');
      first = false;
      AppendQuoted(out, names[i]);
    }
  }
  out.push_back(']');
}

}  // namespace

std::string_view EntryReasonName(const TraceEntry& e) {
  switch (e.type) {
    case EntryType::kApiServed:
    case EntryType::kApiResponse: {
      constexpr std::array<std::string_view, 10> n = {
          "",           "consent_inactive", "scope", "wrong_subject", "no_token",
          "rate_limited", "outage",         "error", "timeout",       "reset"};
      return e.reason < n.size() ? n[e.reason] : "?";
    }
    case EntryType::kConsentRevoked:
    case EntryType::kRevokeRequested: return ViaName(static_cast<Via>(e.reason));
    case EntryType::kApiRequest: {
      constexpr std::array<std::string_view, 3> n = {"poll", "on_demand", "retry"};
      return e.reason < n.size() ? n[e.reason] : "?";
    }
    case EntryType::kFraudDetected: return e.reason ? "fraud" : "false_positive";
    case EntryType::kWebhookSent:
    case EntryType::kWebhookReceived:
    case EntryType::kWebhookWithheld: {
      constexpr std::array<std::string_view, 3> n = {"fraud_alert", "consent_revoked",
                                                     "item_update"};
      return e.reason < n.size() ? n[e.reason] : "?";
    }
    case EntryType::kOutageStart:
    case EntryType::kOutageEnd: return OutageModeName(static_cast<OutageMode>(e.reason));
    case EntryType::kCachePurge: {
      constexpr std::array<std::string_view, 5> n = {"ttl", "revocation", "expiry", "replaced",
                                                     "crash"};
      return e.reason < n.size() ? n[e.reason] : "?";
    }
    case EntryType::kBalanceReply: {
      constexpr std::array<std::string_view, 4> n = {"answered", "not_linked", "unavailable",
                                                     "redirected_to_private"};
      return e.reason < n.size() ? n[e.reason] : "?";
    }
    default: return {};
  }
}

namespace {
std::string_view ReasonName(const TraceEntry& e) { return EntryReasonName(e); }
}  // namespace

std::string_view EntryTypeName(EntryType t) {
  auto i = std::size_t(t);
  return i < kTypeNames.size() ? kTypeNames[i] : "?";
}
bool EntryTypeFromName(std::string_view name, EntryType* out) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) {
      *out = static_cast<EntryType>(i);
      return true;
    }
  }
  return false;
}
std::string_view CategoryName(Category c) { return kCategoryNames[std::size_t(c)]; }
bool CategoryFromName(std::string_view name, Category* out) {
  for (std::size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (kCategoryNames[i] == name) {
      *out = static_cast<Category>(i);
      return true;
    }
  }
  return false;
}
std::string_view ScopeName(Scope s) {
  for (std::size_t i = 0; i < kScopeNames.size(); ++i) {
    if (s == (1u << i)) return kScopeNames[i];
  }
  return "?";
}
bool ScopeFromName(std::string_view name, Scope* out) {
  for (std::size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == name) {
      *out = static_cast<Scope>(1u << i);
      return true;
    }
  }
  return false;
}
std::string_view PurposeName(Purpose p) {
  for (std::size_t i = 0; i < kPurposeNames.size(); ++i) {
    if (p == (1u << i)) return kPurposeNames[i];
  }
  return "?";
}
bool PurposeFromName(std::string_view name, Purpose* out) {
  for (std::size_t i = 0; i < kPurposeNames.size(); ++i) {
    if (kPurposeNames[i] == name) {
      *out = static_cast<Purpose>(1u << i);
      return true;
    }
  }
  return false;
}
std::string_view OutageModeName(OutageMode m) {
  constexpr std::array<std::string_view, 4> n = {"unavailable", "slow", "errors", "partition"};
  return n[std::size_t(m)];
}
std::string_view ViaName(Via v) { return v == Via::kBank ? "bank" : "messenger"; }

std::string TraceNames::Bank(BankIndex b) const {
  if (b < banks.size()) return banks[b];
  return "bank#" + std::to_string(b);
}

std::string TraceNames::Endpoint(const mocks::Endpoint& e) const {
  switch (e.kind) {
    case EndpointKind::kNone: return "";
    case EndpointKind::kBank: return "bank:" + Bank(BankIndex(e.id));
    case EndpointKind::kConnector: return "platform.connector";
    case EndpointKind::kCache: return "platform.cache";
    case EndpointKind::kChat: return "chat:" + std::to_string(e.id);
    case EndpointKind::kGroupChat: return "chat:group:" + std::to_string(e.id);
    case EndpointKind::kAds: return "ads";
    case EndpointKind::kPartner:
      return "partner:" + (e.id < partners.size() ? partners[e.id] : std::to_string(e.id));
    case EndpointKind::kAnalytics: return "analytics";
    case EndpointKind::kLog: return "log";
    case EndpointKind::kCustomer: return "customer:" + std::to_string(e.id);
    case EndpointKind::kMessenger: return "messenger";
  }
  return "?";
}

void FormatEntryJson(const TraceNames& names, const TraceEntry& e, std::string& out) {
  out += "{\"t\":";
  AppendInt(out, e.time);
  AppendKey(out, "type");
  AppendQuoted(out, EntryTypeName(e.type));
  if (e.from.kind != EndpointKind::kNone) {
    AppendKey(out, "from");
    AppendQuoted(out, names.Endpoint(e.from));
  }
  if (e.to.kind != EndpointKind::kNone) {
    AppendKey(out, "to");
    AppendQuoted(out, names.Endpoint(e.to));
  }
  if (e.subject != kNoSubject) {
    AppendKey(out, "subject");
    AppendInt(out, e.subject);
  }
  if (e.bank != kNoBank) {
    AppendKey(out, "bank");
    AppendQuoted(out, names.Bank(e.bank));
  }
  if (e.consent != 0) {
    AppendKey(out, "consent");
    AppendInt(out, std::int64_t(e.consent));
  }
  if (e.categories != 0) AppendSet(out, "categories", e.categories, kCategoryNames);
  if (e.scopes != 0) AppendSet(out, "scopes", e.scopes, kScopeNames);
  if (e.purpose != 0) AppendSet(out, "purpose", e.purpose, kPurposeNames);
  if (e.consent_purposes != 0) AppendSet(out, "consent_purposes", e.consent_purposes, kPurposeNames);
  if (e.type == EntryType::kFlow) {
    AppendKey(out, "labelled");
    out += e.labelled ? "true" : "false";
    if (e.derived) out += ",\"derived\":true";
  }
  if (std::string_view r = ReasonName(e); !r.empty()) {
    AppendKey(out, "reason");
    AppendQuoted(out, r);
  }
  if (e.status != 0 || e.type == EntryType::kApiResponse || e.type == EntryType::kApiServed) {
    AppendKey(out, "status");
    AppendInt(out, e.status);
  }
  if (e.ref != 0) {
    AppendKey(out, "ref");
    AppendInt(out, std::int64_t(e.ref));
  }
  if (e.value != 0) {
    AppendKey(out, "value");
    AppendInt(out, e.value);
  }
  if (e.aux != 0) {
    AppendKey(out, "aux");
    AppendInt(out, e.aux);
  }
  out.push_back('}');
}

std::string FormatInstant(SimTime t) { return DescribeDuration(t); }

std::string DescribeEntry(const TraceNames& names, const TraceEntry& e) {
  std::string s = FormatInstant(e.time);
  s += ' ';
  s += EntryTypeName(e.type);
  if (e.type == EntryType::kFlow) {
    s += ' ' + names.Endpoint(e.from) + " -> " + names.Endpoint(e.to);
    if (e.labelled) {
      s += " [" + SetNames(e.categories, kCategoryNames) + " of customer " +
           std::to_string(e.subject) + ", consent " + std::to_string(e.consent) + "]";
      if (e.derived) s += " (derived)";
    }
    if (e.purpose) s += " for " + SetNames(e.purpose, kPurposeNames);
    return s;
  }
  if (e.consent != 0) s += " consent " + std::to_string(e.consent);
  if (e.subject != kNoSubject) s += " of customer " + std::to_string(e.subject);
  if (e.bank != kNoBank) s += " at bank:" + names.Bank(e.bank);
  if (e.categories) s += " for " + SetNames(e.categories, kCategoryNames);
  if (e.scopes) s += " scopes " + SetNames(e.scopes, kScopeNames);
  if (e.to.kind != EndpointKind::kNone && e.type != EntryType::kApiRequest) {
    s += " in " + names.Endpoint(e.to);
  }
  if (e.ref) s += " #" + std::to_string(e.ref);
  if (e.status || e.type == EntryType::kApiResponse) s += " status " + std::to_string(e.status);
  if (std::string_view r = ReasonName(e); !r.empty()) s += " (" + std::string(r) + ")";
  return s;
}

}  // namespace bpsim::mocks
