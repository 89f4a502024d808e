#include "harness/scenario/writer.h"

#include <cmath>
#include <variant>

#include "harness/scenario/fields.h"
#include "harness/scenario/format.h"
#include "harness/scenario/reader.h"

namespace bpsim::harness {
namespace {

using scenario_internal::Json;

std::string Str(const std::string& s) { return Json(s).dump(); }
std::string Num(double v) { return Json(v).dump(); }
std::string Dur(SimTime t) { return Str(FormatDuration(t)); }

// A scalar of a pattern: plain when it is a simple word or number, else quoted.
std::string PatternScalar(const std::string& s) {
  bool plain = !s.empty();
  for (char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-';
    plain = plain && ok;
  }
  return plain ? s : Str(s);
}

std::string PatternYaml(const Pattern& p) {
  if (p.fields.empty()) return PatternScalar(p.type);
  std::string s = "{" + PatternScalar(p.type) + ": {";
  for (std::size_t i = 0; i < p.fields.size(); ++i) {
    if (i) s += ", ";
    s += p.fields[i].field + ": ";
    const auto& v = p.fields[i].any_of;
    if (v.size() == 1) {
      s += PatternScalar(v[0]);
    } else {
      s += "[";
      for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + PatternScalar(v[k]);
      s += "]";
    }
  }
  return s + "}}";
}

// The keys of an object schema (ObjectSchema with the actual values as defaults) whose
// default differs from `base`'s, as a flow mapping body "k: v, k2: {...}"; nested
// objects recurse. Keys in `skip` are left to the caller.
std::string DiffFlow(const Json& actual, const Json& base, const std::vector<std::string>& skip) {
  std::string out;
  const Json& props = actual.at("properties");
  const Json& base_props = base.at("properties");
  for (auto it = props.begin(); it != props.end(); ++it) {
    if (std::find(skip.begin(), skip.end(), it.key()) != skip.end()) continue;
    const Json& a = it.value();
    const Json& b = base_props.at(it.key());
    std::string value;
    if (a.contains("properties")) {
      std::string inner = DiffFlow(a, b, {});
      if (!inner.empty()) value = "{" + inner + "}";
    } else if (a.contains("default") && a.at("default") != b.at("default")) {
      value = a.at("default").dump();
    }
    if (value.empty()) continue;
    if (!out.empty()) out += ", ";
    out += it.key() + ": " + value;
  }
  return out;
}

std::string BankYaml(const mocks::BankConfig& bank) {
  static const mocks::BankConfig defaults;
  const auto& spec = scenario_internal::BankFormat();
  std::string rest = DiffFlow(scenario_internal::ObjectSchema(spec, &bank),
                              scenario_internal::ObjectSchema(spec, &defaults), {"id"});
  return "{id: " + Str(bank.id) + (rest.empty() ? "" : ", " + rest) + "}";
}

std::string ActionYaml(const mocks::TimelineAction& action) {
  struct Visitor {
    std::string operator()(const mocks::RevokeConsents& a) const {
      std::string s = "revoke_consents: {fraction: " + Num(a.fraction);
      if (a.bank) s += ", bank: " + Str(*a.bank);
      if (a.via != mocks::Via::kBank) s += ", via: messenger";
      return s + "}";
    }
    std::string operator()(const mocks::GrantConsents& a) const {
      std::string s = "grant_consents: {fraction: " + Num(a.fraction);
      if (a.bank) s += ", bank: " + Str(*a.bank);
      if (a.scopes) s += ", scopes: " + scenario_internal::ScopesText(*a.scopes);
      return s + "}";
    }
    std::string operator()(const mocks::Outage& a) const {
      static const char* const kModes[] = {"unavailable", "slow", "errors", "partition"};
      mocks::Outage defaults;
      std::string s = "outage: {target: " + Str(a.target) + ", for: " + Dur(a.duration);
      if (a.mode != defaults.mode) s += std::string(", mode: ") + kModes[std::size_t(a.mode)];
      if (a.mode == mocks::OutageMode::kSlow &&
          (a.latency.median != defaults.latency.median || a.latency.p99 != defaults.latency.p99)) {
        s += ", latency: {median: " + Dur(a.latency.median) + ", p99: " + Dur(a.latency.p99) + "}";
      }
      if (a.mode == mocks::OutageMode::kErrors && a.rate != defaults.rate) {
        s += ", rate: " + Num(a.rate);
      }
      return s + "}";
    }
    std::string operator()(const mocks::FraudWave& a) const {
      return "fraud_wave: {bank: " + Str(a.bank) + ", cards: " + std::to_string(a.cards) + "}";
    }
  };
  return std::visit(Visitor{}, action);
}

bool DefaultInvariants(const std::vector<InvariantConfig>& invariants) {
  const InvariantConfig d;
  std::size_t n = std::size(kInvariantIds);
  if (invariants.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const InvariantConfig& c = invariants[i];
    if (c.id != kInvariantIds[i] || c.grace != d.grace || c.purge_within != d.purge_within ||
        c.slack != d.slack || c.p99 != d.p99 || c.lost != d.lost) {
      return false;
    }
  }
  return true;
}

std::string InvariantYaml(const InvariantConfig& c) {
  const InvariantConfig d;
  std::string params;
  auto add = [&](const char* key, const std::string& value) {
    params += (params.empty() ? "" : ", ") + std::string(key) + ": " + value;
  };
  if (c.id == "revocation-honoured") {
    if (c.grace != d.grace) add("grace", Dur(c.grace));
    if (c.purge_within != d.purge_within) add("purge_within", Dur(c.purge_within));
  } else if (c.id == "retention-limit") {
    if (c.max != d.max) add("max", Dur(c.max));
    if (c.slack != d.slack) add("slack", Dur(c.slack));
  } else if (c.id == "fraud-alert-delivery") {
    if (c.p99 != d.p99) add("p99", Dur(c.p99));
    if (c.lost != d.lost) add("lost", std::to_string(c.lost));
  }
  if (params.empty()) return c.id;
  return "{" + c.id + ": {" + params + "}}";
}

std::string RuleYaml(const Rule& r) {
  std::string s = "{id: " + Str(r.id) + ", ";
  std::string key = r.key.empty() ? "" : ", key: " + r.key;
  switch (r.kind) {
    case Rule::Kind::kNever:
      return s + "never: " + PatternYaml(r.trigger) + "}";
    case Rule::Kind::kWithin:
      return s + "within: {trigger: " + PatternYaml(r.trigger) + ", response: " +
             PatternYaml(r.response) + ", max: " + Dur(r.max) + key + "}}";
    case Rule::Kind::kAfter:
      return s + "after: {trigger: " + PatternYaml(r.trigger) + ", forbid: " +
             PatternYaml(r.response) + key + "}}";
  }
  return s + "}";
}

std::string BoundYaml(const MetricBound& m, double v) {
  if (!IsDurationMetric(m.metric)) return Num(v);
  return Dur(SimTime(std::llround(v * double(kSecond))));
}

std::string List(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
  return s + "]";
}

}  // namespace

std::string ScenarioToYaml(const Scenario& s) {
  static const Scenario defaults;
  std::string y;
  if (!s.id.empty()) y += "scenario: " + Str(s.id) + "\n";
  if (!s.description.empty()) y += "description: " + Str(s.description) + "\n";
  if (!s.tags.empty()) {
    std::vector<std::string> tags;
    for (const std::string& t : s.tags) tags.push_back(Str(t));
    y += "tags: " + List(tags) + "\n";
  }
  const auto& format = scenario_internal::ScenarioFormat();
  Json actual = scenario_internal::ObjectSchema(format, &s);
  Json base = scenario_internal::ObjectSchema(format, &defaults);
  for (const char* key : {"seed", "duration", "drain"}) {
    const Json& a = actual["properties"][key]["default"];
    if (a != base["properties"][key]["default"]) y += std::string(key) + ": " + a.dump() + "\n";
  }

  // world: banks by hand, customers and platform from the format's tables.
  const Json& world_a = actual["properties"]["world"];
  const Json& world_b = base["properties"]["world"];
  std::string world;
  const auto& banks = s.spec.world.banks;
  bool default_banks = banks.size() == 1 && banks[0].id == "bank" && BankYaml(banks[0]) == "{id: \"bank\"}";
  if (!banks.empty() && !default_banks) {
    world += "  banks:\n";
    for (const mocks::BankConfig& b : banks) world += "    - " + BankYaml(b) + "\n";
  }
  for (const char* part : {"customers", "platform"}) {
    std::string body = DiffFlow(world_a["properties"][part], world_b["properties"][part], {"banks"});
    if (std::string(part) == "customers" && !s.spec.world.customers.banks.empty()) {
      std::string shares;
      for (const auto& [bank, share] : s.spec.world.customers.banks) {
        shares += (shares.empty() ? "" : ", ") + Str(bank) + ": " + Num(share);
      }
      body += (body.empty() ? "" : ", ") + std::string("banks: {") + shares + "}";
    }
    if (!body.empty()) world += "  " + std::string(part) + ": {" + body + "}\n";
  }
  if (!world.empty()) y += "world:\n" + world;

  if (!s.spec.timeline.empty()) {
    y += "timeline:\n";
    for (const mocks::TimelineEntry& e : s.spec.timeline) {
      y += "  - {at: " + Dur(e.at) + ", " + ActionYaml(e.action) + "}\n";
    }
  }
  if (!s.spec.defects.empty()) {
    std::vector<std::string> names;
    for (int i = 0; i < mocks::kDefectCount; ++i) {
      if (s.spec.defects.has(mocks::Defect(i))) names.push_back(mocks::kDefectNames[std::size_t(i)]);
    }
    y += "defects: " + List(names) + "\n";
  }
  if (s.spec.perturb.any()) {
    y += std::string("perturb: {same_instant: ") + (s.spec.perturb.same_instant ? "true" : "false") +
         ", knobs: " + (s.spec.perturb.knobs ? "true" : "false") + "}\n";
  }
  if (!DefaultInvariants(s.invariants)) {
    y += "invariants:\n";
    if (s.invariants.empty()) y.replace(y.size() - 1, 1, " []\n");
    for (const InvariantConfig& c : s.invariants) y += "  - " + InvariantYaml(c) + "\n";
  }
  if (!s.rules.empty()) {
    y += "rules:\n";
    for (const Rule& r : s.rules) y += "  - " + RuleYaml(r) + "\n";
  }

  const Expectation& e = s.expect;
  std::string expect;
  if (e.verdict_written) {
    expect += std::string("  verdict: ") + (e.verdict == Expectation::Verdict::kFail ? "fail" : "pass") + "\n";
  }
  if (!e.violations.empty()) expect += "  violations: " + List(e.violations) + "\n";
  if (!e.metrics.empty()) {
    expect += "  metrics:\n";
    for (const MetricBound& m : e.metrics) {
      std::string bounds;
      if (m.min) bounds += "min: " + BoundYaml(m, *m.min);
      if (m.max) bounds += (bounds.empty() ? "" : ", ") + std::string("max: ") + BoundYaml(m, *m.max);
      expect += "    " + m.metric + ": {" + bounds + "}\n";
    }
  }
  if (!e.sometimes.empty()) {
    expect += "  sometimes:\n";
    for (const Situation& st : e.sometimes) {
      expect += "    - " + (st.pattern ? PatternYaml(*st.pattern) : st.name) + "\n";
    }
  }
  if (!expect.empty()) y += "expect:\n" + expect;
  return y;
}

}  // namespace bpsim::harness
