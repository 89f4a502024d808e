#pragma once
// Small text helpers shared by the report writers. All are pure and deterministic
// (no locale: numbers always use '.' as the decimal point).

#include <cstdint>
#include <string>
#include <string_view>

#include "reports/result.h"

#include "sim/time.h"

namespace bpsim::reports {

// An evidence line without its leading instant, when the producer wrote one (the
// monitors do, so the line reads alone); renderers show the time in its own column.
std::string_view EvidenceBody(const EvidenceItem& item);

// A number with a fixed count of decimals, e.g. FormatFixed(1.5, 3) == "1.500".
std::string FormatFixed(double value, int decimals);

// A metric value for tables: integers print without decimals ("1204"), other
// values with up to 3 significant decimals ("0.25", "12.5").
std::string FormatMetricValue(double value);
// A metric value for people: durations (IsDurationMetric, in seconds) as
// DescribeSeconds writes them ("4h 30m 10.05s"), others as FormatMetricValue.
std::string DescribeMetric(const std::string& name, double value);

// "Live run at time scale 1800: every deadline allowed a wall grace of 2 s (1h
// simulated)."
std::string DescribeLiveTiming(const LiveTiming& timing);

// 16 lowercase hex digits.
std::string FormatHex64(std::uint64_t value);

// Escapes text for XML 1.0 (and HTML) element content: & < > and both quotes become
// references, \t and \n stay literal, \r becomes &#13;. Characters XML 1.0 forbids
// (C0 controls other than \t \n \r, and bytes that are not valid UTF-8) become
// U+FFFD, so the output always parses.
std::string XmlEscape(std::string_view text);

// A JSON string literal with its quotes: ", \\ and control characters escaped, bytes
// that are not valid UTF-8 replaced by U+FFFD.
std::string JsonQuote(std::string_view text);

// The same for attribute values, where \t \n \r are also written as character
// references so that attribute-value normalisation keeps them.
std::string XmlEscapeAttribute(std::string_view text);

}  // namespace bpsim::reports
