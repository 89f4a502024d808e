// Same scenario + same seed = byte-identical trace (docs/architecture.md).

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/runner.h"
#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

harness::Scenario Library(const std::string& relative) {
  auto s = harness::LoadScenario(std::string(BPSIM_SOURCE_DIR) + "/scenarios/" + relative);
  if (!s.ok()) FAIL(s.error().message);
  return std::move(s).value();
}

}  // namespace

TEST_CASE("A library scenario's trace is byte-identical across two runs", "[mocks][determinism]") {
  harness::Scenario s = Library("outages/chaos.yaml");
  s.spec.world.customers.count = 800;
  s.spec.duration = 4 * kDay;
  const std::string stem = "/tmp/bpsim-determinism-" + std::to_string(::getpid());
  const std::string a = stem + "-a.jsonl", b = stem + "-b.jsonl";
  harness::RunOptions o;
  o.trace_jsonl_path = a;
  auto ra = harness::RunScenario(s, o);
  o.trace_jsonl_path = b;
  auto rb = harness::RunScenario(s, o);
  std::string ta = ReadFile(a), tb = ReadFile(b);
  std::remove(a.c_str());
  std::remove(b.c_str());
  REQUIRE(ta.size() > 100000);
  CHECK(ta == tb);
  CHECK(ra.trace_hash == rb.trace_hash);
  // Reports differ only in the wall-clock figure.
  REQUIRE(ra.metrics.size() == rb.metrics.size());
  for (std::size_t i = 0; i < ra.metrics.size(); ++i) {
    if (ra.metrics[i].first == "wall_seconds") continue;
    CHECK(ra.metrics[i] == rb.metrics[i]);
  }

  harness::RunOptions other;
  other.hash_trace = true;
  other.seed = s.spec.seed + 1;
  auto rc = harness::RunScenario(s, other);
  CHECK(rc.trace_hash != ra.trace_hash);
}

TEST_CASE("Raising customers.count from 1000 to 1001 leaves customers 0-999's consent decisions "
          "unchanged", "[mocks][determinism]") {
  const std::string base = R"(
seed: 9
duration: 6d
world:
  banks: [{id: northbank}, {id: southbank}]
  customers:
    consent: {opt_in: 0.5, revoke_per_year: 20, reconsent: 0.8, reject: 0.1}
)";
  testing::RecordedRun a(base + "    count: 1000\n");
  testing::RecordedRun b(base + "    count: 1001\n");
  // Per customer: the sequence of consent decisions and when they were made.
  auto decisions = [](const testing::Recorder& r) {
    std::map<CustomerId, std::vector<std::pair<int, SimTime>>> by;
    for (const auto& e : r.entries) {
      if (e.subject >= 1000) continue;
      switch (e.type) {
        case EntryType::kConsentCreated:
        case EntryType::kConsentAuthorised:
        case EntryType::kConsentRejected:
        case EntryType::kRevokeRequested:
          by[e.subject].emplace_back(int(e.type), e.time);
          break;
        case EntryType::kConsentRevoked:
          if (e.reason == std::uint8_t(Via::kBank)) by[e.subject].emplace_back(int(e.type), e.time);
          break;
        default: break;
      }
    }
    return by;
  };
  auto da = decisions(a.recorder), db = decisions(b.recorder);
  REQUIRE(da.size() > 400);
  CHECK(da == db);
}
