// User rules (never / within / after) and the pattern compiler.

#include <catch2/catch.hpp>

#include "harness/invariants/pattern.h"
#include "tests/harness/invariants_trace.h"

namespace bpsim::harness::testing {
namespace {

Pattern P(std::string type, std::vector<FieldMatch> fields = {}) {
  Pattern p;
  p.type = std::move(type);
  p.fields = std::move(fields);
  p.line = 3;
  return p;
}

std::unique_ptr<Monitor> MakeRule(Rule::Kind kind, Pattern trigger, Pattern response = {},
                                  SimTime max = 0, std::string key = "") {
  Rule r;
  r.id = "my-rule";
  r.kind = kind;
  r.trigger = std::move(trigger);
  r.response = std::move(response);
  r.max = max;
  r.key = std::move(key);
  r.line = 2;
  auto m = MakeRuleMonitor(r, Context());
  REQUIRE(m.ok());
  return std::move(m).value();
}

bool Matches(const Pattern& p, const TraceEntry& e) {
  auto c = CompiledPattern::Compile(p, Names());
  REQUIRE(c.ok());
  return c->Matches(e);
}

TEST_CASE("patterns match endpoint prefixes and exact endpoints", "[invariants]") {
  auto to_partner = Flow(0, mocks::kCache, mocks::PartnerEndpoint(0), 7, 1, kBalance, 1);
  auto to_group = Flow(0, mocks::kConnector, mocks::GroupEndpoint(2), 7, 1, kBalance, 1);
  auto to_chat = Flow(0, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kBalance, 1);
  auto from_bank1 = Flow(0, mocks::BankEndpoint(1), mocks::kConnector, 7, 1, kBalance, 1);

  CHECK(Matches(P("flow", {{"to", {"partner:*"}}}), to_partner));
  CHECK(Matches(P("flow", {{"to", {"partner:adpartner"}}}), to_partner));
  CHECK_FALSE(Matches(P("flow", {{"to", {"partner:*"}}}), to_chat));
  CHECK(Matches(P("flow", {{"to", {"chat:group:*"}}}), to_group));
  CHECK(Matches(P("flow", {{"to", {"chat:group:2"}}}), to_group));
  CHECK_FALSE(Matches(P("flow", {{"to", {"chat:group:3"}}}), to_group));
  CHECK_FALSE(Matches(P("flow", {{"to", {"chat:*"}}}), to_group));  // private chats only
  CHECK(Matches(P("flow", {{"to", {"chat:*"}}}), to_chat));
  CHECK(Matches(P("flow", {{"to", {"chat:7"}}}), to_chat));
  CHECK(Matches(P("flow", {{"from", {"bank:southbank"}}}), from_bank1));
  CHECK_FALSE(Matches(P("flow", {{"from", {"bank:northbank"}}}), from_bank1));
  CHECK(Matches(P("flow", {{"from", {"bank:*"}}, {"to", {"platform.connector"}}}), from_bank1));
  CHECK(Matches(P("*", {{"to", {"*"}}}), to_chat));
  CHECK_FALSE(Matches(P("*", {{"to", {"*"}}}), Simple(EntryType::kCachePut, 0, 7, 1)));
}

TEST_CASE("patterns match any of a list, and every field", "[invariants]") {
  auto e = Flow(0, mocks::kCache, mocks::kAds, 7, 1, kTransactions, 9, mocks::kPurposeAds);
  e.derived = true;
  CHECK(Matches(P("flow", {{"to", {"analytics", "ads"}}}), e));
  CHECK(Matches(P("flow", {{"category", {"balance", "transactions"}}}), e));
  CHECK_FALSE(Matches(P("flow", {{"category", {"balance"}}}), e));
  CHECK(Matches(P("flow", {{"subject", {"3", "7"}}, {"consent", {"1"}}, {"ref", {"9"}}}), e));
  CHECK_FALSE(Matches(P("flow", {{"subject", {"8"}}}), e));
  CHECK(Matches(P("flow", {{"bank", {"northbank"}}, {"purpose", {"ads"}}}), e));
  CHECK(Matches(P("flow", {{"derived", {"true"}}, {"labelled", {"true"}}}), e));
  CHECK_FALSE(Matches(P("flow", {{"derived", {"false"}}}), e));
  CHECK_FALSE(Matches(P("api.request"), e));

  auto r = Response(0, 7, 1, 5, 403, mocks::DenyReason::kScope);
  CHECK(Matches(P("api.response", {{"status", {"403"}}, {"reason", {"scope"}}}), r));
  CHECK_FALSE(Matches(P("api.response", {{"reason", {"consent_inactive"}}}), r));
}

TEST_CASE("patterns naming what the world lacks fail with the field and value", "[invariants]") {
  auto bank = CompiledPattern::Compile(P("flow", {{"from", {"bank:westbank"}}}), Names());
  REQUIRE_FALSE(bank.ok());
  CHECK(bank.error().message == "field 'from': no bank in this world is named 'bank:westbank'");
  auto partner = CompiledPattern::Compile(P("flow", {{"to", {"partner:other"}}}), Names());
  CHECK(partner.error().message == "field 'to': no partner in this world is named 'partner:other'");
  auto type = CompiledPattern::Compile(P("flows"), Names());
  CHECK(type.error().message == "unknown entry type 'flows'");

  Rule r;
  r.id = "bad";
  r.trigger = P("api.request", {{"bank", {"westbank"}}});
  auto m = MakeRuleMonitor(r, Context());
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message ==
        "rule 'bad' (line 3): field 'bank': no bank in this world is named "
        "'westbank'");
}

TEST_CASE("never reports each matching entry with it as evidence", "[invariants]") {
  auto m = MakeRule(Rule::Kind::kNever, P("flow", {{"to", {"partner:*"}}, {"labelled", {"true"}}}));
  CHECK(m->type_mask() == mocks::TypeBit(EntryType::kFlow));
  Run(*m,
      {Flow(kMinute, mocks::kCache, mocks::PartnerEndpoint(0), 7, 1, kBalance, 1),
       Flow(kMinute, mocks::kCache, mocks::kAds, 7, 1, kBalance, 2),
       Flow(2 * kMinute, mocks::kCache, mocks::PartnerEndpoint(0), 8, 1, kBalance, 3)},
      kHour);
  REQUIRE(m->violation_count() == 2);
  const auto& v = m->violations()[0];
  CHECK(v.invariant == "my-rule");
  CHECK(v.time == kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message == "an entry matched the pattern rule 'my-rule' forbids");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "1m flow platform.cache -> partner:adpartner "
        "[balance of customer 7, consent 1] for display");
}

TEST_CASE("within with a key is discharged only by a response with the same key", "[invariants]") {
  auto make = [] {
    return MakeRule(Rule::Kind::kWithin, P("consent.revoke_requested"), P("consent.delete_sent"),
                    5 * kMinute, "consent");
  };
  auto same = make();
  Run(*same,
      {RevokeRequested(0, 7, 1),
       Simple(EntryType::kConsentDeleteSent, 5 * kMinute, 7, 1)},
      kHour);
  CHECK(same->violation_count() == 0);

  auto other = make();
  Run(*other,
      {RevokeRequested(0, 7, 1),
       Simple(EntryType::kConsentDeleteSent, kMinute, 8, 2),
       Simple(EntryType::kCachePut, 10 * kMinute, 8, 2)},
      kHour);
  const auto& v = [&]() -> const reports::Violation& {
    REQUIRE(other->violation_count() == 1);
    return other->violations()[0];
  }();
  CHECK(v.time == 5 * kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "no entry matching the response of rule 'my-rule' followed "
        "consent.revoke_requested at 0s within 5m (same consent 1)");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "0s consent.revoke_requested consent 1 of customer 7 at bank:northbank "
        "in platform.connector (messenger)");
}

TEST_CASE("within judges a response 1 ns late, and leaves deadlines after the end alone",
          "[invariants]") {
  auto late = MakeRule(Rule::Kind::kWithin, P("consent.revoke_requested"), P("consent.delete_sent"),
                       5 * kMinute, "consent");
  Run(*late,
      {RevokeRequested(0, 7, 1),
       Simple(EntryType::kConsentDeleteSent, 5 * kMinute + 1, 7, 1)},
      kHour);
  CHECK(late->violation_count() == 1);

  auto open = MakeRule(Rule::Kind::kWithin, P("consent.revoke_requested"), P("consent.delete_sent"),
                       5 * kMinute);
  Run(*open, {RevokeRequested(0, 7, 1)}, 5 * kMinute - 1);
  CHECK(open->violation_count() == 0);

  auto at_end = MakeRule(Rule::Kind::kWithin, P("consent.revoke_requested"),
                         P("consent.delete_sent"), 5 * kMinute);
  Run(*at_end, {RevokeRequested(0, 7, 1)}, 5 * kMinute);
  CHECK(at_end->violation_count() == 1);
}

TEST_CASE("within without a key is discharged by any response", "[invariants]") {
  auto m = MakeRule(Rule::Kind::kWithin, P("consent.revoke_requested"), P("consent.delete_sent"),
                    5 * kMinute);
  Run(*m,
      {RevokeRequested(0, 7, 1),
       RevokeRequested(kSecond, 8, 2),
       Simple(EntryType::kConsentDeleteSent, kMinute, 9, 3)},
      kHour);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("after with a key forbids only entries with the trigger's key", "[invariants]") {
  auto m = MakeRule(Rule::Kind::kAfter, P("consent.revoked"),
                    P("api.request", {{"category", {"balance", "transactions"}}}), 0, "consent");
  CHECK(m->type_mask() ==
        (mocks::TypeBit(EntryType::kConsentRevoked) | mocks::TypeBit(EntryType::kApiRequest)));
  Run(*m,
      {Request(0, 7, 1, kBalance, 1), Consent(EntryType::kConsentRevoked, kMinute, 1, 7),
       Request(2 * kMinute, 8, 2, kBalance, 2), Request(3 * kMinute, 7, 1, kTransactions, 3)},
      kHour);
  REQUIRE(m->violation_count() == 1);
  const auto& v = m->violations()[0];
  CHECK(v.time == 3 * kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "an entry matched the pattern rule 'my-rule' forbids after consent.revoked "
        "at 1m (same consent 1)");
  REQUIRE(v.evidence.size() == 2);
  CHECK(v.evidence.front().time == kMinute);
  CHECK(v.evidence.back().text ==
        "3m api.request consent 1 of customer 7 at "
        "bank:northbank for transactions #3 (poll)");
}

TEST_CASE("after without a key forbids any match after any trigger", "[invariants]") {
  auto m = MakeRule(Rule::Kind::kAfter, P("drain.start"), P("api.request"));
  TraceEntry drain;
  drain.time = kHour;
  drain.type = EntryType::kDrainStart;
  Run(*m, {Request(0, 7, 1, kBalance, 1), drain, Request(kHour + 1, 8, 2, kBalance, 2)}, 2 * kHour);
  REQUIRE(m->violation_count() == 1);
  CHECK(m->violations()[0].message ==
        "an entry matched the pattern rule 'my-rule' forbids after drain.start at 1h");
}

TEST_CASE("after keyed by an endpoint uses the endpoint as the key", "[invariants]") {
  auto m = MakeRule(Rule::Kind::kAfter, P("outage.start"), P("flow"), 0, "to");
  TraceEntry outage;
  outage.time = 0;
  outage.type = EntryType::kOutageStart;
  outage.to = mocks::ChatEndpoint(7);
  Run(*m,
      {outage, Flow(kMinute, mocks::kConnector, mocks::ChatEndpoint(8), 8, 1, kBalance, 1),
       Flow(kMinute, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kBalance, 2)},
      kHour);
  REQUIRE(m->violation_count() == 1);
  CHECK(m->violations()[0].message.find("(same to chat:7)") != std::string::npos);
}

}  // namespace
}  // namespace bpsim::harness::testing
