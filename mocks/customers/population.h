#pragma once
// The synthetic customer population (docs/world.md, docs/scenario-reference.md). Each customer draws from its own
// streams keyed by (seed, process, customer id, epoch), so adding customers leaves the
// others' draws unchanged. State is compact (Customer is 80 bytes): transactions are
// not stored but regenerated exactly from their day's stream when a bank needs them,
// and the friend graph is a pure function of (seed, customer, index).
//
// The population also keeps the ledger (checking and card balances in integer cents)
// and answers the banks' questions about it (LedgerView).

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mocks/bank/ledger.h"
#include "mocks/env.h"
#include "sim/huge_pages.h"
#include "sim/prefetch.h"

namespace bpsim::mocks {

// One cache line per customer (alignas, and the static_assert below): a request
// reads one customer among millions, and at 72 bytes every record straddled two
// lines, of which the arrival's prefetch (Population::Prefetch) asked for one (issue
// 16). To make room the salary lives apart (Population::salary_cents), and the
// day's checking change is kept as what it is made of: today's pay, less the
// statement paid.
struct alignas(64) Customer {
  std::int64_t checking_cents = 0;     // at the start of the current day
  std::int64_t card_cents = 0;         // at the start of the current day (negative: owed)
  std::int64_t paid_today_cents = 0;   // the salary if today is a payday, else 0
  std::int64_t day_card_delta = 0;
  std::int64_t statement_owed_cents = 0;  // paid from checking today at 10:00, if any
  SimTime compromised_at = kSimTimeMax;   // card compromised (kSimTimeMax: not)
  SimTime blocked_at = kSimTimeMax;       // card blocked after a detection
  BankIndex bank = 0;
  std::uint8_t payday_phase = 0;   // days until the first payday
  std::uint8_t statement_day = 0;  // day within each 30-day statement cycle
  bool ended_fraud = false;  // has ended compromise windows (Population::ended_fraud_)
};
// One line, no more: a million customers pay for every byte (issue 16: peak memory
// no higher).
static_assert(sizeof(Customer) == 64, "Customer must stay one cache line");

// What a customer decides about linking their bank, for one linking round (`epoch`
// 0 is the start of the run; each re-consent is the next epoch).
struct ConsentPlan {
  bool opt_in = false;
  bool alerts = false;
  bool rejects = false;
  SimTime link_offset = 0;         // epoch 0: when in the first day they link
  SimTime authorise_delay = 0;
  SimTime revoke_after = kSimTimeMax;  // after authorisation
  bool revoke_via_messenger = false;
  bool reconsent = false;
  SimTime reconsent_after = 0;
};

// Receives what a day of customer behaviour produces (Population::StartDay).
class DayListener {
 public:
  virtual ~DayListener() = default;
  virtual void OnBalanceCheck(CustomerId c, SimTime at, bool in_group, std::uint32_t group) = 0;
  virtual void OnCompromise(CustomerId c, SimTime at) = 0;
  // A card transaction the bank's fraud engine flags: a detected fraud or a false
  // positive. `at` is the transaction's time.
  virtual void OnFlaggedTransaction(CustomerId c, const CardTransaction& tx) = 0;
};

class Population final : public LedgerView {
 public:
  Population(const Env* env, const CustomersConfig& config, const std::vector<BankConfig>& banks);
  ~Population() override;
  Population(const Population&) = delete;
  Population& operator=(const Population&) = delete;

  std::uint32_t size() const { return static_cast<std::uint32_t>(customers_.size()); }
  const Customer& at(CustomerId c) const { return customers_[c]; }
  // What c is paid each payday, drawn at construction.
  std::int64_t salary_cents(CustomerId c) const { return salary_cents_[c]; }
  const CustomersConfig& config() const { return config_; }

  ConsentPlan PlanConsent(CustomerId c, std::uint32_t epoch) const;

  // Rolls every customer into day `day` (REQUIRES: called once per day, in order,
  // at the day's start) and reports the day's balance checks, compromises and
  // flagged transactions to `listener`, customer by customer.
  // Everything a day draws that is a pure function of (seed, customer, day, config)
  // (card transactions, balance checks, the compromise hazard) is drawn for all
  // customers first, then applied customer by customer in the same order as ever.
  void StartDay(std::uint32_t day, bool customers_act, DayListener* listener);

  // Draws the pure part of each day one day ahead on a worker thread of its own,
  // for days up to and including `last_day` (day 0 starts at once), so that
  // StartDay(d) only applies what was drawn while day d - 1 was simulated. Events,
  // trace and statistics are exactly those of a run without it; it costs one more
  // day of draws in memory (a DayArena: ~75 MB at a million customers with the
  // defaults: a 64-byte line per customer, and 16 bytes for each card transaction
  // past a customer's third) and a core.
  // A day that was not drawn ahead (a drain, a day past `last_day`) is drawn inline.
  // REQUIRES: called at most once, before the first StartDay, on the thread that
  // calls StartDay. The worker stops when the population is destroyed.
  void PrefetchDays(std::uint32_t last_day);
  bool prefetching() const { return prefetcher_ != nullptr; }

  // The card is compromised from `at` (a fraud wave or the daily hazard): the rest
  // of the day's fraudulent transactions are charged and the first detectable one
  // is reported to `listener`.
  void Compromise(CustomerId c, SimTime at, DayListener* listener);

  // The i-th friend of c (0 <= i < config.friends), never c itself.
  CustomerId Friend(CustomerId c, std::uint32_t i) const;
  // Groups are owned: customer c owns groups c * group_chats + j.
  std::uint32_t GroupOf(CustomerId c, std::uint32_t j) const {
    return c * config_.group_chats + j;
  }

  // LedgerView.
  Balances BalanceAt(CustomerId c, SimTime t) const override;
  void Prefetch(CustomerId c) const override;
  void TransactionsIn(CustomerId c, SimTime from, SimTime to,
                      std::vector<CardTransaction>* out) const override;
  SimTime CardBookedAt(CustomerId c, const CardTransaction& tx) const override;
  void CheckingEntriesIn(CustomerId c, SimTime from, SimTime to,
                         std::vector<CheckingEntry>* out) const override;

  // Exact regenerations of one day of one customer's card, from its own stream.
  // The day's legitimate card transactions of c, in time order.
  void CardDay(CustomerId c, std::uint32_t day, std::vector<CardTransaction>* out) const;
  // The day's fraudulent card attempts of c (whole day, before filtering by the
  // compromise and block times), with `flagged` = the engine would detect it.
  void FraudDay(CustomerId c, std::uint32_t day, std::vector<CardTransaction>* out) const;

  // Keeps the legitimate card transactions of up to `slots` (customer, day) pairs that
  // TransactionsIn regenerated (days neither arena holds), so that reading the same
  // days again copies them instead of drawing them anew: a pure function of the
  // pair (CardDay), so what is read is unchanged. Direct-mapped by the pair; 0 (the
  // default) keeps nothing. For live mode, where a client asks for the same weeks
  // again and again (issue 16: drawing them was ~9 % of a Berlin Group card page);
  // a batch run reads past days of a million customers at random and would only
  // thrash it. REQUIRES: the same thread as the reads (the world's lock in live mode).
  void KeepPastCardDays(std::size_t slots);

  std::uint64_t card_transactions() const { return card_transactions_; }
  std::uint64_t fraud_transactions() const { return fraud_transactions_; }
  // Bank index of each customer, for tests of the shares.
  std::vector<std::uint32_t> CustomersPerBank() const;

 private:
  // Fraud charged on c's card between [from, to) of `day`, given its state.
  void ChargeFraud(CustomerId c, std::uint32_t day, SimTime from, DayListener* listener);
  // Before c's compromise window is cleared (card replaced) or replaced (compromised
  // again): keeps it, so the fraud it charged stays in TransactionsIn's history.
  void EndFraudWindow(CustomerId c, Customer& k);
  // c's ended compromise windows, or null if none.
  const std::vector<std::pair<SimTime, SimTime>>* EndedFraud(CustomerId c, const Customer& k) const;
  // True if a fraud transaction at `t` was charged to c's card: in the current window
  // or in an ended one (`ended` may be null).
  static bool FraudCharged(const Customer& k, const std::vector<std::pair<SimTime, SimTime>>* ended,
                           SimTime t);

  // The draws of one whole day for every customer (DrawDay). Its card transactions
  // are kept for the current day and the one before so that balance and transaction
  // requests read them instead of regenerating (exactly equal to CardDay's output).
  struct BalanceCheckDraw {
    SimTime at = 0;
    CustomerId customer = 0;
    std::uint32_t group_plus_one = 0;  // 0: asked in a direct chat; else j + 1 (GroupOf)
  };
  // A drawn day's legitimate card transactions, one 64-byte line per customer: how
  // many there are, the first kInline of them, and where the rest start in an
  // overflow array (a day has 2.6 on average; 74 % of days have at most 3). A
  // request reads its customer's day in one memory access, which the arrival's
  // prefetch (LedgerView::Prefetch) can ask for from the customer id alone; a shared
  // array indexed through per-customer offsets took two dependent misses (the offset,
  // then the transactions), and only the first could be prefetched (issue 16: lay
  // out what one customer's step touches together).
  //
  // Each transaction is 16 bytes: the time within the day (< 2^47 ns), the merchant
  // category and the flag in one word, the amount in the other. Its seq is its
  // position in its customer's day and its day the arena's, so neither is stored.
  class DayTransactions {
   public:
    static constexpr std::uint32_t kInline = 3;

    // Empties the arena for `customers` customers, none with a transaction.
    void Reset(std::size_t customers) {
      lines_.assign(customers, Line{});
      overflow_.clear();
    }
    void clear() {
      lines_.clear();
      overflow_.clear();
    }
    // Appends customer c's next transaction. REQUIRES: tx is legitimate, tx.time >= 0,
    // tx.seq == count(c) (AppendCardActivity's order), and all of c's transactions
    // are appended before another customer's (so that c's overflow is contiguous).
    void Append(CustomerId c, const CardTransaction& tx) {
      Line& l = lines_[c];
      Packed* p;
      if (l.count < kInline) {
        p = &l.first[l.count];
      } else {
        if (l.count == kInline) l.overflow_begin = static_cast<std::uint32_t>(overflow_.size());
        p = &overflow_.emplace_back();
      }
      // Field by field: a Packed built in registers was spilled in two 8-byte stores
      // and reloaded as one 16-byte load, which store forwarding cannot serve (a
      // stall of a dozen cycles per transaction on the day worker).
      p->bits = PackBits(tx);
      p->amount_cents = tx.amount_cents;
      ++l.count;
    }
    // AppendCardActivity's container: push_back appends to one customer.
    struct CustomerAppender {
      DayTransactions* day;
      CustomerId c;
      void push_back(const CardTransaction& tx) { day->Append(c, tx); }
    };
    std::uint32_t count(CustomerId c) const { return lines_[c].count; }
    std::size_t customers() const { return lines_.size(); }
    // Customer c's k-th transaction of `day`. REQUIRES: k < count(c).
    CardTransaction at(CustomerId c, std::uint32_t k, std::uint32_t day) const {
      const Line& l = lines_[c];
      return Unpack(k < kInline ? l.first[k] : overflow_[l.overflow_begin + (k - kInline)], day,
                    k);
    }
    void Prefetch(CustomerId c) const {
      if (c < lines_.size()) bpsim::Prefetch(&lines_[c]);
    }

   private:
    struct Packed {
      std::uint64_t bits;
      std::int64_t amount_cents;
    };
    struct alignas(64) Line {
      std::uint32_t count = 0;
      std::uint32_t overflow_begin = 0;  // valid if count > kInline
      Packed first[kInline] = {};
    };
    static_assert(sizeof(Line) == 64, "one cache line per customer-day");
    static constexpr int kCategoryShift = 47, kFlaggedShift = 55;
    static constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << kCategoryShift) - 1;
    static_assert(std::uint64_t(kDay) <= kTimeMask, "a time within a day must fit 47 bits");

    static std::uint64_t PackBits(const CardTransaction& tx) {
      const auto in_day = static_cast<std::uint64_t>(tx.time % kDay);
      return in_day | std::uint64_t(tx.merchant_category) << kCategoryShift |
             std::uint64_t(tx.flagged) << kFlaggedShift;
    }
    static CardTransaction Unpack(const Packed& p, std::uint32_t day, std::uint32_t seq) {
      CardTransaction tx;
      tx.time = SimTime(day) * kDay + SimTime(p.bits & kTimeMask);
      tx.amount_cents = p.amount_cents;
      tx.merchant_category = static_cast<std::uint8_t>(p.bits >> kCategoryShift);
      tx.flagged = (p.bits >> kFlaggedShift & 1) != 0;
      tx.seq = seq;
      return tx;
    }

    HugeVector<Line> lines_;     // on huge pages: tens of megabytes, read at random
    HugeVector<Packed> overflow_;
  };
  struct DayArena {
    std::uint32_t day = ~0u;
    DayTransactions txs;
    std::vector<BalanceCheckDraw> checks;  // in customer order, then time order
    // Customers whose daily compromise hazard fired, in customer order, and when.
    // Applied only to a customer whose card is not compromised at the day's start.
    std::vector<std::pair<CustomerId, SimTime>> compromises;
    bool Holds(std::uint32_t d) const { return day == d; }
    void Clear(std::uint32_t d);
  };
  class Prefetcher;

  // Draws day `day` of every customer into `out`. Reads only what never changes after
  // construction, so it may run on another thread than StartDay. Returns false, with
  // `out` not holding the day, if `cancel` became true first.
  bool DrawDay(std::uint32_t day, DayArena* out, const std::atomic<bool>* cancel) const;
  // The draws of `day` in today_: taken from the prefetcher, or drawn now.
  void TakeDay(std::uint32_t day);
  // The legitimate transactions of c on `day`: from an arena if it holds that day
  // (copied into `scratch`), else from KeepPastCardDays' slot (a view of it, valid
  // until the next call), else regenerated into `scratch`.
  std::pair<const CardTransaction*, const CardTransaction*> CardDayView(
      CustomerId c, std::uint32_t day, std::vector<CardTransaction>* scratch) const;

  const Env* env_;
  CustomersConfig config_;
  // The constants of the hot draws, computed once (Rng's parameter structs).
  PoissonParams card_count_, fraud_count_, check_count_;
  LogNormalParams card_amount_, fraud_amount_;
  DayArena today_, yesterday_;
  std::unique_ptr<Prefetcher> prefetcher_;
  std::uint32_t prefetch_last_day_ = 0;
  // Customers stop acting in the drain: days from this one on have no card activity.
  std::uint32_t first_idle_day_ = ~0u;
  std::vector<double> fp_rate_by_bank_;
  std::vector<double> detection_by_bank_;
  std::vector<SimTime> detect_delay_by_bank_;
  HugeVector<Customer> customers_;  // read at random: on huge pages
  HugeVector<std::int64_t> salary_cents_;  // by customer; read in order (StartDay)
  // customers_[c].bank, apart so that the prefetcher's reads share no cache line
  // with the simulation thread's writes to the ledger.
  HugeVector<BankIndex> bank_of_;
  std::uint32_t day_ = 0;
  std::uint32_t payday_days_ = 14;
  std::uint64_t card_transactions_ = 0;
  std::uint64_t fraud_transactions_ = 0;
  // Scratch space of the const reads (BalanceAt, TransactionsIn), kept so that a read
  // does not allocate: the simulation thread's, or in live mode the caller's, who
  // holds the world's lock. TransactionsIn uses both at once.
  mutable std::vector<CardTransaction> scratch_;
  mutable std::vector<CardTransaction> day_scratch_;
  // KeepPastCardDays' slots: CardDay(customer, day) for the pair in `txs`.
  struct PastCardDay {
    CustomerId customer = 0;
    std::uint32_t day = ~0u;  // ~0u: empty (no day that far is ever read)
    std::vector<CardTransaction> txs;
  };
  mutable std::vector<PastCardDay> past_card_days_;
  // The ended compromise windows [compromised_at, blocked_at) of customers whose
  // compromised card was replaced or compromised again, in the order they ended: a
  // few customers in a thousand a month, so a map beside the customers rather than
  // two more fields in each.
  std::unordered_map<CustomerId, std::vector<std::pair<SimTime, SimTime>>> ended_fraud_;
};

}  // namespace bpsim::mocks
