#include "harness/live/serve.h"

#include <algorithm>
#include <cstdio>

#include "harness/live/berlin_group.h"
#include "harness/live/obie.h"

namespace bpsim::harness::live {

namespace http = boost::beast::http;

// Latency histogram bucket bounds (seconds) of /metrics.
constexpr double kBucketBounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0};
constexpr std::size_t kBucketCount = sizeof kBucketBounds / sizeof kBucketBounds[0];

SimTime ScaledClock::Now() const {
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return static_cast<SimTime>(wall_s * time_scale_ * double(kSecond));
}

LiveService::LiveService(mocks::World* world, Simulator* sim, std::function<SimTime()> target_now,
                         double time_scale)
    : world_(world),
      sim_(sim),
      target_now_(std::move(target_now)),
      duration_(world->spec().duration),
      end_(world->spec().duration + world->spec().drain),
      time_scale_(time_scale) {
  const std::size_t n = world->spec().world.banks.size();
  for (std::size_t i = 0; i < n; ++i) {
    banks_.push_back(std::make_unique<LiveBank>(world, mocks::BankIndex(i), time_scale));
  }
  metrics_.resize(n + 1);  // the banks', then the messenger's
  // Clients ask for the same weeks of card transactions again and again: keep the
  // past days TransactionsIn draws (population.h), under the world's lock like every
  // read. 4096 customer-days, a few hundred KiB.
  world_->population().KeepPastCardDays(4096);
}

void LiveService::AttachPlatform(PlatformBridge* bridge) {
  std::lock_guard<std::mutex> lock(world_mu_);
  bridge_ = bridge;
  std::vector<LiveBank*> banks;
  for (auto& b : banks_) {
    b->set_served(&served_);
    banks.push_back(b.get());
  }
  // Every datum a bank releases (HTTP answers, fraud alerts) is recorded with its
  // provenance, to label what later reaches the messenger's sinks.
  for (std::size_t i = 0; i < banks_.size(); ++i) {
    world_->bank(mocks::BankIndex(i)).set_release_observer(&served_);
  }
  bridge_->Attach(std::move(banks), &served_);
  messenger_ = std::make_unique<MessengerSinks>(world_, &served_, time_scale_);
}

LiveService::~LiveService() { Stop(); }

Result<std::vector<std::string>> LiveService::Listen(const ServerOptions& options) {
  std::vector<std::string> urls;
  bool plaid = false;
  for (auto& b : banks_) plaid |= b->dialect() == mocks::Dialect::kPlaid;
  if (plaid && plaid_ == nullptr) {
    std::lock_guard<std::mutex> lock(world_mu_);
    std::vector<LiveBank*> banks;
    for (auto& b : banks_) banks.push_back(b.get());
    auto made = PlaidService::Create(world_, sim_, std::move(banks));
    if (!made.ok()) return made.error();
    plaid_ = std::move(made).value();
  }
  if (options.port != 0 && options.port + banks_.size() - 1 > 65535) {
    return Error{"cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                 std::to_string(banks_.size()) + " banks need ports up to " +
                 std::to_string(options.port + banks_.size() - 1)};
  }
  for (std::size_t i = 0; i < banks_.size(); ++i) {
    ServerOptions o = options;
    if (options.port != 0) o.port = static_cast<std::uint16_t>(options.port + i);
    auto index = mocks::BankIndex(i);
    auto server =
        HttpServer::Start(o, [this, index](const HttpRequest& r) { return Handle(index, r); });
    if (!server.ok()) {
      Stop();
      return server.error();
    }
    std::string url = "http://" + o.address + ":" + std::to_string((*server)->port());
    banks_[i]->set_local_address(o.address + ":" + std::to_string((*server)->port()));
    if (banks_[i]->dialect() == mocks::Dialect::kObie) url += kObieBasePath;
    urls.push_back(url);
    servers_.push_back(std::move(server).value());
  }
  if (messenger_ != nullptr) {
    ServerOptions o = options;
    if (options.port != 0) {
      if (options.port + banks_.size() > 65535) {
        Stop();
        return Error{"cannot listen on " + options.address + ":" +
                     std::to_string(options.port + banks_.size()) + " for the messenger"};
      }
      o.port = static_cast<std::uint16_t>(options.port + banks_.size());
    }
    o.body_limit_bytes = 1024 * 1024;  // the contract's sink limit: larger is 413
    auto index = mocks::BankIndex(banks_.size());
    auto server =
        HttpServer::Start(o, [this, index](const HttpRequest& r) { return Handle(index, r); });
    if (!server.ok()) {
      Stop();
      return server.error();
    }
    messenger_url_ = "http://" + o.address + ":" + std::to_string((*server)->port());
    servers_.push_back(std::move(server).value());
  }
  return urls;
}

bool LiveService::SetPublicUrl(const std::string& bank_id, std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  for (auto& b : banks_) {
    if (b->id() == bank_id) {
      b->set_public_url(std::move(url));
      return true;
    }
  }
  return false;
}

std::vector<std::uint16_t> LiveService::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& s : servers_) out.push_back(s->port());
  return out;
}

ServerStats LiveService::server_stats(mocks::BankIndex index) const {
  return servers_.at(index)->stats();
}

void LiveService::AdvanceLocked() {
  if (bridge_ != nullptr) bridge_->ApplyCompletions();
  if (plaid_ != nullptr) plaid_->ApplyCompletions();
  SimTime target = std::min(target_now_(), end_);
  if (!drained_ && target >= duration_) {
    if (sim_->Now() < duration_) sim_->RunUntil(duration_);
    world_->BeginDrain();
    drained_ = true;
  }
  if (target > sim_->Now()) sim_->RunUntil(target);
}

SimTime LiveService::Advance() {
  std::lock_guard<std::mutex> lock(world_mu_);
  AdvanceLocked();
  return sim_->Now();
}

bool LiveService::Finished() const {
  std::lock_guard<std::mutex> lock(world_mu_);
  return drained_ && sim_->Now() >= end_;
}

void LiveService::Stop() {
  for (auto& s : servers_) s->Stop();
  if (plaid_ != nullptr) plaid_->Stop();
}

HttpResponse LiveService::Handle(mocks::BankIndex index, const HttpRequest& request) {
  auto started = std::chrono::steady_clock::now();
  std::string route;
  HttpResponse response;
  if (request.method() == http::verb::get && request.target() == "/metrics") {
    route = "GET /metrics";
    response = {http::status::ok, request.version()};
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    response.keep_alive(request.keep_alive());
    response.body() = MetricsText(index);
    response.prepare_payload();
  } else {
    std::lock_guard<std::mutex> lock(world_mu_);
    AdvanceLocked();
    try {
      if (index >= banks_.size()) {
        response = messenger_->Handle(request, &route);
      } else {
        LiveBank& bank = *banks_[index];
        std::optional<HttpResponse> test = bank.HandleTestEndpoint(request, &route);
        // A crashed bank answers nothing on its API (docs/live-mode.md, "Crashes");
        // bpsim's own test endpoints and /metrics are the harness's, and stay up.
        if (!test && world_->network().BankDown(index)) throw ResetConnection{};
        if (test) {
          response = std::move(*test);
        } else if (bank.dialect() == mocks::Dialect::kObie) {
          response = HandleObie(request, bank, &route);
        } else if (bank.dialect() == mocks::Dialect::kPlaid) {
          response = plaid_->Handle(index, request, &route);
        } else {
          response = HandleBerlinGroup(request, bank, &route);
        }
      }
    } catch (const ResetConnection&) {
      // Counted as status 0 under the route "reset" (no route was answered).
      Record(index, "reset", 0, 0);
      throw;
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Record(index, route, response.result_int(), seconds);
  return response;
}

void LiveService::Record(mocks::BankIndex index, const std::string& route, unsigned status,
                         double seconds) {
  std::lock_guard<std::mutex> lock(metrics_mu_);
  EndpointStats& s = metrics_[index][route];
  if (s.buckets.empty()) s.buckets.assign(kBucketCount, 0);
  ++s.by_status[status];
  ++s.count;
  s.seconds_sum += seconds;
  s.latency.Add(seconds);
  for (std::size_t b = 0; b < kBucketCount; ++b) {
    if (seconds <= kBucketBounds[b]) {
      ++s.buckets[b];
      break;
    }
  }
}

std::vector<LiveService::EndpointSummary> LiveService::EndpointSummaries() const {
  std::vector<EndpointSummary> out;
  std::lock_guard<std::mutex> lock(metrics_mu_);
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    for (const auto& [route, s] : metrics_[i]) {
      EndpointSummary e;
      e.listener = i < banks_.size() ? banks_[i]->id() : "messenger";
      e.route = route;
      e.count = s.count;
      e.statuses.assign(s.by_status.begin(), s.by_status.end());
      e.p50 = s.latency.Percentile(50);
      e.p90 = s.latency.Percentile(90);
      e.p99 = s.latency.Percentile(99);
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::string LiveService::MetricsText(mocks::BankIndex index) const {
  const std::string bank = index < banks_.size() ? banks_[index]->id() : "messenger";
  std::string out;
  char num[64];
  out += "# HELP bpsim_http_requests_total HTTP requests answered, by endpoint and status.\n";
  out += "# TYPE bpsim_http_requests_total counter\n";
  std::lock_guard<std::mutex> lock(metrics_mu_);
  for (const auto& [route, s] : metrics_[index]) {
    for (const auto& [status, n] : s.by_status) {
      out += "bpsim_http_requests_total{bank=\"" + bank + "\",endpoint=\"" + route +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP bpsim_http_request_duration_seconds Wall time to answer, by endpoint.\n";
  out += "# TYPE bpsim_http_request_duration_seconds histogram\n";
  for (const auto& [route, s] : metrics_[index]) {
    const std::string labels = "bank=\"" + bank + "\",endpoint=\"" + route + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBucketCount; ++b) {
      cumulative += s.buckets[b];
      std::snprintf(num, sizeof num, "%g", kBucketBounds[b]);
      out += "bpsim_http_request_duration_seconds_bucket{" + labels + ",le=\"" + num + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "bpsim_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(s.count) + "\n";
    std::snprintf(num, sizeof num, "%.6f", s.seconds_sum);
    out += "bpsim_http_request_duration_seconds_sum{" + labels + "} " + num + "\n";
    out += "bpsim_http_request_duration_seconds_count{" + labels + "} " + std::to_string(s.count) +
           "\n";
  }
  // A Berlin Group bank's card pages (page_cache.h); the counters are atomic: no world
  // mutex needed.
  if (index < banks_.size() && banks_[index]->dialect() == mocks::Dialect::kBerlinGroup) {
    const CardPageCache& pages = banks_[index]->card_pages();
    out += "# HELP bpsim_card_pages_total Card transaction pages sent, by source: written for "
           "the request, or kept from an identical one.\n";
    out += "# TYPE bpsim_card_pages_total counter\n";
    out += "bpsim_card_pages_total{bank=\"" + bank + "\",source=\"written\"} " +
           std::to_string(pages.misses()) + "\n";
    out += "bpsim_card_pages_total{bank=\"" + bank + "\",source=\"kept\"} " +
           std::to_string(pages.hits()) + "\n";
  }
  return out;
}

}  // namespace bpsim::harness::live
