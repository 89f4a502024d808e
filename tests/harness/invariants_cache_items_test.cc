// The cache-item table shared by revocation-honoured, retention-limit and the
// metrics (harness/invariants/tracking.h): its own bookkeeping, and that readers
// sharing one table, applied after them as the runner does, judge exactly as
// readers that each keep their own.

#include <algorithm>
#include <catch2/catch.hpp>

#include "harness/invariants/metrics.h"
#include "harness/invariants/tracking.h"
#include "tests/harness/invariants_trace.h"

namespace bpsim::harness::testing {
namespace {

TEST_CASE("cache item table replaces on put, removes on purge and keeps the peak size",
          "[invariants][cache]") {
  CacheItemTable t;
  CHECK(t.next_generation() == 1);
  t.OnEntry(CachePut(kMinute, 7, 3, 500));
  t.OnEntry(CachePut(2 * kMinute, 8, 4, 501));
  REQUIRE(t.Find(500) != nullptr);
  CHECK(t.Find(500)->generation == 1);
  CHECK(t.Find(500)->consent == 3);
  CHECK(t.Find(500)->subject == 7);
  CHECK(t.Find(500)->put_time == kMinute);
  CHECK(t.Live(501, 2));
  CHECK(t.next_generation() == 3);

  t.OnEntry(CachePut(3 * kMinute, 7, 5, 500));  // replaces: a new generation
  CHECK_FALSE(t.Live(500, 1));
  CHECK(t.Live(500, 3));
  CHECK(t.Find(500)->consent == 5);
  CHECK(t.size() == 2);

  t.OnEntry(CachePurge(4 * kMinute, 7, 5, 500, 3 * kMinute));
  t.OnEntry(CachePurge(4 * kMinute, 7, 5, 999, 0));  // absent: no effect
  CHECK(t.Find(500) == nullptr);
  CHECK(t.size() == 1);
  CHECK(t.size_max() == 2);

  const TraceEntry put = t.Find(501)->Put(501);
  CHECK(put.type == EntryType::kCachePut);
  CHECK(put.time == 2 * kMinute);
  CHECK(put.value == 2 * kMinute);
  CHECK(put.subject == 8);
  CHECK(put.bank == 0);
  CHECK(put.consent == 4);
  CHECK(put.categories == kBalance);
  CHECK(put.ref == 501);
}

TEST_CASE("cache item table keeps the all-ones key like any other", "[invariants][cache]") {
  CacheItemTable t;
  t.OnEntry(CachePut(0, 7, 1, ~0ULL));
  CHECK(t.Live(~0ULL, 1));
  CHECK(t.size_max() == 1);
  t.OnEntry(CachePurge(kSecond, 7, 1, ~0ULL, 0));
  CHECK(t.Find(~0ULL) == nullptr);
}

// A trace whose judgements depend on reading the table before applying each entry:
// a purge and a replacement each 1 ns after an item's retention deadline (judged
// against the table as it was, both are late), a purge exactly at a deadline (in
// time), an item put after its consent's revocation deadline, and items still
// cached at the end.
std::vector<TraceEntry> OrderSensitiveTrace() {
  const SimTime told = 10 * kMinute;  // consent 1; purge deadline told + 1h = 1h 10m
  return Concat({Granted(0, 1, 7),
                 Granted(0, 2, 8),
                 {CachePut(kMinute, 7, 1, 500),  // retention due 1h 2m (max 1h, slack 1m)
                  CachePut(kMinute + 5 * kSecond, 8, 2, 600),  // due 1h 2m 5s
                  CachePut(2 * kMinute, 7, 1, 501),            // due 1h 3m
                  RevokeRequested(told, 7, 1),
                  CachePurge(kHour + 2 * kMinute + 1, 7, 1, 500, kMinute),
                  CachePut(kHour + 2 * kMinute + 5 * kSecond + 1, 8, 2, 600),  // due 2h 3m 5s
                  CachePurge(kHour + 3 * kMinute, 7, 1, 501, 2 * kMinute),
                  CachePut(2 * kHour, 7, 1, 502),  // after 1h 10m; retention due 3h 1m
                  CachePut(2 * kHour, 8, 2, 601),
                  CachePurge(2 * kHour + kSecond, 8, 2, 601, 2 * kHour),
                  CachePut(3 * kHour, 8, 2, 601)}});  // due 4h 1m, after the end
}

struct Judged {
  std::vector<reports::Violation> violations;
  std::uint64_t count = 0;
  double cache_items_max = -1;
};

double CacheItemsMax(const MetricsCollector& m) {
  for (const auto& [name, value] : m.Metrics()) {
    if (name == "cache_items_max") return value;
  }
  return -1;
}

// Feeds `trace` through a bus to the given invariants and the metrics; with
// `shared`, one table is given to all and subscribed after them, as the runner does.
Judged Judge(const std::vector<const char*>& ids, bool shared, SimTime end) {
  CacheItemTable table;
  MonitorContext context = Context();
  if (shared) context.cache_items = &table;
  mocks::WorldTraceBus bus;
  std::vector<std::unique_ptr<Monitor>> monitors = SubscribeInvariants(ids, context, bus);
  MetricsCollector metrics(end, &Names(), MetricsCollector::kDefaultBuckets,
                           shared ? &table : nullptr);
  bus.Subscribe(&metrics, MetricsCollector::kTypeMask);
  if (shared) bus.Subscribe(&table, CacheItemTable::kTypeMask);
  for (const TraceEntry& e : OrderSensitiveTrace()) bus.Publish(e);
  Judged j;
  j.violations = FinishAll(monitors, end, &j.count);
  metrics.Finish();
  j.cache_items_max = CacheItemsMax(metrics);
  return j;
}

void RequireSame(const Judged& a, const Judged& b) {
  CHECK(a.count == b.count);
  CHECK(a.cache_items_max == b.cache_items_max);
  RequireSameViolations(a.violations, b.violations);
}

TEST_CASE("monitors sharing one cache item table judge as monitors with their own",
          "[invariants][cache]") {
  const SimTime end = 4 * kHour;
  const std::vector<const char*> both = {"revocation-honoured", "retention-limit"};
  Judged own = Judge(both, false, end);
  Judged shared = Judge(both, true, end);
  RequireSame(own, shared);

  // What the trace holds, so an equal wrong answer on both sides cannot pass.
  CHECK(shared.cache_items_max == 3);  // 500, 600, 501; later 600, 502, 601
  std::vector<std::string> found;
  for (const auto& v : shared.violations) {
    found.push_back(v.invariant + " " + std::to_string(v.time) + " " + v.message);
  }
  const auto still = [](const char* item, SimTime t, const char* at, const char* served) {
    return "retention-limit " + std::to_string(t) + " cache item #" + item +
           " was still cached at " + at +
           ", the retention limit 1h + slack 1m after bank:northbank served it at " + served;
  };
  CHECK(found ==
        std::vector<std::string>{
            "revocation-honoured " + std::to_string(2 * kHour) +
                " cache item #502 (balance) under consent 1 was put at 2h, after its "
                "purge deadline 1h 10m, 1h after the platform was told the consent was "
                "over (the customer revoked it in the messenger)",
            still("500 (balance of customer 7)", kHour + 2 * kMinute, "1h 2m",
                  "1m"),
            still("600 (balance of customer 8)", kHour + 2 * kMinute + 5 * kSecond,
                  "1h 2m 5s", "1m 5s"),
            still("600 (balance of customer 8)", 2 * kHour + 3 * kMinute + 5 * kSecond + 1,
                  "2h 3m 5s", "1h 2m 5s"),
            still("502 (balance of customer 7)", 3 * kHour + kMinute, "3h 1m",
                  "2h"),
        });
}

TEST_CASE("a shared cache item table serves whichever readers are enabled",
          "[invariants][cache]") {
  const SimTime end = 4 * kHour;
  for (const auto& ids : std::vector<std::vector<const char*>>{
           {"retention-limit"}, {"revocation-honoured"}, {}, {"retention-limit", "audit-complete"}}) {
    INFO("monitors: " << ids.size());
    RequireSame(Judge(ids, false, end), Judge(ids, true, end));
  }
  CHECK(Judge({}, true, end).cache_items_max == 3);  // metrics alone (--no-monitors)
}

// revocation-honoured keeps, per consent, the latest put of each key in the order of
// those puts: three keys inline, more in a list of their own. At the purge deadline
// it reports the live ones in that order, whichever way they were kept.
TEST_CASE("revocation-honoured reports a consent's live items in the order of their latest puts",
          "[invariants][cache]") {
  const SimTime told = 10 * kMinute;  // purge deadline told + 1h = 1h 10m
  const std::vector<TraceEntry> trace =
      Concat({Granted(0, 1, 7),
              Granted(0, 2, 8),
              {CachePut(1 * kMinute, 7, 1, 500),
               CachePut(2 * kMinute, 7, 1, 501),
               CachePut(3 * kMinute, 7, 1, 502),
               CachePut(4 * kMinute, 7, 1, 500),  // replaces: 501, 502, 500
               CachePut(5 * kMinute, 7, 1, 503),  // a fourth key: 501, 502, 500, 503
               CachePurge(6 * kMinute, 7, 1, 502, 3 * kMinute),
               CachePut(7 * kMinute, 7, 1, 501),  // 500, 503, 501 live
               CachePut(1 * kMinute, 8, 2, 600),
               CachePut(2 * kMinute, 8, 2, 601),
               CachePut(3 * kMinute, 8, 2, 600),  // inline only: 601, 600
               RevokeRequested(told, 7, 1),
               RevokeRequested(told, 8, 2)}});
  std::vector<TraceEntry> in_time_order = trace;
  std::stable_sort(in_time_order.begin(), in_time_order.end(),
                   [](const TraceEntry& a, const TraceEntry& b) { return a.time < b.time; });
  CacheItemTable table;
  MonitorContext context = Context();
  context.cache_items = &table;
  mocks::WorldTraceBus bus;
  std::vector<std::unique_ptr<Monitor>> monitors =
      SubscribeInvariants({"revocation-honoured"}, context, bus);
  bus.Subscribe(&table, CacheItemTable::kTypeMask);
  for (const TraceEntry& e : in_time_order) bus.Publish(e);
  std::uint64_t count = 0;
  const std::vector<reports::Violation> found = FinishAll(monitors, 2 * kHour, &count);
  std::vector<std::string> items;
  for (const auto& v : found) {
    CHECK(v.time == told + kHour);
    items.push_back(v.message.substr(0, v.message.find(' ', std::string("cache item ").size())));
  }
  CHECK(items == std::vector<std::string>{"cache item #500", "cache item #503", "cache item #501",
                                          "cache item #601", "cache item #600"});
  CHECK(count == 5);
}

}  // namespace
}  // namespace bpsim::harness::testing
