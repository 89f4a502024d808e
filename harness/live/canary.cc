#include "harness/live/canary.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace bpsim::harness::live {
namespace {

// Days since 1970-01-01 of the live epoch 2025-01-01.
constexpr std::int64_t kEpochDays = 20089;

// Howard Hinnant's civil_from_days / days_from_civil.
void CivilFromDays(std::int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

std::int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Reads exactly `n` digits at text[*pos].
bool Digits(std::string_view text, std::size_t* pos, int n, unsigned* out) {
  unsigned v = 0;
  for (int i = 0; i < n; ++i) {
    if (*pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[*pos]))) return false;
    v = v * 10 + unsigned(text[(*pos)++] - '0');
  }
  *out = v;
  return true;
}

// v in decimal, with leading zeros to at least `width` digits (printf's %0*llu),
// written at p; returns the end. At most max(width, 20) characters.
char* PutPadded(char* p, std::uint64_t v, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n; i < width; ++i) *p++ = '0';
  while (n > 0) *p++ = buf[--n];
  return p;
}

// Exactly two digits of v < 100.
char* PutTwo(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// "YYYY-MM-DD" (10 characters) of t >= 0.
char* PutDate(char* p, SimTime t) {
  int y;
  unsigned m, d;
  CivilFromDays(kEpochDays + t / kDay, &y, &m, &d);
  p = PutPadded(p, static_cast<unsigned>(y), 4);  // 1900..2200 (ParseDateTime's range)
  *p++ = '-';
  p = PutTwo(p, m);
  *p++ = '-';
  return PutTwo(p, d);
}

// PutPadded onto a string (printf's "%0Nu", N at most 8): the canaries below are
// written for every Berlin Group answer, where snprintf's format parsing was ~2.5 %
// of the server's samples.
void AppendZeroPadded(std::string* out, unsigned value, int width) {
  char buf[24];  // max(width, 10 digits)
  out->append(buf, PutPadded(buf, value, width));
}

}  // namespace

std::string AccountIdPrefix(std::string_view bank_id) {
  std::string s(bank_id);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s + "-";
}

std::string AccountId(std::string_view bank_id, mocks::CustomerId customer, AccountKind kind) {
  std::string id = AccountIdPrefix(bank_id);
  AppendZeroPadded(&id, customer, 8);
  id.append(kind == AccountKind::kCard ? "-CARD" : "-CHK");
  return id;
}

std::optional<AccountRef> ParseAccountId(std::string_view bank_id, std::string_view text) {
  std::string prefix = AccountIdPrefix(bank_id);
  if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::size_t pos = prefix.size();
  unsigned customer = 0;
  if (!Digits(text, &pos, 8, &customer)) return std::nullopt;
  std::string_view rest = text.substr(pos);
  AccountRef ref;
  ref.customer = customer;
  if (rest == "-CHK") {
    ref.kind = AccountKind::kChecking;
  } else if (rest == "-CARD") {
    ref.kind = AccountKind::kCard;
  } else {
    return std::nullopt;
  }
  return ref;
}

void AppendTransactionId(std::string* out, mocks::CustomerId customer,
                         const mocks::CardTransaction& tx) {
  char buf[64];  // "TX-" 10 digits '-' 20 digits '-' 10 digits at most
  char* p = buf;
  *p++ = 'T';
  *p++ = 'X';
  *p++ = '-';
  p = PutPadded(p, customer, 8);
  *p++ = '-';
  const std::int64_t day = tx.time / kDay;
  if (day < 0) *p++ = '-';  // as printf's %05lld writes it
  p = PutPadded(p, day < 0 ? std::uint64_t(-(day + 1)) + 1 : std::uint64_t(day), day < 0 ? 4 : 5);
  *p++ = '-';
  p = PutPadded(p, tx.seq, 4);
  out->append(buf, std::size_t(p - buf));
}

std::string TransactionId(mocks::CustomerId customer, const mocks::CardTransaction& tx) {
  std::string out;
  AppendTransactionId(&out, customer, tx);
  return out;
}

std::string SalaryTransactionId(mocks::CustomerId customer, SimTime at) {
  mocks::CardTransaction tx;
  tx.time = at;
  tx.seq = kSalarySeq;
  return TransactionId(customer, tx);
}

std::string PendingTransactionId(mocks::CustomerId customer, const mocks::CardTransaction& tx) {
  return TransactionId(customer, tx) + "-P";
}

std::optional<TransactionRef> ParseTransactionId(mocks::CustomerId customer,
                                                 std::string_view text) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "TX-%08u-", customer);
  if (text.substr(0, 12) != prefix) return std::nullopt;
  std::size_t pos = 12;
  unsigned day = 0, seq = 0;
  if (!Digits(text, &pos, 5, &day) || pos >= text.size() || text[pos++] != '-' ||
      !Digits(text, &pos, 4, &seq)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(pos);
  if (!rest.empty() && rest != "-P") return std::nullopt;
  return TransactionRef{day, seq, !rest.empty()};
}

std::string Iban(mocks::BankIndex bank, mocks::CustomerId customer) {
  // "DE", two check digits, then the 18-digit BBAN "5" BBB "0000" CCCCCCCC "00".
  std::string iban = "DE00";
  iban.push_back('5');
  AppendZeroPadded(&iban, unsigned(bank % 1000), 3);
  iban.append("0000");
  AppendZeroPadded(&iban, customer, 8);
  iban.append("00");
  // ISO 13616 check digits: the BBAN, then "DE" as 1314, then "00", mod 97 digit by
  // digit.
  unsigned rem = 0;
  for (std::size_t i = 4; i < iban.size(); ++i) rem = (rem * 10 + unsigned(iban[i] - '0')) % 97;
  for (char d : std::string_view("131400")) rem = (rem * 10 + unsigned(d - '0')) % 97;
  const unsigned check = 98 - rem;  // 2..98
  iban[2] = char('0' + check / 10);
  iban[3] = char('0' + check % 10);
  return iban;
}

namespace {

// The customer whose canary `text` is: its 8-digit customer number at `pos`, and
// `text` exactly what `make` prints for that customer.
template <typename Make>
std::optional<mocks::CustomerId> CanaryCustomer(std::string_view text, std::size_t size,
                                                std::size_t pos, Make make) {
  unsigned customer = 0;
  if (text.size() != size || !Digits(text, &pos, 8, &customer)) return std::nullopt;
  if (text != make(customer)) return std::nullopt;
  return customer;
}

}  // namespace

std::optional<mocks::CustomerId> ParseIban(mocks::BankIndex bank, std::string_view text) {
  return CanaryCustomer(text, 22, 12, [bank](unsigned c) { return Iban(bank, c); });
}

std::string MaskedPan(mocks::BankIndex bank, mocks::CustomerId customer) {
  std::string pan = "49";
  AppendZeroPadded(&pan, unsigned(bank % 10000), 4);
  pan.append("*****");
  AppendZeroPadded(&pan, customer, 8);
  return pan;
}

std::optional<mocks::CustomerId> ParseMaskedPan(mocks::BankIndex bank, std::string_view text) {
  return CanaryCustomer(text, 19, 11, [bank](unsigned c) { return MaskedPan(bank, c); });
}

void AppendAmount(std::string* out, std::int64_t cents) {
  std::uint64_t a = cents < 0 ? std::uint64_t(-(cents + 1)) + 1 : std::uint64_t(cents);
  char buf[32];
  char* p = PutPadded(buf, a / 100, 1);
  *p++ = '.';
  p = PutTwo(p, unsigned(a % 100));
  out->append(buf, std::size_t(p - buf));
}

std::string FormatAmount(std::int64_t cents) {
  std::string out;
  AppendAmount(&out, cents);
  return out;
}

void AppendDate(std::string* out, SimTime t) {
  char buf[16];
  out->append(buf, std::size_t(PutDate(buf, std::max<SimTime>(t, 0)) - buf));
}

void AppendDateTime(std::string* out, SimTime t) {
  if (t < 0) t = 0;
  char buf[32];  // "YYYY-MM-DDThh:mm:ss+00:00": 25
  char* p = PutDate(buf, t);
  const std::int64_t s = (t % kDay) / kSecond;
  *p++ = 'T';
  p = PutTwo(p, unsigned(s / 3600));
  *p++ = ':';
  p = PutTwo(p, unsigned(s / 60 % 60));
  *p++ = ':';
  p = PutTwo(p, unsigned(s % 60));
  for (char c : {'+', '0', '0', ':', '0', '0'}) *p++ = c;
  out->append(buf, std::size_t(p - buf));
}

std::string FormatDateTime(SimTime t) {
  std::string out;
  AppendDateTime(&out, t);
  return out;
}

std::string FormatDate(SimTime t) {
  std::string out;
  AppendDate(&out, t);
  return out;
}

std::optional<SimTime> ParseDateTime(std::string_view text, Zone zone_policy) {
  std::size_t pos = 0;
  unsigned y, mo, d, h = 0, mi = 0, s = 0;
  if (!Digits(text, &pos, 4, &y) || pos >= text.size() || text[pos++] != '-' ||
      !Digits(text, &pos, 2, &mo) || pos >= text.size() || text[pos++] != '-' ||
      !Digits(text, &pos, 2, &d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  SimTime offset = 0;  // the zone's offset from UTC
  if (pos < text.size()) {
    if (text[pos++] != 'T' || !Digits(text, &pos, 2, &h) || pos >= text.size() ||
        text[pos++] != ':' || !Digits(text, &pos, 2, &mi) || pos >= text.size() ||
        text[pos++] != ':' || !Digits(text, &pos, 2, &s)) {
      return std::nullopt;
    }
    if (h > 23 || mi > 59 || s > 60) return std::nullopt;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      std::size_t start = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos == start) return std::nullopt;
    }
    std::string_view zone = text.substr(pos);
    if (!zone.empty() && zone != "Z") {
      unsigned zh, zm;
      std::size_t zpos = 1;
      const char sign = zone[0];
      bool ok = zone.size() == 6 && (sign == '+' || sign == '-' || sign == ' ') &&
                Digits(zone, &zpos, 2, &zh) && zone[zpos++] == ':' &&
                Digits(zone, &zpos, 2, &zm) && zh <= 23 && zm <= 59;
      if (!ok) return std::nullopt;
      offset = (sign == '-' ? -1 : 1) * (SimTime(zh) * kHour + SimTime(zm) * kMinute);
      if (zone_policy == Zone::kIgnore) offset = 0;
    }
  }
  std::int64_t days = DaysFromCivil(int(y), mo, d) - kEpochDays;
  // Simulated time is signed 64-bit nanoseconds (about 292 years either side of the
  // epoch): dates outside [1900, 2200), such as Berlin Group's customary validUntil
  // 9999-12-31, are read as the bound, with room left for the callers' additions
  // (found by fuzz_http).
  static const std::int64_t kMinDays = DaysFromCivil(1900, 1, 1) - kEpochDays;
  static const std::int64_t kMaxDays = DaysFromCivil(2200, 1, 1) - kEpochDays;
  if (days >= kMaxDays) return kMaxDays * kDay;
  if (days < kMinDays) return kMinDays * kDay;
  return days * kDay + SimTime(h) * kHour + SimTime(mi) * kMinute + SimTime(s) * kSecond - offset;
}

}  // namespace bpsim::harness::live
