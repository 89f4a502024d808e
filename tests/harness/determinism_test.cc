// The determinism check: two runs with the same seed give the same trace, and when
// they do not, the report names the first diverging entry with both JSON lines.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "harness/determinism.h"
#include "harness/scenario/scenario.h"

namespace bpsim::harness {
namespace {

TEST_CASE("Equal traces have no divergence", "[determinism]") {
  std::istringstream a("{\"t\":0,\"type\":\"flow\"}\n{\"t\":5,\"type\":\"flow\"}\n");
  std::istringstream b("{\"t\":0,\"type\":\"flow\"}\n{\"t\":5,\"type\":\"flow\"}\n");
  CHECK_FALSE(FirstDivergence(a, b).has_value());
  std::istringstream empty_a(""), empty_b("");
  CHECK_FALSE(FirstDivergence(empty_a, empty_b).has_value());
}

TEST_CASE("The first differing line is reported with its index, time and both lines",
          "[determinism]") {
  std::istringstream a(
      "{\"t\":0,\"type\":\"flow\"}\n"
      "{\"t\":90000000000,\"type\":\"api.request\",\"subject\":3}\n"
      "{\"t\":90000000001,\"type\":\"flow\"}\n");
  std::istringstream b(
      "{\"t\":0,\"type\":\"flow\"}\n"
      "{\"t\":90000000000,\"type\":\"api.request\",\"subject\":4}\n"
      "{\"t\":90000000001,\"type\":\"other\"}\n");
  auto d = FirstDivergence(a, b);
  REQUIRE(d.has_value());
  CHECK(d->index == 1);
  REQUIRE(d->time.has_value());
  CHECK(*d->time == 90 * kSecond);
  CHECK(d->first == "{\"t\":90000000000,\"type\":\"api.request\",\"subject\":3}");
  CHECK(d->second == "{\"t\":90000000000,\"type\":\"api.request\",\"subject\":4}");
  CHECK(DescribeDivergence(*d) ==
        "trace diverges at entry 1 (t=1m 30s):\n"
        "  first run:  {\"t\":90000000000,\"type\":\"api.request\",\"subject\":3}\n"
        "  second run: {\"t\":90000000000,\"type\":\"api.request\",\"subject\":4}");
}

TEST_CASE("A trace that ends early diverges where it ends", "[determinism]") {
  std::istringstream a("{\"t\":1,\"type\":\"flow\"}\n");
  std::istringstream b("{\"t\":1,\"type\":\"flow\"}\n{\"t\":2,\"type\":\"flow\"}\n");
  auto d = FirstDivergence(a, b);
  REQUIRE(d.has_value());
  CHECK(d->index == 1);
  CHECK(d->first == "<end of trace>");
  CHECK(d->second == "{\"t\":2,\"type\":\"flow\"}");
  CHECK(d->time == SimTime(2));
}

TEST_CASE("A deterministic scenario passes the determinism check and leaves no temp files",
          "[determinism]") {
  auto s = ParseScenario(
      "duration: 1d\n"
      "world: {customers: {count: 40}}\n"
      "timeline: [{at: 12h, revoke_consents: {fraction: 0.5}}]\n",
      "det.yaml");
  REQUIRE(s.ok());
  RunOptions options;
  reports::ScenarioResult r = RunCheckingDeterminism(*s, options);
  CHECK(r.error.empty());
  CHECK(r.passed);
  REQUIRE_FALSE(r.checks.empty());
  const reports::Check& c = r.checks.back();
  CHECK(c.name == "determinism");
  CHECK(c.passed);
  CHECK(c.detail == "two runs with seed 1 produced the same trace");
  CHECK(r.trace_hash == RunScenario(*s, options).trace_hash);
  std::string prefix = "bpsim-determinism-" + std::to_string(::getpid()) + "-";
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
    CHECK(e.path().filename().string().rfind(prefix, 0) != 0);
  }
}

}  // namespace
}  // namespace bpsim::harness
