#include "mocks/messenger/jobs.h"

namespace bpsim::mocks {

void ProductAnalyticsJob::Run(const PlatformData& data, Sinks& sinks) {
  const std::uint64_t asked = data.balance_checks();
  sinks.Deliver(kAnalytics, kPurposeAnalytics, Payload(), std::int64_t(asked - reported_));
  reported_ = asked;
}

void AudienceAndExportsJob::Run(const PlatformData& data, Sinks& sinks) {
  // The audience and the export are aggregates of messenger activity: nothing of a
  // bank unless a mistake reads it in.
  Payload audience, rows;
  const bool spending_feature = defects_.has(Defect::kAdsUsesBankData);
  const bool join_balances = defects_.has(Defect::kSharesWithPartner) && partners_ > 0;
  if (spending_feature || join_balances) {
    for (CustomerId c = 0; c < data.customers(); ++c) {
      // A spending segment computed from the member's cached transactions.
      if (spending_feature) audience.Derive(data.Cached(c, Category::kTransactions));
      // Each export row joined with the member's cached balance.
      if (join_balances) rows.Copy(data.Cached(c, Category::kBalance));
    }
  }
  sinks.Deliver(kAds, kPurposeAds, audience);
  for (std::uint32_t p = 0; p < partners_; ++p) {
    sinks.Deliver(PartnerEndpoint(p), kPurposeSharing, rows);
  }
}

}  // namespace bpsim::mocks
