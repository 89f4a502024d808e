#include "reports/json_report.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "reports/baseline.h"
#include "reports/sweep_summary.h"
#include "reports/text.h"

namespace bpsim::reports {
namespace {

using Json = nlohmann::ordered_json;

double Seconds(SimTime t) { return ToSeconds(t); }

// A number of seconds measured in nanoseconds, rounded to the nanosecond, so that the
// JSON holds the shortest decimal of what was measured ("0.286", never
// "0.28600000000000003").
double RoundedSeconds(double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) >= 9.2e9) return seconds;
  return static_cast<double>(std::llround(seconds * 1e9)) / 1e9;
}

// A metric's value: durations (in seconds) rounded to the nanosecond they were
// measured in; counts are whole already.
double MetricValue(const std::string& name, double value) {
  return IsDurationMetric(name) ? RoundedSeconds(value) : value;
}

// An instant: in seconds (format 1's stable field), in exact nanoseconds, and for
// people.
Json TimeFields(SimTime t) {
  Json j = Json::object();
  j["time"] = Seconds(t);
  j["time_ns"] = t;
  j["at"] = DescribeDuration(t);
  return j;
}

Json SeriesJson(const std::vector<std::pair<std::string, std::vector<std::uint64_t>>>& series) {
  Json out = Json::array();
  for (const auto& [name, counts] : series) {
    Json s = Json::object();
    s["name"] = name;
    s["counts"] = counts;
    out.push_back(std::move(s));
  }
  return out;
}

Json ScenarioJson(const ScenarioResult& s) {
  Json j = Json::object();
  j["id"] = s.id;
  j["file"] = s.file;
  j["description"] = s.description;
  j["tags"] = s.tags;
  j["seed"] = s.seed;
  j["verdict"] = s.passed ? "pass" : "fail";
  j["incomplete"] = s.incomplete;
  j["error"] = s.error;
  j["repro"] = s.repro;
  j["trace_hash"] = FormatHex64(s.trace_hash);

  Json violations = Json::array();
  for (const Violation& v : s.violations) {
    Json jv = Json::object();
    jv["invariant"] = v.invariant;
    jv.update(TimeFields(v.time));
    jv["subject"] = v.subject;
    jv["message"] = v.message;
    Json evidence = Json::array();
    for (const EvidenceItem& e : v.evidence) {
      Json je = TimeFields(e.time);
      je["text"] = e.text;
      evidence.push_back(std::move(je));
    }
    jv["evidence"] = std::move(evidence);
    violations.push_back(std::move(jv));
  }
  j["violations"] = std::move(violations);

  Json expectations = Json::array();
  for (const Check& c : s.checks) {
    Json jc = Json::object();
    jc["name"] = c.name;
    jc["passed"] = c.passed;
    jc["detail"] = c.detail;
    jc["fired"] = c.fired;
    expectations.push_back(std::move(jc));
  }
  j["expectations"] = std::move(expectations);

  Json metrics = Json::object();
  for (const auto& [name, value] : s.metrics) metrics[name] = MetricValue(name, value);
  metrics["wall_seconds"] = RoundedSeconds(s.wall_seconds);
  j["metrics"] = std::move(metrics);

  const Timeline& t = s.timeline;
  Json timeline = Json::object();
  timeline["bucket_seconds"] = Seconds(t.bucket_width);
  timeline["end_seconds"] = Seconds(t.end);
  Json drain = Json::array();
  for (SimTime d : t.drain_start) drain.push_back(Seconds(d));
  timeline["drain_start_seconds"] = std::move(drain);
  timeline["api_by_status"] = SeriesJson(t.api_by_status);
  timeline["consents_by_state"] = SeriesJson(t.consents_by_state);
  Json outages = Json::array();
  for (const Timeline::Window& w : t.outages) {
    Json jw = Json::object();
    jw["target"] = w.target;
    jw["mode"] = w.mode;
    jw["start"] = Seconds(w.start);
    jw["end"] = Seconds(w.end);
    outages.push_back(std::move(jw));
  }
  timeline["outages"] = std::move(outages);
  j["timeline"] = std::move(timeline);

  Json latency = Json::object();
  latency["upper_bounds_seconds"] = s.alert_latency.upper_bounds_seconds;
  latency["counts"] = s.alert_latency.counts;
  j["alert_latency"] = std::move(latency);
  return j;
}

Json SweepJson(const SweepInfo& info, const std::vector<ScenarioResult>& results) {
  const SweepSummary summary = SummarizeSweep(results);
  Json j = Json::object();
  j["scenario"] = info.scenario;
  j["file"] = info.file;
  j["first_seed"] = info.first_seed;
  j["last_seed"] = info.last_seed;
  j["swarm"] = info.swarm;
  j["shard_index"] = info.shard_index;
  j["shard_count"] = info.shard_count;
  j["invariants_only"] = info.invariants_only;
  j["runs"] = summary.runs;
  j["passed"] = summary.passed;
  j["failed"] = summary.failed;
  j["errors"] = summary.errors;
  j["incomplete"] = summary.incomplete;
  Json metrics = Json::object();
  for (const MetricSpread& m : summary.metrics) {
    Json jm = Json::object();
    jm["seeds"] = m.runs;
    jm["min"] = MetricValue(m.name, m.min);
    jm["p50"] = MetricValue(m.name, m.p50);
    jm["p90"] = MetricValue(m.name, m.p90);
    jm["p99"] = MetricValue(m.name, m.p99);
    jm["max"] = MetricValue(m.name, m.max);
    metrics[m.name] = std::move(jm);
  }
  j["metrics"] = std::move(metrics);
  Json failures = Json::array();
  for (const SweepFailure& f : summary.first_failures) {
    Json jf = Json::object();
    jf["seed"] = f.seed;
    jf["repro"] = f.repro;
    failures.push_back(std::move(jf));
  }
  j["first_failures"] = std::move(failures);
  Json failed_checks = Json::object();
  for (const FailedCheck& f : summary.failed_checks) failed_checks[f.name] = f.seeds;
  j["failed_checks"] = std::move(failed_checks);
  return j;
}

// ---- Reading back -------------------------------------------------------------

// Thrown only inside this file and caught in ParseJsonReport.
struct BadReport {
  std::string message;
};

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw BadReport{(where.empty() ? std::string("top level") : where) + ": " + what};
}

const Json& Field(const Json& obj, const std::string& where, const char* key) {
  if (!obj.is_object()) Fail(where, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) Fail(where, std::string("missing \"") + key + "\"");
  return *it;
}

std::string Join(const std::string& where, const char* key) {
  return where.empty() ? key : where + "." + key;
}

std::string GetString(const Json& obj, const std::string& where, const char* key) {
  const Json& v = Field(obj, where, key);
  if (!v.is_string()) Fail(Join(where, key), "expected a string");
  return v.get<std::string>();
}

bool GetBool(const Json& obj, const std::string& where, const char* key) {
  const Json& v = Field(obj, where, key);
  if (!v.is_boolean()) Fail(Join(where, key), "expected true or false");
  return v.get<bool>();
}

double AsNumber(const Json& v, const std::string& where) {
  if (!v.is_number()) Fail(where, "expected a number");
  return v.get<double>();
}

double GetNumber(const Json& obj, const std::string& where, const char* key) {
  return AsNumber(Field(obj, where, key), Join(where, key));
}

std::uint64_t AsUnsigned(const Json& v, const std::string& where) {
  if (!v.is_number_unsigned()) Fail(where, "expected an unsigned integer");
  return v.get<std::uint64_t>();
}

std::uint64_t GetUnsigned(const Json& obj, const std::string& where, const char* key) {
  return AsUnsigned(Field(obj, where, key), Join(where, key));
}

std::int64_t GetInteger(const Json& obj, const std::string& where, const char* key) {
  const Json& v = Field(obj, where, key);
  if (!v.is_number_integer()) Fail(Join(where, key), "expected an integer");
  return v.get<std::int64_t>();
}

const Json& GetArray(const Json& obj, const std::string& where, const char* key) {
  const Json& v = Field(obj, where, key);
  if (!v.is_array()) Fail(Join(where, key), "expected an array");
  return v;
}

std::string Index(const std::string& where, size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

SimTime FromSeconds(double seconds, const std::string& where) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e9) Fail(where, "time out of range");
  return static_cast<SimTime>(std::llround(seconds * static_cast<double>(kSecond)));
}

SimTime GetTime(const Json& obj, const std::string& where, const char* key) {
  return FromSeconds(GetNumber(obj, where, key), Join(where, key));
}

// An instant: `time_ns` (exact nanoseconds) when present, else `time` in seconds (as
// reports wrote it before time_ns, so older baselines still read).
SimTime GetInstant(const Json& obj, const std::string& where) {
  if (obj.is_object() && obj.contains("time_ns")) return GetInteger(obj, where, "time_ns");
  return GetTime(obj, where, "time");
}

std::vector<std::pair<std::string, std::vector<std::uint64_t>>> ReadSeries(const Json& obj,
                                                                           const std::string& where,
                                                                           const char* key) {
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> out;
  const Json& arr = GetArray(obj, where, key);
  const std::string base = Join(where, key);
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string at = Index(base, i);
    std::vector<std::uint64_t> counts;
    const Json& jc = GetArray(arr[i], at, "counts");
    for (size_t k = 0; k < jc.size(); ++k)
      counts.push_back(AsUnsigned(jc[k], Index(at + ".counts", k)));
    out.emplace_back(GetString(arr[i], at, "name"), std::move(counts));
  }
  return out;
}

ScenarioResult ReadScenario(const Json& j, const std::string& where) {
  ScenarioResult s;
  s.id = GetString(j, where, "id");
  s.file = GetString(j, where, "file");
  s.description = GetString(j, where, "description");
  const Json& tags = GetArray(j, where, "tags");
  for (size_t i = 0; i < tags.size(); ++i) {
    if (!tags[i].is_string()) Fail(Index(where + ".tags", i), "expected a string");
    s.tags.push_back(tags[i].get<std::string>());
  }
  s.seed = GetUnsigned(j, where, "seed");
  const std::string verdict = GetString(j, where, "verdict");
  if (verdict != "pass" && verdict != "fail") {
    Fail(where + ".verdict", "expected \"pass\" or \"fail\", got \"" + verdict + "\"");
  }
  s.passed = verdict == "pass";
  s.incomplete = GetBool(j, where, "incomplete");
  s.error = GetString(j, where, "error");
  s.repro = GetString(j, where, "repro");
  const std::string hash = GetString(j, where, "trace_hash");
  if (hash.size() != 16 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    Fail(where + ".trace_hash", "expected 16 lowercase hex digits");
  }
  s.trace_hash = std::stoull(hash, nullptr, 16);

  const Json& violations = GetArray(j, where, "violations");
  for (size_t i = 0; i < violations.size(); ++i) {
    const std::string at = Index(where + ".violations", i);
    Violation v;
    v.invariant = GetString(violations[i], at, "invariant");
    v.time = GetInstant(violations[i], at);
    v.subject = GetInteger(violations[i], at, "subject");
    v.message = GetString(violations[i], at, "message");
    const Json& evidence = GetArray(violations[i], at, "evidence");
    for (size_t k = 0; k < evidence.size(); ++k) {
      const std::string eat = Index(at + ".evidence", k);
      v.evidence.push_back(
          {GetInstant(evidence[k], eat), GetString(evidence[k], eat, "text")});
    }
    s.violations.push_back(std::move(v));
  }

  const Json& expectations = GetArray(j, where, "expectations");
  for (size_t i = 0; i < expectations.size(); ++i) {
    const std::string at = Index(where + ".expectations", i);
    Check c;
    c.name = GetString(expectations[i], at, "name");
    c.passed = GetBool(expectations[i], at, "passed");
    c.detail = GetString(expectations[i], at, "detail");
    c.fired = GetUnsigned(expectations[i], at, "fired");
    s.checks.push_back(std::move(c));
  }

  const Json& metrics = Field(j, where, "metrics");
  if (!metrics.is_object()) Fail(where + ".metrics", "expected an object");
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    const double value = AsNumber(it.value(), where + ".metrics." + it.key());
    if (it.key() == "wall_seconds") {
      s.wall_seconds = value;
    } else {
      s.metrics.emplace_back(it.key(), value);
    }
  }

  const std::string tw = where + ".timeline";
  const Json& t = Field(j, where, "timeline");
  s.timeline.bucket_width = GetTime(t, tw, "bucket_seconds");
  s.timeline.end = GetTime(t, tw, "end_seconds");
  const Json& drain = GetArray(t, tw, "drain_start_seconds");
  for (size_t i = 0; i < drain.size(); ++i) {
    const std::string at = Index(tw + ".drain_start_seconds", i);
    s.timeline.drain_start.push_back(FromSeconds(AsNumber(drain[i], at), at));
  }
  s.timeline.api_by_status = ReadSeries(t, tw, "api_by_status");
  s.timeline.consents_by_state = ReadSeries(t, tw, "consents_by_state");
  const Json& outages = GetArray(t, tw, "outages");
  for (size_t i = 0; i < outages.size(); ++i) {
    const std::string at = Index(tw + ".outages", i);
    s.timeline.outages.push_back(
        {GetString(outages[i], at, "target"), GetString(outages[i], at, "mode"),
         GetTime(outages[i], at, "start"), GetTime(outages[i], at, "end")});
  }

  const std::string lw = where + ".alert_latency";
  const Json& latency = Field(j, where, "alert_latency");
  const Json& bounds = GetArray(latency, lw, "upper_bounds_seconds");
  for (size_t i = 0; i < bounds.size(); ++i) {
    s.alert_latency.upper_bounds_seconds.push_back(
        AsNumber(bounds[i], Index(lw + ".upper_bounds_seconds", i)));
  }
  const Json& counts = GetArray(latency, lw, "counts");
  for (size_t i = 0; i < counts.size(); ++i) {
    s.alert_latency.counts.push_back(AsUnsigned(counts[i], Index(lw + ".counts", i)));
  }
  const size_t bounds_size = s.alert_latency.upper_bounds_seconds.size();
  const size_t counts_size = s.alert_latency.counts.size();
  if (counts_size != bounds_size && counts_size != bounds_size + 1) {
    Fail(lw, "expected as many \"counts\" as \"upper_bounds_seconds\", or one more (overflow)");
  }
  return s;
}

Json BaselineJson(const BaselineGate& gate) {
  Json j = Json::object();
  j["file"] = gate.file;
  j["tolerance"] = gate.tolerance;
  j["strict"] = gate.strict;
  j["passed"] = gate.passed();
  j["compared"] = gate.compared;
  Json regressions = Json::array();
  for (const Regression& r : gate.regressions) {
    Json x = Json::object();
    x["scenario"] = r.scenario;
    x["metric"] = r.metric;
    x["old"] = r.baseline;
    x["new"] = r.current;
    // A change from 0 has no finite fraction: null, and "from zero" as text.
    x["change"] = std::isfinite(r.change_fraction) ? Json(r.change_fraction) : Json(nullptr);
    x["change_text"] = FormatChange(r.change_fraction);
    x["tolerance"] = gate.tolerance;
    regressions.push_back(std::move(x));
  }
  j["regressions"] = std::move(regressions);
  j["not_in_baseline"] = gate.not_in_baseline;
  j["not_in_run"] = gate.not_in_run;
  return j;
}

}  // namespace

std::string RenderJsonReport(const RunReport& report) {
  Json j = Json::object();
  j["format"] = kJsonReportFormat;
  j["bpsim"] = report.bpsim_version;
  j["command"] = report.command;
  j["verdict"] = RunVerdictName(VerdictOf(report));
  j["incomplete"] = report.incomplete;
  size_t passed = 0;
  for (const ScenarioResult& s : report.scenarios) passed += s.passed ? 1 : 0;
  Json summary = Json::object();
  summary["scenarios"] = report.scenarios.size();
  summary["passed"] = passed;
  summary["failed"] = report.scenarios.size() - passed;
  std::size_t errors = 0;
  for (const ScenarioResult& s : report.scenarios) errors += CouldNotRun(s) ? 1 : 0;
  summary["errors"] = errors;  // of the failed: scenarios that could not run
  j["summary"] = std::move(summary);
  if (report.sweep) j["sweep"] = SweepJson(*report.sweep, report.scenarios);
  if (report.baseline) j["baseline"] = BaselineJson(*report.baseline);
  Json scenarios = Json::array();
  for (const ScenarioResult& s : report.scenarios) scenarios.push_back(ScenarioJson(s));
  j["scenarios"] = std::move(scenarios);
  if (report.live_endpoints) {
    Json endpoints = Json::array();
    for (const LiveEndpoint& e : *report.live_endpoints) {
      Json x = Json::object();
      x["listener"] = e.listener;
      x["route"] = e.route;
      x["count"] = e.count;
      x["failed"] = e.failed;
      x["p50_seconds"] = RoundedSeconds(e.p50);
      x["p90_seconds"] = RoundedSeconds(e.p90);
      x["p99_seconds"] = RoundedSeconds(e.p99);
      Json statuses = Json::object();
      for (const auto& [status, n] : e.statuses) statuses[std::to_string(status)] = n;
      x["statuses"] = std::move(statuses);
      endpoints.push_back(std::move(x));
    }
    Json live = Json::object();
    if (report.live_timing) {
      live["time_scale"] = report.live_timing->time_scale;
      live["wall_grace_seconds"] = RoundedSeconds(report.live_timing->wall_grace_seconds);
      live["simulated_grace_seconds"] = RoundedSeconds(report.live_timing->simulated_grace_seconds);
    }
    live["endpoints"] = std::move(endpoints);
    j["live"] = std::move(live);
  }
  Json wall = Json::object();
  wall["seconds"] = RoundedSeconds(report.wall_seconds);
  j["wall_clock"] = std::move(wall);
  // error_handler::replace: invalid UTF-8 in a message must not abort the run.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<RunReport> ParseJsonReport(const std::string& text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Error{std::string("not a bpsim report: invalid JSON: ") + e.what()};
  }
  try {
    if (!j.is_object()) Fail("top level", "expected an object");
    const Json& format = Field(j, "top level", "format");
    if (!format.is_number_integer()) Fail("format", "expected an integer");
    if (format.get<std::int64_t>() != kJsonReportFormat) {
      return Error{"report format " + std::to_string(format.get<std::int64_t>()) +
                   " is not supported (this bpsim reads format " +
                   std::to_string(kJsonReportFormat) + ")"};
    }
    RunReport report;
    report.bpsim_version = GetString(j, "", "bpsim");
    report.command = GetString(j, "", "command");
    report.incomplete = GetBool(j, "", "incomplete");
    const Json& scenarios = GetArray(j, "", "scenarios");
    for (size_t i = 0; i < scenarios.size(); ++i) {
      report.scenarios.push_back(ReadScenario(scenarios[i], Index("scenarios", i)));
    }
    report.wall_seconds = GetNumber(Field(j, "", "wall_clock"), "wall_clock", "seconds");
    if (auto it = j.find("live"); it != j.end()) {
      const Json& endpoints = GetArray(*it, "live", "endpoints");
      report.live_endpoints.emplace();
      if (it->contains("time_scale")) {
        report.live_timing = LiveTiming{GetNumber(*it, "live", "time_scale"),
                                        GetNumber(*it, "live", "wall_grace_seconds"),
                                        GetNumber(*it, "live", "simulated_grace_seconds")};
      }
      for (size_t i = 0; i < endpoints.size(); ++i) {
        const std::string where = Index("live.endpoints", i);
        LiveEndpoint e;
        e.listener = GetString(endpoints[i], where, "listener");
        e.route = GetString(endpoints[i], where, "route");
        e.count = GetUnsigned(endpoints[i], where, "count");
        e.failed = GetUnsigned(endpoints[i], where, "failed");
        e.p50 = GetNumber(endpoints[i], where, "p50_seconds");
        e.p90 = GetNumber(endpoints[i], where, "p90_seconds");
        e.p99 = GetNumber(endpoints[i], where, "p99_seconds");
        if (auto s = endpoints[i].find("statuses"); s != endpoints[i].end() && s->is_object()) {
          for (auto it = s->begin(); it != s->end(); ++it) {
            unsigned status = 0;
            const std::string& key = it.key();
            const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), status);
            if (ec != std::errc() || end != key.data() + key.size()) {
              Fail(where + ".statuses", "expected HTTP statuses as keys, got \"" + key + "\"");
            }
            e.statuses.emplace_back(status, AsUnsigned(it.value(), where + ".statuses." + key));
          }
        }
        report.live_endpoints->push_back(std::move(e));
      }
    }
    if (auto it = j.find("sweep"); it != j.end()) {
      // Only what the sweep covered; the summary is recomputed from the results.
      const Json& sw = *it;
      SweepInfo info;
      info.scenario = GetString(sw, "sweep", "scenario");
      info.file = GetString(sw, "sweep", "file");
      info.first_seed = GetUnsigned(sw, "sweep", "first_seed");
      info.last_seed = GetUnsigned(sw, "sweep", "last_seed");
      info.swarm = GetBool(sw, "sweep", "swarm");
      // Absent in reports written before it existed: those judged every expectation.
      info.invariants_only =
          sw.contains("invariants_only") && GetBool(sw, "sweep", "invariants_only");
      const std::uint64_t index = GetUnsigned(sw, "sweep", "shard_index");
      const std::uint64_t count = GetUnsigned(sw, "sweep", "shard_count");
      if (count == 0 || count > UINT32_MAX || index >= count) {
        Fail("sweep", "shard_index must be below shard_count");
      }
      if (info.first_seed > info.last_seed) Fail("sweep", "first_seed is above last_seed");
      info.shard_index = static_cast<std::uint32_t>(index);
      info.shard_count = static_cast<std::uint32_t>(count);
      report.sweep = std::move(info);
    }
    return report;
  } catch (const BadReport& bad) {
    return Error{"not a bpsim report: " + bad.message};
  } catch (const Json::exception& e) {
    return Error{std::string("not a bpsim report: ") + e.what()};
  }
}

Result<RunReport> ReadJsonReportFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Error{path + ": cannot read: " + std::strerror(errno)};
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int read_errno = errno;
  std::fclose(f);
  if (failed) return Error{path + ": cannot read: " + std::strerror(read_errno)};
  auto parsed = ParseJsonReport(text);
  if (!parsed.ok()) return Error{path + ": " + parsed.error().message};
  return parsed;
}

}  // namespace bpsim::reports
