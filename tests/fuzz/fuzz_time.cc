// libFuzzer target: ParseDuration and ParseRate (sim/time.h). A duration that parses
// must format and parse back to the same value (the contract of FormatDuration).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto d = bpsim::ParseDuration(text);
  if (d.ok() && *d >= 0) {
    std::string formatted = bpsim::FormatDuration(*d);
    auto again = bpsim::ParseDuration(formatted);
    if (!again.ok() || *again != *d) {
      std::fprintf(stderr, "duration round trip: '%s' -> %lld -> '%s'\n", text.c_str(),
                   static_cast<long long>(*d), formatted.c_str());
      std::abort();
    }
  } else if (!d.ok() && d.error().message.empty()) {
    std::abort();
  }
  auto r = bpsim::ParseRate(text);
  if (r.ok()) (void)bpsim::FormatRate(*r);
  return 0;
}
