// The bpsim command as a user meets it: exit codes (DESIGN §7), help, and the exact
// errors for bad scenario files.

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <cctype>
#include <iterator>
#include <string>

namespace {

struct Output {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Output Bpsim(const std::string& args) {
  std::string command = std::string(BPSIM_BINARY) + " " + args + " 2>&1";
  Output result;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) result.out.append(buf, n);
  int status = pclose(p);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

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
  CHECK(help.code == 0);
  CHECK(help.out.find("usage: bpsim COMMAND") != std::string::npos);
  Output version = Bpsim("--version");
  CHECK(version.code == 0);
  CHECK(version.out.rfind("bpsim ", 0) == 0);
}

TEST_CASE("Every command has --help", "[cli]") {
  for (const char* cmd : {"run", "replay", "validate", "list", "schema", "sweep", "merge", "serve", "shrink"}) {
    Output o = Bpsim(std::string(cmd) + " --help");
    CHECK(o.code == 0);
    CHECK(o.out.find(std::string("usage: bpsim ") + cmd) != std::string::npos);
  }
}

TEST_CASE("Usage errors exit 2 and say what was wrong", "[cli]") {
  Output none = Bpsim("");
  CHECK(none.code == 2);
  CHECK(none.out.rfind("bpsim: missing command", 0) == 0);
  Output unknown = Bpsim("frobnicate");
  CHECK(unknown.code == 2);
  CHECK(unknown.out.rfind("bpsim: unknown command 'frobnicate'", 0) == 0);
  Output option = Bpsim("run --bogus");
  CHECK(option.code == 2);
  CHECK(option.out.rfind("bpsim: unknown option '--bogus'", 0) == 0);
  Output seed = Bpsim("run --seed x");
  CHECK(seed.code == 2);
  CHECK(seed.out.rfind("bpsim: --seed expects a non-negative integer, got 'x'", 0) == 0);
  Output missing = Bpsim("run /nonexistent/file.yaml");
  CHECK(missing.code == 2);
  CHECK(missing.out == "bpsim: /nonexistent/file.yaml: no such file or directory\n");
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
  CHECK(o.code == 2);
  int lines = 0;
  for (char c : o.out) lines += c == '\n';
  CHECK(lines == 3);
  CHECK(o.out.find(path + ":1:11: ") != std::string::npos);
  CHECK(o.out.find(path + ":5:23: ") != std::string::npos);
  CHECK(o.out.find(path + ":6:1: ") != std::string::npos);
}

TEST_CASE("validate rejects empty, malformed and binary files with exit 2", "[cli]") {
  Output empty = Bpsim("validate " + TempFile("empty.yaml", ""));
  CHECK(empty.code == 2);
  CHECK(empty.out.find("empty") != std::string::npos);
  Output syntax = Bpsim("validate " + TempFile("syntax.yaml", "duration: [1d\n"));
  CHECK(syntax.code == 2);
  CHECK(syntax.out.find("syntax.yaml:") != std::string::npos);
  Output binary = Bpsim("validate " + TempFile("binary.yaml", std::string("\x7f" "ELF\0\0\x01\x02", 8)));
  CHECK(binary.code == 2);
  CHECK(binary.out.find("binary.yaml:") != std::string::npos);
}

TEST_CASE("validate accepts the whole library", "[cli]") {
  Output o = Bpsim("validate " + std::string(BPSIM_SOURCE_DIR) + "/scenarios");
  CHECK(o.code == 0);
  CHECK(o.out.find("scenario files valid") != std::string::npos);
}

TEST_CASE("run exits 0 when expectations hold, 1 when one fails, and writes the reports", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-out";
  Output ok = Bpsim("run " + Library("fraud/single-compromise.yaml") + " --out " + out);
  CHECK(ok.code == 0);
  CHECK(ok.out.find("PASS  fraud/single-compromise") != std::string::npos);
  for (const char* f : {"report.json", "junit.xml", "summary.md", "report.html"}) {
    CHECK(std::ifstream(out + "/" + f).good());
  }
  // The same world expected to break an invariant it does not break.
  std::string failing = TempFile("fails.yaml",
                                 "duration: 1d\n"
                                 "world: {customers: {count: 50}}\n"
                                 "expect: {violations: [subject-isolation]}\n");
  Output bad = Bpsim("run " + failing + " --out " + out);
  CHECK(bad.code == 1);
  CHECK(bad.out.find("subject-isolation: expected subject-isolation to fire, but it found no violation") !=
        std::string::npos);
  CHECK(bad.out.find("repro: bpsim replay " + failing + " --seed 1") != std::string::npos);
}

TEST_CASE("run --check-determinism passes a deterministic scenario and reports the check", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-det";
  Output o = Bpsim("run " + Library("fraud/single-compromise.yaml") + " --check-determinism --out " + out);
  CHECK(o.code == 0);
  CHECK(o.out.find("PASS  fraud/single-compromise") != std::string::npos);
  std::ifstream report(out + "/report.json");
  std::string json((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  CHECK(json.find("\"determinism\"") != std::string::npos);
}

TEST_CASE("shrink writes a minimal scenario that run passes while the failure reproduces", "[cli][shrink]") {
  std::string min = "/tmp/bpsim-cli-test-min.yaml";
  Output o = Bpsim("shrink " + Library("data-sharing/defect-shares-with-partner.yaml") + " --out " + min);
  CHECK(o.code == 0);
  CHECK(o.out.find("fires exactly [no-third-party-sharing]") != std::string::npos);
  CHECK(o.out.find("Reproduce: bpsim run " + min) != std::string::npos);
  Output run = Bpsim("run " + min + " --out /tmp/bpsim-cli-test-min-out");
  CHECK(run.code == 0);
  Output usage = Bpsim("shrink");
  CHECK(usage.code == 2);
  CHECK(usage.out.find("bpsim: shrink needs a scenario file") != std::string::npos);
  Output bad_seed = Bpsim("shrink x.yaml --seed abc");
  CHECK(bad_seed.code == 2);
  CHECK(bad_seed.out.find("bpsim: --seed expects a non-negative integer, got 'abc'") != std::string::npos);
}

TEST_CASE("run refuses an unwritable --out before running", "[cli]") {
  Output o = Bpsim("run " + Library("fraud/single-compromise.yaml") + " --out /proc/bpsim-out");
  CHECK(o.code == 2);
  CHECK(o.out.find("PASS") == std::string::npos);
}

TEST_CASE("replay writes the full trace and prints the evidence of each violation", "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-replay";
  Output o = Bpsim("replay " + Library("data-sharing/defect-group-chat-leak.yaml") +
                   " --seed 56 --out " + out);
  CHECK(o.code == 0);
  CHECK(o.out.find("subject-isolation at ") != std::string::npos);
  CHECK(std::ifstream(out + "/trace.jsonl").good());
  CHECK(std::ifstream(out + "/trace.perfetto.json").good());
}

TEST_CASE("The baseline gate fails the run when a gated metric got worse, and passes against itself",
          "[cli]") {
  std::string out = "/tmp/bpsim-cli-test-baseline";
  std::string scenario = Library("data-sharing/defect-group-chat-leak.yaml");
  Output first = Bpsim("run " + scenario + " --out " + out);
  REQUIRE(first.code == 0);
  Output same = Bpsim("run " + scenario + " --out " + out + "-2 --baseline " + out + "/report.json");
  CHECK(same.code == 0);
  CHECK(same.out.find("No metric regressed against") != std::string::npos);
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
  CHECK(worse.code == 1);
  CHECK(worse.out.find("Regressions against") != std::string::npos);
  CHECK(worse.out.find("violations rose from 1 to") != std::string::npos);
}
