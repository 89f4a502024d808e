// Throughput of the nine invariant monitors + MetricsCollector over a synthetic but
// realistic mix of trace entries (consent life cycles, polls with audit, release,
// response and cache churn, displays, fraud alerts with webhooks, a revocation
// share). Reports entries/s through the TraceBus, as a run would feed them.

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "harness/invariants/metrics.h"
#include "harness/invariants/monitor.h"
#include "harness/invariants/tracking.h"

namespace bpsim::harness {
namespace {

using mocks::EntryType;
using mocks::TraceEntry;

const mocks::TraceNames& Names() {
  static const mocks::TraceNames names{{"northbank", "southbank"}, {"adpartner"}};
  return names;
}

std::vector<TraceEntry> SyntheticTrace(std::uint32_t customers, int rounds) {
  std::vector<TraceEntry> t;
  t.reserve(std::size_t(customers) * std::size_t(rounds) * 10 + customers * 3);
  const mocks::ScopeSet scopes =
      mocks::kScopeAccounts | mocks::kScopeBalances | mocks::kScopeTransactions;
  const mocks::PurposeSet purposes = mocks::kPurposeDisplay | mocks::kPurposeFraudAlerts;
  auto base = [](EntryType type, SimTime time, std::uint32_t c) {
    TraceEntry e;
    e.type = type;
    e.time = time;
    e.subject = c;
    e.bank = mocks::BankIndex(c % 2);
    e.consent = c + 1;
    return e;
  };
  SimTime now = 0;
  for (std::uint32_t c = 0; c < customers; ++c) {
    for (EntryType type : {EntryType::kConsentCreated, EntryType::kConsentAuthorised}) {
      TraceEntry e = base(type, now, c);
      e.scopes = scopes;
      e.consent_purposes = purposes;
      e.value = 90 * kDay;
      t.push_back(e);
    }
    now += kMillisecond;
  }
  std::uint64_t ref = 0;
  std::vector<bool> revoked(customers, false);
  for (int r = 0; r < rounds; ++r) {
    if (r == rounds / 2) {  // one customer in 20 revokes in the messenger mid-run
      for (std::uint32_t c = 0; c < customers; c += 20) {
        now += kMillisecond;
        revoked[c] = true;
        TraceEntry asked = base(EntryType::kRevokeRequested, now, c);
        asked.reason = std::uint8_t(mocks::Via::kMessenger);
        t.push_back(asked);
        TraceEntry del = base(EntryType::kConsentDeleteSent, now, c);
        del.ref = ++ref;
        t.push_back(del);
        for (std::uint64_t cat = 1; cat <= 3; ++cat) {
          TraceEntry purge = base(EntryType::kCachePurge, now, c);
          purge.ref = std::uint64_t(c) * 8 + cat;
          purge.categories = mocks::CategoryBit(static_cast<mocks::Category>(cat));
          purge.reason = std::uint8_t(mocks::PurgeReason::kRevocation);
          t.push_back(purge);
        }
        TraceEntry gone = base(EntryType::kConsentRevoked, now + 50 * kMillisecond, c);
        gone.scopes = scopes;
        gone.consent_purposes = purposes;
        gone.value = 90 * kDay;
        gone.reason = std::uint8_t(mocks::Via::kMessenger);
        t.push_back(gone);
      }
    }
    for (std::uint32_t c = 0; c < customers; ++c) {
      if (revoked[c]) continue;
      now += kMillisecond;
      ++ref;
      const auto category = static_cast<mocks::Category>(1 + (ref % 3));
      TraceEntry req = base(EntryType::kApiRequest, now, c);
      req.from = mocks::kConnector;
      req.to = mocks::BankEndpoint(req.bank);
      req.categories = mocks::CategoryBit(category);
      req.ref = ref;
      t.push_back(req);
      TraceEntry audit = base(EntryType::kAudit, now + 100 * kMillisecond, c);
      audit.categories = req.categories;
      audit.ref = ref;
      t.push_back(audit);
      TraceEntry release = base(EntryType::kFlow, audit.time, c);
      release.from = req.to;
      release.to = mocks::kConnector;
      release.labelled = true;
      release.categories = req.categories;
      release.consent_purposes = purposes;
      release.purpose = mocks::kPurposeDisplay;
      release.ref = ref;
      release.aux = release.time;  // served now
      t.push_back(release);
      TraceEntry served = base(EntryType::kApiServed, audit.time, c);
      served.categories = req.categories;
      served.ref = ref;
      served.status = 200;
      t.push_back(served);
      TraceEntry resp = served;
      resp.type = EntryType::kApiResponse;
      resp.time += 10 * kMillisecond;
      t.push_back(resp);
      TraceEntry put = base(EntryType::kCachePut, resp.time, c);
      put.categories = req.categories;
      put.ref = std::uint64_t(c) * 8 + std::uint64_t(category);
      put.value = put.time;
      put.aux = release.time;  // when the bank served it
      t.push_back(put);
      if (ref % 4 == 0) {
        TraceEntry show = release;
        show.time = resp.time;
        show.from = mocks::kConnector;
        show.to = mocks::ChatEndpoint(c);
        TraceEntry check = base(EntryType::kBalanceCheck, show.time, c);
        check.from = mocks::CustomerEndpoint(c);
        check.to = show.to;
        check.consent = 0;
        check.ref = ref;
        t.push_back(check);
        t.push_back(show);
        TraceEntry reply = check;
        reply.type = EntryType::kBalanceReply;
        reply.from = {};
        t.push_back(reply);
      }
      if (ref % 50 == 0) {
        TraceEntry detected = base(EntryType::kFraudDetected, resp.time, c);
        detected.ref = 1'000'000'000 + ref;
        detected.reason = 1;
        t.push_back(detected);
        TraceEntry sent = base(EntryType::kWebhookSent, resp.time, c);
        sent.ref = detected.ref;
        sent.value = 1;
        t.push_back(sent);
        TraceEntry received = sent;
        received.type = EntryType::kWebhookReceived;
        t.push_back(received);
        TraceEntry shown = base(EntryType::kAlertDisplayed, resp.time + kSecond, c);
        shown.consent = 0;
        shown.to = mocks::ChatEndpoint(c);
        shown.ref = detected.ref;
        shown.value = detected.time;
        t.push_back(shown);
      }
    }
  }
  return t;
}

// All nine monitors and the metrics over the synthetic trace. With `shared`, one
// CacheItemTable serves revocation-honoured, retention-limit and the metrics and is
// applied after them, as the runner does; without, each keeps its own table.
void RunAllMonitors(benchmark::State& state, bool shared) {
  const auto trace = SyntheticTrace(std::uint32_t(state.range(0)), 8);
  std::uint64_t violations = 0;
  for (auto _ : state) {
    CacheItemTable cache_items;
    MonitorContext context;
    context.names = &Names();
    if (shared) context.cache_items = &cache_items;
    mocks::WorldTraceBus bus;
    std::vector<std::unique_ptr<Monitor>> monitors;
    for (const char* id : kInvariantIds) {
      InvariantConfig config;
      config.id = id;
      monitors.push_back(MakeInvariantMonitor(config, context));
      bus.Subscribe(monitors.back().get(), monitors.back()->type_mask());
    }
    MetricsCollector metrics(trace.back().time + kHour, &Names(),
                             MetricsCollector::kDefaultBuckets, context.cache_items);
    bus.Subscribe(&metrics, MetricsCollector::kTypeMask);
    if (shared) bus.Subscribe(&cache_items, CacheItemTable::kTypeMask);
    for (const TraceEntry& e : trace) bus.Publish(e);
    violations = 0;
    for (auto& m : monitors) {
      m->Finish(trace.back().time + kHour);
      violations += m->violation_count();
    }
    metrics.Finish();
    benchmark::DoNotOptimize(violations);
    benchmark::DoNotOptimize(metrics.Metrics());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(trace.size()));
  state.counters["entries"] = double(trace.size());
  state.counters["violations"] = double(violations);  // 0: the synthetic world is correct
}

// Each cache reader with its own table (a monitor used alone).
void BM_AllMonitors(benchmark::State& state) { RunAllMonitors(state, false); }
BENCHMARK(BM_AllMonitors)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// One shared cache-item table, as `bpsim run` judges.
void BM_AllMonitorsSharedCache(benchmark::State& state) { RunAllMonitors(state, true); }
BENCHMARK(BM_AllMonitorsSharedCache)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bpsim::harness
