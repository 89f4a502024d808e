// The live answers' JSON writer gives the bytes nlohmann::ordered_json::dump gives
// (harness/live/json_writer.h): the hot answers are built with it, every other
// answer with nlohmann, and a client must not be able to tell which.

#include "harness/live/json_writer.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "harness/live/canary.h"

namespace bpsim::harness::live {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

TEST_CASE("JsonWriter: nested objects and arrays are nlohmann's compact dump", "[live]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Data").BeginObject().Key("Balance").BeginArray();
  w.BeginObject().Field("AccountId", "NORTHBANK-00000001-CHK").Key("n").Int(-42);
  w.Key("Amount").BeginObject().Field("Amount", "12.34").Field("Currency", "GBP").EndObject();
  w.EndObject();
  w.BeginObject().Key("empty").BeginArray().EndArray().Key("min").Int(INT64_MIN).EndObject();
  w.EndArray().EndObject();
  w.Key("Meta").BeginObject().Key("TotalPages").Int(1).EndObject();
  w.Key("raw").Raw("[1,2]").Key("date").Plain([](std::string* s) { AppendDate(s, 0); });
  w.EndObject();

  Json expected;
  Json first;
  first["AccountId"] = "NORTHBANK-00000001-CHK";
  first["n"] = -42;
  first["Amount"] = {{"Amount", "12.34"}, {"Currency", "GBP"}};
  Json second;
  second["empty"] = Json::array();
  second["min"] = INT64_MIN;
  expected["Data"]["Balance"] = Json::array({first, second});
  expected["Meta"]["TotalPages"] = 1;
  expected["raw"] = {1, 2};
  expected["date"] = "2025-01-01";
  CHECK(out == Dump(expected));
}

TEST_CASE("JsonWriter: strings are escaped, and invalid UTF-8 replaced, as nlohmann does",
          "[live]") {
  const std::string cases[] = {
      "",
      "plain ASCII ~ text",
      "quote \" backslash \\ slash /",
      "controls \b\f\n\r\t \x01 \x1f \x7f",
      "UTF-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xb6",
      "invalid \xff\xfe and cut \xe2\x82",
      std::string("nul \0 inside", 12),
  };
  for (const std::string& s : cases) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Field(s, s).EndObject();
    Json expected;
    expected[s] = s;
    INFO("string: " << s);
    CHECK(out == Dump(expected));
  }
}

TEST_CASE("JsonWriter: a character needing escape is found at any position of any length",
          "[live]") {
  // The plainness check reads eight bytes at a time, the last eight overlapping:
  // every position of strings from 0 to 40 bytes, each character class at the edges
  // of the plain range, against nlohmann's dump.
  const char specials[] = {'\x00', '\x1f', '"', '\\', '\x7f', '\x80', '\xff', ' ', '~', '!', '#', '['};
  for (std::size_t n = 0; n <= 40; ++n) {
    for (std::size_t at = 0; at < n; ++at) {
      for (char c : specials) {
        std::string s(n, 'a');
        s[at] = c;
        std::string out;
        JsonWriter w(&out);
        w.BeginObject().Field(s, s).Key(s).String(s).EndObject();
        Json expected;
        expected[s] = s;
        const std::string one = Dump(expected);
        INFO("length " << n << ", position " << at << ", character " << int(c));
        CHECK(out == one.substr(0, one.size() - 1) + "," + one.substr(1));
      }
    }
  }
}

TEST_CASE("the formatters' exact text", "[live]") {
  CHECK(FormatAmount(0) == "0.00");
  CHECK(FormatAmount(5) == "0.05");
  CHECK(FormatAmount(-123456789) == "1234567.89");
  CHECK(FormatAmount(INT64_MIN) == "92233720368547758.08");
  CHECK(FormatAmount(INT64_MAX) == "92233720368547758.07");
  CHECK(FormatDate(0) == "2025-01-01");
  CHECK(FormatDate(-5) == "2025-01-01");
  CHECK(FormatDate(59 * kDay) == "2025-03-01");
  CHECK(FormatDate(SimTime{365 + 59} * kDay) == "2026-03-01");
  CHECK(FormatDateTime(SimTime{1460} * kDay + 23 * kHour + 59 * kMinute + 59 * kSecond) ==
        "2028-12-31T23:59:59+00:00");
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().Int(0).Int(-1).Int(INT64_MIN).Int(INT64_MAX).EndArray();
  CHECK(out == "[0,-1,-9223372036854775808,9223372036854775807]");
}

TEST_CASE("the appenders write what the formatters return", "[live]") {
  for (std::int64_t cents : {std::int64_t{0}, std::int64_t{5}, std::int64_t{-5}, std::int64_t{1234},
                             std::int64_t{-123456789}, INT64_MIN, INT64_MAX}) {
    std::string out = "x";
    AppendAmount(&out, cents);
    CHECK(out == "x" + FormatAmount(cents));
  }
  CHECK(FormatAmount(-1234) == "12.34");
  for (SimTime t : {SimTime{0}, SimTime{-5}, 3 * kDay + 4 * kHour + 5 * kMinute + 6 * kSecond,
                    SimTime{59} * 365 * kDay + 23 * kHour + 59 * kMinute + 59 * kSecond}) {
    std::string out;
    AppendDateTime(&out, t);
    CHECK(out == FormatDateTime(t));
    CHECK(out.substr(0, 10) == FormatDate(t));
  }
  CHECK(FormatDateTime(3 * kDay + 4 * kHour + 5 * kMinute + 6 * kSecond) ==
        "2025-01-04T04:05:06+00:00");
  mocks::CardTransaction tx;
  tx.time = 12 * kDay + kHour;
  tx.seq = 7;
  CHECK(TransactionId(42, tx) == "TX-00000042-00012-0007");
  tx.seq = 123456;
  tx.time = 12345 * kDay;
  CHECK(TransactionId(123456789, tx) == "TX-123456789-12345-123456");
  tx.time = -kDay;
  tx.seq = 1;
  CHECK(TransactionId(1, tx) == "TX-00000001--0001-0001");
}

}  // namespace
}  // namespace bpsim::harness::live
