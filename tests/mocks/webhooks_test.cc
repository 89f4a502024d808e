// The banks' webhooks (mocks/bank/webhooks.h): a fraud alert leaves the bank only
// under a consent that is live at that instant, at its first attempt and at every
// retry; one whose consent ended while it waited is withheld, not sent.

#include <catch2/catch.hpp>

#include <map>

#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;
using testing::RecordedRun;

namespace {

// A bank that is unreachable (`mode`) from 1d to 1d 06:00, a fraud wave on it at
// 1d 01:00 and every customer revoking in the bank's app at 1d 02:00: alerts raised
// during the outage wait, and their consents end before the bank can send them.
std::string Yaml(const std::string& mode) {
  return R"(
seed: 3
duration: 2d
world:
  banks: [{id: northbank, webhook_retry: {initial: 1s, max: 2m}}]
  customers:
    count: 300
    consent: {opt_in: 1, alerts_opt_in: 1, authorise_delay: 10m, reject: 0}
    fraud: {fraud_tx_per_day: 96}
timeline:
  - at: 1d
    outage: {target: northbank, for: 6h, mode: )" +
         mode + R"(}
  - at: 25h
    fraud_wave: {bank: northbank, cards: 60}
  - at: 26h
    revoke_consents: {fraction: 1, via: bank}
)";
}

struct AlertReleases {
  std::size_t total = 0;             // bank releases of alerts
  std::size_t without_consent = 0;   // ... at an instant their consent was not live
  std::size_t withheld = 0;          // webhook.withheld entries
  std::size_t withheld_wrongly = 0;  // ... under a live consent, or followed by an attempt
};

// Every bank release of an alert, judged against the consent life cycle the trace
// shows up to that instant.
AlertReleases Judge(const testing::Recorder& r) {
  std::map<ConsentId, bool> live;
  std::map<std::uint64_t, bool> stopped;  // by alert id
  AlertReleases out;
  for (const TraceEntry& e : r.entries) {
    if (e.type == EntryType::kWebhookWithheld) {
      ++out.withheld;
      if (live[e.consent] || e.reason != std::uint8_t(WebhookKind::kFraudAlert)) ++out.withheld_wrongly;
      stopped[e.ref] = true;
    }
    if (e.type == EntryType::kWebhookSent && e.reason == std::uint8_t(WebhookKind::kFraudAlert) &&
        stopped[e.ref]) {
      ++out.withheld_wrongly;
    }
    if (e.type == EntryType::kConsentAuthorised) live[e.consent] = true;
    if (e.type == EntryType::kConsentRevoked || e.type == EntryType::kConsentExpired) {
      live[e.consent] = false;
    }
    if (e.type == EntryType::kFlow && e.labelled && e.from.kind == EndpointKind::kBank &&
        (e.categories & CategoryBit(Category::kAlert))) {
      ++out.total;
      if (!live[e.consent]) ++out.without_consent;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("An alert that waited out its bank's outage is not sent under a consent revoked meanwhile",
          "[mocks][webhooks]") {
  RecordedRun run(Yaml("unavailable"));
  AlertReleases releases = Judge(run.recorder);
  CHECK(run.recorder.CountIf([](const TraceEntry& e) {
    return e.type == EntryType::kFraudDetected && e.consent != 0 && e.time > 25 * kHour &&
           e.time < 26 * kHour;
  }) > 5);
  CHECK(releases.without_consent == 0);
  CHECK(releases.withheld > 5);
  CHECK(releases.withheld_wrongly == 0);
}

TEST_CASE("A webhook retry is not sent under a consent revoked since the previous attempt",
          "[mocks][webhooks]") {
  // A partition drops every attempt: the bank retries, and every attempt that leaves
  // the bank carries the alert (a release, with its audit record).
  RecordedRun run(Yaml("partition"));
  AlertReleases releases = Judge(run.recorder);
  CHECK(releases.total == run.recorder.CountIf([](const TraceEntry& e) {
    return e.type == EntryType::kWebhookSent && e.reason == std::uint8_t(WebhookKind::kFraudAlert);
  }));
  CHECK(run.recorder.CountIf([](const TraceEntry& e) {
    return e.type == EntryType::kWebhookSent && e.value >= 2 && e.time > 25 * kHour &&
           e.time < 26 * kHour && e.reason == std::uint8_t(WebhookKind::kFraudAlert);
  }) > 5);
  CHECK(releases.without_consent == 0);
  CHECK(releases.withheld > 5);
  CHECK(releases.withheld_wrongly == 0);
}
