#pragma once
// What a run writes of its trace (docs/trace.md): trace.jsonl and trace.perfetto.json,
// each holding the entries its filter keeps (trace_filter.h), and the announcement of
// an output on course to pass a size (100 MB by default) while it is being written,
// so that a person can stop the run or narrow the filter before the disk fills.
//
// Subscribed to the trace bus after the monitors; sees every entry, writes the kept
// ones. Not thread-safe (it runs on the thread that judges the trace).

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "harness/perfetto_mapper.h"
#include "harness/trace_filter.h"
#include "mocks/trace.h"
#include "mocks/config.h"
#include "sim/status.h"

namespace bpsim::harness {

// The size above which an output is announced (decimal megabytes, as `ls --si`).
inline constexpr std::uint64_t kAnnounceOutputBytes = 100'000'000;

class TraceOutputs final : public mocks::WorldTraceSubscriber {
 public:
  struct Options {
    std::string jsonl_path;     // "" = no trace.jsonl
    std::string perfetto_path;  // "" = no trace.perfetto.json
    bool format_unwritten = false;  // format every kept entry as JSON without writing it
    TraceFilter filter;
    std::uint64_t announce_bytes = kAnnounceOutputBytes;
    // Called at most once per output, with one line: the output, its projected size,
    // what has been written and how to keep less.
    std::function<void(const std::string& line)> announce;
  };

  // Opens the outputs; nullptr when none is asked for; "PATH: cannot write: ..." when
  // one cannot be opened. `end` is when the run ends (duration + drain).
  static Result<std::unique_ptr<TraceOutputs>> Open(Options options, const mocks::WorldSpec& spec,
                                                    const mocks::TraceNames* names, SimTime end);
  ~TraceOutputs() override;

  void OnEntry(const mocks::TraceEntry& e) override;
  // Writes out what is buffered and closes the documents; the first write error, or "".
  std::string Finish();
  std::uint64_t entries_kept() const { return kept_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const {
      if (f != nullptr) std::fclose(f);
    }
  };
  using File = std::unique_ptr<std::FILE, Closer>;
  struct Output {
    std::string path;
    bool announced = false;
  };

  TraceOutputs(Options options, const mocks::WorldSpec& spec, SimTime end);
  void Watch(Output& output, std::uint64_t bytes, SimTime now);

  Options options_;
  TraceFilterMatcher matcher_;
  SimTime window_begin_, window_end_;
  std::uint64_t kept_ = 0;
  std::uint64_t jsonl_bytes_ = 0;
  File jsonl_file_, perfetto_file_;
  std::unique_ptr<JsonLinesWriter<mocks::TraceEntry>> jsonl_;
  std::unique_ptr<PerfettoMapper> perfetto_;
  Output jsonl_output_, perfetto_output_;
};

// "411 MB", "4.2 MB", "850 kB": a size for people, in decimal units.
std::string DescribeBytes(std::uint64_t bytes);

}  // namespace bpsim::harness
