// Crashes and restarts (docs/world.md, "Crashes and restarts"): what each party keeps
// and loses, seen in the trace of small worlds.

#include <catch2/catch.hpp>

#include <set>

#include "mocks/perturb.h"
#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;
using testing::RecordedRun;

namespace {

std::string Yaml(const std::string& world, const std::string& timeline,
                 const std::string& extra = "") {
  return R"(
seed: 9
duration: 2d
world:
)" + world + "timeline:\n" + timeline + extra;
}

const char* kWorld = R"(  banks: [{id: northbank}]
  customers:
    count: 800
    balance_checks_per_day: 2
    consent: {opt_in: 0.6}
    fraud: {compromise_rate_per_year: 20, fraud_tx_per_day: 48}
  platform: {poll_interval: 1h}
)";

SimTime TimeOf(const testing::Recorder& r, EntryType type) {
  for (const auto& e : r.entries) {
    if (e.type == type) return e.time;
  }
  return -1;
}

}  // namespace

TEST_CASE("a platform crash loses the cache and every timer and keeps the links",
          "[mocks][crash]") {
  RecordedRun run(Yaml(kWorld, "  - at: 1d\n    crash: {target: platform, down: 20m}\n"));
  const auto& r = run.recorder;
  const SimTime crash = TimeOf(r, EntryType::kCrash);
  const SimTime restart = TimeOf(r, EntryType::kRestart);
  REQUIRE(crash == kDay);
  REQUIRE(restart == kDay + 20 * kMinute);
  // The crash entry says who and until when.
  for (const auto& e : r.entries) {
    if (e.type != EntryType::kCrash) continue;
    CHECK(e.to == kConnector);
    CHECK(e.value == restart);
  }
  // Every cached item went with the process, at the crash instant.
  const std::size_t purged = r.CountIf([&](const TraceEntry& e) {
    return e.type == EntryType::kCachePurge && e.reason == std::uint8_t(PurgeReason::kCrash);
  });
  CHECK(purged > 100);
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kCachePurge && e.reason == std::uint8_t(PurgeReason::kCrash) &&
                 e.time != crash;
        }) == 0);
  // Nothing is requested, received or answered by the platform while it is down.
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.time > crash && e.time < restart &&
                 (e.type == EntryType::kApiRequest || e.type == EntryType::kApiResponse ||
                  e.type == EntryType::kWebhookReceived || e.type == EntryType::kCachePut);
        }) == 0);
  // The links are records: the restarted platform polls under the same consents
  // without anyone linking again, within its first minute.
  // (Customers who authorise while it is down do so when it is back: new links.)
  std::set<ConsentId> before, after, authorised_since;
  for (const auto& e : r.entries) {
    if (e.type == EntryType::kConsentAuthorised && e.time >= crash) authorised_since.insert(e.consent);
    if (e.type != EntryType::kApiRequest || authorised_since.count(e.consent)) continue;
    if (e.time < crash && e.time > crash - 2 * kHour) before.insert(e.consent);
    if (e.time >= restart && e.time < restart + 2 * kMinute) after.insert(e.consent);
  }
  CHECK(after.size() > 100);
  std::size_t common = 0;
  for (ConsentId c : after) common += before.count(c);
  CHECK(common == after.size());
  CHECK(run.world.platform().link(0).generation > 0);
}

TEST_CASE("webhooks refused by a crashed platform are delivered after its restart",
          "[mocks][crash]") {
  RecordedRun run(Yaml(kWorld, R"(  - at: 1d
    crash: {target: platform, down: 30m}
  - at: 1441m
    revoke_consents: {fraction: 0.3, via: bank}
)"));
  const auto& r = run.recorder;
  const SimTime restart = kDay + 30 * kMinute;
  std::size_t sent_while_down = 0, received_after = 0;
  for (const auto& e : r.entries) {
    if (e.reason != std::uint8_t(WebhookKind::kConsentRevoked)) continue;
    if (e.type == EntryType::kWebhookSent && e.time < restart) ++sent_while_down;
    if (e.type == EntryType::kWebhookReceived && e.time >= restart) ++received_after;
  }
  CHECK(sent_while_down > 50);
  CHECK(received_after == r.CountIf([](const TraceEntry& e) {
          return e.type == EntryType::kConsentRevoked && e.reason == std::uint8_t(Via::kBank);
        }));
}

TEST_CASE("a bank crash loses requests on the wire and keeps consents and the outbox",
          "[mocks][crash]") {
  RecordedRun run(Yaml(kWorld, R"(  - at: 1d
    crash: {target: northbank, down: 30m}
  - at: 1441m
    fraud_wave: {bank: northbank, cards: 40}
)"));
  const auto& r = run.recorder;
  const SimTime crash = kDay, restart = kDay + 30 * kMinute;
  CHECK(TimeOf(r, EntryType::kCrash) == crash);
  // The bank serves nothing while it is down; requests get no answer.
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kApiServed && e.time >= crash && e.time < restart;
        }) == 0);
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kApiResponse && e.status == 0 && e.time > crash &&
                 e.time < restart + kMinute;
        }) > 0);
  // Consents are the bank's records: polls after the restart are answered 200
  // under the consents authorised before the crash.
  std::set<ConsentId> authorised_before;
  for (const auto& e : r.entries) {
    if (e.type == EntryType::kConsentAuthorised && e.time < crash) authorised_before.insert(e.consent);
  }
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kApiServed && e.status == 200 && e.time >= restart &&
                 e.time < restart + 2 * kHour && authorised_before.count(e.consent) > 0;
        }) > 50);
  // Fraud alerts detected while it was down wait in the outbox and leave after it.
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kWebhookSent && e.time > crash && e.time < restart;
        }) == 0);
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kWebhookSent && e.time == restart;
        }) > 0);
}

TEST_CASE("a messenger crash holds alerts in the relay and shows each once afterwards",
          "[mocks][crash]") {
  RecordedRun run(Yaml(kWorld, R"(  - at: 1d
    outage: {target: messenger, for: 2h, mode: slow, latency: {median: 1m, p99: 5m}}
  - at: 1441m
    fraud_wave: {bank: northbank, cards: 150}
  - at: 1445m
    crash: {target: messenger, down: 30m}
)"));
  const auto& r = run.recorder;
  const SimTime crash = kDay + 5 * kMinute, restart = crash + 30 * kMinute;
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return e.type == EntryType::kAlertDisplayed && e.time > crash && e.time < restart;
        }) == 0);
  CHECK(r.CountIf([&](const TraceEntry& e) {
          return (e.type == EntryType::kBalanceCheck) && e.time > crash && e.time < restart;
        }) == 0);
  std::set<std::uint64_t> shown;
  std::size_t displays = 0;
  for (const auto& e : r.entries) {
    if (e.type != EntryType::kAlertDisplayed) continue;
    shown.insert(e.ref);
    ++displays;
  }
  CHECK(displays == shown.size());
  std::size_t received = 0;
  std::set<std::uint64_t> refs;
  for (const auto& e : r.entries) {
    if (e.type == EntryType::kWebhookReceived && e.reason == std::uint8_t(WebhookKind::kFraudAlert)) {
      refs.insert(e.ref);
    }
  }
  received = refs.size();
  CHECK(received > 50);
  CHECK(shown.size() == received);
}

TEST_CASE("perturb.crashes draws its crashes from its own stream and says what it drew",
          "[mocks][crash][perturb]") {
  WorldSpec spec;
  spec.duration = 4 * kDay;
  spec.world.banks = {BankConfig{}, BankConfig{}};
  spec.world.banks[0].id = "northbank";
  spec.world.banks[1].id = "southbank";
  // Built in place: GCC 12 -O2 warns (maybe-uninitialized, a false positive) on a
  // moved temporary of the action variant.
  TimelineEntry& wave = spec.timeline.emplace_back();
  wave.at = kDay;
  wave.action.emplace<FraudWave>(FraudWave{"northbank", 3});
  wave.line = 7;
  std::set<std::string> texts;
  std::size_t crashes = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    WorldSpec a = spec, b = spec;
    const std::string text = PerturbCrashes(&a, seed);
    CHECK(PerturbCrashes(&b, seed) == text);  // a pure function of the seed
    CHECK(text.rfind("crashes: ", 0) == 0);
    texts.insert(text);
    for (std::size_t i = 1; i < a.timeline.size(); ++i) CHECK(a.timeline[i - 1].at <= a.timeline[i].at);
    for (const TimelineEntry& e : a.timeline) {
      const auto* crash = std::get_if<Crash>(&e.action);
      if (crash == nullptr) continue;
      ++crashes;
      CHECK(e.at >= spec.duration / 20);
      CHECK(e.at < spec.duration);
      CHECK(crash->down >= kMinute);
      CHECK(crash->down < 15 * kMinute);
      CHECK(text.find(crash->target + " at ") != std::string::npos);
    }
  }
  CHECK(texts.size() > 30);
  // Four parties, each with probability 1/2, over 40 seeds.
  CHECK(crashes > 50);
  CHECK(crashes < 110);
}
