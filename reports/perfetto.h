#pragma once
// trace.perfetto.json: a streaming writer of the Chrome Trace Event Format (JSON
// object form, {"traceEvents": [...], "displayTimeUnit": "ms"}), which
// ui.perfetto.dev and chrome://tracing open. Events go straight to a FILE* as they
// are emitted, so a trace of 10^7 events needs no memory beyond one event.
//
// Tracks: a process (pid) is a lane group, e.g. one per bank or the platform; a
// thread (pid, tid) is one lane. Times are simulated nanoseconds, written as
// microseconds with three decimals ("ts": 1500.250), exactly.
//
// Errors are sticky: after the first failed write every call returns that error and
// writes nothing. Not thread-safe. The writer does not own the FILE*.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/status.h"
#include "sim/time.h"

namespace bpsim::reports {

struct TraceArg {
  std::string key;
  std::variant<std::int64_t, double, std::string> value;
};
using TraceArgs = std::vector<TraceArg>;

class PerfettoTraceWriter {
 public:
  // Writes the opening of the document. `what` names the file in error messages.
  // REQUIRES: out is open for writing and outlives the writer.
  PerfettoTraceWriter(std::FILE* out, std::string what);
  PerfettoTraceWriter(const PerfettoTraceWriter&) = delete;
  PerfettoTraceWriter& operator=(const PerfettoTraceWriter&) = delete;

  // Names a process / thread track (metadata events "process_name"/"thread_name";
  // sort_index orders the tracks in the UI).
  Result<bool> DeclareProcess(int pid, std::string_view name, int sort_index = 0);
  Result<bool> DeclareThread(int pid, int tid, std::string_view name, int sort_index = 0);

  // A point in time on a thread track ("ph":"i", thread scope).
  Result<bool> Instant(int pid, int tid, SimTime at, std::string_view name,
                       std::string_view category, const TraceArgs& args = {});
  // A slice [begin, begin + duration) on a thread track ("ph":"X").
  // REQUIRES: duration >= 0.
  Result<bool> Complete(int pid, int tid, SimTime begin, SimTime duration, std::string_view name,
                        std::string_view category, const TraceArgs& args = {});
  // Counter values at an instant on a process track ("ph":"C"), one series per value.
  Result<bool> Counter(int pid, SimTime at, std::string_view name,
                       const std::vector<std::pair<std::string, double>>& values);

  // Closes the JSON document and flushes. Further calls fail. Does not fclose.
  Result<bool> Finish();

  std::uint64_t events_written() const { return events_; }
  std::uint64_t bytes_written() const { return bytes_; }

 private:
  Result<bool> Emit(const std::string& event_json);
  Result<bool> Put(std::string_view text);

  std::FILE* out_;
  std::string what_;
  std::uint64_t events_ = 0;
  std::uint64_t bytes_ = 0;
  bool finished_ = false;
  std::string error_;  // non-empty once a write failed
};

// "1500.250" for 1'500'250 ns: microseconds with exactly three decimals.
std::string FormatTraceMicros(SimTime t);

}  // namespace bpsim::reports
