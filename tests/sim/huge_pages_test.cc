// HugePageAllocator (sim/huge_pages.h): large arrays start on a 2 MiB boundary so
// that the kernel can back them with huge pages, small ones are ordinary, and the
// contents behave exactly as in a std::vector.

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <string>

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

}  // namespace
}  // namespace bpsim
