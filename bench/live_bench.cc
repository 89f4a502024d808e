// Live mode's canary scanner (harness/live/messenger.h): bytes/s through
// ScanCanaries for sink bodies of realistic shape - a chat message, and a partner
// export listing many customers' rows with account ids, transaction ids and amounts;
// and the JSON writer of the live answers (harness/live/json_writer.h) on a Berlin
// Group card transactions page, beside nlohmann's DOM building the same bytes.

#include <benchmark/benchmark.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/live/berlin_group.h"
#include "harness/live/canary.h"
#include "harness/live/json_writer.h"
#include "harness/live/messenger.h"

namespace bpsim::harness::live {
namespace {

struct ScanWorld {
  ScanWorld() {
    spec.seed = 1;
    spec.duration = kDay;
    mocks::BankConfig north;
    north.id = "northbank";
    mocks::BankConfig south = north;
    south.id = "southbank";
    south.api.dialect = mocks::Dialect::kBerlinGroup;
    spec.world.banks = {north, south};
    spec.world.customers.count = 10000;
    spec.world.customers.consent.opt_in = 0;
    world = std::make_unique<mocks::World>(spec, &sim, &bus);
    for (mocks::CustomerId c = 0; c < 10000; ++c) {
      served.NoteAmount(FormatAmount(100000 + c * 37), c, mocks::Category::kBalance);
    }
  }
  std::string Export(int rows) {
    std::string body = "{\"rows\":[";
    for (int i = 0; i < rows; ++i) {
      mocks::CustomerId c = mocks::CustomerId(i * 7 % 10000);
      const char* bank = world->population().at(c).bank == 0 ? "northbank" : "southbank";
      mocks::CardTransaction tx;
      tx.time = kDay;
      tx.seq = std::uint32_t(i % 9);
      body += (i ? "," : "");
      body += "{\"account\":\"" + AccountId(bank, c, AccountKind::kCard) + "\",\"tx\":\"" +
              TransactionId(c, tx) + "\",\"balance\":\"" + FormatAmount(100000 + c * 37) +
              "\",\"note\":\"lorem ipsum dolor sit amet 3.5 2025-01-02\"}";
    }
    return body + "]}";
  }
  mocks::WorldSpec spec;
  Simulator sim;
  mocks::WorldTraceBus bus;
  std::unique_ptr<mocks::World> world;
  ServedRegistry served;
};

void BM_ScanChatMessage(benchmark::State& state) {
  ScanWorld w;
  const std::string body =
      R"json({"text":"Your balance is 1037.00 GBP (account NORTHBANK-00000001-CHK)","check":812})json";
  for (auto _ : state) benchmark::DoNotOptimize(ScanCanaries(body, *w.world, w.served));
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(body.size()));
}
BENCHMARK(BM_ScanChatMessage);

void BM_ScanPartnerExport(benchmark::State& state) {
  ScanWorld w;
  const std::string body = w.Export(int(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ScanCanaries(body, *w.world, w.served));
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(body.size()));
  state.counters["body_bytes"] = double(body.size());
}
BENCHMARK(BM_ScanPartnerExport)->Arg(10)->Arg(1000)->Arg(7000);

// The Berlin Group card transactions answer's shape (harness/live/berlin_group.cc):
// 22 booked transactions, each written by the answer's own WriteCardTransaction,
// beside the same document built through nlohmann's DOM and dumped: the reference, in
// the same process. Both give the same bytes (checked once before timing).
constexpr int kPageTransactions = 22;

mocks::CardTransaction PageTransaction(int i) {
  mocks::CardTransaction tx;
  tx.time = (1 + i / 4) * kDay + (i * 3'917 % 86'400) * kSecond;
  tx.seq = std::uint32_t(i % 4);
  tx.amount_cents = 125 + i * 4'093 % 90'000;
  tx.merchant_category = std::uint8_t(i % 5);
  return tx;
}

SimTime PageBookedAt(const mocks::CardTransaction& tx) {
  return tx.time / kDay * kDay + 2 * kDay + 2 * kHour;
}

std::string WriterPage(const std::string& masked_pan, const std::string& href) {
  std::string body;
  body.reserve(4096);
  JsonWriter w(&body);
  w.BeginObject().Key("cardAccount").BeginObject().Field("maskedPan", masked_pan);
  w.Field("currency", "EUR").EndObject();
  w.Key("cardTransactions").BeginObject().Key("booked").BeginArray();
  for (int i = 0; i < kPageTransactions; ++i) {
    const mocks::CardTransaction tx = PageTransaction(i);
    WriteCardTransaction(w, 7, masked_pan, tx, PageBookedAt(tx), /*pending=*/false);
  }
  w.EndArray().EndObject();
  w.Key("_links").BeginObject().Key("cardAccount").BeginObject().Field("href", href);
  w.EndObject().EndObject().EndObject();
  return body;
}

std::string DomPage(const std::string& masked_pan, const std::string& href) {
  using Json = nlohmann::ordered_json;
  Json page;
  page["cardAccount"] = {{"maskedPan", masked_pan}, {"currency", "EUR"}};
  Json booked = Json::array();
  for (int i = 0; i < kPageTransactions; ++i) {
    const mocks::CardTransaction tx = PageTransaction(i);
    Json t;
    t["cardTransactionId"] = TransactionId(7, tx);
    t["transactionDate"] = FormatDate(tx.time);
    t["acceptorTransactionDateTime"] = FormatDateTime(tx.time);
    t["bookingDate"] = FormatDate(PageBookedAt(tx));
    t["transactionAmount"] = {{"currency", "EUR"}, {"amount", "-" + FormatAmount(tx.amount_cents)}};
    t["merchantCategoryCode"] = MerchantCategoryCode(tx.merchant_category);
    t["maskedPAN"] = masked_pan;
    t["transactionDetails"] = mocks::kMerchantCategories[tx.merchant_category];
    booked.push_back(std::move(t));
  }
  page["cardTransactions"]["booked"] = std::move(booked);
  page["_links"]["cardAccount"]["href"] = href;
  return page.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Arg 0: JsonWriter; arg 1: the nlohmann DOM (the reference).
void BM_CardTransactionsPage(benchmark::State& state) {
  const std::string masked_pan = MaskedPan(2, 7);
  const std::string href = "http://127.0.0.1:18082/v1/card-accounts/EUROBANK-00000007-CARD";
  if (WriterPage(masked_pan, href) != DomPage(masked_pan, href)) {
    state.SkipWithError("JsonWriter and nlohmann gave different bytes");
    return;
  }
  const bool dom = state.range(0) == 1;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = dom ? DomPage(masked_pan, href) : WriterPage(masked_pan, href);
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
  state.SetLabel(dom ? "nlohmann DOM (reference)" : "JsonWriter");
}
BENCHMARK(BM_CardTransactionsPage)->Arg(0)->Arg(1);

}  // namespace
}  // namespace bpsim::harness::live
