#include "reports/perfetto.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/reports/test_util.h"

using namespace bpsim;
using namespace bpsim::reports;
using namespace bpsim::reports::testing;

TEST_CASE("FormatTraceMicros prints exact microseconds", "[reports][perfetto]") {
  CHECK(FormatTraceMicros(0) == "0.000");
  CHECK(FormatTraceMicros(1'500'250) == "1500.250");
  CHECK(FormatTraceMicros(2 * kDay) == "172800000000.000");
  CHECK(FormatTraceMicros(-7) == "-0.007");
}

TEST_CASE("PerfettoTraceWriter writes Chrome trace JSON with tracks, events and counters",
          "[reports][perfetto]") {
  TempDir dir;
  const std::string path = dir.path() + "/trace.perfetto.json";
  std::FILE* file = std::fopen(path.c_str(), "w");
  REQUIRE(file != nullptr);
  {
    PerfettoTraceWriter writer(file, path);
    REQUIRE(writer.DeclareProcess(1, "bank-a", 1).ok());
    REQUIRE(writer.DeclareThread(1, 2, "data API").ok());
    REQUIRE(writer
                .Instant(1, 2, 5 * kSecond + 250, "consent.revoked", "consent",
                         {{"consent", std::int64_t{42}}, {"via", std::string("bank \"A\"")}})
                .ok());
    REQUIRE(writer
                .Complete(1, 2, 90 * kMillisecond, 1500 * kMicrosecond, "GET /balances", "api",
                          {{"status", std::int64_t{200}}, {"latency_s", 0.0015}})
                .ok());
    REQUIRE(writer.Counter(1, kMinute, "consents", {{"Authorised", 120}, {"Revoked", 3}}).ok());
    REQUIRE(writer.Finish().ok());
    CHECK(writer.events_written() == 7);
    Result<bool> after = writer.Instant(1, 2, 0, "late", "x");
    REQUIRE_FALSE(after.ok());
    CHECK(after.error().message == "cannot write " + path + ": the trace is already finished");
  }
  std::fclose(file);

  const auto j = nlohmann::json::parse(ReadText(path));
  REQUIRE(j["traceEvents"].is_array());
  const auto& events = j["traceEvents"];
  REQUIRE(events.size() == 7);
  CHECK(events[0]["ph"] == "M");
  CHECK(events[0]["name"] == "process_name");
  CHECK(events[0]["args"]["name"] == "bank-a");
  CHECK(events[2]["name"] == "thread_name");
  CHECK(events[2]["tid"] == 2);
  CHECK(events[4]["ph"] == "i");
  CHECK(events[4]["s"] == "t");
  CHECK(events[4]["ts"] == 5000000.25);
  CHECK(events[4]["args"]["via"] == "bank \"A\"");
  CHECK(events[4]["args"]["consent"] == 42);
  CHECK(events[5]["ph"] == "X");
  CHECK(events[5]["ts"] == 90000.0);
  CHECK(events[5]["dur"] == 1500.0);
  CHECK(events[5]["args"]["status"] == 200);
  CHECK(events[6]["ph"] == "C");
  CHECK(events[6]["ts"] == 60000000.0);
  CHECK(events[6]["args"]["Authorised"] == 120.0);
}

TEST_CASE("PerfettoTraceWriter streams many events without holding them", "[reports][perfetto]") {
  TempDir dir;
  const std::string path = dir.path() + "/big.json";
  std::FILE* file = std::fopen(path.c_str(), "w");
  REQUIRE(file != nullptr);
  PerfettoTraceWriter writer(file, path);
  int failed = 0;
  for (int i = 0; i < 20'000; ++i) {
    failed += writer.Instant(1, i % 8, i * kMillisecond, "tick", "bench").ok() ? 0 : 1;
  }
  CHECK(failed == 0);
  REQUIRE(writer.Finish().ok());
  std::fclose(file);
  const auto j = nlohmann::json::parse(ReadText(path));
  CHECK(j["traceEvents"].size() == 20'000);
  CHECK(j["traceEvents"][19'999]["ts"] == 19'999'000.0);
}

TEST_CASE("PerfettoTraceWriter reports a full disk", "[reports][perfetto]") {
  std::FILE* full = std::fopen("/dev/full", "w");
  REQUIRE(full != nullptr);
  std::setvbuf(full, nullptr, _IONBF, 0);  // make the first write hit the device
  PerfettoTraceWriter writer(full, "trace.perfetto.json");
  Result<bool> r = writer.Instant(1, 1, 0, "x", "y");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot write trace.perfetto.json: No space left on device");
  CHECK_FALSE(writer.Finish().ok());
  std::fclose(full);
}
