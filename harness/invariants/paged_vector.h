#pragma once
// A growable array indexed by a dense id (a consent id), in pages of 2 MiB or more on
// huge pages, for the monitors' per-id tables that are read at random. It grows
// without moving what it holds: a std::vector that doubles copies everything and
// zeroes twice the memory at once, and in the million-customer month the two tables
// by consent id doubled together at ~14 s, a stall of the judging thread (and so of
// the simulation, waiting for it) of about 0.2 s. Here a new page costs the zeroing
// of one page, spread over the run. The first page grows like a vector up to its
// full size, so a small run does not pay for a whole page.
//
// Elements are value-initialised. Once the first page is whole no element moves
// again; until then the first page's elements move as it grows, as a vector's would.
// Not thread-safe.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <vector>

#include "sim/huge_pages.h"

namespace bpsim::harness {

template <typename T>
class PagedVector {
 public:
  std::size_t size() const { return size_; }

  T& operator[](std::size_t i) { return pages_[i >> kShift][i & kMask]; }
  const T& operator[](std::size_t i) const { return pages_[i >> kShift][i & kMask]; }

  // Grows to at least n elements (never shrinks).
  void GrowTo(std::size_t n) {
    if (n <= size_) return;
    if (pages_.empty()) pages_.emplace_back();
    HugeVector<T>& first = pages_.front();
    const std::size_t pages = ((n - 1) >> kShift) + 1;
    // The first page grows like a vector (geometrically, within the page) until it
    // is whole; every later page is whole from the start.
    const std::size_t in_first = pages == 1 ? n : kPageItems;
    if (first.size() < in_first) {
      if (first.capacity() < in_first) {
        first.reserve(std::min(kPageItems, std::max(in_first, 2 * first.capacity())));
      }
      first.resize(in_first);
    }
    while (pages_.size() < pages) pages_.emplace_back(kPageItems);
    size_ = n;
  }

 private:
  // Items per page: the smallest power of two that fills a huge page (exactly one
  // for a power-of-two element size), so that HugePageAllocator backs every whole
  // page with huge pages.
  static constexpr int kShift = std::bit_width((kHugePageBytes + sizeof(T) - 1) / sizeof(T) - 1);
  static constexpr std::size_t kPageItems = std::size_t{1} << kShift;
  static constexpr std::size_t kMask = kPageItems - 1;
  static_assert(sizeof(T) <= kHugePageBytes);

  std::vector<HugeVector<T>> pages_;  // all but a growing first page hold kPageItems
  std::size_t size_ = 0;
};

}  // namespace bpsim::harness
