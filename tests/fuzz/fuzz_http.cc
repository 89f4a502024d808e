// libFuzzer target: live mode's HTTP request handling (docs/live-mode.md, issue 7).
//
// The input is a byte stream as a client would write it on one connection: one or
// more pipelined HTTP/1.1 requests. Each is read with Beast's parser set up exactly as
// the server sets it up (ConfigureRequestParser: the same body and header limits);
// a read error gets the server's own answer (ReadErrorResponse) and ends the
// connection, as in the server; a request that parses goes through AnswerRequest
// into LiveService::Handle, the function each listener calls, for a small world
// built afresh for every input (so that a crash reproduces from its input alone):
// bank "northbank" speaks obie, bank "southbank" berlin-group. A request whose Host
// header names southbank goes to southbank's listener, any other to northbank's.
//
// To reach the authorised paths, "$TOKEN" and "$CONSENT" in the bytes still to be
// read are replaced by the last access token and consent id this input obtained,
// "$NPSU" / "$SPSU" by the first customer of northbank / southbank and "$NACC" /
// "$SACC" by that customer's checking account id.
// Simulated time advances one hour per request (consents can expire).
//
// Checks beyond "no crash, leak or UB": every response has a status in 100-599, a
// JSON body that parses when it says application/json, a Content-Length equal to its
// body (but for HEAD), and serializes. BPSIM_FUZZ_HTTP_VERBOSE=1 prints each request
// and its answer.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "harness/live/canary.h"
#include "harness/live/http_server.h"
#include "harness/live/serve.h"
#include "mocks/world.h"
#include "sim/simulator.h"

namespace {

namespace http = boost::beast::http;
using namespace bpsim;
using namespace bpsim::harness::live;

struct FuzzWorld {
  FuzzWorld() {
    spec.seed = 7;
    spec.duration = 60 * kDay;
    spec.drain = kHour;
    mocks::BankConfig north;
    north.id = "northbank";
    north.api.error_rate = 0;
    mocks::BankConfig south = north;
    south.id = "southbank";
    south.api.dialect = mocks::Dialect::kBerlinGroup;
    south.api.frequency_per_day = 4;
    spec.world.banks = {north, south};
    spec.world.customers.count = 8;
    spec.world.customers.consent.opt_in = 0;
    spec.world.customers.fraud.compromise_rate_per_year = 0;
    world = std::make_unique<mocks::World>(spec, &sim, &bus);
    world->Start();
    service = std::make_unique<LiveService>(
        world.get(), &sim, [this] { return now; }, 1.0);
    for (mocks::CustomerId c = 0; c < world->population().size(); ++c) {
      std::string& psu = world->population().at(c).bank == 0 ? north_psu : south_psu;
      if (psu.empty()) psu = std::to_string(c);
    }
    if (!north_psu.empty()) {
      north_account = AccountId("northbank", std::stoul(north_psu), AccountKind::kChecking);
    }
    if (!south_psu.empty()) {
      south_account = AccountId("southbank", std::stoul(south_psu), AccountKind::kChecking);
    }
  }
  std::string north_psu, south_psu, north_account, south_account;
  mocks::WorldSpec spec;
  Simulator sim;
  mocks::WorldTraceBus bus;
  std::unique_ptr<mocks::World> world;
  SimTime now = kHour;
  std::unique_ptr<LiveService> service;
};

[[noreturn]] void Fail(const char* what, const HttpRequest& request, const HttpResponse& response) {
  std::ostringstream out;
  out << request << "\n---\n" << response;
  std::fprintf(stderr, "fuzz_http: %s\n%s\n", what, out.str().c_str());
  std::abort();
}

void Check(const HttpRequest& request, const HttpResponse& response) {
  const unsigned status = response.result_int();
  if (status < 100 || status > 599) Fail("status out of range", request, response);
  auto type = response.find(http::field::content_type);
  if (type != response.end() && type->value().starts_with("application/json") &&
      !response.body().empty() && !nlohmann::json::accept(response.body())) {
    Fail("body is not JSON", request, response);
  }
  auto length = response.find(http::field::content_length);
  if (request.method() != http::verb::head && length != response.end() &&
      length->value() != std::to_string(response.body().size())) {
    Fail("Content-Length differs from the body", request, response);
  }
  std::ostringstream wire;
  wire << response;
  if (wire.str().rfind("HTTP/1.", 0) != 0) Fail("does not serialize", request, response);
}

void Replace(std::string* s, const std::string& from, const std::string& to) {
  if (to.empty()) return;
  for (std::size_t at = 0; (at = s->find(from, at)) != std::string::npos; at += to.size()) {
    s->replace(at, from.size(), to);
  }
}

void Remember(const HttpResponse& response, std::string* token, std::string* consent) {
  if (response.body().empty() || response.body().size() > 65536) return;
  auto j = nlohmann::json::parse(response.body(), nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("access_token") && j["access_token"].is_string()) {
    *token = j["access_token"].get<std::string>();
  }
  if (j.contains("consentId") && j["consentId"].is_string()) {
    *consent = j["consentId"].get<std::string>();
  }
  if (j.contains("Data") && j["Data"].is_object() && j["Data"].contains("ConsentId") &&
      j["Data"]["ConsentId"].is_string()) {
    *consent = j["Data"]["ConsentId"].get<std::string>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // BPSIM_FUZZ_HTTP_VERBOSE=1: print each request and its answer (to see what a seed
  // or a crasher reaches).
  static const bool verbose = std::getenv("BPSIM_FUZZ_HTTP_VERBOSE") != nullptr;
  FuzzWorld w;
  const ServerOptions options;  // the server's defaults
  std::string rest(reinterpret_cast<const char*>(data), size);
  std::string token, consent;
  while (!rest.empty()) {
    Replace(&rest, "$TOKEN", token);
    Replace(&rest, "$CONSENT", consent);
    Replace(&rest, "$NPSU", w.north_psu);
    Replace(&rest, "$SPSU", w.south_psu);
    Replace(&rest, "$NACC", w.north_account);
    Replace(&rest, "$SACC", w.south_account);
    HttpRequestParser parser;
    ConfigureRequestParser(options, &parser);
    parser.eager(true);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done()) {
      std::size_t n = parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
      used += n;
      if (ec == http::error::need_more || (!ec && n == 0)) {
        if (n > 0) continue;
        // All the input is here: what is missing will never come (the peer closed).
        ec = {};
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = http::error::partial_message;
      }
      if (ec) break;
    }
    if (ec) {
      auto answer = ReadErrorResponse(options, ec);
      if (answer) Check(HttpRequest{}, *answer);
      return 0;  // the server closes the connection after a read error
    }
    rest.erase(0, used);
    const HttpRequest request = parser.release();
    auto host = request.find(http::field::host);
    const bool south =
        host != request.end() && host->value().find("southbank") != std::string_view::npos;
    const auto bank = mocks::BankIndex(south ? 1 : 0);
    bool failed = false;
    HttpResponse response = AnswerRequest(
        [&](const HttpRequest& r) { return w.service->Handle(bank, r); }, request, &failed);
    if (failed) Fail("the handler threw", request, response);
    Check(request, response);
    if (verbose) {
      std::fprintf(stderr, "%s %s %s -> %u %.120s\n", south ? "southbank" : "northbank",
                   std::string(request.method_string()).c_str(),
                   std::string(request.target()).c_str(), response.result_int(),
                   response.body().c_str());
    }
    Remember(response, &token, &consent);
    if (!response.keep_alive()) return 0;
    w.now += kHour;
  }
  return 0;
}
