// Provenance (mocks/provenance.h): labels are facts about the data. A datum the bank
// served keeps its labels through the cache, through any job that reads it and
// into any sink; the flow's labels are computed from what the payload was built
// from, whichever code built it; and no code but EmitFlows marks a flow labelled.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <functional>

#include "harness/runner.h"
#include "mocks/provenance.h"
#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;
using testing::Recorder;
using testing::ScenarioFromYaml;

namespace {

const char* kWorld = R"(
seed: 9
duration: 1d
world:
  banks: [{id: northbank}, {id: southbank}]
  customers:
    count: 300
    consent: {opt_in: 0.7}
)";

// A world run `until`, with its trace recorded.
struct Run {
  explicit Run(SimTime until, const std::string& yaml = kWorld)
      : scenario(ScenarioFromYaml(yaml)), world(scenario.spec, &sim, &bus) {
    bus.Subscribe(&recorder);
    world.Start();
    sim.RunUntil(until);
  }
  Platform& platform() { return *world.simulated_platform(); }
  harness::Scenario scenario;
  Simulator sim;
  WorldTraceBus bus;
  Recorder recorder;
  World world;
};

std::vector<TraceEntry> FlowsTo(const Recorder& r, EndpointKind kind, SimTime from = 0) {
  std::vector<TraceEntry> out;
  for (const TraceEntry& e : r.entries) {
    if (e.type == EntryType::kFlow && e.to.kind == kind && e.time >= from) out.push_back(e);
  }
  return out;
}

// A job given to the platform by the test: `body` decides what it reads and where
// it writes.
class TestJob final : public PlatformJob {
 public:
  explicit TestJob(std::function<void(const PlatformData&, Sinks&)> body) : body_(std::move(body)) {}
  void Run(const PlatformData& data, Sinks& sinks) override { body_(data, sinks); }

 private:
  std::function<void(const PlatformData&, Sinks&)> body_;
};

}  // namespace

TEST_CASE("a datum keeps the labels the bank minted it with", "[mocks][provenance]") {
  Run run(0);
  const ConsentId k =
      run.world.consents().Create(7, 1, kScopeBalances, kPurposeDisplay | kPurposeFraudAlerts, kDay);
  const BankDatum d = run.world.bank(1).Release(7, k, Category::kBalance, kPurposeDisplay, 42);
  CHECK(d.valid());
  CHECK(d.subject() == 7);
  CHECK(d.bank() == 1);
  CHECK(d.consent() == k);
  CHECK(d.category() == Category::kBalance);
  CHECK(d.consent_purposes() == (kPurposeDisplay | kPurposeFraudAlerts));
  CHECK(d.served_at() == 0);
  CHECK_FALSE(BankDatum().valid());
  // The release itself is a flow labelled from the datum.
  const TraceEntry& release = run.recorder.entries.back();
  CHECK(release.type == EntryType::kFlow);
  CHECK(release.labelled);
  CHECK(release.from == BankEndpoint(1));
  CHECK(release.subject == 7);
  CHECK(release.consent == k);
  CHECK(release.categories == CategoryBit(Category::kBalance));
  CHECK(release.ref == 42);
}

TEST_CASE("a payload's provenance is the union of what it was built from", "[mocks][provenance]") {
  Run run(0);
  ConsentStore& consents = run.world.consents();
  const ConsentId k7 =
      consents.Create(7, 0, kScopeBalances | kScopeTransactions, kPurposeDisplay, kDay);
  const ConsentId k3 = consents.Create(3, 0, kScopeBalances, kPurposeDisplay, kDay);
  run.sim.RunUntil(kHour);
  const BankDatum tx = run.world.bank(0).Release(7, k7, Category::kTransactions, kPurposeDisplay, 1);
  run.sim.RunUntil(2 * kHour);
  const BankDatum balance = run.world.bank(0).Release(7, k7, Category::kBalance, kPurposeDisplay, 2);
  const BankDatum other = run.world.bank(0).Release(3, k3, Category::kBalance, kPurposeDisplay, 3);

  CHECK(Payload().provenance().empty());
  CHECK(Payload().Copy(BankDatum()).provenance().empty());  // nothing cached adds nothing

  Payload p;
  p.Copy(balance).Add(Payload().Derive(other)).Derive(tx);
  CHECK(p.derived());
  REQUIRE(p.provenance().size() == 2);  // one label per (subject, consent), by subject
  const Label& three = *p.provenance().begin();
  const Label& seven = *(p.provenance().begin() + 1);
  CHECK(three.subject == 3);
  CHECK(three.consent == k3);
  CHECK(three.categories == CategoryBit(Category::kBalance));
  CHECK(three.served_at == 2 * kHour);
  CHECK(seven.subject == 7);
  CHECK(seven.categories == (CategoryBit(Category::kBalance) | CategoryBit(Category::kTransactions)));
  CHECK(seven.served_at == kHour);  // the oldest input

  // Delivered: one labelled flow per label, aux = when the oldest input was served.
  const std::size_t before = run.recorder.entries.size();
  EmitFlows(run.world.env(), kConnector, kAds, kPurposeAds, p, 9);
  REQUIRE(run.recorder.entries.size() == before + 2);
  const TraceEntry& a = run.recorder.entries[before];
  const TraceEntry& b = run.recorder.entries[before + 1];
  CHECK((a.labelled && a.derived && a.subject == 3 && a.aux == 2 * kHour && a.ref == 9));
  CHECK((b.labelled && b.subject == 7 && b.aux == kHour && b.bank == 0 && b.consent == k7));
  CHECK(b.consent_purposes == kPurposeDisplay);
  // Without bank data: one unlabelled flow.
  EmitFlows(run.world.env(), kConnector, kAnalytics, kPurposeAnalytics, Payload(), 0, 12);
  const TraceEntry& plain = run.recorder.entries.back();
  CHECK_FALSE(plain.labelled);
  CHECK(plain.subject == kNoSubject);
  CHECK(plain.value == 12);
}

TEST_CASE("the cache gives back the datum the bank served, not one the platform describes",
          "[mocks][provenance]") {
  Run run(12 * kHour);
  const DatumCache& cache = run.platform().cache();
  // Every cache.put was of a datum released by the bank under the same consent, and
  // reading the slot back gives that datum's labels.
  std::size_t checked = 0;
  for (const TraceEntry& put : run.recorder.entries) {
    if (put.type != EntryType::kCachePut) continue;
    const auto c = CustomerId(put.ref >> 3);
    const int slot = int(put.ref & 7);
    BankDatum d = cache.Get(c, slot);
    if (!d.valid() || cache.put_at(c, slot) != put.time) continue;  // replaced or purged since
    CHECK(d.subject() == put.subject);
    CHECK(d.consent() == put.consent);
    CHECK(d.bank() == put.bank);
    CHECK(CategoryBit(d.category()) == put.categories);
    CHECK(d.served_at() == put.aux);
    CHECK(d.served_at() <= put.time);
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE("a sink handed a payload built from a cached balance is labelled, whichever job "
          "built it", "[mocks][provenance]") {
  Run run(6 * kHour);
  // Jobs that read a cached balance in different ways and write it to different
  // sinks: the labels come with the datum every time.
  using Body = std::function<void(const PlatformData&, Sinks&)>;
  struct Case {
    const char* name;
    EndpointKind sink;
    bool derived;
    Body body;
  };
  const Case cases[] = {
      {"a debug dump of balances to analytics", EndpointKind::kAnalytics, false,
       [](const PlatformData& d, Sinks& s) {
         Payload dump;
         for (CustomerId c = 0; c < d.customers(); ++c) dump.Copy(d.Cached(c, Category::kBalance));
         s.Deliver(kAnalytics, kPurposeAnalytics, dump);
       }},
      {"an aggregate (a total of balances) to a partner", EndpointKind::kPartner, true,
       [](const PlatformData& d, Sinks& s) {
         Payload total;
         for (CustomerId c = 0; c < d.customers(); ++c) total.Derive(d.Cached(c, Category::kBalance));
         s.Deliver(PartnerEndpoint(0), kPurposeSharing, total);
       }},
      {"one member's balance mixed into activity for ads", EndpointKind::kAds, false,
       [](const PlatformData& d, Sinks& s) {
         Payload activity;  // messenger data only
         for (CustomerId c = 0; c < d.customers(); ++c) {
           BankDatum b = d.Cached(c, Category::kBalance);
           if (!b.valid()) continue;
           Payload member;
           member.Copy(b);
           activity.Add(member);
           break;
         }
         s.Deliver(kAds, kPurposeAds, activity);
       }},
  };
  for (const Case& k : cases) {
    INFO(k.name);
    // The datums the job can read, as the bank minted them.
    std::set<std::pair<CustomerId, ConsentId>> cached;
    for (CustomerId c = 0; c < run.world.population().size(); ++c) {
      BankDatum b = run.platform().cache().Get(c, CacheSlotOf(Category::kBalance));
      if (b.valid()) cached.insert({c, b.consent()});
    }
    REQUIRE(cached.size() > 20);
    const SimTime at = run.sim.Now();
    run.platform().AddJob(std::make_unique<TestJob>(k.body), kMinute, kDay);
    run.sim.RunUntil(at + kMinute);
    std::vector<TraceEntry> flows = FlowsTo(run.recorder, k.sink, at + kMinute);
    REQUIRE_FALSE(flows.empty());
    for (const TraceEntry& f : flows) {
      CHECK(f.labelled);
      CHECK(f.derived == k.derived);
      CHECK(f.categories == CategoryBit(Category::kBalance));
      CHECK(cached.count({f.subject, f.consent}) == 1);
      CHECK(f.bank == run.world.population().at(f.subject).bank);
    }
  }
}

TEST_CASE("the built-in jobs upload audiences and exports without bank data unless a "
          "mistake reads it in", "[mocks][provenance]") {
  const std::string yaml = std::string(kWorld) + "defects: [DEFECTS]\n";
  auto with = [&](const std::string& defects) {
    std::string y = yaml;
    y.replace(y.find("DEFECTS"), 7, defects);
    return std::make_unique<Run>(4 * kHour, y);
  };
  auto clean = with("");
  CHECK(FlowsTo(clean->recorder, EndpointKind::kAds).size() == 1);
  CHECK_FALSE(FlowsTo(clean->recorder, EndpointKind::kAds)[0].labelled);
  CHECK(FlowsTo(clean->recorder, EndpointKind::kPartner).size() == 1);
  CHECK_FALSE(FlowsTo(clean->recorder, EndpointKind::kPartner)[0].labelled);
  for (const TraceEntry& f : FlowsTo(clean->recorder, EndpointKind::kAnalytics)) {
    CHECK_FALSE(f.labelled);
  }
  // The audience reads cached spending: derived transactions of every member.
  auto ads = with("platform.ads_uses_bank_data");
  auto audience = FlowsTo(ads->recorder, EndpointKind::kAds);
  REQUIRE(audience.size() > 10);
  for (const TraceEntry& f : audience) {
    CHECK((f.labelled && f.derived && f.categories == CategoryBit(Category::kTransactions)));
  }
  CHECK_FALSE(FlowsTo(ads->recorder, EndpointKind::kPartner)[0].labelled);
  // The export joins the balance table: copied balances.
  auto partner = with("platform.shares_with_partner");
  auto rows = FlowsTo(partner->recorder, EndpointKind::kPartner);
  REQUIRE(rows.size() > 10);
  for (const TraceEntry& f : rows) {
    CHECK((f.labelled && !f.derived && f.categories == CategoryBit(Category::kBalance)));
  }
}

// The hidden mistake: a job no defect switch names, written as a developer might
// ("dump cached balances to analytics to debug a dashboard"), run through the real
// runner and monitors. Nothing in it mentions labels; the data brings them.
TEST_CASE("a mistake no defect switch names is caught by what the data is",
          "[mocks][provenance][hidden]") {
  harness::Scenario scenario = ScenarioFromYaml(std::string(kWorld) + "drain: 1h\n");
  auto run_with = [&](bool debug_job) {
    harness::RunOptions options;
    options.async_judging = false;
    options.drive = [&](World& world, Simulator& sim) {
      if (debug_job) {
        world.simulated_platform()->AddJob(
            std::make_unique<TestJob>([](const PlatformData& d, Sinks& s) {
              Payload dump;
              for (CustomerId c = 0; c < d.customers(); ++c) {
                dump.Copy(d.Cached(c, Category::kBalance));
              }
              s.Deliver(kAnalytics, kPurposeAnalytics, dump);
            }),
            2 * kHour, 6 * kHour);
      }
      sim.RunUntil(scenario.spec.duration);
      world.BeginDrain();
      sim.RunUntil(scenario.spec.duration + scenario.spec.drain);
      return true;
    };
    return harness::RunScenario(scenario, options);
  };
  reports::ScenarioResult clean = run_with(false);
  CHECK(clean.passed);
  CHECK(clean.violations.empty());
  reports::ScenarioResult debug = run_with(true);
  CHECK_FALSE(debug.passed);
  std::set<std::string> fired;
  for (const auto& v : debug.violations) fired.insert(v.invariant);
  CHECK(fired == std::set<std::string>{"purpose-limitation"});
  REQUIRE_FALSE(debug.violations.empty());
  CHECK(debug.violations[0].message.find("reached analytics for analytics") != std::string::npos);
}

TEST_CASE("no code but EmitFlows marks a flow labelled", "[mocks][provenance]") {
  // The property the issue asks grep for, as a test: in the product's sources (mocks/,
  // harness/, sim/, reports/), the only assignment to TraceEntry::labelled is in
  // mocks/provenance.cc.
  namespace fs = std::filesystem;
  const std::regex assignment(R"((\.|->)\s*labelled\s*=[^=])");
  // The code of a source file, without its // comments.
  std::set<std::string> setters;
  for (const char* dir : {"mocks", "harness", "sim", "reports"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(BPSIM_SOURCE_DIR) / dir)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".cc" && ext != ".h") continue;
      std::ifstream in(entry.path());
      std::string source, line;
      while (std::getline(in, line)) source += line.substr(0, line.find("//")) + "\n";
      if (std::regex_search(source, assignment)) {
        setters.insert(fs::relative(entry.path(), BPSIM_SOURCE_DIR).string());
      }
    }
  }
  CHECK(setters == std::set<std::string>{"mocks/provenance.cc"});
}
