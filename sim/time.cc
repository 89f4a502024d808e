#include "sim/time.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace bpsim {
namespace {

struct Unit {
  std::string_view name;
  SimTime ns;
};
// Longest names first so "ms" is not read as "m".
constexpr std::array<Unit, 7> kUnits = {{{"ns", kNanosecond},
                                         {"us", kMicrosecond},
                                         {"ms", kMillisecond},
                                         {"s", kSecond},
                                         {"m", kMinute},
                                         {"h", kHour},
                                         {"d", kDay}}};

constexpr std::string_view kDurationHint =
    "expected a duration such as 500ms, 30s, 5m, 6h or 14d (units ns, us, ms, s, m, h, d)";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<SimTime> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    std::string msg = "invalid duration '";
    msg.append(text).append("': ").append(why);
    return Error{msg};
  };
  if (text.empty()) return bad(kDurationHint);
  if (text == "0") return SimTime{0};
  if (text[0] == '-') return bad("durations cannot be negative");
  size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  size_t int_end = i;
  size_t frac_begin = i, frac_end = i;
  if (i < text.size() && text[i] == '.') {
    frac_begin = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    frac_end = i;
  }
  if (int_end == 0 && frac_end == frac_begin) return bad(kDurationHint);
  std::string_view unit_name = text.substr(i);
  const Unit* unit = nullptr;
  for (const Unit& u : kUnits) {
    if (unit_name == u.name) unit = &u;
  }
  if (unit == nullptr) {
    if (unit_name.empty()) return bad("missing unit; " + std::string(kDurationHint));
    return bad("unknown unit '" + std::string(unit_name) + "'; " + std::string(kDurationHint));
  }
  // Exact integer arithmetic: whole part * unit + fraction * unit, with overflow checks.
  SimTime whole = 0;
  for (size_t k = 0; k < int_end; ++k) {
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, text[k] - '0', &whole)) {
      return bad("too large (the limit is about 106751d)");
    }
  }
  SimTime total = 0;
  if (__builtin_mul_overflow(whole, unit->ns, &total)) {
    return bad("too large (the limit is about 106751d)");
  }
  SimTime scale = unit->ns;
  for (size_t k = frac_begin; k < frac_end; ++k) {
    int digit = text[k] - '0';
    if (scale % 10 != 0) {
      if (digit != 0) return bad("more precision than one nanosecond");
      continue;
    }
    scale /= 10;
    if (__builtin_add_overflow(total, digit * scale, &total)) {
      return bad("too large (the limit is about 106751d)");
    }
  }
  return total;
}

std::string FormatDuration(SimTime t) {
  if (t == 0) return "0s";
  std::string sign = t < 0 ? "-" : "";
  // Negative durations only appear in diagnostics; print their magnitude.
  unsigned long long mag =
      t < 0 ? 0ULL - static_cast<unsigned long long>(t) : static_cast<unsigned long long>(t);
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    auto ns = static_cast<unsigned long long>(it->ns);
    if (mag % ns == 0) return sign + std::to_string(mag / ns) + std::string(it->name);
  }
  return sign + std::to_string(mag) + "ns";
}

namespace {

// `value` / `unit` with at most three decimals, trailing zeros dropped, then the
// unit's name: 1'500'000 ns in ms is "1.5ms".
std::string Decimal(SimTime value, SimTime unit, const char* name) {
  const SimTime thousandths = unit / 1000;
  const SimTime rounded = (value + thousandths / 2) / thousandths;  // in unit / 1000
  std::string out = std::to_string(rounded / 1000);
  if (const SimTime frac = rounded % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
    std::string digits = buf;
    while (digits.back() == '0') digits.pop_back();
    out += digits;
  }
  return out + name;
}

}  // namespace

std::string DescribeDuration(SimTime t) {
  if (t < 0) {
    std::string out = "-";
    out += DescribeDuration(t == std::numeric_limits<SimTime>::min() ? kSimTimeMax : -t);
    return out;
  }
  if (t == 0) return "0s";
  if (t < kMicrosecond) return std::to_string(t) + "ns";
  // Round first, so that 999.9996ms reads "1s" and 59.9996s "1m".
  if (t < kMillisecond) return Decimal(t, kMicrosecond, "us");  // exact: thousandths are ns
  if (t < kSecond - kMicrosecond / 2) return Decimal(t, kMillisecond, "ms");
  const SimTime ms = t / kMillisecond + (t % kMillisecond >= kMillisecond / 2 ? 1 : 0);
  const SimTime r = ms > kSimTimeMax / kMillisecond ? kSimTimeMax : ms * kMillisecond;
  std::string out;
  auto part = [&](SimTime v, const char* unit) {
    if (v == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(v) + unit;
  };
  part(r / kDay, "d");
  part(r / kHour % 24, "h");
  part(r / kMinute % 60, "m");
  const SimTime seconds = r % kMinute;
  if (seconds != 0) {
    if (!out.empty()) out += ' ';
    out += Decimal(seconds, kSecond, "s");
  }
  return out;
}

std::string DescribeSeconds(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  const double ns = seconds * static_cast<double>(kSecond);
  if (std::fabs(ns) >= 9.2e18) return seconds < 0 ? "-106751d+" : "106751d+";
  return DescribeDuration(static_cast<SimTime>(std::llround(ns)));
}

Result<Rate> ParseRate(std::string_view text) {
  auto bad = [&](std::string_view why) {
    std::string msg = "invalid rate '";
    msg.append(text).append("': ").append(why);
    return Error{msg};
  };
  constexpr std::string_view hint = "expected a rate such as 50/s, 100/m, 2/h or 3/d";
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad(hint);
  std::string_view num = text.substr(0, slash), unit = text.substr(slash + 1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), value);
  if (ec != std::errc() || ptr != num.data() + num.size() || num.empty()) return bad(hint);
  if (!std::isfinite(value) || value < 0) return bad("the count must be a finite number >= 0");
  SimTime per = 0;
  if (unit == "s")
    per = kSecond;
  else if (unit == "m")
    per = kMinute;
  else if (unit == "h")
    per = kHour;
  else if (unit == "d")
    per = kDay;
  else
    return bad("unknown unit '" + std::string(unit) + "'; " + std::string(hint));
  // Divide by the unit's length in seconds (exact for s, m, h, d) rather than
  // multiplying by 1e9 first, which overflows to infinity for counts near DBL_MAX.
  return Rate{value / (static_cast<double>(per) / kSecond)};
}

std::string FormatRate(Rate rate) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g/s", rate.per_second);
  return buf;
}

}  // namespace bpsim
