// FlatMap behaves like std::unordered_map under random inserts, lookups and erases.

#include <catch2/catch.hpp>

#include <unordered_map>

#include "harness/invariants/flat_map.h"
#include "sim/rng.h"

using bpsim::harness::FlatMap;

TEST_CASE("FlatMap matches std::unordered_map over 200,000 random operations", "[invariants][flat_map]") {
  FlatMap<std::uint32_t> flat;
  std::unordered_map<std::uint64_t, std::uint32_t> model;
  bpsim::Rng rng(3, 4);
  for (std::uint32_t op = 0; op < 200000; ++op) {
    // Small key space so collisions, erases of present keys and reinsertions are common;
    // include the reserved all-ones key.
    std::uint64_t key = rng.Below(5000);
    if (key == 4999) key = ~0ULL;
    switch (rng.Below(3)) {
      case 0: {
        auto [v, inserted] = flat.insert(key, op);
        auto [it, model_inserted] = model.emplace(key, op);
        REQUIRE(inserted == model_inserted);
        REQUIRE(*v == it->second);
        break;
      }
      case 1:
        REQUIRE(flat.erase(key) == (model.erase(key) == 1));
        break;
      default: {
        const std::uint32_t* v = flat.find(key);
        auto it = model.find(key);
        REQUIRE((v != nullptr) == (it != model.end()));
        if (v != nullptr) REQUIRE(*v == it->second);
      }
    }
    REQUIRE(flat.size() == model.size());
  }
  for (const auto& [key, value] : model) {
    REQUIRE(flat.find(key) != nullptr);
    REQUIRE(*flat.find(key) == value);
  }
}
