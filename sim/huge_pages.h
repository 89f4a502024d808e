#pragma once
// Large arrays on transparent huge pages. A simulation of a million entities reads
// its per-entity arrays (tens of megabytes each) at random; with 4 KiB pages nearly
// every such read also misses the TLB. HugePageAllocator asks Linux to back
// allocations of 2 MiB and more with 2 MiB pages (madvise(MADV_HUGEPAGE), which
// works when /sys/kernel/mm/transparent_hugepage/enabled is `always` or `madvise`;
// with `never`, or on another system, the memory is ordinary). It is a hint: the
// contents, and so the results of a run, never depend on it; only speed does.
//
// Use HugeVector<T> for arrays that grow to megabytes and are read at random.
// Smaller allocations are plain malloc (aligned_alloc for over-aligned types).
//
// Allocations of kPrefaultBytes and more (only runs of millions of entities make
// them) are also mapped ahead by a background thread (sim/huge_pages.cc). The kernel
// zeroes each fresh page at its first touch, and on a virtual machine whose host must
// first back the page that took 1.6-7.8 s of the simulation thread's time in two days
// of ten million customers (issue 16), in the constructors of the customers and the
// platform's cache and wherever the vectors of consents and queued events doubled.
// The background thread asks for those pages, last page first, while the allocating
// thread goes on from the front.

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace bpsim {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
inline constexpr std::size_t kPrefaultBytes = std::size_t{128} << 20;

// `bytes` (>= kHugePageBytes) rounded up to whole huge pages, aligned to one, asked to
// be backed by huge pages and, from kPrefaultBytes, prefaulted in the background.
// Null when out of memory; free with std::free.
void* AllocateHugePages(std::size_t bytes);

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    std::size_t bytes = n * sizeof(T);
    void* p = nullptr;
    if (bytes >= kHugePageBytes) {
      p = AllocateHugePages(bytes);
    } else if (alignof(T) > alignof(std::max_align_t)) {
      const std::size_t align = alignof(T);
      p = std::aligned_alloc(align, (bytes + align - 1) / align * align + (bytes == 0 ? align : 0));
    } else {
      p = std::malloc(bytes == 0 ? 1 : bytes);
    }
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace bpsim
