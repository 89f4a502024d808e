#pragma once
// Scenario input hygiene, before and around YAML parsing: size and encoding checks,
// a lexical nesting guard, and the collected, position-sorted diagnostics that the
// loader turns into one Error. Internal to harness/scenario (not a public contract).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpsim::harness::scenario_internal {

// Files larger than this are rejected before they are read or parsed.
inline constexpr std::size_t kMaxScenarioBytes = std::size_t{16} << 20;
// Deepest nesting of mappings and lists a scenario may use (the format itself needs
// 7). Enforced lexically for flow collections before yaml-cpp sees the text (its
// scanner takes seconds on megabytes of '['), and again when walking the tree.
inline constexpr int kMaxNestingDepth = 32;
// Nodes visited when walking the tree, counting every expansion of an alias, so
// that an alias bomb ("billion laughs") is refused instead of expanded.
inline constexpr std::size_t kMaxNodes = 1'000'000;

// 1-based position in the file; line 0 means "the file as a whole".
struct Position {
  int line = 0;
  int column = 0;
};

class Diagnostics {
 public:
  void Add(Position pos, std::string message);
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  // One line per diagnostic, "FILE:LINE:COL: message" (or "FILE: message" for line 0),
  // sorted by position; diagnostics at the same position keep the order they were added.
  std::string Render(const std::string& file) const;

 private:
  struct Item {
    Position pos;
    std::string message;
  };
  std::vector<Item> items_;
};

// The position of byte `offset` of `text` (columns count bytes).
Position PositionOfOffset(std::string_view text, std::size_t offset);

// Checks that `text` is small enough, free of NUL bytes, valid UTF-8, and that its flow
// collections ([...] and {...}) nest at most kMaxNestingDepth deep. Returns the first
// problem found, or nullopt.
struct TextProblem {
  Position pos;
  std::string message;
};
std::optional<TextProblem> CheckScenarioText(std::string_view text);

}  // namespace bpsim::harness::scenario_internal
