#pragma once
// A Pattern (harness/scenario/scenario.h) compiled once into a matcher over trace
// entries: names are resolved to ids (banks and partners through TraceNames),
// value lists to bit sets or small id lists, so Matches() does no allocation and no
// string work except for `reason` (a string_view compare).
//
// Endpoint values (from, to): "*" (any endpoint that is set), "bank:<id>", "bank:*",
// "platform.connector", "platform.cache", "chat:<n>", "chat:*" (private chats only),
// "chat:group:<n>", "chat:group:*", "ads", "partner:<name>", "partner:*",
// "analytics", "log", "customer:<n>", "customer:*", "messenger".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/scenario.h"
#include "mocks/trace.h"
#include "sim/status.h"

namespace bpsim::harness {

// The fields a rule may name as `key`, read as a 64-bit value.
enum class KeyField : std::uint8_t {
  kNone,
  kSubject,
  kConsent,
  kBank,
  kRef,
  kStatus,
  kFrom,
  kTo,
  kCategory,
  kPurpose,
  kReason,
  kDerived,
  kLabelled
};
// Fails with "unknown key field 'x'" for a name that is not an entry field.
Result<KeyField> ParseKeyField(std::string_view name);
std::uint64_t KeyOf(KeyField field, const mocks::TraceEntry& e);

class CompiledPattern {
 public:
  // Fails if a value cannot be read or names what this world lacks (a bank or
  // partner not in `names`); the message names the field and the value.
  static Result<CompiledPattern> Compile(const Pattern& pattern, const mocks::TraceNames& names);

  // The entry types the pattern can match.
  std::uint64_t type_mask() const { return type_mask_; }
  bool Matches(const mocks::TraceEntry& e) const;

 private:
  enum class Field : std::uint8_t {
    kFrom,
    kTo,
    kCategory,
    kSubject,
    kBank,
    kConsent,
    kStatus,
    kPurpose,
    kReason,
    kDerived,
    kLabelled,
    kRef
  };
  struct EndpointTest {
    mocks::EndpointKind kind;
    bool any_id;
    std::uint32_t id;
  };
  struct Test {
    Field field;
    std::uint8_t bits = 0;      // category / purpose sets; derived/labelled: 1=false 2=true
    bool any_endpoint = false;  // "*"
    std::vector<EndpointTest> endpoints;  // from / to
    std::vector<std::uint64_t> values;    // subject, bank, consent, status, ref
    std::vector<std::string> reasons;     // reason
  };
  static bool EndpointMatches(const Test& t, const mocks::Endpoint& e);

  std::uint64_t type_mask_ = 0;
  std::vector<Test> tests_;
};

}  // namespace bpsim::harness
