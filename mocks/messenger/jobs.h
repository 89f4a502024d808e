#pragma once
// The platform's periodic jobs and what they may touch (docs/world.md): a job reads
// the platform's data through PlatformData (its own records, activity counts and the
// cache, whose reads are bank datums with their provenance) and writes only payloads
// to the messenger's sinks. Whatever a job puts into a payload brings its labels, so
// a job that reads bank data into a sink is caught whichever job it is: the built-in
// ones below, a defect, or a job no defect switch names (a test adds one,
// tests/mocks/provenance_test.cc).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "mocks/env.h"
#include "mocks/messenger/cache.h"
#include "mocks/messenger/platform_port.h"
#include "mocks/provenance.h"

namespace bpsim::mocks {

// What a job may read.
class PlatformData {
 public:
  PlatformData(const HugeVector<Link>* links, const DatumCache* cache,
               const std::uint64_t* balance_checks)
      : links_(links), cache_(cache), balance_checks_(balance_checks) {}

  std::uint32_t customers() const { return static_cast<std::uint32_t>(links_->size()); }
  const Link& link(CustomerId c) const { return (*links_)[c]; }
  // The datum cached for `c` in `category` (invalid if none is).
  BankDatum Cached(CustomerId c, Category category) const {
    int slot = CacheSlotOf(category);
    return slot < 0 ? BankDatum() : cache_->Get(c, slot);
  }
  // Messenger activity: balance questions asked so far in the run.
  std::uint64_t balance_checks() const { return *balance_checks_; }

 private:
  const HugeVector<Link>* links_;
  const DatumCache* cache_;
  const std::uint64_t* balance_checks_;
};

// Where a job's output goes: the messenger's sinks, as `flow` entries from the
// platform's connector labelled from each payload's provenance.
class Sinks {
 public:
  explicit Sinks(const Env* env) : env_(env) {}
  void Deliver(Endpoint to, PurposeSet purpose, const Payload& payload, std::int64_t value = 0) {
    EmitFlows(*env_, kConnector, to, purpose, payload, 0, value);
  }

 private:
  const Env* env_;
};

class PlatformJob {
 public:
  virtual ~PlatformJob() = default;
  virtual void Run(const PlatformData& data, Sinks& sinks) = 0;
};

// Hourly product analytics: how many balance questions were asked. No bank data.
class ProductAnalyticsJob final : public PlatformJob {
 public:
  void Run(const PlatformData& data, Sinks& sinks) override;

 private:
  std::uint64_t reported_ = 0;
};

// The daily ads audience upload and the export to each partner, built from
// messenger activity. Two realistic mistakes are switches in what they read:
// platform.ads_uses_bank_data also reads each member's cached spending (their
// transactions) as a feature; platform.shares_with_partner joins the export on the
// balance table.
class AudienceAndExportsJob final : public PlatformJob {
 public:
  AudienceAndExportsJob(const DefectSet& defects, std::uint32_t partners)
      : defects_(defects), partners_(partners) {}
  void Run(const PlatformData& data, Sinks& sinks) override;

 private:
  DefectSet defects_;
  std::uint32_t partners_;
};

}  // namespace bpsim::mocks
