#pragma once
// Pinned traces (`bpsim pin`, docs/cluster.md "Determinism"): the trace hash of every
// library scenario at its own seed, kept in the repository (tests/pinned-traces.txt)
// and checked in CI, so that a change that alters any trace - on purpose or not -
// shows up in review as a change to that file.
//
// Besides the hash and the number of entries, a pin keeps prefix hashes: the hash of
// the first N entries for about sixteen evenly spaced N. When a trace changes, the
// last prefix that still matches and the first that does not bound the first
// differing entry. Naming the exact entry needs the pinned side's trace: with a
// reference binary (the pinned commit's, or the other compiler's build) both sides
// are replayed and compared entry by entry.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/scenario/scenario.h"
#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::harness {

struct PinnedTrace {
  std::string file;  // the scenario file, as the pin file names it
  std::uint64_t seed = 0;
  std::uint64_t entries = 0;
  std::uint64_t hash = 0;
  // (N, the low 32 bits of the hash of the first N entries), N ascending and a
  // multiple of kPinStride.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> prefixes;
};

// Prefix hashes are recorded every kPinStride entries; a pin keeps about
// kPinPrefixes of them.
inline constexpr std::uint64_t kPinStride = 64;
inline constexpr std::uint64_t kPinPrefixes = 16;

// The command that regenerates the pin file, named in every failure message.
inline constexpr const char* kPinUpdateCommand = "scripts/pin-traces";

// Reads a pin file's text. Errors name "PATH:LINE: ..." for the first bad line.
Result<std::vector<PinnedTrace>> ParsePins(const std::string& text, const std::string& path);
// Reads and parses a pin file; errors name the file (and line).
Result<std::vector<PinnedTrace>> ReadPins(const std::string& path);
// The pin file's text: a header saying what it is and how to update it, then one line
// per pin in the given order.
std::string FormatPins(const std::vector<PinnedTrace>& pins);

// Runs `scenario` at its own seed (without monitors, on this thread) and records its
// pin. `error` (if not null) receives a setup error; the pin is then empty.
PinnedTrace PinScenario(const Scenario& scenario, std::string* error = nullptr);

// Whether `now` is the same trace as `pinned`: the same hash and number of entries.
bool SamePin(const PinnedTrace& pinned, const PinnedTrace& now);

// The check `bpsim run --pinned FILE` adds to the result of a pinned scenario (named
// "pinned-trace"): passed when the run's trace hash is the pin's. A run at another
// seed than the pin's fails it (the pins hold each scenario's own seed). nullopt when
// `pins` has no pin for `file`.
std::optional<reports::Check> CheckPinnedHash(const std::vector<PinnedTrace>& pins,
                                              const std::string& pins_file,
                                              const std::string& file, std::uint64_t seed,
                                              std::uint64_t trace_hash);

// Says where `now` (a run of `scenario`) first differs from `pinned`: the entries the
// prefix hashes bound, and this build's first entry of that range (one more run).
// With `reference_binary`, that binary replays the scenario too (`REF run FILE --seed N
// --trace --no-monitors`) and the two traces are compared: the exact first differing
// entry with both sides. Ends with how to update the pins.
std::string DescribePinDifference(const Scenario& scenario, const PinnedTrace& pinned,
                                  const PinnedTrace& now, const std::string& reference_binary);

}  // namespace bpsim::harness
