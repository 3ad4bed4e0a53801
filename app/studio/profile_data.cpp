#include "app/studio/profile_data.h"

namespace moa::studio {

std::vector<int64_t> ProfileData::lengthList() const {
  std::vector<int64_t> out;
  for (const auto& [n, lp] : lengths) out.push_back(n);
  return out;
}

Profile ProfileData::toProfile() const {
  Profile p;
  p.meta = meta;
  for (const auto& [n, lp] : lengths) p.lengths.emplace(n, *lp);
  return p;
}

}  // namespace moa::studio
