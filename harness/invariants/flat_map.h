#pragma once
// An open-addressing hash map from 64-bit keys to small values, for the monitors'
// hot paths (cache items keyed by item key, requests by id): one flat array, linear
// probing, backward-shift deletion (no tombstones), load factor at most 1/2. About
// 5x faster than std::unordered_map here, which allocates a node per insert.
//
// Iteration order is not defined and must never reach output (docs/architecture.md, convention 2); the
// monitors only look keys up. Not thread-safe.

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/huge_pages.h"
#include "sim/prefetch.h"

namespace bpsim::harness {

template <typename V>
class FlatMap {
 public:
  FlatMap() { slots_.resize(16); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // nullptr if absent. The pointer is valid until the next insert or erase.
  V* find(std::uint64_t key) {
    if (key == kEmpty) return has_max_ ? &max_value_ : nullptr;
    for (std::size_t i = Home(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  const V* find(std::uint64_t key) const { return const_cast<FlatMap*>(this)->find(key); }
  bool contains(std::uint64_t key) const { return find(key) != nullptr; }

  // A hint that `key` will be looked up soon: starts loading its home slot's line
  // and the next (an insert probes on to an empty slot and an erase shifts the probe
  // run back, so about half cross into it at load 0.4). The next line's address is
  // formed as an integer: past the table's end for its last slots, where a prefetch
  // is harmless but pointer arithmetic is not. Always inlined: GCC 12 judges an
  // out-of-line function whose only effect is a prefetch to be pure and deletes the
  // calls to it.
  [[gnu::always_inline]] void Prefetch(std::uint64_t key) const {
    const Slot* home = slots_.data() + Home(key);
    bpsim::Prefetch(home);
    bpsim::Prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(home) + 64));
  }

  // The value for `key`, default-constructed if absent.
  V& operator[](std::uint64_t key) { return *insert(key, V{}).first; }

  // Inserts (key, value) if absent; returns the value's address and whether it was
  // inserted.
  std::pair<V*, bool> insert(std::uint64_t key, V value) {
    if (key == kEmpty) {
      bool inserted = !has_max_;
      if (inserted) {
        has_max_ = true;
        max_value_ = std::move(value);
        ++size_;
      }
      return {&max_value_, inserted};
    }
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    for (std::size_t i = Home(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key) return {&slots_[i].value, false};
      if (slots_[i].key == kEmpty) {
        slots_[i].key = key;
        slots_[i].value = std::move(value);
        ++size_;
        return {&slots_[i].value, true};
      }
    }
  }

  // Removes `key`; false if it was absent.
  bool erase(std::uint64_t key) {
    if (key == kEmpty) {
      if (!has_max_) return false;
      has_max_ = false;
      --size_;
      return true;
    }
    std::size_t i = Home(key);
    while (slots_[i].key != key) {
      if (slots_[i].key == kEmpty) return false;
      i = (i + 1) & mask();
    }
    // Backward-shift: move later members of the probe run into the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask(); slots_[j].key != kEmpty; j = (j + 1) & mask()) {
      std::size_t home = Home(slots_[j].key);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].key = kEmpty;
    slots_[hole].value = V{};
    --size_;
    return true;
  }

 private:
  static constexpr std::uint64_t kEmpty = ~0ULL;
  struct PlainSlot {
    std::uint64_t key = kEmpty;
    V value{};
  };
  // A slot of 16, 32 or 64 bytes is aligned to its size, so a probe of one slot
  // touches one cache line.
  static constexpr std::size_t kSlotAlign =
      sizeof(PlainSlot) <= 64 && (sizeof(PlainSlot) & (sizeof(PlainSlot) - 1)) == 0
          ? sizeof(PlainSlot)
          : alignof(PlainSlot);
  struct alignas(kSlotAlign) Slot : PlainSlot {};
  std::size_t mask() const { return slots_.size() - 1; }
  [[gnu::always_inline]] std::size_t Home(std::uint64_t key) const {
    std::uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    return std::size_t(h ^ (h >> 32)) & mask();
  }
  void Grow() {
    HugeVector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    std::size_t kept = has_max_ ? 1 : 0;
    size_ = kept;
    for (Slot& s : old) {
      if (s.key == kEmpty) continue;
      std::size_t i = Home(s.key);
      while (slots_[i].key != kEmpty) i = (i + 1) & mask();
      slots_[i] = std::move(s);
      ++size_;
    }
  }

  HugeVector<Slot> slots_;  // grows to tens of megabytes, read at random
  std::size_t size_ = 0;
  bool has_max_ = false;
  V max_value_{};
};

}  // namespace bpsim::harness
