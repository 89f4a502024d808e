#pragma once
// Maps trace entries onto the Chrome Trace Event Format (reports/perfetto.h) so a
// run opens in the Perfetto UI: one process per bank and one for the platform, with
// API requests as slices from request to response, fraud alerts as slices from
// detection to display, outages as slices, and consent transitions and data flows
// into sinks as instants.

#include <cstdio>
#include <string>
#include <unordered_map>

#include "mocks/trace.h"
#include "reports/perfetto.h"

namespace bpsim::harness {

class PerfettoMapper final : public mocks::WorldTraceSubscriber {
 public:
  PerfettoMapper(std::FILE* out, std::string path, const mocks::TraceNames* names,
                 std::uint32_t customers);
  void OnEntry(const mocks::TraceEntry& e) override;
  // Writes the slices still open, closes the document. The first write error, if any.
  Result<bool> Finish();
  std::uint64_t bytes_written() const { return writer_.bytes_written(); }

 private:
  void Note(const Result<bool>& r);
  int BankPid(mocks::BankIndex b) const { return 10 + int(b); }

  reports::PerfettoTraceWriter writer_;
  const mocks::TraceNames* names_;
  std::unordered_map<std::uint64_t, std::pair<SimTime, mocks::BankIndex>> requests_;
  std::unordered_map<std::uint64_t, SimTime> alerts_;
  std::unordered_map<std::uint32_t, std::pair<SimTime, std::string>> outages_;
  SimTime last_ = 0;
  std::string error_;
};

}  // namespace bpsim::harness
