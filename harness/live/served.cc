#include "harness/live/served.h"

namespace bpsim::harness::live {

void ServedRegistry::OnRelease(const mocks::BankDatum& datum) {
  Subject& s = subjects_[datum.subject()];
  s.by_category[std::size_t(datum.category())] = datum;
  if (datum.category() != mocks::Category::kAlert) s.last_data = datum;
}

void ServedRegistry::NoteAmount(const std::string& amount, mocks::CustomerId c,
                                mocks::Category category) {
  mocks::BankDatum datum = Last(c, category);
  AmountOwner& o = amounts_[amount];
  if (o.customer == mocks::kNoSubject) o.customer = c;
  if (o.customer != c) o.ambiguous = true;
  o.categories |= mocks::CategoryBit(category);
  if (datum.valid() && datum.subject() == o.customer) o.datum = datum;
}

void ServedRegistry::NoteAmount(const std::string& amount, const mocks::BankDatum& datum) {
  if (!datum.valid()) return;
  AmountOwner& o = amounts_[amount];
  if (o.customer == mocks::kNoSubject) o.customer = datum.subject();
  if (o.customer != datum.subject()) o.ambiguous = true;
  o.categories |= mocks::CategoryBit(datum.category());
  if (o.customer == datum.subject()) o.datum = datum;
}

mocks::BankDatum ServedRegistry::Last(mocks::CustomerId c, mocks::Category category) const {
  auto it = subjects_.find(c);
  return it == subjects_.end() ? mocks::BankDatum() : it->second.by_category[std::size_t(category)];
}

mocks::BankDatum ServedRegistry::LastData(mocks::CustomerId c) const {
  auto it = subjects_.find(c);
  return it == subjects_.end() ? mocks::BankDatum() : it->second.last_data;
}

}  // namespace bpsim::harness::live
