// The synthetic population matches its configuration (issue 3): measured rates over
// 20,000 customers are within 3% of what the scenario asked for.

#include <catch2/catch.hpp>

#include <algorithm>

#include "mocks/customers/population.h"
#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;

namespace {

struct Counter final : DayListener {
  std::uint64_t checks = 0, group_checks = 0, compromises = 0, flagged = 0;
  void OnBalanceCheck(CustomerId, SimTime, bool in_group, std::uint32_t) override {
    ++checks;
    group_checks += in_group;
  }
  void OnCompromise(CustomerId, SimTime) override { ++compromises; }
  void OnFlaggedTransaction(CustomerId, const CardTransaction&) override { ++flagged; }
};

struct Fixture {
  explicit Fixture(const std::string& yaml) : scenario(testing::ScenarioFromYaml(yaml)) {
    env.clock = &sim;
    env.bus = &bus;
    env.seed = scenario.spec.seed;
  }
  harness::Scenario scenario;
  Simulator sim;
  WorldTraceBus bus;
  Env env;
};

constexpr const char* kPopulation = R"(
duration: 10d
world:
  banks: [{id: northbank, fraud: {false_positive_rate: 0.01, detection_rate: 0.9}}, {id: southbank, fraud: {false_positive_rate: 0.01, detection_rate: 0.9}}]
  customers:
    count: 20000
    banks: {northbank: 0.6, southbank: 0.4}
    card_tx_per_day: 2.5
    balance_checks_per_day: 0.3
    balance_checks_from_groups: 0.2
    consent: {opt_in: 0.35, alerts_opt_in: 0.8}
)";

}  // namespace

TEST_CASE("Population rates match the configuration within 3% over 20,000 customers",
          "[mocks][population]") {
  Fixture f(kPopulation);
  const CustomersConfig& config = f.scenario.spec.world.customers;
  Population population(&f.env, config, f.scenario.spec.world.banks);
  Counter counter;
  const int days = 10;
  for (int d = 0; d < days; ++d) population.StartDay(d, true, &counter);
  const double customer_days = double(config.count) * days;

  double tx_per_day = double(population.card_transactions()) / customer_days;
  CHECK(tx_per_day == Approx(2.5).epsilon(0.03));
  double checks_per_day = double(counter.checks) / customer_days;
  CHECK(checks_per_day == Approx(0.3).epsilon(0.03));
  CHECK(double(counter.group_checks) / double(counter.checks) == Approx(0.2).epsilon(0.03));

  auto per_bank = population.CustomersPerBank();
  CHECK(double(per_bank[0]) / config.count == Approx(0.6).epsilon(0.03));
  CHECK(double(per_bank[1]) / config.count == Approx(0.4).epsilon(0.03));

  std::uint64_t opt_in = 0, alerts = 0;
  for (CustomerId c = 0; c < config.count; ++c) {
    ConsentPlan p = population.PlanConsent(c, 0);
    opt_in += p.opt_in;
    alerts += p.alerts;
  }
  CHECK(double(opt_in) / config.count == Approx(0.35).epsilon(0.03));
  CHECK(double(alerts) / config.count == Approx(0.8).epsilon(0.03));
}

TEST_CASE("Fraud engine detection and false-positive rates match the configuration",
          "[mocks][population][fraud]") {
  // Tolerances: ~500,000 genuine transactions at a 1% false-positive rate give about
  // 5,000 flags (standard error 1.4%); 60,000 fraudulent attempts at 90% detection
  // have a standard error of 0.14%. 5% and 1% are more than 3 standard errors.
  Fixture f(kPopulation);
  Population population(&f.env, f.scenario.spec.world.customers, f.scenario.spec.world.banks);
  std::vector<CardTransaction> txs;
  std::uint64_t genuine = 0, false_positives = 0, attempts = 0, detected = 0;
  for (CustomerId c = 0; c < 20000; ++c) {
    for (std::uint32_t d = 0; d < 10; ++d) {
      population.CardDay(c, d, &txs);
      genuine += txs.size();
      for (const auto& tx : txs) false_positives += tx.flagged;
    }
    population.FraudDay(c, 0, &txs);
    attempts += txs.size();
    for (const auto& tx : txs) detected += tx.flagged && tx.fraudulent;
  }
  CHECK(double(false_positives) / double(genuine) == Approx(0.01).epsilon(0.05));
  CHECK(double(detected) / double(attempts) == Approx(0.9).epsilon(0.01));
}

TEST_CASE("A customer's transactions regenerate identically and balances follow them",
          "[mocks][population][ledger]") {
  Fixture f(R"(
duration: 3d
world:
  customers: {count: 50, card_tx_per_day: 6}
)");
  Population population(&f.env, f.scenario.spec.world.customers, f.scenario.spec.world.banks);
  Counter counter;
  population.StartDay(0, true, &counter);
  std::vector<CardTransaction> a, b;
  population.CardDay(7, 0, &a);
  population.CardDay(7, 0, &b);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].time == b[i].time);
    CHECK(a[i].amount_cents == b[i].amount_cents);
  }
  // The card balance at the end of the day is the opening balance less the day's
  // spending (and plus a statement payment, if one fell today).
  Balances start = population.BalanceAt(7, 0);
  Balances end = population.BalanceAt(7, kDay - 1);
  std::int64_t spent = 0;
  for (const auto& tx : a) spent += tx.amount_cents;
  std::int64_t paid = population.at(7).statement_owed_cents;
  CHECK(end.card_cents == start.card_cents - spent + paid);
  std::vector<CardTransaction> window;
  population.TransactionsIn(7, 0, kDay, &window);
  CHECK(window.size() == a.size());
}

// A population of `yaml`'s customers, rolled through days 0 .. last_day.
struct Ledger {
  Ledger(const std::string& yaml, std::uint32_t last_day)
      : f(yaml), population(&f.env, f.scenario.spec.world.customers, f.scenario.spec.world.banks) {
    for (std::uint32_t d = 0; d <= last_day; ++d) population.StartDay(d, true, &counter);
  }
  Fixture f;
  Population population;
  Counter counter;
};

TEST_CASE("Card transactions book in the nightly run one to three days after authorisation",
          "[mocks][population][ledger]") {
  Ledger l("duration: 3d\nworld:\n  customers: {count: 200, card_tx_per_day: 6}\n", 0);
  const Population& population = l.population;
  Population again(&l.f.env, l.f.scenario.spec.world.customers, l.f.scenario.spec.world.banks);
  std::uint64_t by_delay[4] = {0, 0, 0, 0}, total = 0;
  for (CustomerId c = 0; c < 200; ++c) {
    std::vector<CardTransaction> day;
    population.CardDay(c, 0, &day);
    for (const CardTransaction& tx : day) {
      const SimTime booked = population.CardBookedAt(c, tx);
      CHECK(booked == again.CardBookedAt(c, tx));  // a pure function of the transaction
      CHECK(booked % kDay == kCardPostingTime);
      CHECK(booked - tx.time <= kMaxCardBookingDelay);
      const SimTime days = booked / kDay;
      REQUIRE(days >= 1);
      REQUIRE(days <= 3);
      ++by_delay[days];
      ++total;
    }
  }
  REQUIRE(total > 1000);
  CHECK(double(by_delay[1]) / double(total) == Approx(0.6).margin(0.05));
  CHECK(double(by_delay[2]) / double(total) == Approx(0.3).margin(0.05));
  CHECK(double(by_delay[3]) / double(total) == Approx(0.1).margin(0.05));
}

TEST_CASE("Fraud charged to a card stays in its history after the card is replaced",
          "[mocks][population][ledger]") {
  // A fraudulent attempt is detected now and then (one in five), the card is blocked
  // two hours later and replaced at the next midnight; the fraud charged before the
  // block was money spent.
  Ledger l(R"(
duration: 4d
world:
  banks: [{id: northbank, fraud: {detection_rate: 0.2, detect_delay: 2h}}]
  customers:
    count: 20
    card_tx_per_day: 4
    fraud: {compromise_rate_per_year: 0, fraud_tx_per_day: 48}
)",
           0);
  Population& p = l.population;
  constexpr CustomerId c = 3;
  auto fraud_in = [&p](SimTime from, SimTime to) {
    std::vector<CardTransaction> txs, fraud;
    p.TransactionsIn(c, from, to, &txs);
    for (const CardTransaction& tx : txs) {
      if (tx.fraudulent) fraud.push_back(tx);
    }
    return fraud;
  };
  p.Compromise(c, kHour, &l.counter);
  REQUIRE(p.at(c).blocked_at < kDay);  // detected and blocked on day 0
  const std::vector<CardTransaction> charged = fraud_in(0, kDay);
  REQUIRE_FALSE(charged.empty());
  for (const CardTransaction& tx : charged) {
    CHECK(tx.time >= kHour);
    CHECK(tx.time < p.at(c).blocked_at);
  }
  const std::int64_t card_before = p.BalanceAt(c, kDay - 1).card_cents;

  p.StartDay(1, true, &l.counter);  // the card is replaced
  CHECK(p.at(c).compromised_at == kSimTimeMax);
  CHECK(fraud_in(0, kDay) == charged);
  CHECK(p.BalanceAt(c, kDay).card_cents <= card_before);  // day 1's spending only lowers it

  // Compromised again, blocked again, and compromised once more before the second
  // replacement: all three windows' fraud stays.
  p.Compromise(c, kDay + kHour, &l.counter);
  REQUIRE(p.at(c).blocked_at < 2 * kDay);
  const std::vector<CardTransaction> second = fraud_in(kDay, 2 * kDay);
  REQUIRE_FALSE(second.empty());
  const SimTime third_at = std::max(p.at(c).blocked_at, kDay + 20 * kHour);
  p.Compromise(c, third_at, &l.counter);
  const std::vector<CardTransaction> both = fraud_in(kDay, 2 * kDay);
  CHECK(both.size() >= second.size());
  for (const CardTransaction& tx : second) {
    CHECK(std::find(both.begin(), both.end(), tx) != both.end());
  }
  p.StartDay(2, true, &l.counter);
  p.StartDay(3, true, &l.counter);
  CHECK(fraud_in(0, kDay) == charged);
  CHECK(fraud_in(kDay, 2 * kDay) == both);
}

TEST_CASE("The checking account's entries are the salary credits on paydays",
          "[mocks][population][ledger]") {
  Ledger l("duration: 20d\nworld:\n  customers: {count: 5, payday_every: 7d}\n", 15);
  const Population& population = l.population;
  std::vector<CheckingEntry> entries;
  population.CheckingEntriesIn(3, 0, 16 * kDay, &entries);
  REQUIRE(entries.size() >= 2);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i].amount_cents == population.salary_cents(3));
    CHECK(entries[i].time % kDay == 9 * kHour);
    if (i > 0) CHECK(entries[i].time - entries[i - 1].time == 7 * kDay);
  }
  std::vector<CheckingEntry> none;
  population.CheckingEntriesIn(3, entries[0].time + 1, entries[1].time, &none);
  CHECK(none.empty());
}

TEST_CASE("Adding a customer leaves the others' consent decisions unchanged",
          "[mocks][population][determinism]") {
  Fixture f1(R"(
duration: 1d
world: {customers: {count: 1000}}
)");
  Fixture f2(R"(
duration: 1d
world: {customers: {count: 1001}}
)");
  Population p1(&f1.env, f1.scenario.spec.world.customers, f1.scenario.spec.world.banks);
  Population p2(&f2.env, f2.scenario.spec.world.customers, f2.scenario.spec.world.banks);
  for (CustomerId c = 0; c < 1000; ++c) {
    for (std::uint32_t epoch = 0; epoch < 3; ++epoch) {
      ConsentPlan a = p1.PlanConsent(c, epoch), b = p2.PlanConsent(c, epoch);
      REQUIRE(a.opt_in == b.opt_in);
      REQUIRE(a.alerts == b.alerts);
      REQUIRE(a.rejects == b.rejects);
      REQUIRE(a.link_offset == b.link_offset);
      REQUIRE(a.revoke_after == b.revoke_after);
    }
    REQUIRE(p1.at(c).bank == p2.at(c).bank);
  }
}

namespace {

// Every listener call, in order, with all its arguments.
struct CallLog final : DayListener {
  struct Call {
    char kind;
    CustomerId c;
    SimTime at;
    std::uint64_t a, b;
    bool operator==(const Call& o) const {
      return kind == o.kind && c == o.c && at == o.at && a == o.a && b == o.b;
    }
  };
  void OnBalanceCheck(CustomerId c, SimTime at, bool in_group, std::uint32_t group) override {
    calls.push_back({'b', c, at, in_group, group});
  }
  void OnCompromise(CustomerId c, SimTime at) override {
    calls.push_back({'c', c, at, 0, 0});
    compromised.emplace_back(c, at);
  }
  void OnFlaggedTransaction(CustomerId c, const CardTransaction& tx) override {
    calls.push_back({'f', c, tx.time, std::uint64_t(tx.amount_cents),
                     std::uint64_t(tx.seq) << 16 | tx.merchant_category << 8 | tx.fraudulent});
  }
  std::vector<Call> calls;
  std::vector<std::pair<CustomerId, SimTime>> compromised;  // since the last day start
};

// Plays `days` days the way the world does (customers stop acting from `drain_day`;
// each day's compromises take effect after the day's start, as events would) and
// returns everything observable: listener calls, balances, transaction windows and
// counters, as text-free numbers.
std::vector<std::int64_t> PlayDays(Population& p, std::uint32_t days, std::uint32_t drain_day,
                                   CallLog* log) {
  std::vector<std::int64_t> seen;
  std::vector<CardTransaction> window;
  for (std::uint32_t d = 0; d < days; ++d) {
    log->compromised.clear();
    p.StartDay(d, d < drain_day, log);
    for (auto [c, at] : log->compromised) p.Compromise(c, at, log);
    for (CustomerId c = 0; c < p.size(); c += 7) {
      Balances b = p.BalanceAt(c, SimTime(d) * kDay + kDay / 2);
      seen.push_back(b.checking_cents);
      seen.push_back(b.card_cents);
      p.TransactionsIn(c, SimTime(d) * kDay - kDay, SimTime(d + 1) * kDay, &window);
      for (const CardTransaction& tx : window) seen.push_back(tx.time ^ tx.amount_cents);
    }
  }
  seen.push_back(std::int64_t(p.card_transactions()));
  seen.push_back(std::int64_t(p.fraud_transactions()));
  return seen;
}

constexpr const char* kBusyPopulation = R"(
duration: 6d
world:
  banks: [{id: northbank, fraud: {false_positive_rate: 0.02, detection_rate: 0.5}}, {id: southbank}]
  customers:
    count: 3000
    card_tx_per_day: 3
    balance_checks_per_day: 0.5
    balance_checks_from_groups: 0.3
    fraud: {compromise_rate_per_year: 20}
)";

}  // namespace

TEST_CASE("Days drawn ahead on the worker thread give exactly the inline days",
          "[mocks][population][prefetch]") {
  Fixture f(kBusyPopulation);
  const auto& banks = f.scenario.spec.world.banks;
  const CustomersConfig& config = f.scenario.spec.world.customers;
  const std::uint32_t days = 8, drain_day = 6;
  CallLog inline_log;
  Population inline_days(&f.env, config, banks);
  auto expected = PlayDays(inline_days, days, drain_day, &inline_log);
  REQUIRE_FALSE(inline_days.prefetching());

  // Last prefetched day before, at and past the drain: each day not drawn ahead
  // (and the drawn-ahead day the drain makes useless) falls back to drawing inline.
  for (std::uint32_t last_day : {0u, 3u, drain_day, 20u}) {
    INFO("prefetching up to day " << last_day);
    CallLog log;
    Population ahead(&f.env, config, banks);
    ahead.PrefetchDays(last_day);
    REQUIRE(ahead.prefetching());
    auto seen = PlayDays(ahead, days, drain_day, &log);
    CHECK(seen == expected);
    REQUIRE(log.calls.size() == inline_log.calls.size());
    CHECK(log.calls == inline_log.calls);
  }
  // The run exercised every kind of call, fraud included.
  auto count = [&](char kind) {
    return std::count_if(inline_log.calls.begin(), inline_log.calls.end(),
                         [&](const CallLog::Call& c) { return c.kind == kind; });
  };
  CHECK(count('b') > 1000);
  CHECK(count('c') > 10);
  CHECK(count('f') > 100);
  CHECK(inline_days.fraud_transactions() > 0);
}

TEST_CASE("A population drawing ahead can be destroyed at any point without waiting long",
          "[mocks][population][prefetch]") {
  Fixture f(kBusyPopulation);
  const auto& banks = f.scenario.spec.world.banks;
  CustomersConfig config = f.scenario.spec.world.customers;
  config.count = 100'000;
  CallLog log;
  {
    Population p(&f.env, config, banks);
    p.PrefetchDays(30);  // day 0 is being drawn as the population goes away
  }
  {
    Population p(&f.env, config, banks);
    p.PrefetchDays(30);
    p.StartDay(0, true, &log);  // day 1 is being drawn
  }
  {
    Population p(&f.env, config, banks);
    p.PrefetchDays(30);
    p.StartDay(0, true, &log);
    p.StartDay(1, false, &log);  // the drain abandons day 2's draws
    p.StartDay(2, false, &log);
  }
  CHECK_FALSE(log.calls.empty());
}

TEST_CASE("Past card days kept for live mode read exactly as regenerated ones",
          "[mocks][population][ledger]") {
  // Two populations of one scenario, one keeping past days in few slots (so that
  // pairs collide and replace each other), rolled to day 12 with fraud on; every
  // customer's windows read twice over, in an order that revisits days.
  constexpr const char* kYaml = R"(
duration: 14d
world:
  customers:
    count: 40
    card_tx_per_day: 5
    fraud: {compromise_rate_per_year: 40}
)";
  Ledger plain(kYaml, 12), kept(kYaml, 12);
  kept.population.KeepPastCardDays(7);
  std::vector<CardTransaction> a, b;
  std::size_t read = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (CustomerId c = 0; c < 40; ++c) {
      for (std::uint32_t from_day = 0; from_day <= 12; from_day += 3) {
        const SimTime from = SimTime(from_day) * kDay + kHour;
        const SimTime to = SimTime(from_day + 5) * kDay;
        plain.population.TransactionsIn(c, from, to, &a);
        kept.population.TransactionsIn(c, from, to, &b);
        REQUIRE(a == b);
        read += a.size();
      }
    }
  }
  CHECK(read > 40 * 5 * 10);
}

TEST_CASE("A day's card transactions read from its arena exactly as regenerated, however many",
          "[mocks][population][ledger]") {
  // Four a day on average: customers with none, with the three a customer's line
  // holds, and with more (the rest in the arena's overflow, after other customers').
  Ledger l("duration: 5d\nworld:\n  customers: {count: 300, card_tx_per_day: 4, fraud: "
           "{compromise_rate_per_year: 0}}\n",
           3);
  std::vector<CardTransaction> from_arena, regenerated;
  std::size_t none = 0, inline_only = 0, overflowing = 0;
  for (CustomerId c = 0; c < 300; ++c) {
    for (std::uint32_t day : {2u, 3u}) {  // yesterday's arena, then today's
      l.population.TransactionsIn(c, SimTime(day) * kDay, SimTime(day + 1) * kDay, &from_arena);
      l.population.CardDay(c, day, &regenerated);
      REQUIRE(from_arena == regenerated);
      for (std::size_t k = 0; k < regenerated.size(); ++k) CHECK(regenerated[k].seq == k);
      (regenerated.empty() ? none : regenerated.size() <= 3 ? inline_only : overflowing) += 1;
    }
  }
  CHECK(none > 0);
  CHECK(inline_only > 0);
  CHECK(overflowing > 50);
}
