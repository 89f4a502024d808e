#include "harness/live/json_writer.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace bpsim::harness::live {

namespace {

// Some byte of the eight in x is below 0x20, above 0x7E, '"' or '\': the classic
// SWAR tests, each setting that byte's top bit (exact as to whether any byte does).
bool EightNeedEscape(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const std::uint64_t below = (x - kOnes * 0x20) & ~x;  // some byte < 0x20
  const std::uint64_t above = (x + kOnes) | x;         // some byte > 0x7E
  const std::uint64_t quote = x ^ (kOnes * '"'), slash = x ^ (kOnes * '\\');
  const std::uint64_t equal = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash);
  return ((below | above | equal) & kHigh) != 0;
}

// Printable ASCII other than '"' and '\': written as is in a JSON string. Eight
// bytes at a time, the last eight overlapping the ones before; shorter strings one
// byte at a time.
bool NeedsNoEscape(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n < 8) {
    bool plain = true;
    for (std::size_t i = 0; i < n; ++i) {
      const auto u = static_cast<unsigned char>(p[i]);
      plain &= u >= 0x20 && u < 0x7F && p[i] != '"' && p[i] != '\\';
    }
    return plain;
  }
  std::uint64_t x;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&x, p + i, 8);
    if (EightNeedEscape(x)) return false;
  }
  std::memcpy(&x, p + n - 8, 8);
  return !EightNeedEscape(x);
}

// Room for ',' '"' s '"' ':' ... in one stack buffer.
constexpr std::size_t kShort = 120;

char* PutQuoted(char* p, std::string_view s) {
  *p++ = '"';
  std::memcpy(p, s.data(), s.size());
  p += s.size();
  *p++ = '"';
  return p;
}

}  // namespace

JsonWriter& JsonWriter::Int(std::int64_t value) {
  char buf[24];
  char* p = buf + sizeof buf;
  std::uint64_t v = value < 0 ? std::uint64_t(-(value + 1)) + 1 : std::uint64_t(value);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) *--p = '-';
  if (comma_) *--p = ',';
  out_->append(p, std::size_t(buf + sizeof buf - p));
  comma_ = true;
  return *this;
}

void JsonWriter::Quoted(std::string_view s, char after) {
  if (s.size() <= kShort && NeedsNoEscape(s)) {
    char buf[kShort + 4];
    char* p = buf;
    if (comma_) *p++ = ',';
    p = PutQuoted(p, s);
    if (after != '\0') *p++ = after;
    out_->append(buf, std::size_t(p - buf));
    return;
  }
  Separate();
  AppendString(s);
  if (after != '\0') out_->push_back(after);
}

JsonWriter& JsonWriter::Field(std::string_view key, std::string_view value) {
  if (key.size() + value.size() <= kShort && NeedsNoEscape(key) && NeedsNoEscape(value)) {
    char buf[kShort + 8];
    char* p = buf;
    if (comma_) *p++ = ',';
    p = PutQuoted(p, key);
    *p++ = ':';
    p = PutQuoted(p, value);
    out_->append(buf, std::size_t(p - buf));
    comma_ = true;
    return *this;
  }
  return Key(key).String(value);
}

void JsonWriter::AppendString(std::string_view s) {
  if (NeedsNoEscape(s)) {
    out_->push_back('"');
    out_->append(s);
    out_->push_back('"');
    return;
  }
  // Rare (text echoed from a request): nlohmann's own escaping, so that both paths
  // give the same bytes.
  out_->append(nlohmann::ordered_json(std::string(s))
                   .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace bpsim::harness::live
