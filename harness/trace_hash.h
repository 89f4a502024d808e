#pragma once
// The trace hash (reports' trace_hash; pinned in tests/pinned-traces.txt): the run's
// fingerprint, equal hashes <=> equal traces for practical purposes.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mocks/trace.h"

namespace bpsim::harness {

// A 64-bit hash of every entry's fields in publication order: the run's
// fingerprint in reports (equal hashes <=> equal traces, for practical purposes).
// An entry's nine words are folded by independent 64x64->128-bit multiplies and only
// one multiply chains from entry to entry, so the hash costs a few cycles per entry
// rather than nine dependent multiplies (it sees every entry of a run: 2e8 at scale).
class TraceHasher final : public mocks::WorldTraceSubscriber {
  // The byte fields OnEntry reads in one load: one byte each, in this order, and
  // the bools 0 or 1 (which C++ guarantees for a bool's value), type the lowest.
  static_assert(std::endian::native == std::endian::little);
  static_assert(sizeof(mocks::EntryType) == 1 && sizeof(mocks::CategorySet) == 1 &&
                sizeof(mocks::PurposeSet) == 1 && sizeof(mocks::ScopeSet) == 1);
  static_assert(offsetof(mocks::TraceEntry, labelled) == offsetof(mocks::TraceEntry, type) + 1 &&
                offsetof(mocks::TraceEntry, derived) == offsetof(mocks::TraceEntry, type) + 2 &&
                offsetof(mocks::TraceEntry, categories) == offsetof(mocks::TraceEntry, type) + 3 &&
                offsetof(mocks::TraceEntry, purpose) == offsetof(mocks::TraceEntry, type) + 4 &&
                offsetof(mocks::TraceEntry, consent_purposes) ==
                    offsetof(mocks::TraceEntry, type) + 5 &&
                offsetof(mocks::TraceEntry, scopes) == offsetof(mocks::TraceEntry, type) + 6 &&
                offsetof(mocks::TraceEntry, reason) == offsetof(mocks::TraceEntry, type) + 7);

 public:
  void OnEntry(const mocks::TraceEntry& e) override {
    const std::uint64_t w0 = std::uint64_t(e.time);
    // w1 = type | labelled << 8 | derived << 9 | categories << 16 | purpose << 24 |
    // consent_purposes << 32 | scopes << 40 | reason << 48, from the eight bytes those
    // fields fill in one load (field by field it was 16 loads and shifts per entry).
    std::uint64_t x;
    std::memcpy(&x, &e.type, sizeof x);
    const std::uint64_t w1 =
        (x & 0xffff) | ((x >> 7) & (std::uint64_t{0xff} << 9)) | ((x >> 8) & 0x00ffffffffff0000ULL);
    const std::uint64_t w2 =
        std::uint64_t(e.status) | std::uint64_t(e.bank) << 16 | std::uint64_t(e.subject) << 32;
    const std::uint64_t w3 = std::uint64_t(e.from.kind) | std::uint64_t(e.from.id) << 8 |
                             std::uint64_t(e.to.kind) << 40;
    const std::uint64_t w4 = std::uint64_t(e.to.id);
    const std::uint64_t a = Mum(w0 ^ 0xa0761d6478bd642fULL, w1 ^ 0xe7037ed1a0b428dbULL);
    const std::uint64_t b = Mum(w2 ^ 0x8ebc6af09c88c6e3ULL, w3 ^ 0x589965cc75374cc3ULL);
    const std::uint64_t c = Mum(w4 ^ 0x1d8e4e27c47d124fULL, e.consent ^ 0x9e3779b97f4a7c15ULL);
    const std::uint64_t d =
        Mum(e.ref ^ 0xbf58476d1ce4e5b9ULL, std::uint64_t(e.value) ^ 0x94d049bb133111ebULL);
    const std::uint64_t f = Mum(std::uint64_t(e.aux) ^ 0x2545f4914f6cdd1dULL, a ^ b);
    h_ = Mum(h_ ^ c ^ f, d ^ 0x632be59bd9b4e019ULL);
  }
  // The hash of the entries seen so far (a prefix's hash, mid-run).
  std::uint64_t digest() const { return h_ ^ (h_ >> 29); }

 private:
  // The two halves of the 128-bit product, xored (as in wyhash).
  static std::uint64_t Mum(std::uint64_t x, std::uint64_t y) {
    const unsigned __int128 p = static_cast<unsigned __int128>(x) * y;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
  }
  std::uint64_t h_ = 0x243f6a8885a308d3ULL;
};

}  // namespace bpsim::harness
