// PagedVector holds what a std::vector would, across pages, and never moves an
// element once its page is whole.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "harness/invariants/paged_vector.h"
#include "sim/rng.h"

using bpsim::harness::PagedVector;

namespace {

// 64 KiB: 32 to a page, so a few hundred elements span many pages.
struct Big {
  std::uint64_t id = 0;
  std::uint64_t pad[8191] = {};
};

}  // namespace

TEST_CASE("PagedVector matches a std::vector as it grows over many pages", "[invariants][paged_vector]") {
  PagedVector<Big> paged;
  std::vector<std::uint64_t> model;  // model[i] = the id written at i
  std::vector<const Big*> addresses;
  bpsim::Rng rng(7, 8);
  for (int step = 0; step < 400; ++step) {
    // Mostly one more (ids arrive densely), sometimes a jump past a page or two.
    const std::size_t n = model.size() + (rng.Below(10) == 0 ? rng.Below(80) : 1);
    paged.GrowTo(n);
    REQUIRE(paged.size() == n);
    while (model.size() < n) {
      REQUIRE(paged[model.size()].id == 0);  // value-initialised
      REQUIRE(paged[model.size()].pad[8190] == 0);
      model.push_back(0);
    }
    // Past 32 elements the first page is whole, and every later page is whole from
    // the start: from then on no element moves.
    if (n > 32) {
      while (addresses.size() < n) addresses.push_back(&paged[addresses.size()]);
    }
    const std::size_t i = rng.Below(n);
    paged[i].id = std::uint64_t(step) + 1;
    model[i] = std::uint64_t(step) + 1;
    paged.GrowTo(n / 2);  // never shrinks
    REQUIRE(paged.size() == n);
  }
  REQUIRE(model.size() > 300);
  for (std::size_t i = 0; i < model.size(); ++i) {
    REQUIRE(paged[i].id == model[i]);
    if (i < addresses.size()) REQUIRE(&paged[i] == addresses[i]);  // nothing moved since
  }
}

TEST_CASE("PagedVector's first page grows to a whole page, then stays put", "[invariants][paged_vector]") {
  PagedVector<std::uint32_t> small;  // 2^19 to a page
  small.GrowTo(3);
  small[2] = 7;
  small.GrowTo(1 << 19);  // exactly one page
  REQUIRE(small[2] == 7);
  REQUIRE(small[(1 << 19) - 1] == 0);
  const std::uint32_t* first = &small[0];
  small.GrowTo((1 << 19) + 1);  // a second page
  REQUIRE(&small[0] == first);
  small[1 << 19] = 9;
  REQUIRE(small[1 << 19] == 9);
  REQUIRE(small.size() == (1u << 19) + 1);
}
