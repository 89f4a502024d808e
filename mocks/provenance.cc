#include "mocks/provenance.h"

#include <algorithm>

namespace bpsim::mocks {
namespace {

bool Before(const Label& a, const Label& b) {
  return a.subject != b.subject ? a.subject < b.subject : a.consent < b.consent;
}

void Join(Label& into, const Label& from) {
  into.categories |= from.categories;
  into.consent_purposes |= from.consent_purposes;
  into.served_at = std::min(into.served_at, from.served_at);
}

// Writes d's label into `into` field by field. A Label built as a value and then
// copied was stored in 8-byte pieces and reloaded as a 16-byte one, which store
// forwarding cannot serve: a stall on every cache put's flow (most of Merge's time).
void WriteLabelOf(const BankDatum& d, Label& into) {
  into.served_at = d.served_at();
  into.consent = d.consent();
  into.subject = d.subject();
  into.bank = d.bank();
  into.categories = CategoryBit(d.category());
  into.consent_purposes = d.consent_purposes();
}

Label LabelOf(const BankDatum& d) {
  Label l;
  WriteLabelOf(d, l);
  return l;
}

}  // namespace

Provenance::Provenance(const BankDatum& datum) {
  if (datum.valid()) WriteLabelOf(datum, AppendLabel());
}

void Provenance::Merge(const Label& l) {
  // Members are usually added in subject order: an append in the common case.
  if (labels_.empty() || Before(labels_.back(), l)) {
    labels_.push_back(l);
    return;
  }
  auto at = std::lower_bound(labels_.begin(), labels_.end(), l, Before);
  if (at != labels_.end() && !Before(l, *at)) {
    Join(*at, l);
  } else {
    labels_.insert(at, l);
  }
}

Label& Provenance::AppendLabel() {
  // (emplace_back() of boost's small_vector trips gcc 12's -Wstringop-overflow.)
  labels_.push_back(Label{});
  return labels_.back();
}

Provenance& Provenance::operator|=(const Provenance& other) {
  for (const Label& l : other.labels_) Merge(l);
  return *this;
}

Provenance& Provenance::operator|=(const BankDatum& datum) {
  if (!datum.valid()) return *this;
  if (labels_.empty()) {  // the common case: a payload of one datum
    WriteLabelOf(datum, AppendLabel());
  } else {
    Merge(LabelOf(datum));
  }
  return *this;
}

Payload& Payload::Copy(const BankDatum& datum) {
  provenance_ |= datum;
  return *this;
}

Payload& Payload::Derive(const BankDatum& datum) {
  if (!datum.valid()) return *this;
  provenance_ |= datum;
  derived_ = true;
  return *this;
}

Payload& Payload::Add(const Payload& part) {
  provenance_ |= part.provenance_;
  derived_ = derived_ || part.derived_;
  return *this;
}

void EmitFlows(const Env& env, Endpoint from, Endpoint to, PurposeSet purpose,
               const Payload& payload, std::uint64_t ref, std::int64_t value) {
  TraceEntry e;
  e.type = EntryType::kFlow;
  e.from = from;
  e.to = to;
  e.purpose = purpose;
  e.ref = ref;
  e.value = value;
  if (payload.provenance().empty()) {
    env.Emit(e);
    return;
  }
  e.labelled = true;
  e.derived = payload.derived();
  for (const Label& l : payload.provenance()) {
    e.subject = l.subject;
    e.bank = l.bank;
    e.consent = l.consent;
    e.categories = l.categories;
    e.consent_purposes = l.consent_purposes;
    e.aux = l.served_at;
    env.Emit(e);
  }
}

}  // namespace bpsim::mocks
