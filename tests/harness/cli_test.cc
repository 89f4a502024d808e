// The bpsim command as a user meets it: exit codes (README.md), help, and the exact
// errors for bad scenario files.

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <iterator>
#include <string>

#include "tests/command.h"

namespace {

using Output = bpsim::testing::CommandResult;
using bpsim::testing::Bpsim;

std::string TempFile(const std::string& name, const std::string& content) {
  std::string path = std::string("/tmp/bpsim-cli-test-") + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string Library(const std::string& relative) {
  return std::string(BPSIM_SOURCE_DIR) + "/scenarios/" + relative;
}

}  // namespace

TEST_CASE("bpsim --help and --version exit 0", "[cli]") {
  Output help = Bpsim("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("usage: bpsim COMMAND") != std::string::npos);
  Output version = Bpsim("--version");
  CHECK(version.exit_code == 0);
  CHECK(version.output.rfind("bpsim ", 0) == 0);
}

TEST_CASE("Every command has --help", "[cli]") {
  for (const char* cmd : {"run", "replay", "validate", "list", "schema", "sweep", "merge", "serve", "shrink"}) {
    Output o = Bpsim(std::string(cmd) + " --help");
    CHECK(o.exit_code == 0);
    CHECK(o.output.find(std::string("usage: bpsim ") + cmd) != std::string::npos);
  }
}

TEST_CASE("Usage errors exit 2 and say what was wrong", "[cli]") {
  Output none = Bpsim("");
  CHECK(none.exit_code == 2);
  CHECK(none.output.rfind("bpsim: missing command", 0) == 0);
  Output unknown = Bpsim("frobnicate");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.rfind("bpsim: unknown command 'frobnicate'", 0) == 0);
  Output option = Bpsim("run --bogus");
  CHECK(option.exit_code == 2);
  CHECK(option.output.rfind("bpsim: unknown option '--bogus'", 0) == 0);
  Output seed = Bpsim("run --seed x");
  CHECK(seed.exit_code == 2);
  CHECK(seed.output.rfind("bpsim: --seed expects a non-negative integer, got 'x'", 0) == 0);
  Output missing = Bpsim("run /nonexistent/file.yaml");
  CHECK(missing.exit_code == 2);
  CHECK(missing.output == "bpsim: /nonexistent/file.yaml: no such file or directory\n");
}

TEST_CASE("validate prints one file:line:col error per mistake and exits 2", "[cli]") {
  std::string path = TempFile("three.yaml",
                              "duration: 5x\n"
                              "world:\n"
                              "  customers:\n"
                              "    count: 10\n"
                              "    consent: {opt_in: 1.5}\n"
                              "colour: blue\n");
  Output o = Bpsim("validate " + path);
  CHECK(o.exit_code == 2);
  int lines = 0;
  for (char c : o.output) lines += c == '\n';
  CHECK(lines == 3);
  CHECK(o.output.find(path + ":1:11: ") != std::string::npos);
  CHECK(o.output.find(path + ":5:23: ") != std::string::npos);
  CHECK(o.output.find(path + ":6:1: ") != std::string::npos);
}

TEST_CASE("validate rejects empty, malformed and binary files with exit 2", "[cli]") {
  Output empty = Bpsim("validate " + TempFile("empty.yaml", ""));
  CHECK(empty.exit_code == 2);
  CHECK(empty.output.find("empty") != std::string::npos);
  Output syntax = Bpsim("validate " + TempFile("syntax.yaml", "duration: [1d\n"));
  CHECK(syntax.exit_code == 2);
  CHECK(syntax.output.find("syntax.yaml:") != std::string::npos);
  Output binary = Bpsim("validate " + TempFile("binary.yaml", std::string("\x7f" "ELF\0\0\x01\x02", 8)));
  CHECK(binary.exit_code == 2);
  CHECK(binary.output.find("binary.yaml:") != std::string::npos);
}

TEST_CASE("validate accepts the whole library", "[cli]") {
  Output o = Bpsim("validate " + std::string(BPSIM_SOURCE_DIR) + "/scenarios");
  CHECK(o.exit_code == 0);
  CHECK(o.output.find("scenario files valid") != std::string::npos);
}

TEST_CASE("run exits 0 when expectations hold, 1 when one fails, and writes the reports", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-out";
  Output ok = Bpsim("run " + Library("fraud/single-compromise.yaml") + " --out " + out);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("PASS  fraud/single-compromise") != std::string::npos);
  for (const char* f : {"report.json", "junit.xml", "summary.md", "report.html"}) {
    CHECK(std::ifstream(out + "/" + f).good());
  }
  // The same world expected to break an invariant it does not break.
  std::string failing = TempFile("fails.yaml",
                                 "duration: 1d\n"
                                 "world: {customers: {count: 50}}\n"
                                 "expect: {violations: [subject-isolation]}\n");
  Output bad = Bpsim("run " + failing + " --out " + out);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("subject-isolation: expected subject-isolation to fire, but it found no violation") !=
        std::string::npos);
  CHECK(bad.output.find("repro: bpsim replay " + failing + " --seed 1") != std::string::npos);
}

TEST_CASE("run --check-determinism passes a deterministic scenario and reports the check", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-det";
  Output o = Bpsim("run " + Library("fraud/single-compromise.yaml") + " --check-determinism --out " + out);
  CHECK(o.exit_code == 0);
  CHECK(o.output.find("PASS  fraud/single-compromise") != std::string::npos);
  std::ifstream report(out + "/report.json");
  std::string json((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  CHECK(json.find("\"determinism\"") != std::string::npos);
}

TEST_CASE("shrink writes a minimal scenario that run passes while the failure reproduces", "[cli][shrink]") {
  std::string min = "/tmp/bpsim-cli-test-min.yaml";
  Output o = Bpsim("shrink " + Library("data-sharing/defect-shares-with-partner.yaml") + " --out " + min);
  CHECK(o.exit_code == 0);
  CHECK(o.output.find("fires exactly [no-third-party-sharing]") != std::string::npos);
  CHECK(o.output.find("Reproduce: bpsim run " + min) != std::string::npos);
  Output run = Bpsim("run " + min + " --out /tmp/bpsim-cli-test-min-out");
  CHECK(run.exit_code == 0);
  Output usage = Bpsim("shrink");
  CHECK(usage.exit_code == 2);
  CHECK(usage.output.find("bpsim: shrink needs a scenario file") != std::string::npos);
  Output bad_seed = Bpsim("shrink x.yaml --seed abc");
  CHECK(bad_seed.exit_code == 2);
  CHECK(bad_seed.output.find("bpsim: --seed expects a non-negative integer, got 'abc'") != std::string::npos);
}

TEST_CASE("run refuses an unwritable --out before running", "[cli]") {
  Output o = Bpsim("run " + Library("fraud/single-compromise.yaml") + " --out /proc/bpsim-out");
  CHECK(o.exit_code == 2);
  CHECK(o.output.find("PASS") == std::string::npos);
}

TEST_CASE("replay writes the trace files and prints the evidence of each violation", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-replay";
  Output o = Bpsim("replay " + Library("data-sharing/defect-group-chat-leak.yaml") +
                   " --seed 56 --out " + out);
  CHECK(o.exit_code == 0);
  CHECK(o.output.find("subject-isolation at ") != std::string::npos);
  CHECK(std::ifstream(out + "/trace.jsonl").good());
  CHECK(std::ifstream(out + "/trace.perfetto.json").good());
}

TEST_CASE("replay without --seed runs the scenario's own seed, as shrink does", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-replay-default";
  std::string scenario = Library("data-sharing/defect-group-chat-leak.yaml");  // seed: 56
  Output implicit = Bpsim("replay " + scenario + " --out " + out + "-implicit");
  Output explicit_seed = Bpsim("replay " + scenario + " --seed 56 --out " + out + "-explicit");
  CHECK(implicit.exit_code == 0);
  CHECK(implicit.output.find("data-sharing/defect-group-chat-leak") != std::string::npos);
  CHECK(implicit.output.find(" seed 56 ") != std::string::npos);
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string trace = read(out + "-implicit/trace.jsonl");
  CHECK(!trace.empty());
  CHECK(trace == read(out + "-explicit/trace.jsonl"));
}

TEST_CASE("The baseline gate fails the run when a gated metric got worse, and passes against itself",
          "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-baseline";
  std::string scenario = Library("data-sharing/defect-group-chat-leak.yaml");
  Output first = Bpsim("run " + scenario + " --out " + out);
  REQUIRE(first.exit_code == 0);
  Output same = Bpsim("run " + scenario + " --out " + out + "-2 --baseline " + out + "/report.json");
  CHECK(same.exit_code == 0);
  CHECK(same.output.find("No metric regressed against") != std::string::npos);
  // A baseline with fewer violations: the current run regressed.
  std::ifstream in(out + "/report.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t at = json.find("\"violations\": ");
  while (at != std::string::npos && !std::isdigit(static_cast<unsigned char>(json[at + 14]))) {
    at = json.find("\"violations\": ", at + 1);
  }
  REQUIRE(at != std::string::npos);
  std::size_t end = json.find_first_of(",\n}", at + 14);
  json.replace(at + 14, end - (at + 14), "1");
  std::string better = TempFile("baseline.json", json);
  Output worse = Bpsim("run " + scenario + " --out " + out + "-3 --baseline " + better);
  CHECK(worse.exit_code == 1);
  CHECK(worse.output.find("Regressions against") != std::string::npos);
  CHECK(worse.output.find("violations rose from 1 to") != std::string::npos);
}

TEST_CASE("A scenario tagged run-when-named runs only when its file is named", "[cli]") {
  const std::string dir = "/tmp/bpsim-cli-test-run-when-named";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a-small.yaml") << "scenario: small\nseed: 1\nduration: 1d\n"
                                          "world:\n  customers:\n    count: 20\n";
  std::ofstream(dir + "/b-big.yaml") << "scenario: big\ntags: [load, run-when-named]\nseed: 1\n"
                                        "duration: 1d\nworld:\n  customers:\n    count: 30\n";
  // Another tag, even one naming a fetch reason, changes nothing.
  std::ofstream(dir + "/c-fresh.yaml") << "scenario: fresh\ntags: [data-sharing, on-demand]\n"
                                          "seed: 1\nduration: 1d\nworld:\n  customers:\n"
                                          "    count: 20\n";
  Output whole = Bpsim("run " + dir + " --out " + dir + "/out-dir");
  CHECK(whole.exit_code == 0);
  CHECK(whole.output.find("bpsim: skipping " + dir + "/b-big.yaml (tagged run-when-named: name the "
                          "file to run it)") != std::string::npos);
  CHECK(whole.output.find("PASS  small") != std::string::npos);
  CHECK(whole.output.find("PASS  big") == std::string::npos);
  CHECK(whole.output.find("PASS  fresh") != std::string::npos);
  CHECK(whole.output.find("Total: 2 scenarios, 2 passed") != std::string::npos);
  Output named = Bpsim("run " + dir + "/b-big.yaml --out " + dir + "/out-file");
  CHECK(named.exit_code == 0);
  CHECK(named.output.find("skipping") == std::string::npos);
  CHECK(named.output.find("PASS  big") != std::string::npos);
  // validate and list still see it.
  Output listed = Bpsim("list " + dir);
  CHECK(listed.exit_code == 0);
  CHECK(listed.output.find("run-when-named") != std::string::npos);
  std::filesystem::remove_all(dir);
}
