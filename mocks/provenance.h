#pragma once
// Provenance (issue 14, docs/invariants.md "Where a flow's labels come from"): bank
// data carries its own labels, so the invariants judge what the data is, not what
// the platform says about it.
//
// - A BankDatum is one datum as a bank served it: subject, bank, consent (and the
//   purposes it names), category and the instant it was served. Only a bank mints
//   one (Bank::Release, for every data answer and every fraud alert). In simulation
//   a datum has no value of its own: the datum *is* its provenance, so there is
//   nothing to copy out of it that could leave its labels behind.
// - A Provenance is the union of the labels of everything a value was computed
//   from: one Label per (subject, consent), with the categories and the earliest
//   instant served. It is built from BankDatums and other Provenances only.
// - A Payload is what the platform sends somewhere: its own (messenger) data plus
//   whatever bank data it Copy()'d or Derive()'d into it; its provenance grows with
//   every datum added and never shrinks.
// - EmitFlows() publishes a payload's move as `flow` entries whose labels are
//   computed from its provenance. It is the only code that sets TraceEntry::labelled
//   (tests/mocks/provenance_test.cc greps the sources for any other).
//
// So a sink cannot be handed bank data without its labels: the only way to put a
// datum into a payload is to add it, which adds its labels (a compile-time property
// of these types: BankDatum's constructor is private to the bank and the cache,
// Label has no public way into a Provenance, and Payload has no setter).
//
// Cost: a BankDatum is 24 bytes; a Provenance of one label (a chat reply, a cache
// put, a release) stays inside the object, with no allocation; only aggregates of
// several subjects (an ads audience) allocate.

#include <cstdint>

#include <boost/container/small_vector.hpp>

#include "mocks/env.h"
#include "mocks/trace.h"

namespace bpsim::mocks {

class Bank;
class DatumCache;

class BankDatum {
 public:
  BankDatum() = default;  // no datum
  bool valid() const { return subject_ != kNoSubject; }

  SimTime served_at() const { return served_at_; }
  ConsentId consent() const { return consent_; }
  CustomerId subject() const { return subject_; }
  BankIndex bank() const { return bank_; }
  Category category() const { return category_; }
  PurposeSet consent_purposes() const { return consent_purposes_; }

  friend bool operator==(const BankDatum&, const BankDatum&) = default;

 private:
  friend class Bank;        // mints each datum as it serves it
  friend class DatumCache;  // keeps datums without the fields a cache slot implies
  BankDatum(SimTime served_at, ConsentId consent, CustomerId subject, BankIndex bank,
            Category category, PurposeSet consent_purposes)
      : served_at_(served_at), consent_(consent), subject_(subject), bank_(bank),
        category_(category), consent_purposes_(consent_purposes) {}

  SimTime served_at_ = 0;
  ConsentId consent_ = 0;
  CustomerId subject_ = kNoSubject;
  BankIndex bank_ = kNoBank;
  Category category_ = Category::kIdentity;
  PurposeSet consent_purposes_ = 0;
};
static_assert(sizeof(BankDatum) == 24);

// What a labelled flow carries of one subject's data under one consent.
struct Label {
  SimTime served_at = 0;  // the earliest instant a bank served any of it
  ConsentId consent = 0;
  CustomerId subject = kNoSubject;
  BankIndex bank = kNoBank;
  CategorySet categories = 0;
  PurposeSet consent_purposes = 0;
};

class Provenance {
 public:
  Provenance() = default;  // computed from no bank datum
  explicit Provenance(const BankDatum& datum);

  // The union: labels of the same subject and consent merge (categories joined,
  // the earlier served instant kept).
  Provenance& operator|=(const Provenance& other);
  // The union with one datum's provenance (an invalid datum adds nothing).
  Provenance& operator|=(const BankDatum& datum);

  bool empty() const { return labels_.empty(); }
  std::size_t size() const { return labels_.size(); }
  // Ordered by (subject, consent).
  const Label* begin() const { return labels_.data(); }
  const Label* end() const { return labels_.data() + labels_.size(); }

 private:
  void Merge(const Label& label);
  Label& AppendLabel();  // a new last label, to be written

  boost::container::small_vector<Label, 1> labels_;
};

class Payload {
 public:
  Payload() = default;  // the platform's own data only: unlabelled

  // The payload carries `datum` as it is (a balance shown in a chat, a row of an
  // export). An invalid datum (nothing cached) adds nothing.
  Payload& Copy(const BankDatum& datum);
  // The payload carries a value computed from `datum` (a spending band): derived.
  Payload& Derive(const BankDatum& datum);
  // The payload includes `part` (an audience of members, an export of rows).
  Payload& Add(const Payload& part);

  const Provenance& provenance() const { return provenance_; }
  bool derived() const { return derived_; }

 private:
  Provenance provenance_;
  bool derived_ = false;
};

// Publishes the move of `payload` from `from` to `to`, serving `purpose`: one
// labelled `flow` per label of its provenance (subject, bank, consent, categories,
// consent_purposes, derived; aux = the instant the bank served the oldest of it),
// or one unlabelled flow when it holds no bank data. `ref` and `value` go on each.
void EmitFlows(const Env& env, Endpoint from, Endpoint to, PurposeSet purpose,
               const Payload& payload, std::uint64_t ref = 0, std::int64_t value = 0);

}  // namespace bpsim::mocks
