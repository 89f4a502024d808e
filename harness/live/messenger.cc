#include "harness/live/messenger.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/live/canary.h"
#include "harness/live/live_bank.h"

namespace bpsim::harness::live {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using mocks::Category;
using mocks::CategoryBit;
using mocks::CustomerId;

namespace {

constexpr SimTime kOutageRetryAfter = 30 * kSecond;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; }

// `n` digits at text[pos]; the value, or nullopt.
std::optional<std::uint64_t> DigitsAt(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!IsDigit(text[pos + i])) return std::nullopt;
    v = v * 10 + std::uint64_t(text[pos + i] - '0');
  }
  return v;
}

}  // namespace

std::map<CustomerId, CanaryHit> ScanCanaries(std::string_view text, mocks::World& world,
                                             const ServedRegistry& served) {
  std::map<CustomerId, CanaryHit> hits;
  struct Found {
    bool account_id = false, transaction_id = false;
    std::vector<mocks::BankDatum> amounts;  // the datums the amounts were served in
  };
  std::map<CustomerId, Found> found;
  const mocks::Population& population = world.population();
  auto customer_ok = [&](std::uint64_t c) { return c < population.size(); };
  auto add = [&](CustomerId c, mocks::BankIndex bank, mocks::CategorySet categories) {
    CanaryHit& h = hits[c];
    if (h.bank == mocks::kNoBank) h.bank = bank;
    h.categories |= categories;
  };
  // Account ids: BANKID-CCCCCCCC-CHK / -CARD.
  const auto& banks = world.spec().world.banks;
  for (std::size_t b = 0; b < banks.size(); ++b) {
    const std::string prefix = AccountIdPrefix(banks[b].id);
    for (std::size_t pos = text.find(prefix); pos != std::string_view::npos;
         pos = text.find(prefix, pos + 1)) {
      if (pos > 0 && IsWordChar(text[pos - 1])) continue;
      std::size_t at = pos + prefix.size();
      std::optional<std::uint64_t> c = DigitsAt(text, at, 8);
      if (!c || !customer_ok(*c)) continue;
      std::string_view rest = text.substr(at + 8);
      bool account = rest.substr(0, 5) == "-CARD" || rest.substr(0, 4) == "-CHK";
      if (!account || population.at(CustomerId(*c)).bank != b) continue;
      add(CustomerId(*c), mocks::BankIndex(b), CategoryBit(Category::kAccounts));
      found[CustomerId(*c)].account_id = true;
    }
  }
  // Berlin Group's IBANs (DEkk5BBB0000CCCCCCCC00) and masked PANs (49BBBB*****CCCCCCCC),
  // one pass each: the bank's index is in the canary, which is then parsed back to
  // its customer.
  struct Form {
    std::string_view marker;
    std::size_t size, bank_at, bank_digits;
  };
  for (const Form& form : {Form{"DE", 22, 5, 3}, Form{"49", 19, 2, 4}}) {
    for (std::size_t pos = text.find(form.marker); pos != std::string_view::npos;
         pos = text.find(form.marker, pos + 1)) {
      if ((pos > 0 && IsWordChar(text[pos - 1])) || pos + form.size > text.size()) continue;
      std::optional<std::uint64_t> b = DigitsAt(text, pos + form.bank_at, form.bank_digits);
      if (!b || *b >= banks.size()) continue;
      const auto bank = mocks::BankIndex(*b);
      std::string_view candidate = text.substr(pos, form.size);
      std::optional<CustomerId> c =
          form.size == 22 ? ParseIban(bank, candidate) : ParseMaskedPan(bank, candidate);
      if (!c || !customer_ok(*c) || population.at(*c).bank != bank) continue;
      add(*c, bank, CategoryBit(Category::kAccounts));
    }
  }
  // Transaction ids: TX-CCCCCCCC-DDDDD-SSSS (and -P while pending).
  for (std::size_t pos = text.find("TX-"); pos != std::string_view::npos;
       pos = text.find("TX-", pos + 1)) {
    if (pos > 0 && IsWordChar(text[pos - 1])) continue;
    std::optional<std::uint64_t> c = DigitsAt(text, pos + 3, 8);
    if (!c || !customer_ok(*c) || pos + 22 > text.size() || text[pos + 11] != '-' ||
        !DigitsAt(text, pos + 12, 5) || text[pos + 17] != '-' || !DigitsAt(text, pos + 18, 4)) {
      continue;
    }
    add(CustomerId(*c), population.at(CustomerId(*c)).bank,
        CategoryBit(Category::kTransactions));
    found[CustomerId(*c)].transaction_id = true;
  }
  // Alert ids: ALERT-NNNNNNNN, known from the webhooks sent.
  for (std::size_t pos = text.find("ALERT-"); pos != std::string_view::npos;
       pos = text.find("ALERT-", pos + 1)) {
    if (pos > 0 && IsWordChar(text[pos - 1])) continue;
    std::optional<std::uint64_t> id = DigitsAt(text, pos + 6, 8);
    if (!id) continue;
    const ServedRegistry::Alert* alert = served.FindAlert(*id);
    if (alert == nullptr) continue;
    add(alert->customer, alert->bank, CategoryBit(Category::kAlert));
    hits[alert->customer].alerts.push_back(*id);
  }
  // Amounts: D.CC served over HTTP for exactly one subject; also D.C, as a JSON
  // number with a trailing zero cent prints (Plaid's amounts are JSON numbers:
  // 12.30 travels as 12.3). A whole amount (12.00 as 12) is not recognisable: it
  // cannot be told from the customer numbers, counts and ids every sink body carries
  // (docs/live-mode.md, "Canaries").
  for (std::size_t dot = text.find('.'); dot != std::string_view::npos;
       dot = text.find('.', dot + 1)) {
    std::size_t start = dot;
    while (start > 0 && IsDigit(text[start - 1])) --start;
    if (start == dot || (start > 0 && (text[start - 1] == '.' || std::isalpha(static_cast<unsigned char>(text[start - 1]))))) {
      continue;
    }
    std::size_t cents = 0;
    while (cents < 3 && dot + 1 + cents < text.size() && IsDigit(text[dot + 1 + cents])) ++cents;
    const std::size_t end = dot + 1 + cents;
    // One digit after the dot and another dot after it: a version ("1.2.3"), not money.
    if (cents == 0 || cents == 3 || (cents == 1 && end < text.size() && text[end] == '.')) {
      continue;
    }
    // "0012.34" is not how amounts are printed; strip leading zeros but one.
    std::size_t first = start;
    while (first + 1 < dot && text[first] == '0') ++first;
    std::string amount(text.substr(first, end - first));
    if (cents == 1) amount += '0';
    const ServedRegistry::AmountOwner* owner = served.Amount(amount);
    if (owner == nullptr || owner->ambiguous || !customer_ok(owner->customer)) continue;
    add(owner->customer, population.at(owner->customer).bank, owner->categories);
    found[owner->customer].amounts.push_back(owner->datum);
  }
  // Where each subject's canaries were served.
  for (auto& [c, hit] : hits) {
    if (!hit.alerts.empty()) {
      for (std::uint64_t id : hit.alerts) hit.payload.Copy(served.FindAlert(id)->datum);
      continue;
    }
    const Found& f = found[c];
    for (const mocks::BankDatum& d : f.amounts) hit.payload.Copy(d);
    // Identifiers come with every answer about an account; an alert's webhook names
    // the card account and the transaction too.
    auto first_valid = [](std::initializer_list<mocks::BankDatum> ds) {
      for (const mocks::BankDatum& d : ds) {
        if (d.valid()) return d;
      }
      return mocks::BankDatum();
    };
    const mocks::BankDatum last = served.LastData(c), alert = served.Last(c, Category::kAlert);
    if (f.account_id) hit.payload.Copy(first_valid({last, alert}));
    if (f.transaction_id) {
      hit.payload.Copy(first_valid({served.Last(c, Category::kTransactions), last, alert}));
    }
  }
  return hits;
}

MessengerSinks::MessengerSinks(mocks::World* world, ServedRegistry* served, double time_scale)
    : world_(world),
      served_(served),
      time_scale_(time_scale > 0 ? time_scale : 1),
      errors_(world->env().Stream("live.messenger")) {}

HttpResponse MessengerSinks::Handle(const HttpRequest& request, std::string* route) {
  const SimTime now = world_->env().Now();
  auto error = [&](unsigned status, const std::string& code, const std::string& message) {
    return Respond(request, status, ServerErrorBody(code, message), now);
  };
  *route = "unknown";
  Target t = ParseTarget(request.target());
  const auto& s = t.segments;
  mocks::Endpoint to;
  mocks::PurposeSet purpose = 0;
  bool chat = false;
  if (s.size() == 4 && s[0] == "v1" && s[1] == "chats" && s[3] == "messages") {
    *route = "POST /v1/chats/{customer}/messages";
    std::uint32_t c = 0;
    auto [end, ec] = std::from_chars(s[2].data(), s[2].data() + s[2].size(), c);
    if (ec != std::errc() || end != s[2].data() + s[2].size() || c >= world_->population().size()) {
      return error(404, "unknown_chat", "no customer '" + s[2] + "'");
    }
    to = mocks::ChatEndpoint(c);
    purpose = mocks::kPurposeDisplay;
    chat = true;
  } else if (s.size() == 4 && s[0] == "v1" && s[1] == "groups" && s[3] == "messages") {
    *route = "POST /v1/groups/{group}/messages";
    std::uint32_t g = 0;
    auto [end, ec] = std::from_chars(s[2].data(), s[2].data() + s[2].size(), g);
    if (ec != std::errc() || end != s[2].data() + s[2].size()) {
      return error(404, "unknown_group", "no group '" + s[2] + "'");
    }
    to = mocks::GroupEndpoint(g);
    purpose = mocks::kPurposeDisplay;
    chat = true;
  } else if (s.size() == 3 && s[0] == "v1" && s[1] == "ads" && s[2] == "audiences") {
    *route = "POST /v1/ads/audiences";
    to = mocks::kAds;
    purpose = mocks::kPurposeAds;
  } else if (s.size() == 4 && s[0] == "v1" && s[1] == "partners" && s[3] == "exports") {
    *route = "POST /v1/partners/{name}/exports";
    const auto& partners = world_->spec().world.platform.partners;
    auto it = std::find(partners.begin(), partners.end(), s[2]);
    if (it == partners.end()) {
      return error(404, "unknown_partner",
                   "'" + s[2] + "' is not one of the scenario's platform.partners");
    }
    to = mocks::PartnerEndpoint(std::uint32_t(it - partners.begin()));
    purpose = mocks::kPurposeSharing;
  } else if (s.size() == 3 && s[0] == "v1" && s[1] == "analytics" && s[2] == "events") {
    *route = "POST /v1/analytics/events";
    to = mocks::kAnalytics;
    purpose = mocks::kPurposeAnalytics;
  } else {
    return error(404, "not_found", "no such sink");
  }
  if (request.method() != http::verb::post) {
    return error(405, "method_not_allowed", "use POST");
  }
  if (chat) {
    const mocks::Network& network = world_->network();
    // A crashed chat service answers nothing (docs/live-mode.md, "Crashes").
    if (network.MessengerDown()) throw ResetConnection{};
    const mocks::OutageState& o = network.outage(mocks::Network::kMessengerTarget);
    bool down = network.faults_enabled() && o.active &&
                (o.mode == mocks::OutageMode::kUnavailable ||
                 o.mode == mocks::OutageMode::kPartition ||
                 (o.mode == mocks::OutageMode::kErrors && errors_.Bernoulli(o.rate)));
    if (down) {
      HttpResponse res =
          error(503, "messenger_unavailable", "the messenger is down (timeline outage)");
      double wall_s = ToSeconds(kOutageRetryAfter) / time_scale_;
      res.set(http::field::retry_after,
              std::to_string(std::max<std::int64_t>(1, std::int64_t(std::ceil(wall_s)))));
      return res;
    }
  }
  Json body = Json::parse(request.body(), nullptr, false);
  if (body.is_discarded()) return error(400, "bad_request", "the body is not JSON");

  std::optional<std::uint64_t> alert_id, check;
  std::string kind_text = "answered";
  if (chat && body.is_object()) {
    if (body.contains("alert_id") && body["alert_id"].is_string()) {
      std::string text = body["alert_id"].get<std::string>();
      std::uint64_t v = 0;
      if (text.size() == 14 && text.rfind("ALERT-", 0) == 0 &&
          std::from_chars(text.data() + 6, text.data() + 14, v).ptr == text.data() + 14) {
        alert_id = v;
      }
    }
    if (body.contains("check") && body["check"].is_number_unsigned()) {
      check = body["check"].get<std::uint64_t>();
    }
    if (body.contains("kind") && body["kind"].is_string()) {
      kind_text = body["kind"].get<std::string>();
    }
  }
  mocks::ReplyKind kind = mocks::ReplyKind::kAnswered;
  if (check) {
    if (kind_text == "not_linked") {
      kind = mocks::ReplyKind::kNotLinked;
    } else if (kind_text == "unavailable") {
      kind = mocks::ReplyKind::kUnavailable;
    } else if (kind_text == "redirected_to_private") {
      kind = mocks::ReplyKind::kRedirectedToPrivate;
    } else if (kind_text != "answered") {
      return error(400, "bad_request",
                   "kind must be answered, not_linked, unavailable or redirected_to_private");
    }
  }
  if (chat && alert_id) purpose = mocks::kPurposeFraudAlerts;

  // Each subject's canaries bring back the data they were served in: the flow's
  // labels are computed from that provenance, as the simulated platform's are.
  for (const auto& [subject, hit] : ScanCanaries(request.body(), *world_, *served_)) {
    mocks::EmitFlows(world_->env(), mocks::kConnector, to, purpose, hit.payload,
                     !hit.alerts.empty() ? hit.alerts.front() : check.value_or(0));
  }
  if (alert_id && to.kind == mocks::EndpointKind::kChat) {
    const ServedRegistry::Alert* alert = served_->FindAlert(*alert_id);
    if (alert != nullptr && alert->customer == to.id) {
      mocks::TraceEntry shown;
      shown.type = mocks::EntryType::kAlertDisplayed;
      shown.from = mocks::kConnector;
      shown.to = to;
      shown.subject = alert->customer;
      shown.bank = alert->bank;
      shown.consent = alert->consent;
      shown.ref = *alert_id;
      shown.value = alert->detected_at;
      world_->env().Emit(shown);
    }
  }
  if (check) {
    ServedRegistry::Check* asked = served_->FindCheck(*check);
    if (asked != nullptr && !asked->replied) {
      asked->replied = true;
      mocks::TraceEntry reply;
      reply.type = mocks::EntryType::kBalanceReply;
      reply.from = mocks::kConnector;
      reply.to = to;
      reply.subject = asked->customer;
      reply.ref = *check;
      reply.reason = static_cast<std::uint8_t>(kind);
      world_->env().Emit(reply);
    }
  }
  return Respond(request, 202, R"({"accepted":true})", now);
}

}  // namespace bpsim::harness::live
