// The values live mode serves and the request parts it reads (harness/live/canary.h,
// live_bank.h): IBANs that real validators accept, masked PANs, transaction ids,
// date-times as ordinary clients send them, and percent-decoding.

#include <catch2/catch.hpp>

#include <cstdio>

#include "harness/live/canary.h"
#include "harness/live/live_bank.h"

namespace bpsim::harness::live {
namespace {

// ISO 13616: move the first four characters to the end, letters to numbers, mod 97 = 1.
bool IbanChecks(const std::string& iban) {
  const std::string moved = iban.substr(4) + iban.substr(0, 4);
  unsigned rem = 0;
  for (char c : moved) {
    std::string digits = std::isdigit(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                                      : std::to_string(c - 'A' + 10);
    for (char d : digits) rem = (rem * 10 + unsigned(d - '0')) % 97;
  }
  return rem == 1;
}

TEST_CASE("Account ids begin with the bank's id upper-cased, and parse back", "[live]") {
  CHECK(AccountIdPrefix("north-bank_2") == "NORTH-BANK_2-");
  CHECK(AccountId("northbank", 42, AccountKind::kChecking) == "NORTHBANK-00000042-CHK");
  CHECK(AccountId("northbank", 42, AccountKind::kCard) == "NORTHBANK-00000042-CARD");
  auto ref = ParseAccountId("northbank", "NORTHBANK-00000042-CARD");
  REQUIRE(ref.has_value());
  CHECK(ref->customer == 42);
  CHECK(ref->kind == AccountKind::kCard);
  CHECK_FALSE(ParseAccountId("southbank", "NORTHBANK-00000042-CARD").has_value());
}

TEST_CASE("IBANs and masked PANs are canaries that name their customer", "[live]") {
  CHECK(Iban(1, 1234) == "DE" + Iban(1, 1234).substr(2, 2) + "500100000000123400");
  for (mocks::CustomerId c : {0u, 7u, 1234u, 99999999u}) {
    for (mocks::BankIndex b : {0, 1, 17}) {
      const std::string iban = Iban(b, c);
      INFO(iban);
      CHECK(iban.size() == 22);
      CHECK(IbanChecks(iban));
      CHECK(ParseIban(b, iban) == c);
      CHECK(ParseMaskedPan(b, MaskedPan(b, c)) == c);
    }
  }
  CHECK(MaskedPan(1, 1234) == "490001*****00001234");
  CHECK_FALSE(ParseIban(0, Iban(1, 5)).has_value());  // another bank's
  std::string bad = Iban(1, 5);
  bad[21] = bad[21] == '0' ? '1' : '0';
  CHECK_FALSE(ParseIban(1, bad).has_value());
  CHECK_FALSE(ParseMaskedPan(1, "490001*****0000123").has_value());
}

TEST_CASE("A pending card transaction has its own id; the booked one names it", "[live]") {
  mocks::CardTransaction tx;
  tx.time = 17 * kDay + kHour;
  tx.seq = 3;
  CHECK(TransactionId(1234, tx) == "TX-00001234-00017-0003");
  CHECK(PendingTransactionId(1234, tx) == "TX-00001234-00017-0003-P");
  auto booked = ParseTransactionId(1234, "TX-00001234-00017-0003");
  REQUIRE(booked);
  CHECK(booked->day == 17);
  CHECK(booked->seq == 3);
  CHECK_FALSE(booked->pending);
  CHECK(ParseTransactionId(1234, "TX-00001234-00017-0003-P")->pending);
  CHECK_FALSE(ParseTransactionId(1235, "TX-00001234-00017-0003").has_value());
  CHECK_FALSE(ParseTransactionId(1234, "TX-00001234-00017-0003-X").has_value());
  CHECK(SalaryTransactionId(1234, 3 * kDay + 9 * kHour) == "TX-00001234-00003-9000");
}

TEST_CASE("Date-times: zones applied or ignored, '+' as a space, history before the epoch",
          "[live]") {
  const SimTime nine = 9 * kHour;
  CHECK(ParseDateTime("2025-01-01T09:00:00Z") == nine);
  CHECK(ParseDateTime("2025-01-01T10:00:00+01:00") == nine);
  CHECK(ParseDateTime("2025-01-01T04:00:00-05:00") == nine);
  CHECK(ParseDateTime("2025-01-01T10:00:00 01:00") == nine);  // '+' sent unencoded
  CHECK(ParseDateTime("2025-01-01T10:00:00+01:00", Zone::kIgnore) == 10 * kHour);
  CHECK(ParseDateTime("2025-01-01T09:00:00.123Z") == nine);
  CHECK(ParseDateTime("2024-10-01") == -92 * kDay);
  CHECK(ParseDateTime("1066-10-14") == ParseDateTime("1900-01-01"));
  CHECK_FALSE(ParseDateTime("2025-01-01T09:00:00+1:00").has_value());
  CHECK_FALSE(ParseDateTime("2025-01-01T09:00:00%3A00").has_value());
  CHECK_FALSE(ParseDateTime("2025-13-01").has_value());
}

TEST_CASE("Targets are percent-decoded as ordinary clients encode them", "[live]") {
  Target t = ParseTarget("/v1/accounts/A%2DB/transactions?dateFrom=2025-01-01T00%3A00%3A00%2B01%3A00"
                         "&q=a+b&q=c&flag&bad=%G1%4");
  CHECK(t.segments == std::vector<std::string>{"v1", "accounts", "A-B", "transactions"});
  CHECK(t.Query("dateFrom") == "2025-01-01T00:00:00+01:00");
  CHECK(t.Query("q") == "a b");
  CHECK(t.Count("q") == 2);
  CHECK(t.Count("flag") == 1);
  CHECK(t.Query("bad") == "%G1%4");
  CHECK(PercentDecode("a+b%20c", false) == "a+b c");
  CHECK(PercentDecode("a+b%20c", true) == "a b c");
  CHECK(PercentDecode("", true).empty());
  CHECK(PercentDecode("plain-2025-01-02", true) == "plain-2025-01-02");
  CHECK(PercentDecode("%", true) == "%");
  CHECK(PercentDecode("%2", true) == "%2");
  CHECK(PercentDecode("x%", false) == "x%");
  CHECK(PercentDecode("%%41", false) == "%A");
  CHECK(PercentDecode("%2b%2B+%zz", true) == "++ %zz");
  CHECK(PercentDecode("%41%42C", false) == "ABC");
}

// The canaries are formatted by hand (no snprintf on the answer path); printf's
// formats are the reference, also past eight digits of customer.
TEST_CASE("Canaries are formatted exactly as printf's formats write them", "[live]") {
  for (mocks::CustomerId c : {0u, 5u, 12345678u, 99999999u, 100000000u, 4294967295u}) {
    for (mocks::BankIndex b : {0, 9, 999, 1000, 12345}) {
      char bban[32], pan[48], id[32];
      std::snprintf(bban, sizeof bban, "5%03u0000%08u00", unsigned(b % 1000), c);
      std::snprintf(pan, sizeof pan, "49%04u*****%08u", unsigned(b % 10000), c);
      std::snprintf(id, sizeof id, "NORTHBANK-%08u-CHK", c);
      const std::string iban = Iban(b, c);
      INFO(iban);
      CHECK(iban.substr(4) == bban);
      CHECK(IbanChecks(iban));
      CHECK(MaskedPan(b, c) == pan);
      CHECK(AccountId("northbank", c, AccountKind::kChecking) == id);
    }
  }
}

}  // namespace
}  // namespace bpsim::harness::live
