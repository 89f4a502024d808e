#include "harness/live/page_cache.h"

#include <catch2/catch.hpp>

namespace bpsim::harness::live {
namespace {

using Page = CardPageCache::Page;
using Query = CardPageCache::Query;

std::vector<mocks::CardTransaction> Ledger() {
  std::vector<mocks::CardTransaction> txs(3);
  for (std::uint32_t i = 0; i < txs.size(); ++i) {
    txs[i].time = SimTime(i + 1) * kHour;
    txs[i].amount_cents = 100 * (i + 1);
    txs[i].merchant_category = std::uint8_t(i);
    txs[i].seq = i;
  }
  return txs;
}

Page Written(const Query& q, SimTime at, SimTime changes_at, std::string body = "{\"page\":1}") {
  Page p;
  p.query = q;
  p.base = "http://127.0.0.1:8080";
  p.account_text = "BANK-00000007-CARD";
  p.ledger = Ledger();
  p.written_at = at;
  p.changes_at = changes_at;
  p.amounts = {100, 200};
  p.body = std::move(body);
  return p;
}

TEST_CASE("card page cache: a page is found only for the same request, ledger and bookings",
          "[live][page_cache]") {
  CardPageCache cache;
  const Query q{7, 0, 8 * kDay, true, false};
  const std::string base = "http://127.0.0.1:8080", account = "BANK-00000007-CARD";
  CHECK(cache.Find(q, base, account, Ledger(), kDay) == nullptr);  // nothing kept yet
  cache.Keep(Written(q, kDay, 2 * kDay));

  const Page* page = cache.Find(q, base, account, Ledger(), kDay);
  REQUIRE(page != nullptr);
  CHECK(page->body == "{\"page\":1}");
  CHECK(page->amounts == std::vector<std::int64_t>{100, 200});
  CHECK(cache.Find(q, base, account, Ledger(), 2 * kDay - 1) != nullptr);

  SECTION("a pending transaction booked since: written anew") {
    CHECK(cache.Find(q, base, account, Ledger(), 2 * kDay) == nullptr);
  }
  SECTION("an instant before the page was written") {
    CHECK(cache.Find(q, base, account, Ledger(), kDay - 1) == nullptr);
  }
  SECTION("another query: customer, period or booking status") {
    CHECK(cache.Find({8, 0, 8 * kDay, true, false}, base, account, Ledger(), kDay) == nullptr);
    CHECK(cache.Find({7, kDay, 8 * kDay, true, false}, base, account, Ledger(), kDay) == nullptr);
    CHECK(cache.Find({7, 0, 9 * kDay, true, false}, base, account, Ledger(), kDay) == nullptr);
    CHECK(cache.Find({7, 0, 8 * kDay, true, true}, base, account, Ledger(), kDay) == nullptr);
    CHECK(cache.Find({7, 0, 8 * kDay, false, true}, base, account, Ledger(), kDay) == nullptr);
  }
  SECTION("another base of the links, or the account id written otherwise") {
    CHECK(cache.Find(q, "http://127.0.0.1:8081", account, Ledger(), kDay) == nullptr);
    CHECK(cache.Find(q, base, "BANK-7-CARD", Ledger(), kDay) == nullptr);
  }
  SECTION("a ledger that differs in any field, or in length") {
    for (int field = 0; field < 7; ++field) {
      std::vector<mocks::CardTransaction> other = Ledger();
      mocks::CardTransaction& t = other[1];
      switch (field) {
        case 0: t.time += 1; break;
        case 1: t.amount_cents += 1; break;
        case 2: t.merchant_category = 9; break;
        case 3: t.fraudulent = true; break;
        case 4: t.flagged = true; break;
        case 5: t.seq = 99; break;
        case 6: other.pop_back(); break;
      }
      CAPTURE(field);
      CHECK(cache.Find(q, base, account, other, kDay) == nullptr);
    }
  }
  SECTION("counted: every call is one page sent, kept or written") {
    CHECK(cache.hits() == 2);
    CHECK(cache.misses() == 1);
  }
}

TEST_CASE("card page cache: bounded, replaceable, and off when disabled", "[live][page_cache]") {
  const std::string base = "http://127.0.0.1:8080", account = "BANK-00000007-CARD";
  SECTION("a body longer than kMaxBody is not kept") {
    CardPageCache cache;
    const Query q{7, 0, 8 * kDay, true, false};
    cache.Keep(Written(q, kDay, kSimTimeMax, std::string(CardPageCache::kMaxBody + 1, ' ')));
    CHECK(cache.Find(q, base, account, Ledger(), kDay) == nullptr);
    cache.Keep(Written(q, kDay, kSimTimeMax, std::string(CardPageCache::kMaxBody, ' ')));
    CHECK(cache.Find(q, base, account, Ledger(), kDay) != nullptr);
  }
  SECTION("a newer page of the same query replaces the older") {
    CardPageCache cache;
    const Query q{7, 0, 8 * kDay, true, false};
    cache.Keep(Written(q, kDay, kSimTimeMax, "old"));
    cache.Keep(Written(q, 2 * kDay, kSimTimeMax, "new"));
    CHECK(cache.Find(q, base, account, Ledger(), kDay) == nullptr);  // written later
    REQUIRE(cache.Find(q, base, account, Ledger(), 2 * kDay) != nullptr);
    CHECK(cache.Find(q, base, account, Ledger(), 2 * kDay)->body == "new");
  }
  SECTION("many queries: each found is its own page, never another's") {
    CardPageCache cache;
    for (mocks::CustomerId c = 0; c < 4 * CardPageCache::kSlots; ++c) {
      cache.Keep(Written({c, 0, 8 * kDay, true, false}, kDay, kSimTimeMax, std::to_string(c)));
    }
    std::size_t found = 0;
    for (mocks::CustomerId c = 0; c < 4 * CardPageCache::kSlots; ++c) {
      const Page* p = cache.Find({c, 0, 8 * kDay, true, false}, base, account, Ledger(), kDay);
      if (p == nullptr) continue;
      ++found;
      CHECK(p->body == std::to_string(c));
    }
    CHECK(found > 0);
    CHECK(found <= CardPageCache::kSlots);
  }
  SECTION("disabled: nothing kept, nothing found, every page counted as written") {
    CardPageCache cache;
    cache.set_enabled(false);
    const Query q{7, 0, 8 * kDay, true, false};
    cache.Keep(Written(q, kDay, kSimTimeMax));
    CHECK(cache.Find(q, base, account, Ledger(), kDay) == nullptr);
    cache.set_enabled(true);
    CHECK(cache.Find(q, base, account, Ledger(), kDay) == nullptr);
    CHECK(cache.misses() == 2);
  }
}

}  // namespace
}  // namespace bpsim::harness::live
