// Pinned traces (harness/pin.h, `bpsim pin`): the pin file's format and its errors,
// a pin equal to the run's trace hash, and where a changed trace first differs.

#include "harness/pin.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/runner.h"
#include "tests/command.h"
#include "tests/mocks/world_test_util.h"

using namespace bpsim;
using namespace bpsim::harness;

namespace {

// A small world whose trace a test can change from some instant on: the timeline
// entry at `revoke_at` changes nothing before it.
std::string Yaml(const std::string& revoke_at) {
  return R"(
scenario: pin/small
seed: 4
duration: 2d
world:
  banks: [{id: northbank}]
  customers: {count: 200}
timeline:
  - at: )" + revoke_at + R"(
    revoke_consents: {fraction: 0.5, via: messenger}
)";
}

Scenario Small(const std::string& revoke_at) {
  Scenario s = testing::ScenarioFromYaml(Yaml(revoke_at));
  s.file = "scenarios/pin/small.yaml";
  return s;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("bpsim_pin_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

}  // namespace

TEST_CASE("A pin holds the run's trace hash, its size and prefix hashes, and survives its file",
          "[pin]") {
  const Scenario s = Small("30h");
  std::string error;
  const PinnedTrace pin = PinScenario(s, &error);
  REQUIRE(error.empty());
  RunOptions options;
  const reports::ScenarioResult run = RunScenario(s, options);  // monitors, second thread
  CHECK(pin.hash == run.trace_hash);
  CHECK(pin.seed == 4);
  CHECK(pin.entries > 1000);
  CHECK(pin.prefixes.size() == kPinPrefixes - 1);
  for (const auto& [n, h] : pin.prefixes) CHECK(n % kPinStride == 0);

  const std::string text = FormatPins({pin});
  CHECK(text.find("scripts/pin-traces") != std::string::npos);
  auto parsed = ParsePins(text, "pins.txt");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 1);
  CHECK(SamePin((*parsed)[0], pin));
  CHECK((*parsed)[0].prefixes == pin.prefixes);
  CHECK(FormatPins(*parsed) == text);
}

TEST_CASE("A bad pin file is refused with the file, line and what a line must be", "[pin]") {
  auto error = [](const std::string& text) {
    auto r = ParsePins(text, "p.txt");
    return r.ok() ? std::string() : r.error().message;
  };
  const std::string form = " (a line is FILE SEED ENTRIES HASH [N:H ...])";
  CHECK(error("# comment\n\na.yaml 1 2\n") == "p.txt:3: expected at least 4 fields, got 3" + form);
  CHECK(error("a.yaml x 2 0123456789abcdef\n") == "p.txt:1: SEED is not a decimal number: 'x'" + form);
  CHECK(error("a.yaml 1 2 0123456789ABCDEF\n") ==
        "p.txt:1: HASH is not 16 lower-case hex digits: '0123456789ABCDEF'" + form);
  CHECK(error("a.yaml 1 200 0123456789abcdef 65:01234567\n") ==
        "p.txt:1: prefix '65:01234567': N must be a multiple of 64, ascending, at most ENTRIES" +
            form);
  CHECK(error("a.yaml 1 200 0123456789abcdef 64:0123\n") ==
        "p.txt:1: prefix '64:0123' is not N:H (H 8 lower-case hex digits)" + form);
  CHECK(error("a.yaml 1 2 0123456789abcdef\na.yaml 1 2 0123456789abcdef\n") ==
        "p.txt:2: a.yaml is pinned twice" + form);
  CHECK(error("a.yaml 1 2 0123456789abcdef\n").empty());
}

TEST_CASE("A changed draw fails the pin and the prefixes place the first difference after it",
          "[pin]") {
  const PinnedTrace pinned = PinScenario(Small("30h"));
  // The same file, its trace changed from 36 h on: the revocations come later.
  const Scenario changed = Small("36h");
  const PinnedTrace now = PinScenario(changed);
  REQUIRE_FALSE(SamePin(pinned, now));
  const std::string text = DescribePinDifference(changed, pinned, now, "");
  INFO(text);
  CHECK(text.find("trace hash ") == 2);
  // Entries up to 30 h are the same; the prefixes bound the first difference.
  const std::size_t same = text.find("entries are the same as pinned (to t=");
  REQUIRE(same != std::string::npos);
  const std::size_t t = text.find("t=", same) + 2;
  // "1d 2h 13m 5.5s": the prefixes end between 20 h and 30 h.
  std::istringstream parts(text.substr(t, text.find(')', t) - t));
  SimTime matched_to = 0;
  for (std::string part; parts >> part;) {
    auto d = ParseDuration(part);
    REQUIRE(d.ok());
    matched_to += *d;
  }
  CHECK(matched_to >= 20 * kHour);
  CHECK(matched_to <= 30 * kHour);
  CHECK(text.find("the first difference is at entry ") != std::string::npos);
  CHECK(text.find("this build's entry ") != std::string::npos);
  CHECK(text.find("scripts/trace-diff scenarios/pin/small.yaml") != std::string::npos);

  const auto check = CheckPinnedHash({pinned}, "pins.txt", changed.file, 4, now.hash);
  REQUIRE(check);
  CHECK_FALSE(check->passed);
  CHECK(check->detail.find("if the change is intended, scripts/pin-traces") != std::string::npos);
  CHECK(CheckPinnedHash({pinned}, "pins.txt", changed.file, 4, pinned.hash)->passed);
  CHECK_FALSE(CheckPinnedHash({pinned}, "pins.txt", "other.yaml", 4, now.hash));
}

TEST_CASE("With a reference binary both sides are replayed and the exact entry is named",
          "[pin][cli]") {
  // The reference is this very binary on the original scenario file, and this build
  // runs a changed copy: the two traces part where the change starts.
  const std::string dir = TempPath("ref");
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << Yaml("30h");
  Scenario changed = Small("36h");
  changed.file = file;
  const PinnedTrace pinned = PinScenario(Small("30h"));
  const std::string text = DescribePinDifference(changed, pinned, PinScenario(changed), BPSIM_BINARY);
  INFO(text);
  CHECK(text.find("trace diverges at entry ") != std::string::npos);
  CHECK(text.find("reference:  {\"t\":108000000000000") != std::string::npos);  // 30 h
  CHECK(text.find("this build: {") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("bpsim pin checks, fails with how to update, and --update writes the pins",
          "[pin][cli]") {
  // In a directory of its own, so that the default pin file is this test's.
  const std::string dir = TempPath("cli");
  std::filesystem::create_directories(dir + "/tests");
  std::filesystem::copy_file(std::string(BPSIM_SOURCE_DIR) + "/scenarios/fraud/single-compromise.yaml",
                             dir + "/compromise.yaml");
  auto pin = [&](const std::string& args) {
    return testing::RunCommand("cd " + dir + " && " + BPSIM_BINARY + " pin compromise.yaml " + args);
  };
  auto updated = pin("--update");
  CHECK(updated.exit_code == 0);
  CHECK(updated.output.find("Pinned 1 scenario trace in tests/pinned-traces.txt") != std::string::npos);
  auto same = pin("");
  CHECK(same.exit_code == 0);
  CHECK(same.output.find("1 scenarios, 1 the same, 0 different, 0 not pinned") != std::string::npos);

  // A pin that is not this build's trace, as after a changed draw: another hash.
  const std::string pins = dir + "/tests/pinned-traces.txt";
  std::string text;
  {
    std::ifstream in(pins);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::size_t line = text.find("compromise.yaml ");
  std::size_t hash = line;
  for (int field = 0; field < 3; ++field) hash = text.find(' ', hash) + 1;
  text[hash] = text[hash] == '0' ? '1' : '0';
  std::ofstream(pins) << text;
  auto different = pin("");
  CHECK(different.exit_code == 1);
  CHECK(different.output.find("DIFF  compromise.yaml seed 31\n  trace hash ") != std::string::npos);
  CHECK(different.output.find("1 scenarios, 0 the same, 1 different, 0 not pinned") != std::string::npos);
  CHECK(different.output.find("pinned again with:  scripts/pin-traces   (then commit "
                              "tests/pinned-traces.txt)") != std::string::npos);

  auto missing = pin("--file /nonexistent/pins.txt");
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("/nonexistent/pins.txt: cannot read the pins (create them with "
                            "scripts/pin-traces)") != std::string::npos);
  std::filesystem::remove_all(dir);
}
