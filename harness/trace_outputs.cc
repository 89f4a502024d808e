#include "harness/trace_outputs.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace bpsim::harness {
namespace {

void FormatEntry(const void* names, const mocks::TraceEntry& e, std::string& out) {
  mocks::FormatEntryJson(*static_cast<const mocks::TraceNames*>(names), e, out);
}

// Entries between two looks at the outputs' sizes.
constexpr std::uint64_t kWatchEvery = 1024;
// The share of the window after which a projection is trusted.
constexpr double kProjectFrom = 0.01;

}  // namespace

std::string DescribeBytes(std::uint64_t bytes) {
  char buf[32];
  const double b = double(bytes);
  if (b >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
  } else if (b >= 1e7) {
    std::snprintf(buf, sizeof buf, "%.0f MB", b / 1e6);
  } else if (b >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  } else if (b >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f kB", b / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

TraceOutputs::TraceOutputs(Options options, const mocks::WorldSpec& spec, SimTime end)
    : options_(std::move(options)),
      matcher_(options_.filter, spec),
      window_begin_(std::min(options_.filter.from.value_or(0), end)),
      window_end_(std::min(options_.filter.to.value_or(end), end)) {}

TraceOutputs::~TraceOutputs() = default;

Result<std::unique_ptr<TraceOutputs>> TraceOutputs::Open(Options options,
                                                         const mocks::WorldSpec& spec,
                                                         const mocks::TraceNames* names,
                                                         SimTime end) {
  if (options.jsonl_path.empty() && options.perfetto_path.empty() && !options.format_unwritten) {
    return std::unique_ptr<TraceOutputs>();
  }
  std::unique_ptr<TraceOutputs> out(new TraceOutputs(std::move(options), spec, end));
  const Options& o = out->options_;
  auto open = [](const std::string& path, File* file) -> Result<bool> {
    file->reset(std::fopen(path.c_str(), "wb"));
    if (!*file) return Error{path + ": cannot write: " + std::strerror(errno)};
    return true;
  };
  if (!o.jsonl_path.empty() || o.format_unwritten) {
    if (!o.jsonl_path.empty()) {
      auto opened = open(o.jsonl_path, &out->jsonl_file_);
      if (!opened.ok()) return opened.error();
    }
    out->jsonl_ = std::make_unique<JsonLinesWriter<mocks::TraceEntry>>(&FormatEntry, names,
                                                                       out->jsonl_file_.get());
    out->jsonl_output_.path = o.jsonl_path;
  }
  if (!o.perfetto_path.empty()) {
    auto opened = open(o.perfetto_path, &out->perfetto_file_);
    if (!opened.ok()) return opened.error();
    out->perfetto_ = std::make_unique<PerfettoMapper>(out->perfetto_file_.get(), o.perfetto_path,
                                                      names, spec.world.customers.count);
    out->perfetto_output_.path = o.perfetto_path;
  }
  return Result<std::unique_ptr<TraceOutputs>>(std::move(out));
}

void TraceOutputs::OnEntry(const mocks::TraceEntry& e) {
  if (!matcher_.Matches(e)) return;
  if (jsonl_) {
    jsonl_->OnEntry(e);
    jsonl_bytes_ += jsonl_->last_line().size();
  }
  if (perfetto_) perfetto_->OnEntry(e);
  if (++kept_ % kWatchEvery != 0 || !options_.announce) return;
  if (jsonl_ && jsonl_file_) Watch(jsonl_output_, jsonl_bytes_, e.time);
  if (perfetto_) Watch(perfetto_output_, perfetto_->bytes_written(), e.time);
}

void TraceOutputs::Watch(Output& output, std::uint64_t bytes, SimTime now) {
  if (output.announced) return;
  const SimTime span = window_end_ - window_begin_;
  const double share =
      span > 0 ? std::clamp(double(now - window_begin_) / double(span), 0.0, 1.0) : 1.0;
  const bool projectable = share >= kProjectFrom;
  const double projected = projectable ? double(bytes) / share : double(bytes);
  if (projected < double(options_.announce_bytes)) return;
  output.announced = true;
  const bool whole = !options_.filter.from && !options_.filter.to;
  char share_text[16];
  std::snprintf(share_text, sizeof share_text, "%.0f%%", std::floor(share * 100));
  options_.announce(output.path + " will be about " +
                    DescribeBytes(std::uint64_t(std::llround(projected))) + " (" +
                    DescribeBytes(bytes) + " written at " + share_text + " of the " +
                    (whole ? "run" : "window") + "); --trace " + kTraceFilterKeys +
                    " keeps less (docs/trace.md)");
}

std::string TraceOutputs::Finish() {
  std::string error;
  if (jsonl_ && !jsonl_->Flush()) error = options_.jsonl_path + ": write failed";
  if (perfetto_) {
    auto finished = perfetto_->Finish();
    if (!finished.ok()) error = finished.error().message;
  }
  if (jsonl_file_ && std::fflush(jsonl_file_.get()) != 0) {
    error = options_.jsonl_path + ": write failed: " + std::strerror(errno);
  }
  return error;
}

}  // namespace bpsim::harness
