// Live mode's canary scanner (harness/live/messenger.h): bytes/s through
// ScanCanaries for sink bodies of realistic shape - a chat message, and a partner
// export listing many customers' rows with account ids, transaction ids and amounts.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "harness/live/canary.h"
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

}  // namespace
}  // namespace bpsim::harness::live
