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
