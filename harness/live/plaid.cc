#include "harness/live/plaid.h"

#include <algorithm>
#include <charconv>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <variant>

#include "harness/live/canary.h"
#include "harness/live/http_client.h"
#include "harness/live/jws.h"

namespace bpsim::harness::live {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using mocks::Category;
using mocks::ConsentId;

namespace {

constexpr std::uint8_t kCheckingBit = 1, kCardBit = 2;
std::uint8_t KindBit(AccountKind kind) { return kind == AccountKind::kCard ? kCardBit : kCheckingBit; }

// The products an Item may consent to at a bpsim bank; the others are
// PRODUCTS_NOT_SUPPORTED.
constexpr std::uint8_t kProductBalance = 1, kProductTransactions = 2;
struct ProductName {
  const char* name;
  std::uint8_t bit;
};
constexpr ProductName kProducts[] = {{"balance", kProductBalance},
                                     {"transactions", kProductTransactions}};

// Plaid's answers: a public token lives 30 minutes, a link token 4 hours.
constexpr SimTime kPublicTokenLife = 30 * kMinute;
constexpr SimTime kLinkTokenLife = 4 * kHour;
// ITEM: PENDING_EXPIRATION comes this long before the consent expires.
constexpr SimTime kPendingExpirationNotice = 7 * kDay;
// /transactions/sync: new transactions are announced after the nightly posting run.
constexpr SimTime kSyncNoticeTime = mocks::kCardPostingTime + kMinute;
constexpr int kMaxPage = 500, kDefaultPage = 100;
// Webhook ids of Item notices: apart from alert and consent ids.
constexpr std::uint64_t kNoticeRefBase = 1ULL << 61;

// A Plaid error answer (the error object of docs/live-mode.md, "Plaid").
struct Failure {
  unsigned status = 400;
  std::string type, code, message;
};
Failure Fail(unsigned status, std::string type, std::string code, std::string message) {
  return Failure{status, std::move(type), std::move(code), std::move(message)};
}
Failure InvalidField(std::string message) {
  return Fail(400, "INVALID_REQUEST", "INVALID_FIELD", std::move(message));
}
Json ErrorJson(const Failure& f, const std::string& request_id) {
  Json e;
  e["error_type"] = f.type;
  e["error_code"] = f.code;
  e["error_message"] = f.message.substr(0, 500);
  e["display_message"] = nullptr;
  e["request_id"] = request_id;
  e["causes"] = Json::array();
  e["status"] = f.status;
  e["documentation_url"] = "docs/live-mode.md#plaid";
  e["suggested_action"] = nullptr;
  return e;
}
// The Item errors a consent's state gives (null when the Item is healthy).
const Failure kRevoked{400, "ITEM_ERROR", "USER_PERMISSION_REVOKED",
                       "the holder of this account has revoked their permission for your "
                       "application to access it"};
const Failure kLoginRequired{400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED",
                             "the login details of this item have changed (credentials, MFA, or "
                             "required user action) and a user login is required to update this "
                             "information. use Link's update mode to restore the item to a good "
                             "state"};
const Failure kItemNotFound{400, "ITEM_ERROR", "ITEM_NOT_FOUND",
                            "the Item you requested cannot be found. This Item does not exist, "
                            "has been previously removed via /item/remove, or has had access "
                            "removed by the user"};

struct Item {
  ConsentId consent = 0;
  std::string webhook;          // "" = none
  std::uint8_t products = 0;    // kProduct* bits
  std::uint8_t kinds = kCheckingBit | kCardBit;  // accounts the Item covers
  bool exchanged = false;       // an access token was issued (timers run from then)
  bool removed = false;         // /item/remove
  SimTime announced_to = 0;     // transactions up to here were announced (sync notices)
};

enum class NoticeCode : std::uint8_t { kSyncUpdates, kPendingExpiration, kLoginRequired };
struct Notice {
  NoticeCode code = NoticeCode::kSyncUpdates;
  mocks::BankIndex bank = 0;
  ConsentId consent = 0;
};

// One webhook delivery for the client thread.
struct Delivery {
  std::string url, body;
  std::uint32_t ticket = 0;
  bool ok = false;
};

// One Plaid bank: its Items and link sessions.
struct PlaidBank {
  PlaidBank(LiveBank* b, Rng ids) : bank(b), request_ids(ids) {}
  LiveBank* bank = nullptr;
  std::map<ConsentId, Item> items;
  Rng request_ids;
  std::array<std::uint8_t, 32> cursor_key{};  // MACs the sync cursors
};

// ---- Transactions as Plaid serves them -------------------------------------------

// Personal finance categories (Plaid's taxonomy) of the ledger's merchant categories.
struct Category2 {
  const char* primary;
  const char* detailed;
  const char* channel;
};
constexpr Category2 kFinanceCategories[] = {
    {"FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES", "in store"},
    {"FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT", "in store"},
    {"TRANSPORTATION", "TRANSPORTATION_PUBLIC_TRANSIT", "in store"},
    {"TRANSPORTATION", "TRANSPORTATION_GAS", "in store"},
    {"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", "online"},
    {"RENT_AND_UTILITIES", "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", "online"},
    {"ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES", "in store"},
    {"TRAVEL", "TRAVEL_FLIGHTS", "online"},
    {"MEDICAL", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", "in store"},
    {"TRANSFER_OUT", "TRANSFER_OUT_WITHDRAWAL", "other"},
};
static_assert(sizeof kFinanceCategories / sizeof kFinanceCategories[0] ==
              mocks::kMerchantCategoryCount);

double Dollars(std::int64_t cents) { return double(cents) / 100.0; }

Json NullLocation() {
  Json l;
  for (const char* k : {"address", "city", "region", "postal_code", "country", "lat", "lon",
                        "store_number"}) {
    l[k] = nullptr;
  }
  return l;
}
Json NullPaymentMeta() {
  Json p;
  for (const char* k : {"reference_number", "ppd_id", "payee", "by_order_of", "payer",
                        "payment_method", "payment_processor", "reason"}) {
    p[k] = nullptr;
  }
  return p;
}

// A transaction in Plaid's form. `amount_cents`: positive = money out (Plaid's sign).
struct TxFields {
  std::string account_id, transaction_id, pending_transaction_id, name;
  std::int64_t amount_cents = 0;
  bool pending = false;
  SimTime authorized = 0, posted = 0;  // posted: booked transactions only
  const Category2* category = nullptr;
};
Json TransactionJson(const TxFields& f) {
  Json t;
  t["account_id"] = f.account_id;
  t["amount"] = Dollars(f.amount_cents);
  t["iso_currency_code"] = "USD";
  t["unofficial_currency_code"] = nullptr;
  t["category"] = nullptr;
  t["category_id"] = nullptr;
  t["check_number"] = nullptr;
  t["date"] = FormatDate(f.pending ? f.authorized : f.posted);
  t["datetime"] = f.pending ? Json() : Json(FormatDateTime(f.posted));
  t["authorized_date"] = FormatDate(f.authorized);
  t["authorized_datetime"] = FormatDateTime(f.authorized);
  t["location"] = NullLocation();
  t["name"] = f.name;
  t["merchant_name"] = nullptr;
  t["original_description"] = nullptr;
  t["payment_meta"] = NullPaymentMeta();
  t["payment_channel"] = f.category->channel;
  t["pending"] = f.pending;
  t["pending_transaction_id"] =
      f.pending_transaction_id.empty() ? Json() : Json(f.pending_transaction_id);
  t["account_owner"] = nullptr;
  t["transaction_id"] = f.transaction_id;
  t["transaction_code"] = nullptr;
  t["logo_url"] = nullptr;
  t["website"] = nullptr;
  t["personal_finance_category"] = {{"primary", f.category->primary},
                                    {"detailed", f.category->detailed},
                                    {"confidence_level", "VERY_HIGH"}};
  return t;
}

constexpr Category2 kSalaryCategory{"INCOME", "INCOME_WAGES", "other"};

// One change to an Item's transactions, in the order /transactions/sync reports them:
// by time, then by `key` (account, day, sequence, operation), which is unique.
struct SyncEvent {
  enum Op : std::uint8_t { kRemovePending = 0, kAddBooked = 1, kAddPending = 2 };
  SimTime time = 0;
  std::uint64_t key = 0;
  Op op = kAddBooked;
  TxFields tx;
  bool operator<(const SyncEvent& o) const {
    return time != o.time ? time < o.time : key < o.key;
  }
};
std::uint64_t EventKey(std::uint8_t kind_bit, std::uint32_t day, std::uint32_t seq,
                       SyncEvent::Op op) {
  return (std::uint64_t(kind_bit) << 60) | (std::uint64_t(day & 0xFFFFFF) << 36) |
         (std::uint64_t(seq & 0xFFFFF) << 16) | op;
}

// ---- Sync cursors ------------------------------------------------------------------

// A /transactions/sync cursor: opaque to clients, a pure function of the position it
// names (the same position always gives the same cursor), bound to its Item and
// account filter, and checked (a MAC under the bank's key) so that a made-up or
// altered one is refused. Phase 0 pages through the Item's transactions as they were
// at `time` (`position` = how many were sent); phase 1 sends the changes from
// (`time`, `position` = event key) on.
struct Cursor {
  ConsentId consent = 0;
  std::uint8_t kinds = 0;
  std::uint8_t phase = 0;
  SimTime time = 0;
  std::uint64_t position = 0;
  SimTime history_from = 0;
};

void Put64(std::string* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::uint64_t Get64(std::string_view in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | std::uint8_t(in[at + i]);
  return v;
}
std::string CursorMac(const PlaidBank& pb, std::string_view payload) {
  return HmacSha256Hex(std::string_view(reinterpret_cast<const char*>(pb.cursor_key.data()),
                                        pb.cursor_key.size()),
                       payload)
      .substr(0, 16);
}
std::string EncodeCursor(const PlaidBank& pb, const Cursor& c) {
  std::string p;
  p.push_back(1);  // version
  p.push_back(static_cast<char>(c.kinds));
  p.push_back(static_cast<char>(c.phase));
  Put64(&p, c.consent);
  Put64(&p, std::uint64_t(c.time));
  Put64(&p, c.position);
  Put64(&p, std::uint64_t(c.history_from));
  const std::string mac = CursorMac(pb, p);
  for (std::size_t i = 0; i < mac.size(); i += 2) {
    p.push_back(static_cast<char>(std::stoi(mac.substr(i, 2), nullptr, 16)));
  }
  return Base64Url(p);
}
std::optional<Cursor> DecodeCursor(const PlaidBank& pb, std::string_view text) {
  auto raw = FromBase64Url(text);
  constexpr std::size_t kPayload = 3 + 4 * 8;
  if (!raw.ok() || raw->size() != kPayload + 8 || (*raw)[0] != 1) return std::nullopt;
  std::string payload = raw->substr(0, kPayload);
  std::string mac;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = kPayload; i < raw->size(); ++i) {
    mac += kHex[std::uint8_t((*raw)[i]) >> 4];
    mac += kHex[std::uint8_t((*raw)[i]) & 15];
  }
  if (!ConstantTimeEquals(mac, CursorMac(pb, payload))) return std::nullopt;
  Cursor c;
  c.kinds = std::uint8_t(payload[1]);
  c.phase = std::uint8_t(payload[2]);
  c.consent = Get64(payload, 3);
  c.time = SimTime(Get64(payload, 11));
  c.position = Get64(payload, 19);
  c.history_from = SimTime(Get64(payload, 27));
  if (c.phase > 1) return std::nullopt;
  return c;
}

}  // namespace

std::string PlaidInstitutionId(const std::string& bank_id) { return "ins_" + bank_id; }

// ---- The service ---------------------------------------------------------------------

struct PlaidService::Impl {
  mocks::World* world = nullptr;
  Simulator* sim = nullptr;
  mocks::WebhookReceiver* platform = nullptr;  // the receiver before this one
  std::vector<std::unique_ptr<PlaidBank>> banks;  // by bank index; null: not Plaid
  Es256Key key;
  HandlerId timer = 0;
  std::unordered_map<std::uint64_t, Notice> notices;
  std::uint64_t next_notice = 0;

  // Deliveries, made by `client` off the world's mutex.
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<Delivery> queue, done;
  bool stopping = false;
  std::thread client;

  explicit Impl(Es256Key k) : key(std::move(k)) {}

  // Timers: bank | kind << 8 | consent << 16.
  enum class Timer : std::uint8_t { kPendingExpiration, kExpiry, kSyncCheck };
  static std::uint64_t TimerArg(mocks::BankIndex bank, Timer kind, ConsentId consent) {
    return std::uint64_t(bank) | (std::uint64_t(kind) << 8) | (std::uint64_t(consent) << 16);
  }
  void OnTimer(std::uint64_t arg);
  void StartTimers(mocks::BankIndex bank, const Item& item);
  void SendNotice(NoticeCode code, mocks::BankIndex bank, const Item& item);
  std::string NoticeBody(const Notice& n) const;
  bool HasNewTransactions(Item& item);
  std::optional<Delivery> NextDelivery();  // nullopt once stopping
  void RunClient();
};

// The state of an Item's consent as Plaid tells it: nullptr when healthy.
const Failure* ItemFailure(const LiveBank& bank, const Item& item) {
  if (item.removed) return &kItemNotFound;
  if (bank.Expired(item.consent)) return &kLoginRequired;
  if (bank.consent(item.consent).status == mocks::ConsentStatus::kRevoked) return &kRevoked;
  return nullptr;
}

void PlaidService::Impl::StartTimers(mocks::BankIndex bank, const Item& item) {
  const SimTime now = sim->Now();
  const SimTime end = world->spec().duration + world->spec().drain;
  const SimTime expires = world->consents().Get(item.consent).expires_at;
  // Timers past the end of the run would only weigh on the event queue.
  if (expires - kPendingExpirationNotice > now && expires - kPendingExpirationNotice <= end) {
    sim->At(expires - kPendingExpirationNotice, timer,
            TimerArg(bank, Timer::kPendingExpiration, item.consent));
  }
  if (expires <= end) sim->At(expires, timer, TimerArg(bank, Timer::kExpiry, item.consent));
  if (item.products & kProductTransactions) {
    SimTime next = now / kDay * kDay + kSyncNoticeTime;
    if (next <= now) next += kDay;
    if (next <= end) sim->At(next, timer, TimerArg(bank, Timer::kSyncCheck, item.consent));
  }
}

void PlaidService::Impl::OnTimer(std::uint64_t arg) {
  const auto bank = mocks::BankIndex(arg & 0xFF);
  const auto kind = static_cast<Timer>((arg >> 8) & 0xFF);
  const ConsentId consent = arg >> 16;
  PlaidBank& pb = *banks.at(bank);
  auto it = pb.items.find(consent);
  if (it == pb.items.end()) return;
  Item& item = it->second;
  const Failure* failure = ItemFailure(*pb.bank, item);
  switch (kind) {
    case Timer::kPendingExpiration:
      if (failure == nullptr) SendNotice(NoticeCode::kPendingExpiration, bank, item);
      return;
    case Timer::kExpiry:
      if (failure == &kLoginRequired) SendNotice(NoticeCode::kLoginRequired, bank, item);
      return;
    case Timer::kSyncCheck:
      if (failure != nullptr) return;  // no more updates for a broken Item
      if (HasNewTransactions(item)) SendNotice(NoticeCode::kSyncUpdates, bank, item);
      if (sim->Now() + kDay <= world->spec().duration + world->spec().drain) {
        sim->After(kDay, timer, arg);
      }
      return;
  }
}

bool PlaidService::Impl::HasNewTransactions(Item& item) {
  const mocks::Consent& c = world->consents().Get(item.consent);
  const SimTime from = item.announced_to, to = sim->Now() + 1;
  item.announced_to = to;
  const std::uint8_t kinds = item.kinds;
  const mocks::LedgerView& ledger = world->population();
  if (kinds & kCardBit) {
    std::vector<mocks::CardTransaction> txs;
    ledger.TransactionsIn(c.customer, std::max<SimTime>(0, from - mocks::kMaxCardBookingDelay),
                          to, &txs);
    for (const mocks::CardTransaction& tx : txs) {
      const SimTime booked = ledger.CardBookedAt(c.customer, tx);
      if (tx.time >= from || (booked >= from && booked < to)) return true;
    }
  }
  if (kinds & kCheckingBit) {
    std::vector<mocks::CheckingEntry> entries;
    ledger.CheckingEntriesIn(c.customer, std::max<SimTime>(0, from), to, &entries);
    if (!entries.empty()) return true;
  }
  return false;
}

void PlaidService::Impl::SendNotice(NoticeCode code, mocks::BankIndex bank, const Item& item) {
  if (item.webhook.empty()) return;
  const std::uint64_t ref = kNoticeRefBase + ++next_notice;
  notices[ref] = Notice{code, bank, item.consent};
  mocks::Webhook w;
  w.kind = mocks::WebhookKind::kItemUpdate;
  w.bank = bank;
  w.customer = world->consents().Get(item.consent).customer;
  w.consent = item.consent;
  w.ref = ref;
  world->outbox().Send(w);
}

std::string PlaidService::Impl::NoticeBody(const Notice& n) const {
  Json body;
  const std::string item_id = LiveBank::ConsentText(n.consent);
  switch (n.code) {
    case NoticeCode::kSyncUpdates:
      body["webhook_type"] = "TRANSACTIONS";
      body["webhook_code"] = "SYNC_UPDATES_AVAILABLE";
      body["item_id"] = item_id;
      body["initial_update_complete"] = true;
      body["historical_update_complete"] = true;
      break;
    case NoticeCode::kPendingExpiration:
      body["webhook_type"] = "ITEM";
      body["webhook_code"] = "PENDING_EXPIRATION";
      body["item_id"] = item_id;
      body["consent_expiration_time"] =
          FormatDateTime(world->consents().Get(n.consent).expires_at);
      break;
    case NoticeCode::kLoginRequired: {
      body["webhook_type"] = "ITEM";
      body["webhook_code"] = "ERROR";
      body["item_id"] = item_id;
      Json error = ErrorJson(kLoginRequired, "");
      error.erase("request_id");
      body["error"] = std::move(error);
      break;
    }
  }
  body["environment"] = "sandbox";
  return body.dump();
}

std::optional<Delivery> PlaidService::Impl::NextDelivery() {
  std::unique_lock<std::mutex> lock(queue_mu);
  queue_cv.wait(lock, [this] { return stopping || !queue.empty(); });
  if (stopping) return std::nullopt;
  Delivery d = std::move(queue.front());
  queue.pop_front();
  return d;
}

void PlaidService::Impl::RunClient() {
  HttpClient http_client(std::chrono::seconds(5));
  while (std::optional<Delivery> next = NextDelivery()) {
    Delivery& d = *next;
    // Plaid's webhook signature: a JWT whose claims are the wall-clock issue time
    // (receivers compare it with their own clock) and the SHA-256 of the body.
    const auto iat = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    Json claims;
    claims["iat"] = iat;
    claims["request_body_sha256"] = Sha256Hex(d.body);
    auto url = ParseUrl(d.url);
    if (url.ok()) {
      auto res = http_client.Send(*url, "POST", url->path.empty() ? "/" : url->path,
                                  {{"Plaid-Verification", key.SignJwt(claims.dump())}}, d.body);
      d.ok = res.ok() && res->status >= 200 && res->status < 300;
    }
    std::lock_guard<std::mutex> lock(queue_mu);
    done.push_back(std::move(d));
  }
}

Result<std::unique_ptr<PlaidService>> PlaidService::Create(mocks::World* world, Simulator* sim,
                                                           std::vector<LiveBank*> banks) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto key = Es256Key::Generate(now);
  if (!key.ok()) return key.error();
  auto impl = std::make_unique<Impl>(std::move(key).value());
  impl->world = world;
  impl->sim = sim;
  impl->banks.resize(banks.size());
  for (LiveBank* b : banks) {
    if (b->dialect() != mocks::Dialect::kPlaid) continue;
    auto pb = std::make_unique<PlaidBank>(
        b, world->env().Stream("live.plaid.request_id", b->index()));
    Rng rng = world->env().Stream("live.plaid.cursor_key", b->index());
    for (std::size_t i = 0; i < pb->cursor_key.size(); i += 8) {
      std::uint64_t v = rng.Next();
      std::memcpy(pb->cursor_key.data() + i, &v, 8);
    }
    impl->banks[b->index()] = std::move(pb);
  }
  return std::unique_ptr<PlaidService>(new PlaidService(std::move(impl)));
}

PlaidService::PlaidService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->timer = impl_->sim->Register<&Impl::OnTimer>(impl_.get(), "live.plaid_timer");
  impl_->platform = impl_->world->outbox().set_receiver(this);
  impl_->client = std::thread([this] { impl_->RunClient(); });
}

PlaidService::~PlaidService() {
  Stop();
  impl_->world->outbox().set_receiver(impl_->platform);
}

void PlaidService::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu);
    impl_->stopping = true;
    impl_->queue.clear();
  }
  impl_->queue_cv.notify_all();
  if (impl_->client.joinable()) impl_->client.join();
}

void PlaidService::ApplyCompletions() {
  std::deque<Delivery> done;
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu);
    done.swap(impl_->done);
  }
  for (const Delivery& d : done) impl_->world->outbox().Settle(d.ticket, d.ok);
}

mocks::WebhookAnswer PlaidService::OnWebhook(const mocks::Webhook& w, std::uint32_t attempt,
                                             std::uint32_t ticket) {
  PlaidBank* pb = w.bank < impl_->banks.size() ? impl_->banks[w.bank].get() : nullptr;
  std::string body;
  const Item* item = nullptr;
  if (pb != nullptr && w.kind == mocks::WebhookKind::kItemUpdate) {
    auto n = impl_->notices.find(w.ref);
    if (n != impl_->notices.end()) {
      body = impl_->NoticeBody(n->second);
      item = &pb->items.at(n->second.consent);
    }
  } else if (pb != nullptr && w.kind == mocks::WebhookKind::kConsentRevoked) {
    auto it = pb->items.find(w.consent);
    if (it != pb->items.end()) {
      item = &it->second;
      Json error = ErrorJson(kRevoked, "");
      error.erase("request_id");
      Json b;
      b["webhook_type"] = "ITEM";
      b["webhook_code"] = "USER_PERMISSION_REVOKED";
      b["item_id"] = LiveBank::ConsentText(w.consent);
      b["error"] = std::move(error);
      b["environment"] = "sandbox";
      body = b.dump();
    }
  }
  if (item == nullptr) return impl_->platform->OnWebhook(w, attempt, ticket);
  // An Item without a webhook URL is told nothing: the notice goes nowhere.
  if (item->webhook.empty()) return mocks::WebhookAnswer::kAccepted;
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu);
    if (impl_->stopping) return mocks::WebhookAnswer::kAccepted;
    impl_->queue.push_back(Delivery{item->webhook, std::move(body), ticket, false});
  }
  impl_->queue_cv.notify_one();
  return mocks::WebhookAnswer::kPending;
}

// ---- Requests ------------------------------------------------------------------------

namespace {

// One request to a Plaid bank: its parsed body and the answers' request_id.
class Exchange {
 public:
  Exchange(const HttpRequest& request, PlaidBank& pb) : request_(request), pb_(pb) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 15; ++i) request_id_ += kAlphabet[pb.request_ids.Below(62)];
  }

  LiveBank& bank() const { return *pb_.bank; }
  PlaidBank& plaid() const { return pb_; }
  const Json& body() const { return body_; }
  const std::string& request_id() const { return request_id_; }

  HttpResponse Reply(Json out) const {
    out["request_id"] = request_id_;
    return Respond(request_, 200, out.dump(-1, ' ', false, Json::error_handler_t::replace),
                   bank().Now());
  }
  HttpResponse Refuse(const Failure& f, SimTime retry_after = 0) const {
    HttpResponse res =
        Respond(request_, f.status,
                ErrorJson(f, request_id_).dump(-1, ' ', false, Json::error_handler_t::replace),
                bank().Now());
    if (retry_after > 0) {
      res.set(http::field::retry_after, std::to_string(bank().RetryAfterSeconds(retry_after)));
    }
    return res;
  }

  // What every route checks first: a JSON object body, the API version, the client's
  // credentials and only fields the route knows.
  std::optional<Failure> Admit(std::initializer_list<const char*> fields) {
    auto type = request_.find(http::field::content_type);
    std::string media = type == request_.end() ? "" : std::string(type->value());
    media = media.substr(0, media.find(';'));
    media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
    for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (media != "application/json") {
      return Fail(400, "INVALID_REQUEST", "INVALID_HEADERS",
                  "the Content-Type header must be application/json");
    }
    body_ = Json::parse(request_.body(), nullptr, false);
    if (body_.is_discarded() || !body_.is_object()) {
      return Fail(400, "INVALID_REQUEST", "INVALID_BODY", "the request body is not a JSON object");
    }
    auto version = request_.find("Plaid-Version");
    if (version != request_.end() && version->value() != kPlaidApiVersion) {
      return Fail(400, "INVALID_REQUEST", "INCOMPATIBLE_API_VERSION",
                  "Plaid-Version '" + std::string(version->value()) + "' is not served; bpsim " +
                      "serves " + kPlaidApiVersion);
    }
    std::string unknown;
    for (const auto& [k, v] : body_.items()) {
      bool known = k == "client_id" || k == "secret";
      for (const char* f : fields) known |= k == f;
      if (!known) unknown += (unknown.empty() ? "" : ", ") + k;
    }
    if (!unknown.empty()) {
      return Fail(400, "INVALID_REQUEST", "UNKNOWN_FIELDS",
                  "the following fields are not recognized by this endpoint: " + unknown);
    }
    auto credential = [&](const char* field, const char* header) -> std::optional<std::string> {
      if (body_.contains(field) && body_[field].is_string()) return body_[field].get<std::string>();
      auto h = request_.find(header);
      if (h != request_.end()) return std::string(h->value());
      return std::nullopt;
    };
    std::optional<std::string> id = credential("client_id", "PLAID-CLIENT-ID");
    std::optional<std::string> secret = credential("secret", "PLAID-SECRET");
    if (!id || !secret) {
      std::string missing = !id && !secret ? "client_id, secret" : !id ? "client_id" : "secret";
      return Fail(400, "INVALID_REQUEST", "MISSING_FIELDS",
                  "the following required fields are missing: " + missing);
    }
    if (!ConstantTimeEquals(*id, kPlaidClientId) || !ConstantTimeEquals(*secret, kPlaidSecret)) {
      return Fail(400, "INVALID_INPUT", "INVALID_API_KEYS",
                  "invalid client_id or secret provided");
    }
    return std::nullopt;
  }

  // A required string field; MISSING_FIELDS / INVALID_FIELD otherwise.
  std::optional<Failure> RequiredString(const char* field, std::string* out) const {
    if (!body_.contains(field)) {
      return Fail(400, "INVALID_REQUEST", "MISSING_FIELDS",
                  std::string("the following required fields are missing: ") + field);
    }
    if (!body_[field].is_string()) return InvalidField(std::string(field) + " must be a string");
    *out = body_[field].get<std::string>();
    return std::nullopt;
  }
  // An optional object field (absent: an empty object).
  std::optional<Failure> Object(const Json& in, const char* field, Json* out) const {
    *out = Json::object();
    if (!in.contains(field) || in[field].is_null()) return std::nullopt;
    if (!in[field].is_object()) return InvalidField(std::string(field) + " must be an object");
    *out = in[field];
    return std::nullopt;
  }

 private:
  const HttpRequest& request_;
  PlaidBank& pb_;
  Json body_;
  std::string request_id_;
};

// "access-sandbox-consent-N-<16 hex>" for an Item's consent.
std::string AccessTokenText(ConsentId id, std::uint64_t secret) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(secret));
  return "access-sandbox-" + LiveBank::ConsentText(id) + "-" + hex;
}

// The Item an access token names, or the error Plaid gives.
struct Access {
  Item* item = nullptr;
  std::uint64_t secret = 0;
};
std::variant<Access, Failure> Authenticate(Exchange& x) {
  std::string token;
  if (auto bad = x.RequiredString("access_token", &token)) return *bad;
  constexpr std::string_view kPrefix = "access-sandbox-";
  const Failure invalid = Fail(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                               "provided access token is in an invalid format. expected format: "
                               "access-<environment>-<identifier>");
  std::string_view rest(token);
  if (rest.substr(0, kPrefix.size()) != kPrefix) return invalid;
  rest.remove_prefix(kPrefix.size());
  const std::size_t dash = rest.rfind('-');
  if (dash == std::string_view::npos || rest.size() - dash - 1 != 16) return invalid;
  std::optional<ConsentId> id = x.bank().FindConsent(rest.substr(0, dash));
  std::uint64_t secret = 0;
  std::string_view hex = rest.substr(dash + 1);
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), secret, 16);
  auto item = id ? x.plaid().items.find(*id) : x.plaid().items.end();
  const Failure unknown = Fail(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                               "provided access token is not valid for this institution");
  if (ec != std::errc() || end != hex.data() + hex.size() || item == x.plaid().items.end() ||
      !item->second.exchanged || secret == 0 ||
      x.bank().consent(*id).token_secret != secret) {
    return unknown;
  }
  if (item->second.removed) return kItemNotFound;
  return Access{&item->second, secret};
}

// Products named in `list` (an array of strings): the supported ones as bits;
// PRODUCTS_NOT_SUPPORTED for one bpsim does not serve unless `lenient`.
std::variant<std::uint8_t, Failure> Products(const Json& list, const char* field, bool lenient) {
  if (!list.is_array()) return InvalidField(std::string(field) + " must be an array of products");
  std::uint8_t bits = 0;
  for (const Json& p : list) {
    const ProductName* found = nullptr;
    for (const ProductName& known : kProducts) {
      if (p.is_string() && p.get<std::string>() == known.name) found = &known;
    }
    if (found != nullptr) {
      bits |= found->bit;
    } else if (!lenient) {
      return Fail(400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED",
                  "the following products are not supported by this institution: " +
                      (p.is_string() ? p.get<std::string>() : p.dump()) +
                      " (bpsim banks serve balance and transactions)");
    }
  }
  return bits;
}

std::optional<Failure> WebhookUrl(const Json& in, std::string* out) {
  if (!in.contains("webhook") || in["webhook"].is_null()) return std::nullopt;
  const Json& w = in["webhook"];
  if (!w.is_string() || !ParseUrl(w.get<std::string>()).ok()) {
    return InvalidField("webhook must be an http:// URL (bpsim delivers webhooks without TLS)");
  }
  *out = w.get<std::string>();
  return std::nullopt;
}

mocks::ScopeSet ScopesOf(std::uint8_t products) {
  // Balances come with every Item, as at Plaid; transactions only when consented.
  mocks::ScopeSet s = mocks::kScopeAccounts | mocks::kScopeBalances;
  if (products & kProductTransactions) s |= mocks::kScopeTransactions;
  return s;
}

Json ProductList(std::uint8_t bits) {
  Json out = Json::array();
  for (const ProductName& p : kProducts) {
    if (bits & p.bit) out.push_back(p.name);
  }
  return out;
}

Json ItemJson(const Exchange& x, const Item& item) {
  const mocks::Consent& c = x.bank().consent(item.consent);
  Json j;
  j["item_id"] = LiveBank::ConsentText(item.consent);
  j["institution_id"] = PlaidInstitutionId(x.bank().id());
  j["institution_name"] = x.bank().id();
  j["webhook"] = item.webhook.empty() ? Json() : Json(item.webhook);
  j["auth_method"] = nullptr;
  const Failure* failure = ItemFailure(x.bank(), item);
  if (failure != nullptr) {
    Json error = ErrorJson(*failure, x.request_id());
    j["error"] = std::move(error);
  } else {
    j["error"] = nullptr;
  }
  j["available_products"] = ProductList(std::uint8_t(~item.products & 3));
  j["billed_products"] = ProductList(item.products);
  j["products"] = ProductList(item.products);
  j["consented_products"] = ProductList(item.products);
  j["consent_expiration_time"] = FormatDateTime(c.expires_at);
  j["update_type"] = "background";
  j["created_at"] = FormatDateTime(c.created_at);
  return j;
}

// An account in Plaid's AccountBase form; balances only from /accounts/balance/get
// (null elsewhere: every amount served is then labelled as balance data).
Json AccountJson(const LiveBank& bank, mocks::CustomerId customer, AccountKind kind,
                 std::optional<std::int64_t> cents) {
  const bool card = kind == AccountKind::kCard;
  Json balances;
  // Checking: the available balance (the ledger's); card: the amount owed, and no
  // credit limit (bpsim models none).
  balances["available"] = cents && !card ? Json(Dollars(*cents)) : Json();
  balances["current"] = cents ? Json(Dollars(card ? -*cents : *cents)) : Json();
  balances["limit"] = nullptr;
  balances["iso_currency_code"] = "USD";
  balances["unofficial_currency_code"] = nullptr;
  Json a;
  a["account_id"] = AccountId(bank.id(), customer, kind);
  a["balances"] = std::move(balances);
  char mask[8];
  std::snprintf(mask, sizeof mask, "%04u", customer % 10000);
  a["mask"] = mask;
  a["name"] = card ? "Credit Card" : "Checking";
  a["official_name"] = bank.id() + (card ? " Credit Card" : " Checking");
  a["type"] = card ? "credit" : "depository";
  a["subtype"] = card ? "credit card" : "checking";
  a["holder_category"] = "personal";
  return a;
}

// The Item's accounts for a service (bits of AccountGrants), narrowed by
// `account_ids` (an array of account ids; INVALID_ACCOUNT_ID for one not the Item's).
std::variant<std::uint8_t, Failure> Accounts(const Exchange& x, const Item& item,
                                             const Json& account_ids) {
  const mocks::CustomerId customer = x.bank().consent(item.consent).customer;
  if (account_ids.is_null()) return item.kinds;
  if (!account_ids.is_array()) return InvalidField("options.account_ids must be an array");
  std::uint8_t kinds = 0;
  for (const Json& id : account_ids) {
    std::optional<AccountRef> ref =
        id.is_string() ? ParseAccountId(x.bank().id(), id.get<std::string>()) : std::nullopt;
    if (!ref || ref->customer != customer || !(item.kinds & KindBit(ref->kind))) {
      return Fail(400, "INVALID_INPUT", "INVALID_ACCOUNT_ID",
                  "one or more of the account IDs is invalid: " + id.dump());
    }
    kinds |= KindBit(ref->kind);
  }
  return kinds;
}

Json AccountList(const LiveBank& bank, mocks::CustomerId customer, std::uint8_t kinds,
                 const mocks::Balances* balances = nullptr) {
  Json out = Json::array();
  for (AccountKind kind : {AccountKind::kChecking, AccountKind::kCard}) {
    if (!(kinds & KindBit(kind))) continue;
    std::optional<std::int64_t> cents;
    if (balances != nullptr) {
      cents = kind == AccountKind::kCard ? balances->card_cents : balances->checking_cents;
    }
    out.push_back(AccountJson(bank, customer, kind, cents));
  }
  return out;
}

// Maps a refusal of Bank::Handle to Plaid's error. `limit_code`: the endpoint's
// RATE_LIMIT_EXCEEDED code.
HttpResponse Refusal(const Exchange& x, const Item& item, const mocks::ApiResponse& r,
                     const char* limit_code) {
  using mocks::DenyReason;
  switch (r.status) {
    case 429:
      return x.Refuse(Fail(429, "RATE_LIMIT_EXCEEDED", limit_code,
                          "rate limit exceeded for this Item at " + x.bank().id()),
                     r.retry_after);
    case 503: {
      const mocks::Bank& b = x.bank().world().bank(x.bank().index());
      const bool down = b.HasOutage() && b.outage_mode() == mocks::OutageMode::kUnavailable;
      return x.Refuse(down ? Fail(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN",
                                 "this financial institution is not currently responding to "
                                 "requests. We apologize for the inconvenience.")
                          : Fail(400, "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING",
                                 "this financial institution is not currently responding to "
                                 "this request. please try again soon"),
                     r.retry_after);
    }
    case 500:
      return x.Refuse(Fail(500, "API_ERROR", "INTERNAL_SERVER_ERROR",
                          "an unexpected error occurred at the institution"));
    default:
      break;
  }
  if (r.reason == DenyReason::kConsentInactive) {
    const Failure* failure = ItemFailure(x.bank(), item);
    return x.Refuse(failure != nullptr ? *failure : kItemNotFound);
  }
  if (r.reason == DenyReason::kScope) {
    return x.Refuse(Fail(400, "INVALID_INPUT", "ADDITIONAL_CONSENT_REQUIRED",
                        "client does not have user consent to access the PRODUCT_TRANSACTIONS "
                        "product for this Item"));
  }
  return x.Refuse(Fail(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                      "provided access token is not valid for this Item"));
}

// Runs a data request for an Item through the bank's logic.
mocks::ApiResponse Fetch(const Exchange& x, const Access& access, Category category,
                         std::uint8_t kinds, SimTime from = 0, SimTime to = 0) {
  mocks::ApiRequest req;
  req.token_consent = access.item->consent;
  req.token_secret = access.secret;
  req.category = category;
  req.subject = x.bank().consent(access.item->consent).customer;
  mocks::ScopeSet scopes = 0;
  for (std::uint8_t bit : {kCheckingBit, kCardBit}) {
    if (kinds & bit) scopes |= x.bank().ScopesOn(access.item->consent, bit);
  }
  req.account_scopes = scopes;
  req.window_from = from;
  req.window_to = to;
  return x.bank().Fetch(req);
}

// ---- Routes ----------------------------------------------------------------------------

struct LinkSpec {
  mocks::CustomerId customer = mocks::kNoSubject;
  std::uint8_t products = 0, kinds = kCheckingBit | kCardBit;
  std::string webhook;
};

// Creates an Item's consent for `spec`; `authorise`: the customer has finished
// Link already (the sandbox's shortcut).
Item& NewItem(Exchange& x, const LinkSpec& spec, bool authorise) {
  LiveBank& bank = x.bank();
  const mocks::CustomerId customer =
      spec.customer != mocks::kNoSubject ? spec.customer : bank.AssignCustomer();
  const ConsentId id = bank.CreateConsent(
      customer, ScopesOf(spec.products),
      bank.world().spec().world.banks[bank.index()].api.max_consent_life);
  if (spec.kinds != (kCheckingBit | kCardBit)) {
    bank.SetGrants(id, AccountGrants{spec.kinds, spec.kinds, spec.kinds});
  }
  if (authorise) bank.Decide(id, true);
  Item& item = x.plaid().items[id];
  item.consent = id;
  item.webhook = spec.webhook;
  item.products = spec.products;
  item.kinds = spec.kinds;
  return item;
}

HttpResponse LinkTokenCreate(Exchange& x) {
  // Fields that change what Link does in ways bpsim does not model are refused
  // rather than ignored; the others only dress Link up.
  if (auto bad = x.Admit({"client_name", "language", "country_codes", "user", "user_id",
                          "products", "required_if_supported_products", "optional_products",
                          "additional_consented_products", "webhook", "access_token",
                          "access_tokens", "link_customization_name", "appearance_mode",
                          "redirect_uri", "android_package_name", "institution_data",
                          "card_switch", "account_filters", "eu_config", "institution_id",
                          "payment_configuration", "payment_initiation", "employment",
                          "income_verification", "base_report", "credit_partner_insights",
                          "cra_options", "consumer_report_permissible_purpose", "auth",
                          "transfer", "update", "identity_verification", "statements",
                          "third_party_user_token", "investments", "investments_auth",
                          "hosted_link", "transactions", "cashflow_report", "cra_enabled",
                          "identity", "financekit_supported", "enable_multi_item_link",
                          "user_token"})) {
    return x.Refuse(*bad);
  }
  const Json& b = x.body();
  for (const char* modelled_not :
       {"access_token", "access_tokens", "user_token", "user_id", "update", "payment_initiation",
        "payment_configuration", "employment", "income_verification", "base_report",
        "credit_partner_insights", "cra_options", "consumer_report_permissible_purpose",
        "transfer", "identity_verification", "statements", "third_party_user_token",
        "investments", "investments_auth", "hosted_link", "cashflow_report", "cra_enabled",
        "card_switch", "enable_multi_item_link", "eu_config", "institution_data"}) {
    if (b.contains(modelled_not) && !b[modelled_not].is_null()) {
      return x.Refuse(InvalidField(std::string(modelled_not) +
                                  " is not modelled by bpsim (docs/live-mode.md, \"Plaid\")"));
    }
  }
  std::string text;
  if (auto bad = x.RequiredString("client_name", &text)) return x.Refuse(*bad);
  if (auto bad = x.RequiredString("language", &text)) return x.Refuse(*bad);
  if (!b.contains("country_codes") || !b["country_codes"].is_array() ||
      b["country_codes"].empty()) {
    return x.Refuse(InvalidField("country_codes must be a non-empty array"));
  }
  Json user;
  if (auto bad = x.Object(b, "user", &user)) return x.Refuse(*bad);
  if (!user.contains("client_user_id") || !user["client_user_id"].is_string()) {
    return x.Refuse(Fail(400, "INVALID_REQUEST", "MISSING_FIELDS",
                        "the following required fields are missing: user.client_user_id"));
  }
  if (b.contains("institution_id") && b["institution_id"] != PlaidInstitutionId(x.bank().id())) {
    return x.Refuse(Fail(400, "INVALID_INPUT", "INVALID_INSTITUTION",
                        "invalid institution_id provided: this bank is " +
                            PlaidInstitutionId(x.bank().id())));
  }
  LinkSpec spec;
  // The test customer: the one user.client_user_id names (a customer number of this
  // bank), else the bank's customers in turn.
  if (auto c = x.bank().Customer(user["client_user_id"].get<std::string>())) spec.customer = *c;
  if (!b.contains("products")) {
    return x.Refuse(Fail(400, "INVALID_REQUEST", "MISSING_FIELDS",
                        "the following required fields are missing: products"));
  }
  for (const char* field : {"products", "additional_consented_products",
                            "required_if_supported_products", "optional_products"}) {
    if (!b.contains(field) || b[field].is_null()) continue;
    // Products Link adds only when the institution supports them are skipped.
    const bool lenient = field[0] == 'r' || field[0] == 'o';
    auto bits = Products(b[field], field, lenient);
    if (auto* f = std::get_if<Failure>(&bits)) return x.Refuse(*f);
    spec.products |= std::get<std::uint8_t>(bits);
  }
  if (spec.products == 0) return x.Refuse(InvalidField("products must name balance or transactions"));
  if (auto bad = WebhookUrl(b, &spec.webhook)) return x.Refuse(*bad);
  Json filters;
  if (auto bad = x.Object(b, "account_filters", &filters)) return x.Refuse(*bad);
  if (!filters.empty()) {
    spec.kinds = 0;
    auto allows = [&](const char* type, const char* subtype) {
      if (!filters.contains(type) || !filters[type].is_object()) return false;
      const Json& subtypes = filters[type].value("account_subtypes", Json());
      if (!subtypes.is_array()) return false;
      return std::any_of(subtypes.begin(), subtypes.end(),
                         [&](const Json& s) { return s == subtype || s == "all"; });
    };
    if (allows("depository", "checking")) spec.kinds |= kCheckingBit;
    if (allows("credit", "credit card")) spec.kinds |= kCardBit;
    if (spec.kinds == 0) {
      return x.Refuse(InvalidField(
          "account_filters leave no account of this institution (depository checking, credit "
          "credit card)"));
    }
  }
  Item& item = NewItem(x, spec, false);
  const std::string link_token = "link-sandbox-" + x.bank().NewUuid();
  x.bank().AddConsentAlias(link_token, item.consent);
  Json out;
  out["link_token"] = link_token;
  out["expiration"] = FormatDateTime(x.bank().Now() + kLinkTokenLife);
  return x.Reply(std::move(out));
}

HttpResponse SandboxPublicTokenCreate(Exchange& x) {
  if (auto bad = x.Admit({"institution_id", "initial_products", "options", "user_token",
                          "user_id"})) {
    return x.Refuse(*bad);
  }
  const Json& b = x.body();
  for (const char* modelled_not : {"user_token", "user_id"}) {
    if (b.contains(modelled_not) && !b[modelled_not].is_null()) {
      return x.Refuse(InvalidField(std::string(modelled_not) + " is not modelled by bpsim"));
    }
  }
  std::string institution;
  if (auto bad = x.RequiredString("institution_id", &institution)) return x.Refuse(*bad);
  if (institution != PlaidInstitutionId(x.bank().id())) {
    return x.Refuse(Fail(400, "INVALID_INPUT", "INVALID_INSTITUTION",
                        "invalid institution_id provided: this bank is " +
                            PlaidInstitutionId(x.bank().id())));
  }
  if (!b.contains("initial_products")) {
    return x.Refuse(Fail(400, "INVALID_REQUEST", "MISSING_FIELDS",
                        "the following required fields are missing: initial_products"));
  }
  LinkSpec spec;
  auto bits = Products(b["initial_products"], "initial_products", false);
  if (auto* f = std::get_if<Failure>(&bits)) return x.Refuse(*f);
  spec.products = std::get<std::uint8_t>(bits);
  if (spec.products == 0) {
    return x.Refuse(InvalidField("initial_products must name balance or transactions"));
  }
  Json options;
  if (auto bad = x.Object(b, "options", &options)) return x.Refuse(*bad);
  for (const auto& [k, v] : options.items()) {
    if (k != "webhook" && k != "override_username" && k != "override_password") {
      return x.Refuse(InvalidField("options." + k + " is not modelled by bpsim"));
    }
  }
  if (auto bad = WebhookUrl(options, &spec.webhook)) return x.Refuse(*bad);
  // The test user: override_username is a customer number of this bank, or
  // user_good (the default): the bank's customers in turn.
  const Json& username = options.value("override_username", Json("user_good"));
  const Json& password = options.value("override_password", Json("pass_good"));
  if (!username.is_string() || !password.is_string() || password != "pass_good" ||
      (username != "user_good" && !x.bank().Customer(username.get<std::string>()))) {
    return x.Refuse(Fail(400, "ITEM_ERROR", "INVALID_CREDENTIALS",
                        "the provided credentials were not correct: override_username must be "
                        "user_good or a customer number of " +
                            x.bank().id() + ", override_password pass_good"));
  }
  if (username != "user_good") spec.customer = *x.bank().Customer(username.get<std::string>());
  Item& item = NewItem(x, spec, true);
  Json out;
  out["public_token"] = x.bank().IssueCode(
      item.consent, std::max<SimTime>(kPublicTokenLife, x.bank().CodeLifetime()));
  return x.Reply(std::move(out));
}

}  // namespace

// Routes that need the service (timers, notices, the key) are members' friends here.
namespace {

HttpResponse PublicTokenExchange(Exchange& x, PlaidService::Impl& service) {
  if (auto bad = x.Admit({"public_token"})) return x.Refuse(*bad);
  std::string token;
  if (auto bad = x.RequiredString("public_token", &token)) return x.Refuse(*bad);
  Result<ConsentId> consent = x.bank().RedeemCode(token, std::nullopt);
  auto item = consent.ok() ? x.plaid().items.find(*consent) : x.plaid().items.end();
  if (item == x.plaid().items.end()) {
    return x.Refuse(Fail(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
                        "provided public token is expired, already used or not valid" +
                            (consent.ok() ? std::string() : ": " + consent.error().message)));
  }
  if (!item->second.exchanged) {
    item->second.exchanged = true;
    item->second.announced_to = x.bank().Now() + 1;
    service.StartTimers(x.bank().index(), item->second);
  }
  Json out;
  out["access_token"] = AccessTokenText(*consent, x.bank().consent(*consent).token_secret);
  out["item_id"] = LiveBank::ConsentText(*consent);
  return x.Reply(std::move(out));
}

}  // namespace

namespace {

HttpResponse AccountsGet(Exchange& x, bool balances) {
  if (auto bad = x.Admit({"access_token", "options"})) return x.Refuse(*bad);
  auto access = Authenticate(x);
  if (auto* f = std::get_if<Failure>(&access)) return x.Refuse(*f);
  const Access& a = std::get<Access>(access);
  Json options;
  if (auto bad = x.Object(x.body(), "options", &options)) return x.Refuse(*bad);
  auto kinds = Accounts(x, *a.item, options.value("account_ids", Json()));
  if (auto* f = std::get_if<Failure>(&kinds)) return x.Refuse(*f);
  const Category category = balances ? Category::kBalance : Category::kAccounts;
  mocks::ApiResponse r = Fetch(x, a, category, std::get<std::uint8_t>(kinds));
  if (r.status != 200) return Refusal(x, *a.item, r, balances ? "BALANCE_LIMIT" : "ACCOUNTS_LIMIT");
  const mocks::CustomerId customer = x.bank().consent(a.item->consent).customer;
  const std::uint8_t served = std::get<std::uint8_t>(kinds) &
                              (balances ? x.bank().Grants(a.item->consent).balances
                                        : x.bank().Grants(a.item->consent).accounts);
  if (balances) {
    if (served & kCheckingBit) x.bank().NoteAmount(r.balances.checking_cents, customer, category);
    if (served & kCardBit) x.bank().NoteAmount(r.balances.card_cents, customer, category);
  }
  Json out;
  out["accounts"] = AccountList(x.bank(), customer, served, balances ? &r.balances : nullptr);
  out["item"] = ItemJson(x, *a.item);
  return x.Reply(std::move(out));
}

// The Item's transactions in `kinds`, authorised in [from, to), each as its changes
// (SyncEvent) or, with `as_of` > 0, as it stood at `as_of` (one event per
// transaction, at its authorisation or posting time). Card transactions come from
// the bank's answer `r`, salary credits from the ledger.
std::vector<SyncEvent> Changes(const Exchange& x, mocks::CustomerId customer, std::uint8_t kinds,
                               const mocks::ApiResponse& r, SimTime from, SimTime to,
                               SimTime as_of) {
  std::vector<SyncEvent> out;
  const mocks::LedgerView& ledger = x.bank().world().population();
  const std::string card = AccountId(x.bank().id(), customer, AccountKind::kCard);
  const std::string checking = AccountId(x.bank().id(), customer, AccountKind::kChecking);
  if (kinds & kCardBit) {
    for (const mocks::CardTransaction& tx : r.transactions) {
      if (tx.time < from || tx.time >= to) continue;
      const SimTime booked = ledger.CardBookedAt(customer, tx);
      const auto day = static_cast<std::uint32_t>(tx.time / kDay);
      TxFields f;
      f.account_id = card;
      f.amount_cents = tx.amount_cents;
      f.authorized = tx.time;
      f.name = mocks::kMerchantCategories[tx.merchant_category];
      f.category = &kFinanceCategories[tx.merchant_category];
      SyncEvent pending{tx.time, EventKey(kCardBit, day, tx.seq, SyncEvent::kAddPending),
                        SyncEvent::kAddPending, f};
      pending.tx.pending = true;
      pending.tx.transaction_id = PendingTransactionId(customer, tx);
      SyncEvent posted{booked, EventKey(kCardBit, day, tx.seq, SyncEvent::kAddBooked),
                       SyncEvent::kAddBooked, f};
      posted.tx.posted = booked;
      posted.tx.transaction_id = TransactionId(customer, tx);
      posted.tx.pending_transaction_id = pending.tx.transaction_id;
      if (as_of > 0) {
        out.push_back(booked < as_of ? posted : pending);
        continue;
      }
      out.push_back(pending);
      SyncEvent removal = pending;
      removal.time = booked;
      removal.key = EventKey(kCardBit, day, tx.seq, SyncEvent::kRemovePending);
      removal.op = SyncEvent::kRemovePending;
      out.push_back(std::move(removal));
      out.push_back(std::move(posted));
    }
  }
  if (kinds & kCheckingBit) {
    std::vector<mocks::CheckingEntry> entries;
    ledger.CheckingEntriesIn(customer, std::max<SimTime>(0, from), to, &entries);
    for (const mocks::CheckingEntry& e : entries) {
      TxFields f;
      f.account_id = checking;
      f.transaction_id = SalaryTransactionId(customer, e.time);
      f.amount_cents = -e.amount_cents;  // money in
      f.authorized = f.posted = e.time;
      f.name = "salary";
      f.category = &kSalaryCategory;
      out.push_back(SyncEvent{e.time,
                              EventKey(kCheckingBit, std::uint32_t(e.time / kDay), kSalarySeq,
                                       SyncEvent::kAddBooked),
                              SyncEvent::kAddBooked, f});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// An integer field of `in` (`prefix` + `field` in messages): `fallback` when absent,
// else from `min` to `max`.
std::optional<Failure> Integer(const Json& in, const char* prefix, const char* field,
                               std::int64_t fallback, std::int64_t min, std::int64_t max,
                               std::int64_t* out) {
  *out = fallback;
  if (!in.contains(field) || in[field].is_null()) return std::nullopt;
  const Json& v = in[field];
  if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
    return InvalidField(std::string(prefix) + field + " must be an integer from " +
                        std::to_string(min) + " to " + std::to_string(max));
  }
  *out = v.get<std::int64_t>();
  return std::nullopt;
}

HttpResponse TransactionsSync(Exchange& x) {
  if (auto bad = x.Admit({"access_token", "cursor", "count", "options"})) return x.Refuse(*bad);
  auto access = Authenticate(x);
  if (auto* f = std::get_if<Failure>(&access)) return x.Refuse(*f);
  const Access& a = std::get<Access>(access);
  const Item& item = *a.item;
  const Json& b = x.body();
  std::int64_t count = 0;
  if (auto bad = Integer(b, "", "count", kDefaultPage, 1, kMaxPage, &count)) return x.Refuse(*bad);
  Json options;
  if (auto bad = x.Object(b, "options", &options)) return x.Refuse(*bad);
  for (const auto& [k, v] : options.items()) {
    if (k != "account_id" && k != "days_requested" && k != "include_original_description" &&
        k != "include_personal_finance_category") {
      return x.Refuse(InvalidField("options." + k + " is not modelled by bpsim"));
    }
  }
  std::uint8_t kinds = x.bank().Grants(item.consent).transactions & item.kinds;
  if (options.contains("account_id")) {
    auto one = Accounts(x, item, Json::array({options["account_id"]}));
    if (auto* f = std::get_if<Failure>(&one)) return x.Refuse(*f);
    kinds &= std::get<std::uint8_t>(one);
  }
  const SimTime horizon = x.bank().Now() + 1;  // everything up to now is final
  Cursor cursor;
  const Json& cursor_json = b.value("cursor", Json());
  if (!cursor_json.is_null() && !cursor_json.is_string()) {
    return x.Refuse(InvalidField("cursor must be a string"));
  }
  const std::string cursor_text = cursor_json.is_string() ? cursor_json.get<std::string>() : "";
  if (cursor_text.empty()) {
    // The first call: the Item's transactions of the last days_requested days.
    std::int64_t days = 0;
    if (auto bad = Integer(options, "options.", "days_requested", 90, 1, 730, &days)) {
      return x.Refuse(*bad);
    }
    cursor = Cursor{item.consent, kinds, 0, horizon, 0, horizon - SimTime(days) * kDay};
  } else {
    std::optional<Cursor> c = DecodeCursor(x.plaid(), cursor_text);
    if (!c || c->consent != item.consent || c->kinds != kinds) {
      return x.Refuse(InvalidField(
          "cursor is not a cursor of this Item (and options.account_id): pass the next_cursor "
          "of a previous /transactions/sync of this Item, or none to start"));
    }
    cursor = *c;
  }
  // The ledger is asked by authorisation time: a posting event comes at most
  // kMaxCardBookingDelay after it.
  const SimTime from = cursor.phase == 0 ? cursor.history_from
                                         : std::max(cursor.history_from,
                                                    cursor.time - mocks::kMaxCardBookingDelay);
  const SimTime to = cursor.phase == 0 ? cursor.time : horizon;
  mocks::ApiResponse r =
      Fetch(x, a, Category::kTransactions, kinds, std::max<SimTime>(0, from), to);
  if (r.status != 200) return Refusal(x, item, r, "TRANSACTIONS_SYNC_LIMIT");
  const mocks::CustomerId customer = x.bank().consent(item.consent).customer;
  std::vector<SyncEvent> events =
      Changes(x, customer, kinds, r, from, to, cursor.phase == 0 ? cursor.time : 0);
  Json added = Json::array(), removed = Json::array();
  Cursor next = cursor;
  bool has_more = false;
  auto serve = [&](const SyncEvent& e) {
    if (e.op == SyncEvent::kRemovePending) {
      removed.push_back({{"transaction_id", e.tx.transaction_id}, {"account_id", e.tx.account_id}});
      return;
    }
    x.bank().NoteAmount(e.tx.amount_cents, customer, Category::kTransactions);
    added.push_back(TransactionJson(e.tx));
  };
  if (cursor.phase == 0) {
    // The Item's transactions as they stood at cursor.time, `count` at a time.
    const std::size_t begin = std::min<std::size_t>(cursor.position, events.size());
    const std::size_t end = std::min(events.size(), begin + std::size_t(count));
    for (std::size_t i = begin; i < end; ++i) serve(events[i]);
    has_more = end < events.size();
    next = has_more ? Cursor{item.consent, kinds, 0, cursor.time, end, cursor.history_from}
                    : Cursor{item.consent, kinds, 1, cursor.time, 0, cursor.history_from};
  } else {
    // The changes from (cursor.time, cursor.position) on; the next cursor is the
    // position after the last one sent, so it stays the same while nothing changes.
    std::int64_t sent = 0;
    for (const SyncEvent& e : events) {
      if (e.time < cursor.time || (e.time == cursor.time && e.key < cursor.position)) continue;
      if (e.time >= horizon) break;
      if (sent == count) {
        has_more = true;
        break;
      }
      serve(e);
      ++sent;
      next.time = e.time;
      next.position = e.key + 1;
    }
  }
  Json out;
  out["transactions_update_status"] = "HISTORICAL_UPDATE_COMPLETE";
  out["accounts"] = AccountList(x.bank(), customer, kinds);
  out["added"] = std::move(added);
  out["modified"] = Json::array();  // bpsim's ledger never changes a transaction
  out["removed"] = std::move(removed);
  out["next_cursor"] = EncodeCursor(x.plaid(), next);
  out["has_more"] = has_more;
  return x.Reply(std::move(out));
}

HttpResponse TransactionsGet(Exchange& x) {
  if (auto bad = x.Admit({"access_token", "start_date", "end_date", "options"})) {
    return x.Refuse(*bad);
  }
  auto access = Authenticate(x);
  if (auto* f = std::get_if<Failure>(&access)) return x.Refuse(*f);
  const Access& a = std::get<Access>(access);
  const Item& item = *a.item;
  std::string start_text, end_text;
  if (auto bad = x.RequiredString("start_date", &start_text)) return x.Refuse(*bad);
  if (auto bad = x.RequiredString("end_date", &end_text)) return x.Refuse(*bad);
  std::optional<SimTime> start = start_text.size() == 10 ? ParseDateTime(start_text) : std::nullopt;
  std::optional<SimTime> end = end_text.size() == 10 ? ParseDateTime(end_text) : std::nullopt;
  if (!start || !end) return x.Refuse(InvalidField("start_date and end_date must be dates YYYY-MM-DD"));
  if (*start > *end) return x.Refuse(InvalidField("start_date must not be after end_date"));
  Json options;
  if (auto bad = x.Object(x.body(), "options", &options)) return x.Refuse(*bad);
  std::int64_t count = 0, offset = 0;
  if (auto bad = Integer(options, "options.", "count", kDefaultPage, 1, kMaxPage, &count)) {
    return x.Refuse(*bad);
  }
  if (auto bad = Integer(options, "options.", "offset", 0, 0, std::int64_t(1) << 40, &offset)) {
    return x.Refuse(*bad);
  }
  auto kinds = Accounts(x, item, options.value("account_ids", Json()));
  if (auto* f = std::get_if<Failure>(&kinds)) return x.Refuse(*f);
  const std::uint8_t wanted =
      std::get<std::uint8_t>(kinds) & x.bank().Grants(item.consent).transactions;
  // By date: pending ones by their authorisation date, posted ones by posting date,
  // at most kMaxCardBookingDelay after authorisation.
  const SimTime to = std::min(*end + kDay, x.bank().Now() + 1);
  mocks::ApiResponse r = Fetch(x, a, Category::kTransactions, std::get<std::uint8_t>(kinds),
                               std::max<SimTime>(0, *start - mocks::kMaxCardBookingDelay),
                               std::max<SimTime>(0, to));
  if (r.status != 200) return Refusal(x, item, r, "TRANSACTIONS_LIMIT");
  const mocks::CustomerId customer = x.bank().consent(item.consent).customer;
  std::vector<SyncEvent> now = Changes(x, customer, wanted, r, std::max<SimTime>(0, *start) -
                                                                   mocks::kMaxCardBookingDelay,
                                       std::max<SimTime>(0, to), x.bank().Now() + 1);
  std::vector<const TxFields*> listed;
  for (const SyncEvent& e : now) {
    const SimTime date = (e.tx.pending ? e.tx.authorized : e.tx.posted) / kDay * kDay;
    if (date >= *start && date <= *end) listed.push_back(&e.tx);
  }
  // Newest first, as Plaid lists them.
  std::stable_sort(listed.begin(), listed.end(), [](const TxFields* p, const TxFields* q) {
    const SimTime dp = p->pending ? p->authorized : p->posted;
    const SimTime dq = q->pending ? q->authorized : q->posted;
    return dp / kDay != dq / kDay ? dp > dq : p->transaction_id > q->transaction_id;
  });
  Json transactions = Json::array();
  for (std::size_t i = std::size_t(std::min<std::int64_t>(offset, std::int64_t(listed.size())));
       i < listed.size() && transactions.size() < std::size_t(count); ++i) {
    x.bank().NoteAmount(listed[i]->amount_cents, customer, Category::kTransactions);
    transactions.push_back(TransactionJson(*listed[i]));
  }
  Json out;
  out["accounts"] = AccountList(x.bank(), customer, wanted);
  out["transactions"] = std::move(transactions);
  out["total_transactions"] = listed.size();
  out["item"] = ItemJson(x, item);
  return x.Reply(std::move(out));
}

HttpResponse ItemGet(Exchange& x) {
  if (auto bad = x.Admit({"access_token"})) return x.Refuse(*bad);
  auto access = Authenticate(x);
  if (auto* f = std::get_if<Failure>(&access)) return x.Refuse(*f);
  Json out;
  out["item"] = ItemJson(x, *std::get<Access>(access).item);
  out["status"] = nullptr;
  return x.Reply(std::move(out));
}

HttpResponse ItemRemove(Exchange& x) {
  if (auto bad = x.Admit({"access_token", "reason_code", "reason_note"})) return x.Refuse(*bad);
  auto access = Authenticate(x);
  if (auto* f = std::get_if<Failure>(&access)) return x.Refuse(*f);
  Item& item = *std::get<Access>(access).item;
  // The platform revokes: the consent ends at the bank (revoked, as a DELETE does in
  // the other dialects) and the access token is no longer valid.
  x.bank().Terminate(item.consent);
  item.removed = true;
  return x.Reply(Json::object());
}

}  // namespace

HttpResponse PlaidService::Handle(mocks::BankIndex index, const HttpRequest& request,
                                  std::string* route) {
  PlaidBank& pb = *impl_->banks.at(index);
  Exchange x(request, pb);
  *route = "unknown";
  const std::string_view target = request.target();
  const std::string path(target.substr(0, target.find('?')));
  static const std::set<std::string> kRoutes = {
      "/link/token/create",      "/sandbox/public_token/create", "/item/public_token/exchange",
      "/accounts/get",           "/accounts/balance/get",        "/transactions/sync",
      "/transactions/get",       "/item/get",                    "/item/remove",
      "/webhook_verification_key/get", "/sandbox/item/fire_webhook"};
  if (kRoutes.count(path) == 0 || request.method() != http::verb::post) {
    if (kRoutes.count(path) != 0) *route = "POST " + path;
    return x.Refuse(Fail(404, "INVALID_REQUEST", "NOT_FOUND",
                        "there is no " + std::string(request.method_string()) + " " + path +
                            ": every route of the Plaid API is a POST"));
  }
  *route = "POST " + path;
  if (path == "/link/token/create") return LinkTokenCreate(x);
  if (path == "/sandbox/public_token/create") return SandboxPublicTokenCreate(x);
  if (path == "/item/public_token/exchange") return PublicTokenExchange(x, *impl_);
  if (path == "/accounts/get") return AccountsGet(x, false);
  if (path == "/accounts/balance/get") return AccountsGet(x, true);
  if (path == "/transactions/sync") return TransactionsSync(x);
  if (path == "/transactions/get") return TransactionsGet(x);
  if (path == "/item/get") return ItemGet(x);
  if (path == "/item/remove") return ItemRemove(x);
  if (path == "/webhook_verification_key/get") {
    if (auto bad = x.Admit({"key_id"})) return x.Refuse(*bad);
    std::string kid;
    if (auto bad = x.RequiredString("key_id", &kid)) return x.Refuse(*bad);
    if (kid != impl_->key.kid()) {
      return x.Refuse(Fail(400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                          "invalid key_id provided: no webhook verification key '" + kid + "'"));
    }
    Json out;
    out["key"] = Json::parse(impl_->key.PublicJwk());
    return x.Reply(std::move(out));
  }
  // /sandbox/item/fire_webhook: what Plaid's sandbox fires by hand, done for real.
  if (auto bad = x.Admit({"access_token", "webhook_type", "webhook_code"})) return x.Refuse(*bad);
  auto access = Authenticate(x);
  if (auto* f = std::get_if<Failure>(&access)) return x.Refuse(*f);
  Item& item = *std::get<Access>(access).item;
  std::string code;
  if (auto bad = x.RequiredString("webhook_code", &code)) return x.Refuse(*bad);
  if (code != "SYNC_UPDATES_AVAILABLE" && code != "USER_PERMISSION_REVOKED") {
    return x.Refuse(InvalidField(
        "webhook_code must be SYNC_UPDATES_AVAILABLE or USER_PERMISSION_REVOKED: bpsim fires "
        "these by hand; the others come from the bank's own events"));
  }
  if (item.webhook.empty()) {
    return x.Refuse(Fail(400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID",
                        "the Item has no webhook URL to fire to"));
  }
  if (const Failure* failure = ItemFailure(*pb.bank, item)) return x.Refuse(*failure);
  if (code == "SYNC_UPDATES_AVAILABLE") {
    impl_->SendNotice(NoticeCode::kSyncUpdates, index, item);
  } else {
    // The customer revokes at the bank: the consent ends and the bank tells the
    // platform (USER_PERMISSION_REVOKED, through this service).
    const mocks::Consent& k = impl_->world->consents().Get(item.consent);
    impl_->world->CustomerRevokes(k.customer, item.consent, /*in_messenger=*/false);
  }
  Json out;
  out["webhook_fired"] = true;
  return x.Reply(std::move(out));
}

}  // namespace bpsim::harness::live
