#include "harness/cli/platform_cmd.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "harness/cli/cli.h"
#include "harness/live/reference_platform.h"

namespace bpsim::harness {

// The reference platform this command runs (harness/live/).
using live::MakePlatformBank;
using live::ParseListenAddress;
using live::ParseUrl;
using live::PlatformBank;
using live::PlatformCounters;
using live::PlatformOptions;
using live::ReferencePlatform;
using live::ReferencePlatformSupports;
using live::ServerStats;

namespace {

std::atomic<bool> g_platform_stop{false};
extern "C" void OnPlatformSignal(int) { g_platform_stop.store(true); }

constexpr const char* kPlatformHelp =
    "usage: bpsim platform --banks ID=DIALECT:URL[,...] --messenger URL [options]\n"
    "       bpsim platform --endpoints FILE [options]\n"
    "\n"
    "Runs bpsim's reference messenger platform as its own process, speaking the\n"
    "platform contract (docs/platform-contract.md) over HTTP: bpsim serve --platform\n"
    "URL drives it; it calls the banks in their dialect and the messenger's sinks.\n"
    "Runs until SIGINT or SIGTERM.\n"
    "\n"
    "options:\n"
    "  --listen HOST:PORT      where to listen (default 127.0.0.1:9090; PORT 0: ephemeral)\n"
    "  --banks LIST            the banks, comma-separated ID=DIALECT:URL, DIALECT obie,\n"
    "                          berlin-group or plaid, URL the base URL bpsim serve printed,\n"
    "                          e.g. northbank=obie:http://127.0.0.1:8080/open-banking/v3.1/aisp\n"
    "                          or usbank=plaid:http://127.0.0.1:8082 (Plaid's test\n"
    "                          credentials; Item webhooks to /v1/plaid-webhooks/ID here)\n"
    "  --messenger URL         the messenger sinks (bpsim serve prints it)\n"
    "  --endpoints FILE        instead of --banks and --messenger: read them from the\n"
    "                          live.endpoints file bpsim serve writes once its banks\n"
    "                          listen (requests before that are answered 503), so\n"
    "                          both can use ephemeral ports (docs/live-mode.md)\n"
    "  --webhook-secret S      HMAC-SHA256 key of webhook signatures (default\n"
    "                          bpsim-live-webhook-secret; the same as bpsim serve's)\n"
    "  --defect NAME           switch on a platform defect (repeatable): \n"
    "                          platform.ignores_revocation, platform.ads_uses_bank_data,\n"
    "                          platform.shares_with_partner, platform.group_chat_leak,\n"
    "                          platform.overfetch_scopes, platform.drops_alerts_during_outage\n"
    "  --partner NAME          the partner shares_with_partner exports to (default adpartner)\n"
    "  --poll-every SECONDS    wall seconds between balance polls of each link (default 10;\n"
    "                          0: no polling)\n"
    "  --cache-ttl SECONDS     wall seconds a fetched balance is reused (default 30)\n"
    "  --segment-every SECONDS wall seconds between runs of the ads audience and partner\n"
    "                          export jobs (default 10; 0: never)\n"
    "  --port-file FILE        write the bound port to FILE once listening\n";

int PlatformUsage(const std::string& message) {
  std::fprintf(stderr, "bpsim: %s\n\n%s", message.c_str(), kPlatformHelp);
  return kExitUsage;
}

std::optional<double> Seconds(const std::string& v) {
  char* end = nullptr;
  double s = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(s >= 0) || !std::isfinite(s) || s > 86400) return std::nullopt;
  return s;
}

}  // namespace

int CmdPlatform(const std::vector<std::string>& args) {
  PlatformOptions options;
  options.listen.port = 9090;
  std::string port_file;
  bool have_messenger = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kPlatformHelp);
      return kExitOk;
    }
    std::string v;
    auto value = [&]() {
      if (i + 1 >= args.size()) return false;
      v = args[++i];
      return true;
    };
    if (a == "--listen") {
      if (!value()) return PlatformUsage("--listen needs HOST:PORT");
      if (!ParseListenAddress(v, &options.listen)) {
        return PlatformUsage("--listen expects HOST:PORT (PORT 0-65535), got '" + v + "'");
      }
    } else if (a == "--banks") {
      if (!value()) return PlatformUsage("--banks needs ID=DIALECT:URL[,...]");
      std::size_t start = 0;
      while (start <= v.size()) {
        std::size_t comma = v.find(',', start);
        std::string item = v.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
        std::size_t eq = item.find('='), colon = item.find(':', eq == std::string::npos ? 0 : eq);
        if (eq == std::string::npos || eq == 0 || colon == std::string::npos) {
          return PlatformUsage("--banks: '" + item + "' is not ID=DIALECT:URL");
        }
        auto made = MakePlatformBank(item.substr(0, eq), item.substr(eq + 1, colon - eq - 1),
                                     item.substr(colon + 1));
        if (!made.ok()) return PlatformUsage("--banks: " + made.error().message);
        PlatformBank bank = std::move(made).value();
        for (const PlatformBank& b : options.banks) {
          if (b.id == bank.id) return PlatformUsage("--banks names bank '" + bank.id + "' twice");
        }
        options.banks.push_back(std::move(bank));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--messenger") {
      if (!value()) return PlatformUsage("--messenger needs a URL");
      auto url = ParseUrl(v);
      if (!url.ok()) return PlatformUsage("--messenger: " + url.error().message);
      options.messenger = *url;
      have_messenger = true;
    } else if (a == "--webhook-secret") {
      if (!value() || v.empty()) return PlatformUsage("--webhook-secret needs a non-empty value");
      options.webhook_secret = v;
    } else if (a == "--defect") {
      if (!value()) return PlatformUsage("--defect needs a defect name");
      auto d = mocks::DefectFromName(v);
      if (!d) return PlatformUsage("unknown defect '" + v + "'");
      if (!ReferencePlatformSupports(*d)) {
        return PlatformUsage("defect '" + v +
                             "' is not a switch of bpsim platform: it lives in the bank or in "
                             "the platform's cache, which a black box cannot show");
      }
      options.defects.add(*d);
    } else if (a == "--partner") {
      if (!value() || v.empty()) return PlatformUsage("--partner needs a name");
      options.partner = v;
    } else if (a == "--poll-every" || a == "--cache-ttl" || a == "--segment-every") {
      if (!value()) return PlatformUsage(a + " needs a number of seconds");
      auto s = Seconds(v);
      if (!s) return PlatformUsage(a + " expects seconds between 0 and 86400, got '" + v + "'");
      (a == "--poll-every"   ? options.poll_every_seconds
       : a == "--cache-ttl" ? options.cache_ttl_seconds
                            : options.segment_every_seconds) = *s;
    } else if (a == "--port-file") {
      if (!value()) return PlatformUsage("--port-file needs a file");
      port_file = v;
    } else if (a == "--endpoints") {
      if (!value() || v.empty()) return PlatformUsage("--endpoints needs a file");
      options.endpoints_file = v;
    } else {
      return PlatformUsage("unknown argument '" + a + "'");
    }
  }
  if (!options.endpoints_file.empty() && (!options.banks.empty() || have_messenger)) {
    return PlatformUsage("--endpoints gives the banks and the messenger: drop --banks and "
                         "--messenger");
  }
  if (options.endpoints_file.empty()) {
    if (options.banks.empty()) return PlatformUsage("--banks (or --endpoints) is required");
    if (!have_messenger) return PlatformUsage("--messenger (or --endpoints) is required");
  } else {
    options.on_endpoints = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
  }

  g_platform_stop.store(false);
  std::signal(SIGINT, OnPlatformSignal);
  std::signal(SIGTERM, OnPlatformSignal);
  ReferencePlatform platform(options);
  auto port = platform.Start();
  if (!port.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", port.error().message.c_str());
    return kExitUsage;
  }
  std::printf("platform: http://%s:%u (up to %u connections)\n", options.listen.address.c_str(),
              unsigned(*port), unsigned(platform.max_connections()));
  std::fflush(stdout);
  if (!port_file.empty()) {
    std::FILE* f = std::fopen(port_file.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%u\n", unsigned(*port)) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "bpsim: cannot write --port-file %s\n", port_file.c_str());
      return kExitInternal;
    }
  }
  if (!options.endpoints_file.empty()) {
    std::printf("platform: waiting for %s (bpsim serve writes it once its banks listen)\n",
                options.endpoints_file.c_str());
    std::fflush(stdout);
  }
  while (!g_platform_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (auto ready = platform.LoadEndpoints(); !ready.ok()) {
      std::fprintf(stderr, "bpsim: %s\n", ready.error().message.c_str());
      platform.Stop();
      return kExitUsage;
    }
  }
  platform.Stop();
  PlatformCounters c = platform.counters();
  std::printf(
      "platform: stopped; %llu links, %llu consents, %llu tokens, %llu balance requests, %llu "
      "replies, %llu alerts shown (%llu duplicates dropped), %llu webhooks (%llu bad "
      "signatures), %llu revocations, %llu deletes, %llu bank calls (%llu failed), %llu "
      "messenger failures, %llu Plaid syncs, %llu expiry notices\n",
      (unsigned long long)c.links_requested, (unsigned long long)c.consents_created,
      (unsigned long long)c.tokens, (unsigned long long)c.balance_requests,
      (unsigned long long)c.replies_sent, (unsigned long long)c.alerts_shown,
      (unsigned long long)c.alerts_duplicate, (unsigned long long)c.webhooks,
      (unsigned long long)c.webhooks_bad_signature, (unsigned long long)c.revocations,
      (unsigned long long)c.deletes_sent, (unsigned long long)c.bank_calls,
      (unsigned long long)c.bank_failures, (unsigned long long)c.messenger_failures,
      (unsigned long long)c.syncs, (unsigned long long)c.expiry_notices);
  const ServerStats s = platform.server_stats();
  std::printf(
      "platform: %llu connections accepted, %llu closed to make room at the cap, %llu refused, "
      "%llu timed out; %llu requests answered, %llu bad requests\n",
      (unsigned long long)s.connections_accepted, (unsigned long long)s.connections_evicted,
      (unsigned long long)s.connections_refused, (unsigned long long)s.timeouts,
      (unsigned long long)s.requests, (unsigned long long)s.bad_requests);
  return kExitOk;
}

}  // namespace bpsim::harness
