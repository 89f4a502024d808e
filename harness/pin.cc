#include "harness/pin.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/determinism.h"
#include "harness/runner.h"
#include "harness/trace_hash.h"
#include "mocks/trace.h"
#include "sim/time.h"

extern char** environ;

namespace bpsim::harness {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHeader =
    "# Trace hashes of the scenario library, each scenario at its own seed\n"
    "# (docs/cluster.md, \"Determinism\"). CI checks them with `bpsim pin` (CTest pinned:*)\n"
    "# in the GCC Release build and the clang sanitizer build; any difference fails and\n"
    "# says where the trace first differs.\n"
    "#\n"
    "# After a change that alters traces ON PURPOSE, regenerate this file and commit it:\n"
    "#     scripts/pin-traces\n"
    "#\n"
    "# Each line: FILE SEED ENTRIES HASH, then prefix hashes N:H (H = the low 32 bits of\n"
    "# the hash of the trace's first N entries), which bound the first differing entry.\n";

std::string Hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string Hex32(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08" PRIx32, v);
  return buf;
}

// 1234567 -> "1,234,567".
std::string Count(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::optional<std::uint64_t> ParseUnsigned(const std::string& s, int base) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (__builtin_mul_overflow(v, std::uint64_t(base), &v) ||
        __builtin_add_overflow(v, std::uint64_t(d), &v)) {
      return std::nullopt;
    }
  }
  return v;
}

// Hashes the trace as it goes and keeps the hash of every kPinStride-th prefix, the
// time of that prefix's last entry, and the JSON of the entries at `capture` (0-based
// indices, ascending).
class PrefixRecorder final : public mocks::WorldTraceSubscriber {
 public:
  PrefixRecorder(mocks::TraceNames names, std::vector<std::uint64_t> capture)
      : names_(std::move(names)), capture_(std::move(capture)) {}

  void OnEntry(const mocks::TraceEntry& e) override {
    hasher_.OnEntry(e);
    while (next_capture_ < capture_.size() && capture_[next_capture_] < count_) ++next_capture_;
    if (next_capture_ < capture_.size() && capture_[next_capture_] == count_) {
      std::string json;
      mocks::FormatEntryJson(names_, e, json);
      captured_[count_] = {e.time, std::move(json)};
    }
    ++count_;
    if (count_ % kPinStride == 0) {
      prefixes_.push_back(hasher_.digest());
      times_.push_back(e.time);
    }
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t digest() const { return hasher_.digest(); }
  // The hash of the first n entries; REQUIRES: n a positive multiple of kPinStride,
  // n <= count().
  std::uint64_t Prefix(std::uint64_t n) const { return prefixes_[n / kPinStride - 1]; }
  SimTime PrefixTime(std::uint64_t n) const { return times_[n / kPinStride - 1]; }
  const std::pair<SimTime, std::string>* Captured(std::uint64_t index) const {
    auto it = captured_.find(index);
    return it == captured_.end() ? nullptr : &it->second;
  }

 private:
  mocks::TraceNames names_;
  TraceHasher hasher_;
  std::uint64_t count_ = 0;
  std::vector<std::uint64_t> prefixes_;
  std::vector<SimTime> times_;
  std::vector<std::uint64_t> capture_;
  std::size_t next_capture_ = 0;
  std::map<std::uint64_t, std::pair<SimTime, std::string>> captured_;
};

mocks::TraceNames NamesOf(const Scenario& scenario) {
  mocks::TraceNames names;
  for (const mocks::BankConfig& b : scenario.spec.world.banks) names.banks.push_back(b.id);
  names.partners = scenario.spec.world.platform.partners;
  return names;
}

// Runs the scenario at its own seed as `bpsim pin` does: no monitors (they do not
// change the trace), on this thread.
reports::ScenarioResult RunForPin(const Scenario& scenario, mocks::WorldTraceSubscriber* observer,
                                  const std::string& trace_path = "") {
  RunOptions options;
  options.monitors = false;
  options.async_judging = false;
  options.observer = observer;
  options.trace_jsonl_path = trace_path;
  return RunScenario(scenario, options);
}

std::string TempPath(const std::string& what) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  return (dir / ("bpsim-pin-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter.fetch_add(1)) + "-" + what))
      .string();
}

// Runs `argv` (no shell), its output to /dev/null; its exit status, or -1.
int RunQuietly(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Both sides replayed: the reference binary's trace against this build's, entry by
// entry.
std::string CompareWithReference(const Scenario& scenario, std::uint64_t seed,
                                 const std::string& reference) {
  const std::string dir = TempPath("reference");
  const std::string mine = TempPath("this-build.jsonl");
  struct Cleanup {
    std::string dir, file;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
      fs::remove(file, ec);
    }
  } cleanup{dir, mine};
  // Exit 1 means an expectation failed, which does not matter here.
  const int rc = RunQuietly({reference, "run", scenario.file, "--seed", std::to_string(seed),
                             "--trace", "--no-monitors", "--quiet", "--out", dir});
  if (rc != 0 && rc != 1) {
    return "  the reference " + reference + " could not replay it (exit " + std::to_string(rc) +
           ")\n";
  }
  reports::ScenarioResult r = RunForPin(scenario, nullptr, mine);
  if (!r.error.empty()) return "  this build could not replay it: " + r.error + "\n";
  std::ifstream a((fs::path(dir) / "trace.jsonl").string(), std::ios::binary);
  std::ifstream b(mine, std::ios::binary);
  if (!a || !b) return "  the two traces could not be read back\n";
  std::optional<TraceDivergence> d = FirstDivergence(a, b);
  if (!d) return "  replayed by " + reference + " and by this build: the JSON traces are equal\n";
  std::string text = DescribeDivergence(*d, "reference:", "this build:");
  std::string indented = "  ";
  for (char c : text) {
    indented += c;
    if (c == '\n') indented += "  ";
  }
  return indented + "\n";
}

}  // namespace

Result<std::vector<PinnedTrace>> ParsePins(const std::string& text, const std::string& path) {
  std::vector<PinnedTrace> pins;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    auto bad = [&](const std::string& why) {
      return Error{path + ":" + std::to_string(number) + ": " + why +
                   " (a line is FILE SEED ENTRIES HASH [N:H ...])"};
    };
    if (w.size() < 4) return bad("expected at least 4 fields, got " + std::to_string(w.size()));
    PinnedTrace pin;
    pin.file = w[0];
    auto seed = ParseUnsigned(w[1], 10);
    auto entries = ParseUnsigned(w[2], 10);
    auto hash = w[3].size() == 16 ? ParseUnsigned(w[3], 16) : std::nullopt;
    if (!seed) return bad("SEED is not a decimal number: '" + w[1] + "'");
    if (!entries) return bad("ENTRIES is not a decimal number: '" + w[2] + "'");
    if (!hash) return bad("HASH is not 16 lower-case hex digits: '" + w[3] + "'");
    pin.seed = *seed;
    pin.entries = *entries;
    pin.hash = *hash;
    for (std::size_t i = 4; i < w.size(); ++i) {
      const std::size_t colon = w[i].find(':');
      auto n = colon == std::string::npos ? std::nullopt : ParseUnsigned(w[i].substr(0, colon), 10);
      auto h = colon == std::string::npos || w[i].size() - colon - 1 != 8
                   ? std::nullopt
                   : ParseUnsigned(w[i].substr(colon + 1), 16);
      if (!n || !h) return bad("prefix '" + w[i] + "' is not N:H (H 8 lower-case hex digits)");
      const bool ascending = pin.prefixes.empty() || *n > pin.prefixes.back().first;
      if (*n == 0 || *n % kPinStride != 0 || *n > pin.entries || !ascending) {
        return bad("prefix '" + w[i] + "': N must be a multiple of " +
                   std::to_string(kPinStride) + ", ascending, at most ENTRIES");
      }
      pin.prefixes.emplace_back(*n, static_cast<std::uint32_t>(*h));
    }
    for (const PinnedTrace& other : pins) {
      if (other.file == pin.file) return bad(pin.file + " is pinned twice");
    }
    pins.push_back(std::move(pin));
  }
  return pins;
}

Result<std::vector<PinnedTrace>> ReadPins(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read the pins (create them with " +
                        std::string(kPinUpdateCommand) + ")"};
  std::ostringstream text;
  text << in.rdbuf();
  return ParsePins(text.str(), path);
}

std::string FormatPins(const std::vector<PinnedTrace>& pins) {
  std::string out = kHeader;
  for (const PinnedTrace& p : pins) {
    out += p.file + " " + std::to_string(p.seed) + " " + std::to_string(p.entries) + " " +
           Hex64(p.hash);
    for (const auto& [n, h] : p.prefixes) out += " " + std::to_string(n) + ":" + Hex32(h);
    out += "\n";
  }
  return out;
}

PinnedTrace PinScenario(const Scenario& scenario, std::string* error) {
  PrefixRecorder recorder(NamesOf(scenario), {});
  reports::ScenarioResult r = RunForPin(scenario, &recorder);
  PinnedTrace pin;
  if (!r.error.empty()) {
    if (error != nullptr) *error = r.error;
    return pin;
  }
  pin.file = scenario.file;
  pin.seed = r.seed;
  pin.entries = recorder.count();
  pin.hash = r.trace_hash;
  for (std::uint64_t j = 1; j < kPinPrefixes; ++j) {
    const std::uint64_t n = pin.entries * j / kPinPrefixes / kPinStride * kPinStride;
    if (n == 0 || (!pin.prefixes.empty() && pin.prefixes.back().first == n)) continue;
    pin.prefixes.emplace_back(n, static_cast<std::uint32_t>(recorder.Prefix(n)));
  }
  return pin;
}

std::optional<reports::Check> CheckPinnedHash(const std::vector<PinnedTrace>& pins,
                                              const std::string& pins_file,
                                              const std::string& file, std::uint64_t seed,
                                              std::uint64_t trace_hash) {
  auto pin = std::find_if(pins.begin(), pins.end(),
                          [&](const PinnedTrace& p) { return p.file == file; });
  if (pin == pins.end()) return std::nullopt;
  reports::Check check;
  check.name = "pinned-trace";
  if (pin->seed != seed) {
    check.passed = false;
    check.detail = "pinned at seed " + std::to_string(pin->seed) + " in " + pins_file +
                   ", run at seed " + std::to_string(seed) + ": not comparable";
  } else if (pin->hash != trace_hash) {
    check.passed = false;
    check.detail = "trace hash " + Hex64(trace_hash) + ", pinned " + Hex64(pin->hash) + " in " +
                   pins_file + ": 'bpsim pin " + file +
                   "' says where the trace first differs; if the change is intended, " +
                   kPinUpdateCommand;
  } else {
    check.detail = "trace hash " + Hex64(trace_hash) + " as pinned in " + pins_file;
  }
  return check;
}

bool SamePin(const PinnedTrace& pinned, const PinnedTrace& now) {
  return pinned.hash == now.hash && pinned.entries == now.entries;
}

std::string DescribePinDifference(const Scenario& scenario, const PinnedTrace& pinned,
                                  const PinnedTrace& now, const std::string& reference_binary) {
  std::string text;
  if (pinned.seed != now.seed) {
    text += "  the scenario's seed is " + std::to_string(now.seed) + ", pinned at seed " +
            std::to_string(pinned.seed) + "\n";
  }
  text += "  trace hash " + Hex64(now.hash) + " over " + Count(now.entries) +
          " entries; pinned " + Hex64(pinned.hash) + " over " + Count(pinned.entries) +
          " entries\n";
  // One more run, keeping every prefix hash and this build's entry right after each
  // pinned prefix: the first difference is after the last prefix that matches and
  // at or before the first that does not.
  std::vector<std::uint64_t> capture = {0};
  for (const auto& [n, h] : pinned.prefixes) capture.push_back(n);
  PrefixRecorder recorder(NamesOf(scenario), capture);
  reports::ScenarioResult r = RunForPin(scenario, &recorder);
  if (!r.error.empty()) return text + "  (could not run it again: " + r.error + ")\n";
  std::uint64_t same = 0;  // entries known to be the same
  std::optional<std::uint64_t> differs_by;
  for (const auto& [n, h] : pinned.prefixes) {
    if (n > recorder.count() || static_cast<std::uint32_t>(recorder.Prefix(n)) != h) {
      differs_by = n;
      break;
    }
    same = n;
  }
  const std::uint64_t last = differs_by ? *differs_by : std::max(pinned.entries, recorder.count());
  if (same > 0) {
    text += "  the first " + Count(same) + " entries are the same as pinned (to t=" +
            mocks::FormatInstant(recorder.PrefixTime(same)) + ")\n";
  }
  text += "  the first difference is at entry " + Count(same) + " or later, at most " +
          Count(last - 1) + " (entries counted from 0)\n";
  if (const auto* entry = recorder.Captured(same)) {
    text += "  this build's entry " + Count(same) + ": " + entry->second + "\n";
  } else {
    text += "  this build's trace ends after " + Count(recorder.count()) + " entries\n";
  }
  if (!reference_binary.empty()) {
    text += CompareWithReference(scenario, now.seed, reference_binary);
  } else {
    text += "  the exact entry, both sides: scripts/trace-diff " + scenario.file +
            " (replays the pinned commit's build beside this one)\n";
  }
  return text;
}

}  // namespace bpsim::harness
