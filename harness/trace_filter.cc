#include "harness/trace_filter.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace bpsim::harness {
namespace {

using mocks::EntryType;

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::optional<std::uint64_t> ParseId(const std::string& text) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, v);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end) return std::nullopt;
  return v;
}

std::string AllTypeNames() {
  std::string s;
  for (std::size_t i = 0; i < std::size_t(EntryType::kEntryTypeCount); ++i) {
    s += (i ? ", " : "") + std::string(mocks::EntryTypeName(EntryType(i)));
  }
  return s;
}

// The TypeBit()s of a name or a prefix ending in '*' ("consent.*"); 0 if none.
std::uint64_t TypesNamed(const std::string& name) {
  std::uint64_t bits = 0;
  const bool prefix = !name.empty() && name.back() == '*';
  const std::string_view stem(name.data(), prefix ? name.size() - 1 : name.size());
  for (std::size_t i = 0; i < std::size_t(EntryType::kEntryTypeCount); ++i) {
    std::string_view t = mocks::EntryTypeName(EntryType(i));
    if (prefix ? t.substr(0, stem.size()) == stem : t == stem) bits |= mocks::TypeBit(EntryType(i));
  }
  return bits;
}

Result<bool> AddIds(const std::string& key, const std::string& values,
                    std::vector<std::uint64_t>* out) {
  for (const std::string& v : SplitCommas(values)) {
    auto id = ParseId(v);
    if (!id) {
      return Error{"--trace " + key + "=" + values + ": '" + v + "' is not a " + key +
                   " id (a non-negative integer, as trace.jsonl writes it)"};
    }
    out->push_back(*id);
  }
  return true;
}

Result<bool> AddWindow(const std::string& values, TraceFilter* filter) {
  const std::string what = "--trace window=" + values;
  if (filter->from || filter->to) return Error{what + ": the window is given twice"};
  const std::size_t dots = values.find("..");
  if (dots == std::string::npos || dots + 2 > values.size()) {
    return Error{what + ": expected FROM..TO, FROM.. or ..TO in the scenario's units "
                        "(window=17h..19h)"};
  }
  const std::string from = values.substr(0, dots), to = values.substr(dots + 2);
  if (from.empty() && to.empty()) return Error{what + ": give FROM, TO or both (window=17h..19h)"};
  for (const auto& [text, end] : {std::pair{from, &filter->from}, std::pair{to, &filter->to}}) {
    if (text.empty()) continue;
    auto t = ParseDuration(text);
    if (!t.ok()) return Error{what + ": " + t.error().message};
    *end = *t;
  }
  if (filter->from && filter->to && *filter->from > *filter->to) {
    std::optional<SimTime> none;
    filter->from = filter->to = none;
    return Error{what + ": the window ends before it begins"};
  }
  return true;
}

bool IsWorldEvent(EntryType t) {
  return t == EntryType::kOutageStart || t == EntryType::kOutageEnd || t == EntryType::kCrash ||
         t == EntryType::kRestart || t == EntryType::kDrainStart;
}

template <typename T>
bool Contains(const std::vector<T>& v, std::uint64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Alternatives(const std::vector<std::string>& items) {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? " or " : "") + items[i];
  return s;
}

std::vector<std::string> Texts(const std::vector<std::uint64_t>& ids) {
  std::vector<std::string> out;
  for (std::uint64_t id : ids) out.push_back(std::to_string(id));
  return out;
}

}  // namespace

std::string TraceFilter::Describe() const {
  std::vector<std::string> parts;
  if (!customers.empty()) parts.push_back("customer " + Alternatives(Texts(customers)));
  if (!banks.empty()) parts.push_back("bank " + Alternatives(banks));
  if (!consents.empty()) parts.push_back("consent " + Alternatives(Texts(consents)));
  if (types != 0) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < std::size_t(EntryType::kEntryTypeCount); ++i) {
      if (types & mocks::TypeBit(EntryType(i))) names.emplace_back(mocks::EntryTypeName(EntryType(i)));
    }
    parts.push_back("type " + Alternatives(names));
  }
  if (from || to) {
    parts.push_back("window " + (from ? DescribeDuration(*from) : std::string("start")) + " .. " +
                    (to ? DescribeDuration(*to) : std::string("end")));
  }
  if (parts.empty()) return "everything";
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

bool IsTraceFilterTerm(const std::string& arg) {
  const std::size_t eq = arg.find('=');
  if (eq == 0 || eq == std::string::npos) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    if (!((arg[i] >= 'a' && arg[i] <= 'z') || arg[i] == '_')) return false;
  }
  return true;
}

namespace {
bool IsTraceFilterKey(const std::string& key) {
  for (const char* k : {"customer", "bank", "consent", "type", "window"}) {
    if (key == k) return true;
  }
  return false;
}
}  // namespace

Result<bool> AddTraceFilterTerm(const std::string& term, TraceFilter* filter) {
  const std::size_t eq = term.find('=');
  if (eq == std::string::npos || !IsTraceFilterKey(term.substr(0, eq))) {
    return Error{"--trace '" + term + "': expected " + kTraceFilterKeys +
                 " followed by values (customer=17,42)"};
  }
  const std::string key = term.substr(0, eq), values = term.substr(eq + 1);
  if (values.empty()) return Error{"--trace " + key + "=: no value"};
  if (key == "customer") return AddIds(key, values, &filter->customers);
  if (key == "consent") return AddIds(key, values, &filter->consents);
  if (key == "window") return AddWindow(values, filter);
  for (const std::string& v : SplitCommas(values)) {
    if (v.empty()) return Error{"--trace " + term + ": an empty value"};
    if (key == "bank") {
      filter->banks.push_back(v);
      continue;
    }
    const std::uint64_t bits = TypesNamed(v);
    if (bits == 0) {
      return Error{"--trace " + term + ": no entry type " +
                   (v.back() == '*' ? "begins with '" + v.substr(0, v.size() - 1) + "'"
                                    : "is called '" + v + "'") +
                   " (types: " + AllTypeNames() + "; docs/trace.md)"};
    }
    filter->types |= bits;
  }
  return true;
}

Result<bool> CheckTraceFilter(const TraceFilter& filter, const mocks::WorldSpec& spec,
                              const std::string& file) {
  std::string known;
  for (const auto& b : spec.world.banks) known += (known.empty() ? "" : ", ") + b.id;
  for (const std::string& id : filter.banks) {
    bool found = false;
    for (const auto& b : spec.world.banks) found |= b.id == id;
    if (!found) {
      return Error{"--trace bank=" + id + ": " + file + " has no bank '" + id + "' (its banks: " +
                   known + ")"};
    }
  }
  const std::uint64_t count = spec.world.customers.count;
  for (std::uint64_t c : filter.customers) {
    if (c >= count) {
      return Error{"--trace customer=" + std::to_string(c) + ": " + file + " has customers 0 to " +
                   std::to_string(count == 0 ? 0 : count - 1)};
    }
  }
  return true;
}

std::optional<std::pair<SimTime, SimTime>> EvidenceWindow(const reports::ScenarioResult& result,
                                                          SimTime margin, SimTime end) {
  const reports::Violation* first = nullptr;
  for (const reports::Violation& v : result.violations) {
    if (first == nullptr || v.time < first->time) first = &v;
  }
  if (first == nullptr) return std::nullopt;
  SimTime begin = first->time;
  for (const reports::EvidenceItem& item : first->evidence) begin = std::min(begin, item.time);
  return std::pair{std::max<SimTime>(0, begin - margin), std::min(end, first->time + margin)};
}

TraceFilterMatcher::TraceFilterMatcher(const TraceFilter& filter, const mocks::WorldSpec& spec)
    : filter_(filter) {
  if (filter.banks.empty()) return;
  bank_kept_.assign(spec.world.banks.size(), false);
  for (std::size_t b = 0; b < spec.world.banks.size(); ++b) {
    bank_kept_[b] = std::find(filter.banks.begin(), filter.banks.end(), spec.world.banks[b].id) !=
                    filter.banks.end();
  }
}

bool TraceFilterMatcher::NamesBank(const mocks::TraceEntry& e) const {
  auto kept = [&](std::size_t b) { return b < bank_kept_.size() && bank_kept_[b]; };
  if (e.bank != mocks::kNoBank) return kept(e.bank);
  for (const mocks::Endpoint& end : {e.from, e.to}) {
    if (end.kind == mocks::EndpointKind::kBank) return kept(end.id);
  }
  return IsWorldEvent(e.type);  // an outage or crash of the platform or the messenger
}

bool TraceFilterMatcher::Matches(const mocks::TraceEntry& e) const {
  if (filter_.from && e.time < *filter_.from) return false;
  if (filter_.to && e.time > *filter_.to) return false;
  if (filter_.types != 0 && (filter_.types & mocks::TypeBit(e.type)) == 0) return false;
  const bool world_event = IsWorldEvent(e.type);
  if (!filter_.customers.empty() && !world_event &&
      (e.subject == mocks::kNoSubject || !Contains(filter_.customers, e.subject))) {
    return false;
  }
  if (!filter_.consents.empty() && !world_event &&
      (e.consent == 0 || !Contains(filter_.consents, e.consent))) {
    return false;
  }
  return bank_kept_.empty() || NamesBank(e);
}

}  // namespace bpsim::harness
