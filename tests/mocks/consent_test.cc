// The consent life cycle (docs/world.md): AwaitingAuthorisation -> Authorised ->
// Revoked | Expired, or -> Rejected; final states never change.

#include <catch2/catch.hpp>

#include "mocks/bank/consent.h"
#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;

namespace {

struct Registry {
  Registry() {
    env.clock = &sim;
    env.bus = &bus;
    bus.Subscribe(&recorder);
  }
  void AdvanceTo(SimTime t) { sim.RunUntil(t); }
  Simulator sim;
  WorldTraceBus bus;
  testing::Recorder recorder;
  Env env;
  ConsentStore store{&env};
};

}  // namespace

TEST_CASE("A new consent awaits authorisation and publishes consent.created",
          "[mocks][consent]") {
  Registry r;
  ConsentId id = r.store.Create(3, 0, kScopeBalances, kPurposeDisplay, kDay);
  CHECK(id == 1);
  CHECK(r.store.Get(id).status == ConsentStatus::kAwaitingAuthorisation);
  CHECK(r.store.Get(id).expires_at == kDay);
  REQUIRE(r.recorder.entries.size() == 1);
  CHECK(r.recorder.entries[0].type == EntryType::kConsentCreated);
  CHECK(r.recorder.entries[0].subject == 3);
  CHECK(r.store.Latest(3) == id);
}

TEST_CASE("Authorise, then revoke: each transition once, then final", "[mocks][consent]") {
  Registry r;
  ConsentId id = r.store.Create(1, 0, kScopeBalances, kPurposeDisplay, kDay);
  CHECK(r.store.Authorise(id, 42));
  CHECK(r.store.Get(id).status == ConsentStatus::kAuthorised);
  CHECK_FALSE(r.store.Authorise(id, 43));  // already authorised
  CHECK(r.store.Revoke(id, Via::kBank));
  CHECK(r.store.Get(id).status == ConsentStatus::kRevoked);
  CHECK_FALSE(r.store.Revoke(id, Via::kMessenger));
  CHECK_FALSE(r.store.Authorise(id, 44));
  r.AdvanceTo(2 * kDay);
  CHECK_FALSE(r.store.Expire(id));
  CHECK(r.store.Get(id).status == ConsentStatus::kRevoked);
  CHECK(r.recorder.Count(EntryType::kConsentRevoked) == 1);
}

TEST_CASE("A rejected consent can never be authorised or revoked", "[mocks][consent]") {
  Registry r;
  ConsentId id = r.store.Create(1, 0, kScopeBalances, kPurposeDisplay, kDay);
  CHECK(r.store.Reject(id));
  CHECK_FALSE(r.store.Authorise(id, 1));
  CHECK_FALSE(r.store.Revoke(id, Via::kBank));
  CHECK_FALSE(r.store.Reject(id));
  CHECK(r.store.Get(id).status == ConsentStatus::kRejected);
}

TEST_CASE("An authorised consent expires only at its expiry time", "[mocks][consent]") {
  Registry r;
  ConsentId id = r.store.Create(1, 0, kScopeBalances, kPurposeDisplay, kDay);
  REQUIRE(r.store.Authorise(id, 7));
  r.AdvanceTo(kDay - 1);
  CHECK_FALSE(r.store.Expire(id));
  CHECK(r.store.Get(id).UsableAt(kDay - 1));
  r.AdvanceTo(kDay);
  CHECK_FALSE(r.store.Get(id).UsableAt(kDay));
  CHECK(r.store.Expire(id));
  CHECK(r.store.Get(id).status == ConsentStatus::kExpired);
  CHECK_FALSE(r.store.Revoke(id, Via::kBank));
}

TEST_CASE("A consent cannot be authorised after its expiry", "[mocks][consent]") {
  Registry r;
  ConsentId id = r.store.Create(1, 0, kScopeBalances, kPurposeDisplay, kHour);
  r.AdvanceTo(kHour);
  CHECK_FALSE(r.store.Authorise(id, 9));
  CHECK(r.store.Get(id).status == ConsentStatus::kAwaitingAuthorisation);
}
