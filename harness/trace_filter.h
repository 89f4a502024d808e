#pragma once
// What of a run's trace is written (docs/trace.md, "Keeping only what matters"):
// `--trace customer=17,42 --trace window=17h..19h` and the like. The filter decides
// which entries reach trace.jsonl and trace.perfetto.json; the monitors, the metrics
// and the trace hash always see every entry, so a filtered run judges and hashes
// exactly as an unfiltered one.
//
// Terms of different keys must all hold; the values of one key are alternatives.
// The customer and consent terms also keep the world's events that name no customer
// (outage.start/end, crash, restart, drain.start): they explain what the customer's
// entries show. The bank term keeps those that name no bank or one of its banks.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mocks/trace.h"
#include "mocks/config.h"
#include "reports/result.h"
#include "sim/status.h"
#include "sim/time.h"

namespace bpsim::harness {

struct TraceFilter {
  std::vector<std::uint64_t> customers;  // empty: any
  std::vector<std::string> banks;        // bank ids; empty: any
  std::vector<std::uint64_t> consents;   // empty: any
  std::uint64_t types = 0;               // TypeBit()s; 0: any
  std::optional<SimTime> from, to;       // the window, both ends included

  bool empty() const {
    return customers.empty() && banks.empty() && consents.empty() && types == 0 && !from && !to;
  }
  // "customer 17 or 42, window 17h .. 19h": what is kept, for people.
  std::string Describe() const;
};

// The keys of a --trace term, as the error messages name them.
inline constexpr const char* kTraceFilterKeys = "customer=, bank=, consent=, type= or window=";

// True if `arg` reads as a --trace term, KEY=VALUES with KEY lower-case letters (a
// known key or a misspelt one, which AddTraceFilterTerm then names): what tells
// `--trace TERM` from `--trace PATH`.
bool IsTraceFilterTerm(const std::string& arg);

// Adds one term ("customer=17,42", "bank=northbank", "consent=5", "type=flow,consent.*",
// "window=17h..19h", "window=..2d", "window=1d.."). Errors say what was expected.
Result<bool> AddTraceFilterTerm(const std::string& term, TraceFilter* filter);

// Checks the filter against a scenario's world: its banks exist, its customers are
// in the population. The message names the scenario file.
Result<bool> CheckTraceFilter(const TraceFilter& filter, const mocks::WorldSpec& spec,
                              const std::string& file);

// The first violation's (the earliest; the first listed among equals) evidence
// window: from its oldest evidence entry to the violation, widened by `margin` either
// side and kept within [0, end]. nullopt when the run found no violation.
std::optional<std::pair<SimTime, SimTime>> EvidenceWindow(const reports::ScenarioResult& result,
                                                          SimTime margin, SimTime end);

// The filter made ready to test entries of one world.
class TraceFilterMatcher {
 public:
  TraceFilterMatcher(const TraceFilter& filter, const mocks::WorldSpec& spec);
  bool Matches(const mocks::TraceEntry& e) const;

 private:
  bool NamesBank(const mocks::TraceEntry& e) const;

  TraceFilter filter_;
  std::vector<bool> bank_kept_;  // by bank index; empty: any bank
};

}  // namespace bpsim::harness
