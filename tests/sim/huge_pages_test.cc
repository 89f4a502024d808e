// HugePageAllocator (sim/huge_pages.h): large arrays start on a 2 MiB boundary so
// that the kernel can back them with huge pages, small ones are ordinary, the
// largest are mapped in the background, and the contents behave exactly as in a
// std::vector.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "sim/huge_pages.h"

namespace bpsim {
namespace {

TEST_CASE("HugeVector: arrays of 2 MiB and more start on a huge-page boundary", "[huge_pages]") {
  HugeVector<std::uint64_t> big(3 * kHugePageBytes / sizeof(std::uint64_t) + 5);
  CHECK(reinterpret_cast<std::uintptr_t>(big.data()) % kHugePageBytes == 0);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = i * 7;
  std::uint64_t sum = 0;
  for (std::uint64_t v : big) sum += v;
  const std::uint64_t n = big.size();
  CHECK(sum == 7 * (n * (n - 1) / 2));
}

TEST_CASE("HugeVector: small arrays, growth and copies keep their contents", "[huge_pages]") {
  HugeVector<int> v;
  for (int i = 0; i < 1'000'000; ++i) v.push_back(i);  // grows past 2 MiB on the way
  CHECK(v.size() == 1'000'000);
  CHECK(v.front() == 0);
  CHECK(v.back() == 999'999);
  CHECK(v[123'456] == 123'456);
  HugeVector<int> copy = v;
  CHECK(copy == v);
  v.clear();
  v.shrink_to_fit();
  HugeVector<int> empty;
  empty.reserve(0);
  CHECK(empty.empty());
  HugeVector<char> tiny(3, 'x');
  CHECK(std::string(tiny.begin(), tiny.end()) == "xxx");
}

TEST_CASE("HugeVector: over-aligned elements are aligned at every size", "[huge_pages]") {
  struct alignas(64) Line {
    std::uint64_t v[8];
  };
  for (std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{1000},
                        kHugePageBytes / sizeof(Line) + 1}) {
    HugeVector<Line> lines(n);
    CHECK(reinterpret_cast<std::uintptr_t>(lines.data()) % alignof(Line) == 0);
    lines.back().v[7] = n;
    CHECK(lines.back().v[7] == n);
  }
}

TEST_CASE("HugeVector: a size that overflows size_t is refused, not wrapped", "[huge_pages]") {
  HugePageAllocator<std::uint64_t> alloc;
  CHECK_THROWS_AS(alloc.allocate(static_cast<std::size_t>(-1) / 4), std::bad_array_new_length);
}

// The process's resident memory in KiB (/proc/self/status), or -1 if unknown.
long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST_CASE("HugeVector: the largest arrays are mapped in the background, untouched",
          "[huge_pages]") {
  // Nobody touches this array, yet its pages become resident: the prefaulting
  // thread maps them (MADV_POPULATE_WRITE, in every kernel since 5.14).
  HugePageAllocator<std::uint64_t> alloc;
  const std::size_t n = 2 * kPrefaultBytes / sizeof(std::uint64_t);
  const long before = ResidentKiB();
  REQUIRE(before > 0);
  std::uint64_t* p = alloc.allocate(n);
  long grown = 0;
  for (int i = 0; i < 600 && grown < 200 * 1024; ++i) {  // at most a minute
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    grown = ResidentKiB() - before;
  }
  CHECK(grown >= 200 * 1024);
  alloc.deallocate(p, n);
}

TEST_CASE("HugeVector: freeing and reusing the largest arrays while they are being "
          "mapped keeps every content", "[huge_pages]") {
  // Arrays freed before the background thread reaches them, and new ones perhaps at
  // the same addresses: values are exactly what was written, never changed by it.
  const std::size_t n = kPrefaultBytes / sizeof(std::uint64_t) + 3;
  for (std::uint64_t round = 0; round < 6; ++round) {
    HugeVector<std::uint64_t> a(n);
    CHECK(a[0] == 0);
    CHECK(a[n / 2] == 0);
    CHECK(a[n - 1] == 0);
    for (std::size_t i = 0; i < n; i += 4096) a[i] = i ^ round;
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) bad += a[i] != (i % 4096 == 0 ? i ^ round : 0);
    CHECK(bad == 0);
  }
}

}  // namespace
}  // namespace bpsim
