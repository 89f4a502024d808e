// Mutated scenarios never crash or throw the loader, and every failure is a list of
// positioned, one-line messages. Deterministic: a fixed seed drives the mutations.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "harness/scenario/scenario.h"

using namespace bpsim;
using namespace bpsim::harness;

namespace {

std::string Mutate(std::string text, std::mt19937_64& rng) {
  static const std::string kAlphabet = "[]{}:,-'\"#&*!|>?%@ \n\t0123456789.abcxyz/\\\xff";
  int edits = 1 + int(rng() % 4);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    std::size_t at = rng() % text.size();
    switch (rng() % 5) {
      case 0: text[at] = kAlphabet[rng() % kAlphabet.size()]; break;
      case 1: text.insert(at, 1, kAlphabet[rng() % kAlphabet.size()]); break;
      case 2: text.erase(at, 1 + rng() % 8); break;
      case 3: text.resize(at); break;
      default: {  // duplicate a line elsewhere
        std::size_t line_start = text.rfind('\n', at);
        line_start = line_start == std::string::npos ? 0 : line_start + 1;
        std::size_t line_end = text.find('\n', at);
        std::string line = text.substr(line_start, line_end - line_start) + "\n";
        text.insert(rng() % text.size(), line);
      }
    }
  }
  return text;
}

}  // namespace

TEST_CASE("mutated scenarios fail with positioned messages and never crash", "[loader][fuzz]") {
  std::ifstream in(std::string(BPSIM_SOURCE_DIR) + "/tests/harness/scenario_full_example.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string original = ss.str();
  // BPSIM_FUZZ_ITERATIONS / BPSIM_FUZZ_SEED run a longer or different campaign.
  const char* iterations_env = std::getenv("BPSIM_FUZZ_ITERATIONS");
  const char* seed_env = std::getenv("BPSIM_FUZZ_SEED");
  const int iterations = iterations_env ? std::atoi(iterations_env) : 600;
  std::mt19937_64 rng(seed_env ? std::strtoull(seed_env, nullptr, 10) : 20261129);
  int failures = 0;
  for (int i = 0; i < iterations; ++i) {
    std::string text = Mutate(original, rng);
    Result<Scenario> r = ParseScenario(text, "s.yaml");
    if (r.ok()) continue;
    ++failures;
    std::istringstream lines(r.error().message);
    std::string line;
    while (std::getline(lines, line)) {
      INFO("mutation " << i << ":\n" << text << "\nline: " << line);
      REQUIRE(line.rfind("s.yaml:", 0) == 0);
      REQUIRE(line.find(": ", 7) != std::string::npos);
    }
  }
  CHECK(failures > iterations / 3);
}
