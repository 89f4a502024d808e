// User rules (docs/invariants.md): never / within / after over compiled patterns.

#include <charconv>
#include <unordered_map>

#include "harness/invariants/monitor.h"
#include "harness/invariants/pattern.h"
#include "harness/invariants/tracking.h"

namespace bpsim::harness {
namespace {

using mocks::EndpointKind;
using mocks::EntryType;
using mocks::TraceEntry;

bool ParseU64(std::string_view s, std::uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Error FieldError(const std::string& field, const std::string& value, const std::string& why) {
  return Error{"field '" + field + "': " + why + " '" + value + "'"};
}

std::uint64_t EndpointKey(const mocks::Endpoint& e) { return (std::uint64_t(e.kind) << 32) | e.id; }

}  // namespace

Result<KeyField> ParseKeyField(std::string_view name) {
  static constexpr std::pair<std::string_view, KeyField> kFields[] = {
      {"subject", KeyField::kSubject}, {"consent", KeyField::kConsent},
      {"bank", KeyField::kBank},       {"ref", KeyField::kRef},
      {"status", KeyField::kStatus},   {"from", KeyField::kFrom},
      {"to", KeyField::kTo},           {"category", KeyField::kCategory},
      {"purpose", KeyField::kPurpose}, {"reason", KeyField::kReason},
      {"derived", KeyField::kDerived}, {"labelled", KeyField::kLabelled}};
  if (name.empty()) return KeyField::kNone;
  for (const auto& [n, f] : kFields) {
    if (n == name) return f;
  }
  return Error{"unknown key field '" + std::string(name) + "'"};
}

std::uint64_t KeyOf(KeyField field, const TraceEntry& e) {
  switch (field) {
    case KeyField::kNone:
      return 0;
    case KeyField::kSubject:
      return e.subject;
    case KeyField::kConsent:
      return e.consent;
    case KeyField::kBank:
      return e.bank;
    case KeyField::kRef:
      return e.ref;
    case KeyField::kStatus:
      return e.status;
    case KeyField::kFrom:
      return EndpointKey(e.from);
    case KeyField::kTo:
      return EndpointKey(e.to);
    case KeyField::kCategory:
      return e.categories;
    case KeyField::kPurpose:
      return e.purpose;
    case KeyField::kReason:
      return e.reason;
    case KeyField::kDerived:
      return e.derived;
    case KeyField::kLabelled:
      return e.labelled;
  }
  return 0;
}

Result<CompiledPattern> CompiledPattern::Compile(const Pattern& pattern,
                                                 const mocks::TraceNames& names) {
  CompiledPattern c;
  if (pattern.type == "*") {
    c.type_mask_ = (1ULL << unsigned(EntryType::kEntryTypeCount)) - 1;
  } else {
    EntryType t;
    if (!mocks::EntryTypeFromName(pattern.type, &t)) {
      return Error{"unknown entry type '" + pattern.type + "'"};
    }
    c.type_mask_ = mocks::TypeBit(t);
  }
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"from", Field::kFrom},         {"to", Field::kTo},
      {"category", Field::kCategory}, {"subject", Field::kSubject},
      {"bank", Field::kBank},         {"consent", Field::kConsent},
      {"status", Field::kStatus},     {"purpose", Field::kPurpose},
      {"reason", Field::kReason},     {"derived", Field::kDerived},
      {"labelled", Field::kLabelled}, {"ref", Field::kRef}};
  for (const FieldMatch& fm : pattern.fields) {
    Test t;
    bool known = false;
    for (const auto& [n, f] : kFields) {
      if (n == fm.field) {
        t.field = f;
        known = true;
      }
    }
    if (!known) return Error{"unknown field '" + fm.field + "'"};
    for (const std::string& v : fm.any_of) {
      switch (t.field) {
        case Field::kFrom:
        case Field::kTo: {
          std::string_view s = v;
          auto numbered = [&](EndpointKind kind, std::string_view rest) -> bool {
            std::uint64_t n;
            if (rest == "*") {
              t.endpoints.push_back({kind, true, 0});
              return true;
            }
            if (!ParseU64(rest, &n) || n > 0xffffffffULL) return false;
            t.endpoints.push_back({kind, false, std::uint32_t(n)});
            return true;
          };
          bool ok = true;
          if (s == "*") {
            t.any_endpoint = true;
          } else if (s == "platform.connector") {
            t.endpoints.push_back({EndpointKind::kConnector, true, 0});
          } else if (s == "platform.cache") {
            t.endpoints.push_back({EndpointKind::kCache, true, 0});
          } else if (s == "ads") {
            t.endpoints.push_back({EndpointKind::kAds, true, 0});
          } else if (s == "analytics") {
            t.endpoints.push_back({EndpointKind::kAnalytics, true, 0});
          } else if (s == "log") {
            t.endpoints.push_back({EndpointKind::kLog, true, 0});
          } else if (s == "messenger") {
            t.endpoints.push_back({EndpointKind::kMessenger, true, 0});
          } else if (StartsWith(s, "chat:group:")) {
            ok = numbered(EndpointKind::kGroupChat, s.substr(11));
          } else if (StartsWith(s, "chat:")) {
            ok = numbered(EndpointKind::kChat, s.substr(5));
          } else if (StartsWith(s, "customer:")) {
            ok = numbered(EndpointKind::kCustomer, s.substr(9));
          } else if (StartsWith(s, "bank:") || StartsWith(s, "partner:")) {
            bool bank = s[0] == 'b';
            std::string_view rest = s.substr(bank ? 5 : 8);
            EndpointKind kind = bank ? EndpointKind::kBank : EndpointKind::kPartner;
            const auto& list = bank ? names.banks : names.partners;
            if (rest == "*") {
              t.endpoints.push_back({kind, true, 0});
            } else {
              std::size_t i = 0;
              while (i < list.size() && list[i] != rest) ++i;
              if (i == list.size()) {
                return FieldError(
                    fm.field, v,
                    bank ? "no bank in this world is named" : "no partner in this world is named");
              }
              t.endpoints.push_back({kind, false, std::uint32_t(i)});
            }
          } else {
            ok = false;
          }
          if (!ok) return FieldError(fm.field, v, "not an endpoint");
          break;
        }
        case Field::kCategory: {
          mocks::Category cat;
          if (!mocks::CategoryFromName(v, &cat)) return FieldError(fm.field, v, "unknown category");
          t.bits |= mocks::CategoryBit(cat);
          break;
        }
        case Field::kPurpose: {
          mocks::Purpose p;
          if (!mocks::PurposeFromName(v, &p)) return FieldError(fm.field, v, "unknown purpose");
          t.bits |= p;
          break;
        }
        case Field::kBank: {
          std::size_t i = 0;
          while (i < names.banks.size() && names.banks[i] != v) ++i;
          if (i == names.banks.size()) {
            return FieldError(fm.field, v, "no bank in this world is named");
          }
          t.values.push_back(i);
          break;
        }
        case Field::kSubject:
        case Field::kConsent:
        case Field::kStatus:
        case Field::kRef: {
          std::uint64_t n;
          if (!ParseU64(v, &n)) return FieldError(fm.field, v, "not a non-negative integer");
          t.values.push_back(n);
          break;
        }
        case Field::kReason:
          t.reasons.push_back(v);
          break;
        case Field::kDerived:
        case Field::kLabelled:
          if (v == "true") {
            t.bits |= 2;
          } else if (v == "false") {
            t.bits |= 1;
          } else {
            return FieldError(fm.field, v, "not true or false");
          }
          break;
      }
    }
    c.tests_.push_back(std::move(t));
  }
  return c;
}

bool CompiledPattern::EndpointMatches(const Test& t, const mocks::Endpoint& e) {
  if (t.any_endpoint && e.kind != EndpointKind::kNone) return true;
  for (const EndpointTest& et : t.endpoints) {
    if (et.kind == e.kind && (et.any_id || et.id == e.id)) return true;
  }
  return false;
}

bool CompiledPattern::Matches(const TraceEntry& e) const {
  if (!(type_mask_ & mocks::TypeBit(e.type))) return false;
  for (const Test& t : tests_) {
    bool ok = false;
    auto in = [&](std::uint64_t x) {
      for (std::uint64_t v : t.values) {
        if (v == x) return true;
      }
      return false;
    };
    switch (t.field) {
      case Field::kFrom:
        ok = EndpointMatches(t, e.from);
        break;
      case Field::kTo:
        ok = EndpointMatches(t, e.to);
        break;
      case Field::kCategory:
        ok = (t.bits & e.categories) != 0;
        break;
      case Field::kPurpose:
        ok = (t.bits & e.purpose) != 0;
        break;
      case Field::kSubject:
        ok = e.subject != mocks::kNoSubject && in(e.subject);
        break;
      case Field::kBank:
        ok = e.bank != mocks::kNoBank && in(e.bank);
        break;
      case Field::kConsent:
        ok = in(e.consent);
        break;
      case Field::kStatus:
        ok = in(e.status);
        break;
      case Field::kRef:
        ok = in(e.ref);
        break;
      case Field::kReason: {
        std::string_view r = mocks::EntryReasonName(e);
        for (const std::string& s : t.reasons) ok = ok || (!r.empty() && r == s);
        break;
      }
      case Field::kDerived:
        ok = (t.bits & (e.derived ? 2 : 1)) != 0;
        break;
      case Field::kLabelled:
        ok = (t.bits & (e.labelled ? 2 : 1)) != 0;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

namespace {

class RuleMonitor final : public Monitor {
 public:
  RuleMonitor(const Rule& rule, const MonitorContext& context, CompiledPattern trigger,
              CompiledPattern response, KeyField key)
      : Monitor(context),
        rule_(rule),
        trigger_(std::move(trigger)),
        response_(std::move(response)),
        key_(key) {
    mask_ = trigger_.type_mask();
    if (rule.kind != Rule::Kind::kNever) mask_ |= response_.type_mask();
  }

  const std::string& id() const override { return rule_.id; }
  std::uint64_t type_mask() const override { return mask_; }

  void OnEntry(const TraceEntry& e) override {
    switch (rule_.kind) {
      case Rule::Kind::kNever:
        if (trigger_.Matches(e)) {
          Report({rule_.id,
                  e.time,
                  Subject(e),
                  "an entry matched the pattern rule '" + rule_.id + "' forbids",
                  {Evidence(context().names, e)}});
        }
        break;
      case Rule::Kind::kWithin:
        CheckDeadlines(e.time, false);
        ++seq_;
        if (response_.Matches(e)) last_response_[KeyOf(key_, e)] = seq_;
        if (trigger_.Matches(e)) {
          obligations_.Push(AddSat(e.time, rule_.max), {e, seq_});
        }
        break;
      case Rule::Kind::kAfter: {
        if (response_.Matches(e)) {
          auto it = triggered_.find(KeyOf(key_, e));
          if (it != triggered_.end()) {
            Report({rule_.id,
                    e.time,
                    Subject(e),
                    "an entry matched the pattern rule '" + rule_.id + "' forbids after " +
                        std::string(mocks::EntryTypeName(it->second.type)) + " at " +
                        mocks::FormatInstant(it->second.time) + KeyText(e),
                    {Evidence(context().names, it->second), Evidence(context().names, e)}});
          }
        }
        if (trigger_.Matches(e)) triggered_.try_emplace(KeyOf(key_, e), e);
        break;
      }
    }
  }

  void Finish(SimTime end) override {
    if (rule_.kind == Rule::Kind::kWithin) CheckDeadlines(end, true);
  }

 private:
  struct Obligation {
    TraceEntry trigger;
    std::uint64_t seq;
  };
  static std::int64_t Subject(const TraceEntry& e) {
    return e.subject == mocks::kNoSubject ? -1 : std::int64_t(e.subject);
  }
  std::string KeyText(const TraceEntry& e) const {
    if (key_ == KeyField::kNone) return "";
    std::string value;
    static const mocks::TraceNames kNoNames;
    const mocks::TraceNames& names = context().names ? *context().names : kNoNames;
    switch (key_) {
      case KeyField::kFrom:
        value = names.Endpoint(e.from);
        break;
      case KeyField::kTo:
        value = names.Endpoint(e.to);
        break;
      case KeyField::kBank:
        value = names.Bank(e.bank);
        break;
      default:
        value = std::to_string(KeyOf(key_, e));
        break;
    }
    return " (same " + rule_.key + " " + value + ")";
  }
  void CheckDeadlines(SimTime now, bool at_end) {
    while (!obligations_.empty() && (obligations_.next_deadline() < now ||
                                     (at_end && obligations_.next_deadline() <= now))) {
      SimTime deadline = obligations_.next_deadline();
      Obligation o = obligations_.Pop();
      auto it = last_response_.find(KeyOf(key_, o.trigger));
      if (it != last_response_.end() && it->second > o.seq) continue;
      Report({rule_.id,
              deadline,
              Subject(o.trigger),
              "no entry matching the response of rule '" + rule_.id + "' followed " +
                  std::string(mocks::EntryTypeName(o.trigger.type)) + " at " +
                  mocks::FormatInstant(o.trigger.time) + " within " + DescribeDuration(rule_.max) +
                  KeyText(o.trigger),
              {Evidence(context().names, o.trigger)}});
    }
  }

  Rule rule_;
  CompiledPattern trigger_, response_;
  KeyField key_;
  std::uint64_t mask_ = 0;
  std::uint64_t seq_ = 0;
  DeadlineQueue<Obligation> obligations_;
  std::unordered_map<std::uint64_t, std::uint64_t> last_response_;  // key -> seq
  std::unordered_map<std::uint64_t, TraceEntry> triggered_;         // key -> first trigger
};

}  // namespace

Result<std::unique_ptr<Monitor>> MakeRuleMonitor(const Rule& rule, const MonitorContext& context) {
  static const mocks::TraceNames kNoNames;
  const mocks::TraceNames& names = context.names ? *context.names : kNoNames;
  auto where = [&](const Pattern& p) {
    return "rule '" + rule.id + "' (line " + std::to_string(p.line ? p.line : rule.line) + "): ";
  };
  auto trigger = CompiledPattern::Compile(rule.trigger, names);
  if (!trigger) return Error{where(rule.trigger) + trigger.error().message};
  CompiledPattern response;
  if (rule.kind != Rule::Kind::kNever) {
    auto r = CompiledPattern::Compile(rule.response, names);
    if (!r) return Error{where(rule.response) + r.error().message};
    response = std::move(r).value();
  }
  auto key = ParseKeyField(rule.key);
  if (!key)
    return Error{"rule '" + rule.id + "' (line " + std::to_string(rule.line) +
                 "): " + key.error().message};
  return std::unique_ptr<Monitor>(std::make_unique<RuleMonitor>(
      rule, context, std::move(trigger).value(), std::move(response), *key));
}

}  // namespace bpsim::harness
