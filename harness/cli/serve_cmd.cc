#include "harness/cli/serve_cmd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "bpsim_version.h"
#include "harness/cli/cli.h"
#include "harness/live/endpoints.h"
#include "harness/live/serve.h"
#include "harness/runner.h"
#include "reports/files.h"
#include "reports/html_report.h"
#include "reports/json_report.h"
#include "reports/junit.h"
#include "reports/report_files.h"
#include "reports/summary.h"

namespace bpsim::harness {

// The live servers this command runs (harness/live/).
using live::CallStats;
using live::FormatLiveEndpoints;
using live::LiveEndpoints;
using live::LiveService;
using live::ParseListenAddress;
using live::ParsePlatformUrl;
using live::PlatformBridge;
using live::ScaledClock;
using live::ServerOptions;
using live::kDefaultWallGraceSeconds;
using live::kDefaultWebhookSecret;

namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_serve_interrupted{false};
extern "C" void OnServeSignal(int) { g_serve_interrupted.store(true); }

constexpr const char* kServeHelp =
    "usage: bpsim serve SCENARIO [--listen HOST:PORT] [--time-scale N] [--out DIR]\n"
    "                   [--platform URL [--webhook-secret S]] [--public-url BANK=URL]...\n"
    "                   [--wall-grace S] [--trace [FILTER]]... [--perfetto]\n"
    "                   [--endpoints FILE]\n"
    "\n"
    "Serves the scenario's mock banks over HTTP/1.1 while its world runs on a scaled\n"
    "wall clock, then writes report.json, junit.xml, summary.md and report.html.\n"
    "Each bank listens on its own port, consecutive from PORT in the order of\n"
    "world.banks (PORT 0: ephemeral ports), and speaks its api.dialect (obie,\n"
    "berlin-group or plaid). Prints one URL per bank, and writes them (with the\n"
    "messenger's) to DIR/live.endpoints once every listener is up, for scripts and\n"
    "'bpsim platform --endpoints' to learn ephemeral ports; removes it when they close.\n"
    "Stops after duration + drain, or on\n"
    "SIGINT/SIGTERM with the report marked incomplete. See docs/live-mode.md.\n"
    "\n"
    "options:\n"
    "  --listen HOST:PORT  address and first port (default 127.0.0.1:8080)\n"
    "  --time-scale N      simulated seconds per wall second (3600 = one simulated hour\n"
    "                      per second; default: the scale at which duration + drain\n"
    "                      take about a minute, at least 1, printed when serving)\n"
    "  --out DIR           report directory (default out)\n"
    "  --platform URL      drive an external platform at URL (http://HOST:PORT) instead\n"
    "                      of the simulated one, and serve the messenger sinks on the\n"
    "                      port after the banks' (docs/platform-contract.md)\n"
    "  --webhook-secret S  the HMAC-SHA256 key of webhooks to the platform (default\n"
    "                      bpsim-live-webhook-secret)\n"
    "  --public-url BANK=URL  the base of bank BANK's links and Location headers\n"
    "                      (default: http:// and the request's Host); repeatable\n"
    "  --wall-grace S      wall seconds every deadline allows on top of its simulated\n"
    "                      bound, scaled by the time scale (default 2; 0: none): a real\n"
    "                      client cannot answer in zero wall time (docs/live-mode.md)\n"
    "  --trace [FILTER]    also write the run's trace as JSON Lines (DIR/trace.jsonl);\n"
    "                      with FILTER (customer=, bank=, consent=, type=, window=, as\n"
    "                      in bpsim replay --help) only the entries it keeps\n"
    "  --perfetto          also write DIR/trace.perfetto.json (opens in ui.perfetto.dev)\n"
    "  --endpoints FILE    where the listeners' file goes (default DIR/live.endpoints)\n";

int ServeUsage(const std::string& message) {
  std::fprintf(stderr, "bpsim: %s\n\n%s", message.c_str(), kServeHelp);
  return kExitUsage;
}

struct ServeFlags {
  std::string scenario;
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::optional<double> time_scale;  // default: DefaultTimeScale(the scenario)
  double wall_grace = kDefaultWallGraceSeconds;
  std::string out = "out";
  std::string platform;
  std::string webhook_secret = kDefaultWebhookSecret;
  bool webhook_secret_set = false;
  std::vector<std::pair<std::string, std::string>> public_urls;  // bank id, URL
  bool trace = false, perfetto = false;
  TraceFilter trace_filter;
  std::string endpoints;  // default: out/live.endpoints
};

std::optional<int> ParseServeFlags(const std::vector<std::string>& args, ServeFlags* flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kServeHelp);
      return kExitOk;
    }
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--listen") {
      if (!value(&v)) return ServeUsage("--listen needs HOST:PORT");
      ServerOptions listen;
      if (!ParseListenAddress(v, &listen)) {
        return ServeUsage("--listen expects HOST:PORT (PORT 0-65535), got '" + v + "'");
      }
      flags->address = listen.address;
      flags->port = listen.port;
    } else if (a == "--time-scale") {
      if (!value(&v)) return ServeUsage("--time-scale needs a value");
      char* end = nullptr;
      double scale = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(scale > 0) || !std::isfinite(scale)) {
        return ServeUsage("--time-scale expects a positive number, got '" + v + "'");
      }
      flags->time_scale = scale;
    } else if (a == "--wall-grace") {
      if (!value(&v)) return ServeUsage("--wall-grace needs a number of seconds");
      char* end = nullptr;
      double grace = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(grace >= 0) || !(grace <= 3600)) {
        return ServeUsage("--wall-grace expects seconds from 0 to 3600, got '" + v + "'");
      }
      flags->wall_grace = grace;
    } else if (a == "--out") {
      if (!value(&flags->out)) return ServeUsage("--out needs a directory");
    } else if (a == "--platform") {
      if (!value(&flags->platform)) return ServeUsage("--platform needs a URL");
      auto url = ParsePlatformUrl(flags->platform);
      if (!url.ok()) return ServeUsage(url.error().message);
    } else if (a == "--webhook-secret") {
      if (!value(&flags->webhook_secret) || flags->webhook_secret.empty()) {
        return ServeUsage("--webhook-secret needs a non-empty value");
      }
      flags->webhook_secret_set = true;
    } else if (a == "--public-url") {
      if (!value(&v)) return ServeUsage("--public-url needs BANK=URL");
      std::size_t eq = v.find('=');
      std::string url = eq == std::string::npos ? "" : v.substr(eq + 1);
      if (eq == 0 || eq == std::string::npos ||
          (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)) {
        return ServeUsage("--public-url expects BANK=http(s)://HOST[:PORT][/PATH], got '" + v + "'");
      }
      flags->public_urls.emplace_back(v.substr(0, eq), url);
    } else if (auto traced = TakeTraceOption(args, &i, &flags->trace_filter); !traced.ok()) {
      return ServeUsage(traced.error().message);
    } else if (*traced) {
      flags->trace = true;
    } else if (a == "--perfetto") {
      flags->perfetto = true;
    } else if (a == "--endpoints") {
      if (!value(&flags->endpoints) || flags->endpoints.empty()) {
        return ServeUsage("--endpoints needs a file");
      }
    } else if (a.rfind("--", 0) == 0) {
      return ServeUsage("unknown option '" + a + "'");
    } else if (flags->scenario.empty()) {
      flags->scenario = a;
    } else {
      return ServeUsage("serve takes exactly one scenario file");
    }
  }
  if (flags->scenario.empty()) return ServeUsage("serve needs a SCENARIO file");
  if (flags->webhook_secret_set && flags->platform.empty()) {
    return ServeUsage("--webhook-secret only applies with --platform");
  }
  return std::nullopt;
}

}  // namespace

double DefaultTimeScale(SimTime simulated) {
  return std::max(1.0, std::round(ToSeconds(simulated) / kDefaultServeWallSeconds));
}

SimTime ScaledGrace(double wall_seconds, double time_scale) {
  const double ns = wall_seconds * time_scale * double(kSecond);
  return ns >= double(kSimTimeMax / 4) ? kSimTimeMax / 4 : static_cast<SimTime>(ns);
}

void AllowGrace(Scenario& scenario, SimTime grace) {
  if (grace <= 0) return;
  for (InvariantConfig& inv : scenario.invariants) {
    if (inv.id == "revocation-honoured") {
      inv.grace += grace;
      inv.purge_within += grace;
    } else if (inv.id == "retention-limit") {
      inv.slack += grace;
    } else if (inv.id == "fraud-alert-delivery") {
      inv.p99 += grace;
    }
  }
  for (Rule& rule : scenario.rules) {
    if (rule.kind == Rule::Kind::kWithin) rule.max += grace;
  }
  for (MetricBound& bound : scenario.expect.metrics) {
    if (bound.max && IsDurationMetric(bound.metric) && bound.metric != "wall_seconds") {
      *bound.max += ToSeconds(grace);
    }
  }
}

// With --platform the platform is the user's process, which bpsim cannot crash: a
// crash of it on the timeline (or drawn by perturb.crashes) would silently do
// nothing, so it is refused, naming where it is written.
namespace {
std::optional<std::string> RefuseExternalPlatformCrashes(const std::string& file,
                                                         const mocks::WorldSpec& spec) {
  for (const mocks::TimelineEntry& e : spec.timeline) {
    const auto* crash = std::get_if<mocks::Crash>(&e.action);
    if (crash == nullptr || crash->target != "platform") continue;
    return file + ":" + std::to_string(e.line) +
           ": a crash of the platform cannot be played with --platform: the platform is "
           "your process, which bpsim does not control (stop and restart it yourself, or "
           "remove this entry; docs/live-mode.md, \"Crashes\")";
  }
  if (spec.perturb.crashes) {
    return file +
           ": perturb.crashes draws crashes of the platform, which cannot be played with "
           "--platform: the platform is your process, which bpsim does not control "
           "(docs/live-mode.md, \"Crashes\")";
  }
  return std::nullopt;
}
}  // namespace

int CmdServe(const std::vector<std::string>& args) {
  ServeFlags flags;
  if (auto exit = ParseServeFlags(args, &flags)) return *exit;
  Result<Scenario> loaded = LoadScenario(flags.scenario);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return kExitUsage;
  }
  Scenario judged = *loaded;
  const Scenario* scenario = &judged;
  if (!flags.platform.empty()) {
    if (auto refused = RefuseExternalPlatformCrashes(flags.scenario, judged.spec)) {
      std::fprintf(stderr, "%s\n", refused->c_str());
      return kExitUsage;
    }
  }
  for (const auto& public_url : flags.public_urls) {
    bool known = false;
    for (const auto& b : scenario->spec.world.banks) known |= b.id == public_url.first;
    if (!known) {
      return ServeUsage("--public-url names bank '" + public_url.first +
                        "', which the scenario does not have");
    }
  }
  if (auto known = CheckTraceFilter(flags.trace_filter, scenario->spec, flags.scenario); !known.ok()) {
    return ServeUsage(known.error().message);
  }
  const SimTime simulated = scenario->spec.duration + scenario->spec.drain;
  const bool scale_chosen = !flags.time_scale.has_value();
  const double time_scale = flags.time_scale.value_or(DefaultTimeScale(simulated));
  const SimTime grace = ScaledGrace(flags.wall_grace, time_scale);
  AllowGrace(judged, grace);
  auto writable = reports::CheckWritableDirectory(flags.out);
  if (!writable.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", writable.error().message.c_str());
    return kExitUsage;
  }
  g_serve_interrupted.store(false);
  std::signal(SIGINT, OnServeSignal);
  std::signal(SIGTERM, OnServeSignal);

  std::string listen_error;
  RunOptions options;
  const fs::path out_dir(flags.out);
  const std::string endpoints_file =
      flags.endpoints.empty() ? (out_dir / "live.endpoints").string() : flags.endpoints;
  std::error_code stale;
  fs::remove(endpoints_file, stale);  // a crashed run's: not these listeners

  if (flags.trace) options.trace_jsonl_path = (out_dir / "trace.jsonl").string();
  if (flags.perfetto) options.perfetto_path = (out_dir / "trace.perfetto.json").string();
  options.trace_filter = flags.trace_filter;
  options.announce_output = AnnounceOutput;
  PlatformBridge* bridge = nullptr;
  std::map<std::string, CallStats> platform_calls;
  std::vector<LiveService::EndpointSummary> endpoints;
  if (!flags.platform.empty()) {
    options.platform = [&](mocks::World& world) -> std::unique_ptr<mocks::PlatformPort> {
      PlatformBridge::Options o;
      o.url = ParsePlatformUrl(flags.platform).value();
      o.webhook_secret = flags.webhook_secret;
      o.time_scale = time_scale;
      // The simulator is the world's clock (env().clock); the bridge schedules on it.
      auto made = std::make_unique<PlatformBridge>(world, &world.simulator(), std::move(o));
      bridge = made.get();
      return made;
    };
  }
  options.drive = [&](mocks::World& world, Simulator& sim) {
    ScaledClock clock(time_scale);
    LiveService service(
        &world, &sim, [&clock] { return clock.Now(); }, time_scale);
    if (bridge != nullptr) service.AttachPlatform(bridge);
    for (const auto& public_url : flags.public_urls) service.SetPublicUrl(public_url.first, public_url.second);
    ServerOptions server;
    server.address = flags.address;
    server.port = flags.port;
    auto urls = service.Listen(server);
    if (!urls.ok()) {
      listen_error = urls.error().message;
      return false;
    }
    const auto& banks = world.spec().world.banks;
    LiveEndpoints listening;
    for (std::size_t i = 0; i < urls->size(); ++i) {
      listening.banks.push_back({banks[i].id, banks[i].api.dialect, (*urls)[i]});
    }
    listening.messenger = service.messenger_url();
    if (auto written = reports::WriteFileAtomically(endpoints_file, FormatLiveEndpoints(listening));
        !written.ok()) {
      service.Stop();
      listen_error = written.error().message;
      return false;
    }
    struct RemoveWhenClosed {
      const std::string& file;
      LiveService& service;
      ~RemoveWhenClosed() {
        service.Stop();
        std::error_code ignored;
        fs::remove(file, ignored);
      }
    } remove_when_closed{endpoints_file, service};
    for (std::size_t i = 0; i < urls->size(); ++i) {
      if (bridge != nullptr) {  // the contract's lines, exactly
        std::printf("bank %s (%s): %s\n", banks[i].id.c_str(),
                    mocks::DialectName(banks[i].api.dialect),
                    (*urls)[i].c_str());
        continue;
      }
      std::printf("bank %s (%s): %s  (customers: http://%s:%u/__bpsim/customers)\n",
                  banks[i].id.c_str(),
                  mocks::DialectName(banks[i].api.dialect),
                  (*urls)[i].c_str(), flags.address.c_str(), unsigned(service.ports()[i]));
    }
    if (bridge != nullptr) {
      std::printf("messenger: %s\n", service.messenger_url().c_str());
      std::printf("platform: %s (driven)\n", ParsePlatformUrl(flags.platform).value().text.c_str());
    }
    std::printf("serving %s at time scale %g until %s simulated (Ctrl-C stops early)\n",
                scenario->id.c_str(), time_scale,
                DescribeDuration(world.spec().duration + world.spec().drain).c_str());
    if (scale_chosen) {
      std::printf("time scale %g chosen so that the run takes about %s of wall time "
                  "(--time-scale N to choose)\n",
                  time_scale, DescribeSeconds(ToSeconds(simulated) / time_scale).c_str());
    }
    std::printf("deadlines allow a wall grace of %s = %s simulated (--wall-grace)\n",
                DescribeSeconds(flags.wall_grace).c_str(), DescribeDuration(grace).c_str());
    std::printf("listeners: %s\n", endpoints_file.c_str());
    std::fflush(stdout);
    while (!service.Finished()) {
      if (g_serve_interrupted.load()) {
        service.Stop();
        endpoints = service.EndpointSummaries();
        if (bridge != nullptr) {
          bridge->Stop();
          platform_calls = bridge->call_stats();
        }
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      service.Advance();
    }
    service.Stop();
    endpoints = service.EndpointSummaries();
    if (bridge != nullptr) {
      bridge->Stop();
      platform_calls = bridge->call_stats();
    }
    return true;
  };
  reports::ScenarioResult result = RunScenario(*scenario, options);
  if (!listen_error.empty()) {
    std::fprintf(stderr, "bpsim: %s\n", listen_error.c_str());
    return kExitUsage;
  }
  reports::RunReport report;
  report.bpsim_version = BPSIM_VERSION;
  report.command = "bpsim serve";
  for (const std::string& a : args) report.command += " " + a;
  // A live run depends on the platform and on wall time, so `bpsim replay` (the
  // simulated platform) does not reproduce it: the way back to a failure is the same
  // live run with its trace written.
  result.repro = report.command + (flags.trace ? "" : " --trace");
  report.incomplete = result.incomplete;
  report.wall_seconds = result.wall_seconds;
  report.live_endpoints.emplace();
  report.live_timing = reports::LiveTiming{time_scale, flags.wall_grace, ToSeconds(grace)};
  for (const LiveService::EndpointSummary& e : endpoints) {
    report.live_endpoints->push_back({e.listener, e.route, e.count, 0, e.p50, e.p90, e.p99,
                                      e.statuses});
  }
  for (auto& entry : platform_calls) {
    CallStats& calls = entry.second;
    report.live_endpoints->push_back({"platform", entry.first, calls.count, calls.failed,
                                      calls.seconds.Percentile(50), calls.seconds.Percentile(90),
                                      calls.seconds.Percentile(99), {}});
  }
  const bool passed = result.passed;
  std::printf("%s: %s%s; reports in %s/\n", scenario->id.c_str(), passed ? "pass" : "FAIL",
              result.incomplete ? " (interrupted: incomplete)" : "", flags.out.c_str());
  if (!result.error.empty()) std::fprintf(stderr, "bpsim: %s\n", result.error.c_str());
  PrintFailures(result);
  if (!passed) {
    if (flags.trace) {
      std::printf("trace: %s (docs/trace.md)\n", options.trace_jsonl_path.c_str());
    } else {
      std::printf("trace: run again with --trace to write %s (bpsim replay uses the simulated "
                  "platform, not this one): %s\n",
                  (out_dir / "trace.jsonl").string().c_str(), result.repro.c_str());
    }
  }
  for (const auto& [route, calls] : platform_calls) {
    std::printf("platform %s: %llu calls, %llu failed\n", route.c_str(),
                static_cast<unsigned long long>(calls.count),
                static_cast<unsigned long long>(calls.failed));
  }
  report.scenarios.push_back(std::move(result));
  int written = WriteReports(report, flags.out);
  if (written != kExitOk) return written;
  return ExitCodeOf(reports::VerdictOf(report));
}

}  // namespace bpsim::harness
