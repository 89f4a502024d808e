#include "harness/scenario/input.h"

#include <algorithm>
#include <cstdio>

namespace bpsim::harness::scenario_internal {

void Diagnostics::Add(Position pos, std::string message) {
  items_.push_back(Item{pos, std::move(message)});
}

std::string Diagnostics::Render(const std::string& file) const {
  std::vector<Item> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Item& a, const Item& b) {
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.column < b.pos.column;
  });
  std::string out;
  for (const Item& item : sorted) {
    if (!out.empty()) out += '\n';
    out += file;
    if (item.pos.line > 0) {
      out += ':' + std::to_string(item.pos.line) + ':' + std::to_string(item.pos.column);
    }
    out += ": ";
    out += item.message;
  }
  return out;
}

Position PositionOfOffset(std::string_view text, std::size_t offset) {
  Position pos{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

namespace {

std::string Hex(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is invalid
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u;
  };
  unsigned c = byte(i);
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t k) { return (byte(k) & 0xc0) == 0x80; };
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned c1 = byte(i + 1);
    if (c == 0xe0 && c1 < 0xa0) return 0;
    if (c == 0xed && c1 >= 0xa0) return 0;
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned c1 = byte(i + 1);
    if (c == 0xf0 && c1 < 0x90) return 0;
    if (c == 0xf4 && c1 >= 0x90) return 0;
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// A '#' starts a comment at the start of a line or after a blank.
bool StartsComment(std::string_view text, std::size_t i) {
  if (i == 0) return true;
  char p = text[i - 1];
  return p == ' ' || p == '\t' || p == '\n' || p == '\r';
}

// A quote starts a quoted scalar where a scalar may begin: at the start of a line or
// after one of [ { , : - ? (blanks between allowed). Elsewhere it is part of a plain
// scalar ("don't", "[a 'b").
bool StartsQuoted(std::string_view text, std::size_t i) {
  while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) --i;
  if (i == 0) return true;
  char p = text[i - 1];
  return p == '\n' || p == '\r' || p == '[' || p == '{' || p == ',' || p == ':' || p == '-' ||
         p == '?';
}

}  // namespace

std::optional<TextProblem> CheckScenarioText(std::string_view text) {
  if (text.size() > kMaxScenarioBytes) {
    return TextProblem{{0, 0},
                       "scenario is " + std::to_string(text.size()) +
                           " bytes; the limit is " + std::to_string(kMaxScenarioBytes) +
                           " bytes (16 MiB)"};
  }
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      return TextProblem{PositionOfOffset(text, i),
                         "NUL byte at offset " + std::to_string(i) +
                             ": this is a binary file, not a YAML scenario"};
    }
    std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      return TextProblem{PositionOfOffset(text, i),
                         "invalid UTF-8 (byte " + Hex(static_cast<unsigned char>(text[i])) +
                             " at offset " + std::to_string(i) +
                             "); a scenario must be UTF-8 text"};
    }
    i += n;
  }
  // Lexical flow-nesting guard. Quoted scalars and comments are skipped; a bracket
  // inside a plain scalar may be over-counted, which only matters past the limit.
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#' && StartsComment(text, i)) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '"' && StartsQuoted(text, i)) {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '\'' && StartsQuoted(text, i)) {
      for (++i; i < text.size(); ++i) {
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNestingDepth) {
        return TextProblem{PositionOfOffset(text, i),
                           "nesting deeper than " + std::to_string(kMaxNestingDepth) +
                               " levels; a scenario never needs more"};
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace bpsim::harness::scenario_internal
