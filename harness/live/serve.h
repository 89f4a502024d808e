#pragma once
// Live mode (docs/live-mode.md): the world's mock banks served over HTTP/1.1 while the
// simulation runs on a scaled wall clock.
//
// One listener per bank, on consecutive ports from the first one (port 0: each
// bank gets its own ephemeral port). Each bank speaks its scenario dialect
// (obie.h, berlin_group.h) and also answers the test endpoints (live_bank.h) and
// GET /metrics (Prometheus text: per-endpoint request counts and latency).
//
// One mutex guards the world. The driver thread calls Advance() repeatedly; every
// HTTP request takes the mutex, first advances the simulation to the instant the
// wall clock has reached, then runs the dialect handler, so each request is stamped
// in simulated time and recorded on the same trace bus as the simulated traffic,
// judged by the same monitors.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/live/http_server.h"
#include "harness/live/latency.h"
#include "harness/live/live_bank.h"
#include "harness/live/messenger.h"
#include "harness/live/plaid.h"
#include "harness/live/platform_bridge.h"
#include "harness/live/served.h"
#include "harness/scenario/scenario.h"
#include "mocks/world.h"
#include "sim/clock.h"
#include "sim/simulator.h"

namespace bpsim::harness::live {

// Live mode's clock (docs/architecture.md, convention 1): simulated time from the wall clock,
// (wall - start) * time_scale. Thread-safe.
class ScaledClock final : public Clock {
 public:
  explicit ScaledClock(double time_scale)
      : start_(std::chrono::steady_clock::now()), time_scale_(time_scale) {}
  SimTime Now() const override;

 private:
  std::chrono::steady_clock::time_point start_;
  double time_scale_;
};

class LiveService {
 public:
  // `target_now` gives the simulated instant to advance to (called with the mutex
  // held). The simulation never passes duration + drain; the drain begins when it
  // reaches duration. `world` and `sim` must outlive this; world.Start() must have
  // been called.
  LiveService(mocks::World* world, Simulator* sim, std::function<SimTime()> target_now,
              double time_scale);
  ~LiveService();  // Stop()

  // Live mode with an external platform (platform_bridge.h): the bridge learns the
  // banks' consents and codes, its finished calls are applied on every advance, and
  // Listen also starts the messenger sinks (messenger.h). Call before Listen.
  void AttachPlatform(PlatformBridge* bridge);

  // Starts one listener per bank; returns the base URL of each, in bank order
  // ("http://127.0.0.1:8080/open-banking/v3.1/aisp"). With a platform attached, also
  // the messenger's listener on the port after the banks' (messenger_url()).
  Result<std::vector<std::string>> Listen(const ServerOptions& options);
  const std::string& messenger_url() const { return messenger_url_; }
  // The base of bank `bank_id`'s links (--public-url); false if there is no such bank.
  bool SetPublicUrl(const std::string& bank_id, std::string url);
  std::vector<std::uint16_t> ports() const;
  // The HTTP counters of bank `index`'s listener (after Listen).
  ServerStats server_stats(mocks::BankIndex index) const;

  // Advances the simulation to min(target_now(), duration + drain). Thread-safe.
  SimTime Advance();
  bool Finished() const;  // reached duration + drain
  void Stop();            // closes every listener; idempotent

  // Per listener and route: request count and wall-latency percentiles (seconds).
  struct EndpointSummary {
    std::string listener;  // bank id, or "messenger"
    std::string route;
    std::uint64_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0;
    std::vector<std::pair<unsigned, std::uint64_t>> statuses;  // as /metrics counts them
  };
  std::vector<EndpointSummary> EndpointSummaries() const;

  // The Prometheus text of bank `index`'s listener (index = bank count: the
  // messenger's).
  std::string MetricsText(mocks::BankIndex index) const;
  // Answers one request for bank `index` (what each listener's handler calls).
  HttpResponse Handle(mocks::BankIndex index, const HttpRequest& request);

 private:
  struct EndpointStats {
    std::map<unsigned, std::uint64_t> by_status;
    std::vector<std::uint64_t> buckets;  // cumulative later; per-bucket counts here
    double seconds_sum = 0;
    std::uint64_t count = 0;
    LatencyRecorder latency;  // for the report's percentiles (bounded memory)
  };
  void AdvanceLocked();
  void Record(mocks::BankIndex index, const std::string& route, unsigned status, double seconds);

  mocks::World* world_;
  Simulator* sim_;
  std::function<SimTime()> target_now_;
  SimTime duration_, end_;
  bool drained_ = false;
  mutable std::mutex world_mu_;
  std::vector<std::unique_ptr<LiveBank>> banks_;
  std::vector<std::unique_ptr<HttpServer>> servers_;
  double time_scale_;
  PlatformBridge* bridge_ = nullptr;
  ServedRegistry served_;
  std::unique_ptr<MessengerSinks> messenger_;
  std::unique_ptr<PlaidService> plaid_;  // when a bank speaks plaid
  std::string messenger_url_;
  mutable std::mutex metrics_mu_;
  std::vector<std::map<std::string, EndpointStats>> metrics_;  // by listener, by route
};

// The wall time a live run's deadlines allow by default on top of their simulated
// bounds (--wall-grace), scaled by the time scale.
inline constexpr double kDefaultWallGraceSeconds = 2;

}  // namespace bpsim::harness::live
