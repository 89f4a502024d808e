#include "mocks/config.h"

namespace bpsim::mocks {

ScopeSet ScopeFor(Category c) {
  switch (c) {
    case Category::kIdentity:
    case Category::kAccounts: return kScopeAccounts;
    case Category::kBalance: return kScopeBalances;
    case Category::kTransactions: return kScopeTransactions;
    case Category::kAlert: return 0;
  }
  return 0;
}

const char* DialectName(Dialect d) {
  switch (d) {
    case Dialect::kObie: return "obie";
    case Dialect::kBerlinGroup: return "berlin-group";
    case Dialect::kPlaid: return "plaid";
  }
  return "?";
}

std::optional<Defect> DefectFromName(std::string_view name) {
  for (int i = 0; i < kDefectCount; ++i) {
    if (name == kDefectNames[i]) return static_cast<Defect>(i);
  }
  return std::nullopt;
}

}  // namespace bpsim::mocks
