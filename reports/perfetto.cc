#include "reports/perfetto.h"

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstring>

#include "reports/text.h"

namespace bpsim::reports {
namespace {

std::string JsonString(std::string_view text) { return JsonQuote(text); }

// Shortest text that reads back as the same double; JSON has no NaN or infinity.
std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string("null");
}

std::string ArgsJson(const TraceArgs& args) {
  std::string out = "{";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonString(args[i].key) + ":";
    const auto& v = args[i].value;
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      out += std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      out += JsonNumber(*d);
    } else {
      out += JsonString(std::get<std::string>(v));
    }
  }
  return out + "}";
}

std::string Head(const char* ph, int pid, int tid, std::string_view name) {
  return std::string("{\"ph\":\"") + ph + "\",\"pid\":" + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"name\":" + JsonString(name);
}

}  // namespace

std::string FormatTraceMicros(SimTime t) {
  const bool negative = t < 0;
  const std::uint64_t abs_ns =
      negative ? 0 - static_cast<std::uint64_t>(t) : static_cast<std::uint64_t>(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%03" PRIu64, negative ? "-" : "", abs_ns / 1000,
                abs_ns % 1000);
  return buf;
}

PerfettoTraceWriter::PerfettoTraceWriter(std::FILE* out, std::string what)
    : out_(out), what_(std::move(what)) {
  (void)Put("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
}

Result<bool> PerfettoTraceWriter::Put(std::string_view text) {
  if (!error_.empty()) return Error{error_};
  if (std::fwrite(text.data(), 1, text.size(), out_) != text.size()) {
    error_ = "cannot write " + what_ + ": " + std::strerror(errno != 0 ? errno : EIO);
    return Error{error_};
  }
  bytes_ += text.size();
  return true;
}

Result<bool> PerfettoTraceWriter::Emit(const std::string& event_json) {
  if (finished_) return Error{"cannot write " + what_ + ": the trace is already finished"};
  Result<bool> r = Put((events_ == 0 ? "" : ",\n") + event_json);
  if (r.ok()) ++events_;
  return r;
}

Result<bool> PerfettoTraceWriter::DeclareProcess(int pid, std::string_view name, int sort_index) {
  Result<bool> r =
      Emit(Head("M", pid, 0, "process_name") + ",\"args\":{\"name\":" + JsonString(name) + "}}");
  if (!r.ok()) return r;
  return Emit(Head("M", pid, 0, "process_sort_index") +
              ",\"args\":{\"sort_index\":" + std::to_string(sort_index) + "}}");
}

Result<bool> PerfettoTraceWriter::DeclareThread(int pid, int tid, std::string_view name,
                                                int sort_index) {
  Result<bool> r =
      Emit(Head("M", pid, tid, "thread_name") + ",\"args\":{\"name\":" + JsonString(name) + "}}");
  if (!r.ok()) return r;
  return Emit(Head("M", pid, tid, "thread_sort_index") +
              ",\"args\":{\"sort_index\":" + std::to_string(sort_index) + "}}");
}

Result<bool> PerfettoTraceWriter::Instant(int pid, int tid, SimTime at, std::string_view name,
                                          std::string_view category, const TraceArgs& args) {
  return Emit(Head("i", pid, tid, name) + ",\"cat\":" + JsonString(category) +
              ",\"s\":\"t\",\"ts\":" + FormatTraceMicros(at) + ",\"args\":" + ArgsJson(args) + "}");
}

Result<bool> PerfettoTraceWriter::Complete(int pid, int tid, SimTime begin, SimTime duration,
                                           std::string_view name, std::string_view category,
                                           const TraceArgs& args) {
  assert(duration >= 0);
  return Emit(Head("X", pid, tid, name) + ",\"cat\":" + JsonString(category) +
              ",\"ts\":" + FormatTraceMicros(begin) + ",\"dur\":" + FormatTraceMicros(duration) +
              ",\"args\":" + ArgsJson(args) + "}");
}

Result<bool> PerfettoTraceWriter::Counter(
    int pid, SimTime at, std::string_view name,
    const std::vector<std::pair<std::string, double>>& values) {
  TraceArgs args;
  for (const auto& [key, value] : values) args.push_back({key, value});
  return Emit(Head("C", pid, 0, name) + ",\"ts\":" + FormatTraceMicros(at) +
              ",\"args\":" + ArgsJson(args) + "}");
}

Result<bool> PerfettoTraceWriter::Finish() {
  if (finished_) return Error{"cannot write " + what_ + ": the trace is already finished"};
  Result<bool> r = Put("\n]}\n");
  finished_ = true;
  if (!r.ok()) return r;
  if (std::fflush(out_) != 0) {
    error_ = "cannot write " + what_ + ": " + std::strerror(errno != 0 ? errno : EIO);
    return Error{error_};
  }
  return true;
}

}  // namespace bpsim::reports
