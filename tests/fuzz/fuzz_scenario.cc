// libFuzzer target: whole scenario files through ParseScenario. A file that loads must
// also survive ScenarioToYaml -> ParseScenario (the writer's round-trip contract).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "harness/scenario/scenario.h"
#include "harness/scenario/writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto s = bpsim::harness::ParseScenario(text, "fuzz.yaml");
  if (!s.ok()) {
    if (s.error().message.empty()) std::abort();  // every error says what was wrong
    return 0;
  }
  std::string yaml = bpsim::harness::ScenarioToYaml(*s);
  auto again = bpsim::harness::ParseScenario(yaml, "fuzz.yaml");
  if (!again.ok() || bpsim::harness::ScenarioToYaml(*again) != yaml) {
    std::fprintf(stderr, "round trip failed:\n%s\n--- written:\n%s\n--- error: %s\n", text.c_str(),
                 yaml.c_str(), again.ok() ? "(texts differ)" : again.error().message.c_str());
    std::abort();
  }
  return 0;
}
