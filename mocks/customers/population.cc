#include "mocks/customers/population.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

namespace bpsim::mocks {

namespace {

constexpr SimTime kPaydayTime = 9 * kHour;
constexpr SimTime kStatementTime = 10 * kHour;
constexpr std::uint32_t kStatementCycleDays = 30;
// Fraudsters spend more per transaction than the card's owner.
constexpr double kFraudAmountMedianCents = 15'000;
constexpr double kFraudAmountP99Cents = 120'000;

std::int64_t DrawCents(Rng& rng, const LogNormalParams& amount) {
  return std::max<std::int64_t>(1, std::llround(rng.LogNormal(amount)));
}

// One day of card activity drawn from `rng`, appended to `out`: a Poisson number of
// transactions at uniform times, log-normal amounts, a merchant category, and the
// fraud engine's flag drawn with probability `flag_rate`.
template <typename Transactions>  // push_back(CardTransaction): a vector, or an arena appender
void AppendCardActivity(Rng& rng, std::uint32_t day, const PoissonParams& count,
                        const LogNormalParams& amount, double flag_rate, bool fraudulent,
                        std::uint32_t first_seq, Transactions* out);

// k uniform instants in [day_start, day_start + kDay), sorted.
void DrawTimes(Rng& rng, std::uint64_t k, SimTime day_start, std::vector<SimTime>* out) {
  out->clear();
  for (std::uint64_t i = 0; i < k; ++i) {
    out->push_back(day_start + static_cast<SimTime>(rng.Below(kDay)));
  }
  std::sort(out->begin(), out->end());
}

}  // namespace

Population::Population(const Env* env, const CustomersConfig& config,
                       const std::vector<BankConfig>& banks)
    : env_(env), config_(config) {
  for (const BankConfig& b : banks) {
    fp_rate_by_bank_.push_back(b.fraud.false_positive_rate);
    detection_by_bank_.push_back(b.fraud.detection_rate);
    detect_delay_by_bank_.push_back(b.fraud.detect_delay);
  }
  // Bank shares in bank order; empty = equal shares.
  std::vector<double> shares(banks.size(), config_.banks.empty() ? 1.0 : 0.0);
  for (const auto& [id, share] : config_.banks) {
    for (std::size_t i = 0; i < banks.size(); ++i) {
      if (banks[i].id == id) shares[i] = share;
    }
  }
  payday_days_ = static_cast<std::uint32_t>(std::max<SimTime>(1, config_.payday_every / kDay));
  customers_.resize(config_.count);
  salary_cents_.resize(config_.count);
  for (CustomerId c = 0; c < config_.count; ++c) {
    Rng rng = env_->Stream("customer.profile", c);
    Customer& k = customers_[c];
    k.bank = static_cast<BankIndex>(rng.Pick(shares));
    double salary = static_cast<double>(config_.salary_cents_median);
    const std::int64_t salary_cents = DrawCents(rng, LogNormalParams::Of(salary, salary * 3));
    salary_cents_[c] = salary_cents;
    k.payday_phase = static_cast<std::uint8_t>(rng.Below(payday_days_) % 256);
    k.statement_day = static_cast<std::uint8_t>(rng.Below(kStatementCycleDays));
    // Opening balances: about a month of salary in checking, a little owed on the card.
    k.checking_cents = salary_cents + static_cast<std::int64_t>(rng.Below(
                                          static_cast<std::uint64_t>(salary_cents)));
    k.card_cents = -static_cast<std::int64_t>(rng.Below(50'000));
  }
  bank_of_.reserve(customers_.size());
  for (const Customer& k : customers_) bank_of_.push_back(k.bank);
  card_count_ = PoissonParams::Of(config_.card_tx_per_day);
  fraud_count_ = PoissonParams::Of(config_.fraud.fraud_tx_per_day);
  check_count_ = PoissonParams::Of(config_.balance_checks_per_day);
  card_amount_ = LogNormalParams::Of(double(config_.card_amount.median_cents),
                                     double(config_.card_amount.p99_cents));
  fraud_amount_ = LogNormalParams::Of(kFraudAmountMedianCents, kFraudAmountP99Cents);
}

std::vector<std::uint32_t> Population::CustomersPerBank() const {
  std::vector<std::uint32_t> n(fp_rate_by_bank_.size(), 0);
  for (const Customer& k : customers_) ++n[k.bank];
  return n;
}

ConsentPlan Population::PlanConsent(CustomerId c, std::uint32_t epoch) const {
  const ConsentBehaviour& b = config_.consent;
  Rng rng = env_->Stream("customer.consent", c, epoch);
  ConsentPlan p;
  // The draw order is fixed: each decision keeps its value whatever the others are.
  p.opt_in = rng.Bernoulli(b.opt_in);
  p.alerts = rng.Bernoulli(b.alerts_opt_in);
  p.rejects = rng.Bernoulli(b.reject);
  p.link_offset = static_cast<SimTime>(rng.Below(kDay));
  p.authorise_delay = static_cast<SimTime>(rng.Exponential(static_cast<double>(b.authorise_delay)));
  double revoke_mean = b.revoke_per_year > 0 ? 365.0 * kDay / b.revoke_per_year : 0;
  double revoke_draw = rng.Exponential(1.0);
  if (revoke_mean > 0) p.revoke_after = static_cast<SimTime>(revoke_draw * revoke_mean);
  p.revoke_via_messenger = rng.Bernoulli(b.revoke_via_messenger);
  p.reconsent = rng.Bernoulli(b.reconsent);
  p.reconsent_after = static_cast<SimTime>(rng.Exponential(7.0 * kDay));
  return p;
}

CustomerId Population::Friend(CustomerId c, std::uint32_t i) const {
  std::uint64_t n = customers_.size();
  if (n < 2) return c;
  std::uint64_t h = MixKey(env_->seed ^ 0x66726e64ULL, (std::uint64_t(c) << 32) | i);
  auto f = static_cast<CustomerId>(h % (n - 1));
  return f >= c ? f + 1 : f;
}

namespace {

template <typename Transactions>  // push_back(CardTransaction): a vector, or an arena appender
void AppendCardActivity(Rng& rng, std::uint32_t day, const PoissonParams& count,
                        const LogNormalParams& amount, double flag_rate, bool fraudulent,
                        std::uint32_t first_seq, Transactions* out) {
  std::uint64_t k = rng.Poisson(count);
  static thread_local std::vector<SimTime> times;
  DrawTimes(rng, k, SimTime(day) * kDay, &times);
  for (std::uint64_t i = 0; i < k; ++i) {
    CardTransaction tx;
    tx.time = times[i];
    tx.amount_cents = DrawCents(rng, amount);
    tx.merchant_category = static_cast<std::uint8_t>(rng.Below(kMerchantCategoryCount));
    tx.fraudulent = fraudulent;
    tx.flagged = rng.Bernoulli(flag_rate);
    tx.seq = first_seq + static_cast<std::uint32_t>(i);
    out->push_back(tx);
  }
}

}  // namespace

void Population::CardDay(CustomerId c, std::uint32_t day, std::vector<CardTransaction>* out) const {
  Rng rng = env_->Stream("customer.cardtx", c, day);
  out->clear();
  AppendCardActivity(rng, day, card_count_, card_amount_, fp_rate_by_bank_[bank_of_[c]], false, 0,
                     out);
}

void Population::FraudDay(CustomerId c, std::uint32_t day,
                          std::vector<CardTransaction>* out) const {
  Rng rng = env_->Stream("customer.fraudtx", c, day);
  out->clear();
  AppendCardActivity(rng, day, fraud_count_, fraud_amount_, detection_by_bank_[bank_of_[c]], true,
                     1000, out);
}

void Population::ChargeFraud(CustomerId c, std::uint32_t day, SimTime from,
                             DayListener* listener) {
  Customer& k = customers_[c];
  FraudDay(c, day, &scratch_);
  for (const CardTransaction& tx : scratch_) {
    if (tx.time < from || tx.time < k.compromised_at || tx.time >= k.blocked_at) continue;
    k.day_card_delta -= tx.amount_cents;
    ++fraud_transactions_;
    if (tx.flagged && k.blocked_at == kSimTimeMax) {
      // The engine detects it after its delay and blocks the card then; attempts
      // before the block are still charged.
      k.blocked_at = tx.time + detect_delay_by_bank_[k.bank];
      if (listener != nullptr) listener->OnFlaggedTransaction(c, tx);
    }
  }
}

std::pair<const CardTransaction*, const CardTransaction*> Population::CardDayView(
    CustomerId c, std::uint32_t day, std::vector<CardTransaction>* scratch) const {
  scratch->clear();
  for (const DayArena* a : {&today_, &yesterday_}) {
    if (a->Holds(day)) {
      const std::uint32_t n = a->txs.count(c);
      for (std::uint32_t k = 0; k < n; ++k) scratch->push_back(a->txs.at(c, k, day));
      return {scratch->data(), scratch->data() + scratch->size()};
    }
  }
  if (!past_card_days_.empty()) {
    const std::uint64_t key = (std::uint64_t(c) << 32 | day) * 0x9E3779B97F4A7C15ULL;
    PastCardDay& slot = past_card_days_[(key >> 32) % past_card_days_.size()];
    if (slot.customer != c || slot.day != day) {
      CardDay(c, day, &slot.txs);
      slot.customer = c;
      slot.day = day;
    }
    return {slot.txs.data(), slot.txs.data() + slot.txs.size()};
  }
  CardDay(c, day, scratch);
  return {scratch->data(), scratch->data() + scratch->size()};
}

void Population::KeepPastCardDays(std::size_t slots) {
  past_card_days_.assign(slots, PastCardDay{});
}

void Population::DayArena::Clear(std::uint32_t d) {
  day = d;
  txs.clear();
  checks.clear();
  compromises.clear();
}

bool Population::DrawDay(std::uint32_t day, DayArena* out,
                         const std::atomic<bool>* cancel) const {
  const SimTime day_start = SimTime(day) * kDay;
  const double compromise_per_day = config_.fraud.compromise_rate_per_year / 365.0;
  const bool groups = config_.group_chats > 0;
  const auto n = static_cast<CustomerId>(bank_of_.size());
  out->Clear(~0u);
  out->txs.Reset(n);
  static thread_local std::vector<SimTime> times;
  for (CustomerId c = 0; c < n; ++c) {
    if (cancel != nullptr && c % 4096 == 0 && cancel->load(std::memory_order_relaxed)) {
      return false;
    }
    Rng card = env_->Stream("customer.cardtx", c, day);
    DayTransactions::CustomerAppender append{&out->txs, c};
    AppendCardActivity(card, day, card_count_, card_amount_, fp_rate_by_bank_[bank_of_[c]], false,
                       0, &append);
    // The day stream: balance checks, then the compromise hazard. The hazard only
    // matters for a card not compromised at the day's start (StartDay decides), but
    // it is the stream's last draw, so drawing it always changes no other value.
    Rng rng = env_->Stream("customer.day", c, day);
    std::uint64_t checks = rng.Poisson(check_count_);
    DrawTimes(rng, checks, day_start, &times);
    for (SimTime at : times) {
      bool in_group = groups && rng.Bernoulli(config_.balance_checks_from_groups);
      std::uint32_t j = in_group ? std::uint32_t(rng.Below(config_.group_chats)) : 0;
      out->checks.push_back({at, c, in_group ? j + 1 : 0});
    }
    if (rng.Bernoulli(compromise_per_day)) {
      out->compromises.emplace_back(c, day_start + static_cast<SimTime>(rng.Below(kDay)));
    }
  }
  out->day = day;
  return true;
}

// One worker thread that draws one day at a time (Population::DrawDay) into a
// buffer of its own. The buffer belongs to the worker while a request runs and to
// the simulation thread otherwise; the hand-over is under the mutex.
class Population::Prefetcher {
 public:
  explicit Prefetcher(const Population* population)
      : population_(population), thread_([this] { Run(); }) {}

  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cancel_.store(true);
    cv_.notify_all();
    thread_.join();
  }

  // Starts drawing `day`. REQUIRES: no request in progress.
  void Request(std::uint32_t day) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_ = State::kDrawing;
      day_ = day;
      cancel_.store(false);
    }
    cv_.notify_all();
  }

  // Waits for the request in progress, if any, to end. If it drew exactly `day`,
  // swaps its draws into `*out` (the old content of *out becomes the next buffer)
  // and returns true. Rethrows what the worker threw.
  bool Take(std::uint32_t day, DayArena* out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return state_ != State::kDrawing; });
    if (state_ == State::kIdle) return false;
    state_ = State::kIdle;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if (!complete_ || !draws_.Holds(day)) return false;
    std::swap(*out, draws_);
    return true;
  }

  // Stops the request in progress, if any, soon, and waits for it.
  void Abandon() {
    cancel_.store(true);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return state_ != State::kDrawing; });
    state_ = State::kIdle;
    error_ = nullptr;
  }

 private:
  enum class State { kIdle, kDrawing, kDone };

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || state_ == State::kDrawing; });
      if (stop_) return;
      const std::uint32_t day = day_;
      lock.unlock();
      bool complete = false;
      std::exception_ptr error;
      try {
        complete = population_->DrawDay(day, &draws_, &cancel_);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      complete_ = complete;
      error_ = error;
      state_ = State::kDone;
      cv_.notify_all();
    }
  }

  const Population* population_;
  std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kIdle;  // guarded by mu_
  std::uint32_t day_ = 0;       // guarded by mu_
  bool stop_ = false;           // guarded by mu_
  bool complete_ = false;       // guarded by mu_
  std::exception_ptr error_;    // guarded by mu_
  std::atomic<bool> cancel_{false};
  DayArena draws_;  // the worker's while kDrawing, else the owner's (under mu_)
  std::thread thread_;  // last: it starts once everything above exists
};

Population::~Population() {
  // First: the worker reads the members declared after prefetcher_ (bank_of_,
  // customers_, ...), which are destroyed before it otherwise.
  prefetcher_.reset();
}

void Population::PrefetchDays(std::uint32_t last_day) {
  if (prefetcher_ != nullptr) return;
  prefetch_last_day_ = last_day;
  prefetcher_ = std::make_unique<Prefetcher>(this);
  prefetcher_->Request(0);
}

void Population::TakeDay(std::uint32_t day) {
  if (prefetcher_ != nullptr && prefetcher_->Take(day, &today_)) return;
  DrawDay(day, &today_, nullptr);
}

void Population::StartDay(std::uint32_t day, bool customers_act, DayListener* listener) {
  const SimTime day_start = SimTime(day) * kDay;
  std::swap(today_, yesterday_);
  if (customers_act) {
    TakeDay(day);
    // Draw the next day while this one is applied and simulated.
    if (prefetcher_ != nullptr && day < prefetch_last_day_) prefetcher_->Request(day + 1);
  } else {
    if (prefetcher_ != nullptr) prefetcher_->Abandon();
    today_.Clear(~0u);
    if (first_idle_day_ == ~0u) first_idle_day_ = day;
  }
  const DayArena& draws = today_;
  std::size_t next_check = 0, next_compromise = 0;
  for (CustomerId c = 0; c < customers_.size(); ++c) {
    Customer& k = customers_[c];
    if (day > day_) {
      k.checking_cents += k.paid_today_cents - k.statement_owed_cents;
      k.card_cents += k.day_card_delta;
    }
    k.paid_today_cents = 0;
    k.day_card_delta = 0;
    k.statement_owed_cents = 0;
    if (k.blocked_at != kSimTimeMax && k.blocked_at < day_start) {
      // A blocked card was replaced: the fraudster has nothing left to use. What was
      // charged stays in the card's history.
      EndFraudWindow(c, k);
      k.compromised_at = kSimTimeMax;
      k.blocked_at = kSimTimeMax;
    }
    if (!customers_act) continue;
    if ((day + k.payday_phase) % payday_days_ == 0) {
      k.paid_today_cents = salary_cents_[c];
    }
    if (day % kStatementCycleDays == k.statement_day && k.card_cents < 0) {
      k.statement_owed_cents = -k.card_cents;
      k.day_card_delta += k.statement_owed_cents;
    }
    const std::uint32_t day_count = draws.txs.count(c);  // customers act: TakeDay drew `day`
    card_transactions_ += day_count;
    for (std::uint32_t i = 0; i < day_count; ++i) {
      const CardTransaction tx = draws.txs.at(c, i, day);
      k.day_card_delta -= tx.amount_cents;
      if (tx.flagged) listener->OnFlaggedTransaction(c, tx);
    }
    for (; next_check < draws.checks.size() && draws.checks[next_check].customer == c;
         ++next_check) {
      const BalanceCheckDraw& check = draws.checks[next_check];
      const bool in_group = check.group_plus_one != 0;
      listener->OnBalanceCheck(c, check.at, in_group,
                               in_group ? GroupOf(c, check.group_plus_one - 1) : 0);
    }
    const bool hazard = next_compromise < draws.compromises.size() &&
                        draws.compromises[next_compromise].first == c;
    if (k.compromised_at != kSimTimeMax) {
      ChargeFraud(c, day, day_start, listener);
    } else if (hazard) {
      listener->OnCompromise(c, draws.compromises[next_compromise].second);
    }
    if (hazard) ++next_compromise;
  }
  day_ = day;
}

void Population::Compromise(CustomerId c, SimTime at, DayListener* listener) {
  Customer& k = customers_[c];
  if (k.compromised_at != kSimTimeMax && k.blocked_at > at) return;  // already in use
  if (k.compromised_at != kSimTimeMax) EndFraudWindow(c, k);  // blocked, not yet replaced
  k.compromised_at = at;
  k.blocked_at = kSimTimeMax;
  ChargeFraud(c, static_cast<std::uint32_t>(at / kDay), at, listener);
}

void Population::EndFraudWindow(CustomerId c, Customer& k) {
  if (k.compromised_at >= k.blocked_at) return;  // blocked before anything was charged
  ended_fraud_[c].emplace_back(k.compromised_at, k.blocked_at);
  k.ended_fraud = true;
}

const std::vector<std::pair<SimTime, SimTime>>* Population::EndedFraud(CustomerId c,
                                                                      const Customer& k) const {
  if (!k.ended_fraud) return nullptr;
  auto it = ended_fraud_.find(c);
  return it == ended_fraud_.end() ? nullptr : &it->second;
}

bool Population::FraudCharged(const Customer& k,
                              const std::vector<std::pair<SimTime, SimTime>>* ended, SimTime t) {
  if (t >= k.compromised_at && t < k.blocked_at) return true;
  if (ended != nullptr) {
    for (const auto& [from, to] : *ended) {
      if (t >= from && t < to) return true;
    }
  }
  return false;
}

void Population::Prefetch(CustomerId c) const {
  // The customer, and where their card transactions start in today's and
  // yesterday's arena: three lines among millions.
  if (c >= customers_.size()) return;
  bpsim::Prefetch(&customers_[c]);
  for (const DayArena* a : {&today_, &yesterday_}) a->txs.Prefetch(c);
}

Balances Population::BalanceAt(CustomerId c, SimTime t) const {
  const Customer& k = customers_[c];
  const SimTime day_start = SimTime(day_) * kDay;
  // The day rolls over in an event at midnight; a request at that same instant may
  // be handled just before it: it sees the whole current day.
  t = std::min(t, day_start + kDay - 1);
  Balances b{k.checking_cents, k.card_cents};
  const SimTime into_day = t - day_start;
  if (into_day >= kPaydayTime) b.checking_cents += k.paid_today_cents;
  if (k.statement_owed_cents > 0 && into_day >= kStatementTime) {
    b.checking_cents -= k.statement_owed_cents;
    b.card_cents += k.statement_owed_cents;
  }
  auto [first, last] = CardDayView(c, day_, &scratch_);
  if (day_ >= first_idle_day_) last = first;  // no activity in the drain
  for (const CardTransaction* tx = first; tx != last; ++tx) {
    if (tx->time > t) break;
    b.card_cents -= tx->amount_cents;
  }
  const std::vector<std::pair<SimTime, SimTime>>* ended = EndedFraud(c, k);
  if (k.compromised_at != kSimTimeMax || ended != nullptr) {
    // Today's fraud so far: a window that ended today (blocked, then compromised
    // again before the replacement) was charged too.
    FraudDay(c, day_, &scratch_);
    for (const CardTransaction& tx : scratch_) {
      if (tx.time > t) break;
      if (FraudCharged(k, ended, tx.time)) b.card_cents -= tx.amount_cents;
    }
  }
  return b;
}

SimTime Population::CardBookedAt(CustomerId c, const CardTransaction& tx) const {
  const std::uint64_t day = std::uint64_t(tx.time / kDay);
  // Its own stream per transaction: drawing it consumes nothing any other draw uses.
  Rng rng = env_->Stream("card.booking", c, (day << 20) | tx.seq);
  const double u = rng.Uniform();
  const std::uint64_t days_later = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
  return SimTime(day + days_later) * kDay + kCardPostingTime;
}

void Population::CheckingEntriesIn(CustomerId c, SimTime from, SimTime to,
                                   std::vector<CheckingEntry>* out) const {
  out->clear();
  const Customer& k = customers_[c];
  // Paydays up to the current day (the ledger knows no later one).
  const SimTime last = std::min(to, SimTime(day_ + 1) * kDay);
  for (SimTime d = std::max<SimTime>(0, from - kPaydayTime) / kDay; d * kDay < last; ++d) {
    if (first_idle_day_ != ~0u && d >= SimTime(first_idle_day_)) break;  // the drain: no payday
    const SimTime at = d * kDay + kPaydayTime;
    if ((std::uint64_t(d) + k.payday_phase) % payday_days_ == 0 && at >= from && at < last) {
      out->push_back(CheckingEntry{at, salary_cents_[c]});
    }
  }
}

void Population::TransactionsIn(CustomerId c, SimTime from, SimTime to,
                                std::vector<CardTransaction>* out) const {
  out->clear();
  if (to <= from || first_idle_day_ == 0) return;
  const Customer& k = customers_[c];
  std::uint32_t last_day = std::min<std::uint32_t>(day_, std::uint32_t((to - 1) / kDay));
  if (first_idle_day_ != ~0u) last_day = std::min(last_day, first_idle_day_ - 1);
  std::uint32_t first_day = std::uint32_t(std::max<SimTime>(0, from) / kDay);
  std::vector<CardTransaction>& day_txs = day_scratch_;
  const std::vector<std::pair<SimTime, SimTime>>* ended = EndedFraud(c, k);
  for (std::uint32_t d = first_day; d <= last_day; ++d) {
    auto [first, last] = CardDayView(c, d, &day_txs);
    if (k.compromised_at != kSimTimeMax || ended != nullptr) {
      // Merge in the fraud charged that day, in time order.
      if (first != day_txs.data()) day_txs.assign(first, last);
      FraudDay(c, d, &scratch_);
      for (const CardTransaction& tx : scratch_) {
        if (FraudCharged(k, ended, tx.time)) day_txs.push_back(tx);
      }
      std::sort(day_txs.begin(), day_txs.end(),
                [](const CardTransaction& a, const CardTransaction& b) {
                  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
                });
      first = day_txs.data();
      last = first + day_txs.size();
    }
    for (const CardTransaction* tx = first; tx != last; ++tx) {
      if (tx->time >= from && tx->time < to) out->push_back(*tx);
    }
  }
}

}  // namespace bpsim::mocks
