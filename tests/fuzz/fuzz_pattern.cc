// libFuzzer target: rule patterns. The fuzzed text is spliced in as a `never` rule's
// pattern, a `within` rule's response and a `sometimes` item of a rules-heavy scenario,
// so it goes through the pattern parser the way users write patterns.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "harness/scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string pattern(reinterpret_cast<const char*>(data), size);
  if (pattern.find('\n') != std::string::npos) return 0;  // one flow value per splice
  std::string text =
      "duration: 1d\n"
      "world: {banks: [{id: north}], customers: {count: 5}}\n"
      "rules:\n"
      "  - id: fuzzed\n"
      "    never: " + pattern + "\n"
      "  - id: fuzzed-within\n"
      "    within: {trigger: {consent.revoked: {bank: north}}, response: " + pattern +
      ", max: 1h, key: subject}\n"
      "  - id: fuzzed-after\n"
      "    after: {trigger: " + pattern + ", forbid: {flow: {to: \"partner:*\"}}}\n"
      "expect:\n"
      "  sometimes:\n"
      "    - " + pattern + "\n";
  auto s = bpsim::harness::ParseScenario(text, "pattern.yaml");
  if (!s.ok() && s.error().message.empty()) std::abort();
  return 0;
}
