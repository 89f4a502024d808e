#pragma once
// A small synchronous Beast client and a live world fixture for the [live] tests.

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/live/serve.h"
#include "mocks/world.h"
#include "sim/simulator.h"

namespace bpsim::harness::live::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Json = nlohmann::json;

struct Reply {
  unsigned status = 0;
  std::string body;
  http::fields headers;
  Json json() const { return Json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : std::string(it->value());
  }
};

// A header value that makes Client::Send leave that header out.
inline const std::string kOmit = "\x01omit";

// One keep-alive connection. Every request carries the headers Berlin Group
// requires (X-Request-ID, a fresh UUID, and PSU-IP-Address) unless the caller gives
// them (kOmit: leave one out); OBIE ignores them.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(ioc_) {
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  Reply Send(http::verb method, const std::string& target, const std::string& body = "",
             const std::map<std::string, std::string>& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(++requests_));
    req.set("X-Request-ID", id);
    req.set("PSU-IP-Address", "127.0.0.1");
    for (const auto& [k, v] : headers) {
      if (v == kOmit) {
        req.erase(k);
      } else {
        req.set(k, v);
      }
    }
    if (!body.empty()) {
      if (req.find(http::field::content_type) == req.end()) {
        req.set(http::field::content_type, "application/json");
      }
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream_, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream_, buffer, res);
    Reply r;
    r.status = res.result_int();
    r.body = res.body();
    r.headers = res.base();
    return r;
  }
  Reply Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return Send(http::verb::get, target, "", headers);
  }
  Reply Post(const std::string& target, const std::string& body,
             const std::map<std::string, std::string>& headers = {}) {
    return Send(http::verb::post, target, body, headers);
  }
  beast::tcp_stream& stream() { return stream_; }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  std::uint64_t requests_ = 0;
};

// A client-credentials token of the bank on `client`'s listener (POST /token), which
// OBIE's consent endpoints want.
inline std::string ClientToken(Client& client) {
  Reply r = client.Post("/token", "grant_type=client_credentials",
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  if (r.status != 200) throw std::runtime_error("POST /token: " + r.body);
  return r.json()["access_token"];
}

// Writes raw bytes on a fresh connection and returns everything the server sends
// back until it closes (or 2 s pass).
inline std::string SendRaw(std::uint16_t port, const std::string& bytes) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(stream.socket(), net::buffer(bytes));
  stream.socket().shutdown(tcp::socket::shutdown_send);
  std::string out;
  char buf[4096];
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(2));
  for (;;) {
    std::size_t n = stream.socket().read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

// A quiet world (no customer links on their own, no injected errors) with an OBIE
// bank "northbank" and a Berlin Group bank "southbank", served on ephemeral ports.
// Simulated time is whatever `now` says.
struct LiveWorld {
  explicit LiveWorld(double rate_limit_per_s = 0, std::uint32_t frequency_per_day = 0,
                     const ServerOptions& server_options = {}) {
    mocks::BankConfig north;
    north.id = "northbank";
    north.api.error_rate = 0;
    north.api.rate_limit_per_s = rate_limit_per_s;
    mocks::BankConfig south = north;
    south.id = "southbank";
    south.api.dialect = mocks::Dialect::kBerlinGroup;
    south.api.frequency_per_day = frequency_per_day;
    Start({north, south}, server_options);
    obie_port = service->ports()[0];
    bg_port = service->ports()[1];
  }
  // The same quiet world with these banks (ports()[i] serves banks[i]).
  explicit LiveWorld(const std::vector<mocks::BankConfig>& banks) { Start(banks, {}); }
  ~LiveWorld() { service->Stop(); }

  void Start(const std::vector<mocks::BankConfig>& banks, const ServerOptions& server_options) {
    spec.seed = 11;
    spec.duration = 30 * kDay;
    spec.drain = kHour;
    spec.world.banks = banks;
    spec.world.customers.count = 40;
    spec.world.customers.consent.opt_in = 0;
    spec.world.customers.fraud.compromise_rate_per_year = 0;
    world = std::make_unique<mocks::World>(spec, &sim, &bus);
    world->Start();
    now.store(kHour);
    service = std::make_unique<LiveService>(
        world.get(), &sim, [this] { return now.load(); }, 1.0);
    auto urls = service->Listen(server_options);
    if (!urls.ok()) throw std::runtime_error(urls.error().message);
  }

  // The first two customers of bank `b`.
  std::pair<mocks::CustomerId, mocks::CustomerId> Customers(mocks::BankIndex b) {
    std::vector<mocks::CustomerId> found;
    for (mocks::CustomerId c = 0; c < world->population().size() && found.size() < 2; ++c) {
      if (world->population().at(c).bank == b) found.push_back(c);
    }
    return {found.at(0), found.at(1)};
  }

  mocks::WorldSpec spec;
  Simulator sim;
  mocks::WorldTraceBus bus;
  std::unique_ptr<mocks::World> world;
  std::atomic<SimTime> now{0};
  std::unique_ptr<LiveService> service;
  std::uint16_t obie_port = 0, bg_port = 0;
};

}  // namespace bpsim::harness::live::testing
