#pragma once
// A profile as the GUI holds it: plain C++, shared read-only between the GUI thread, the
// plan preview and worker threads.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/studio/influence_summary.h"
#include "core/profile/profile_store.h"

namespace moa::studio {

// A profile as the GUI holds it: lengths arrive one by one and are shared, never copied.
struct ProfileData {
  ProfileMeta meta;
  std::map<int64_t, std::shared_ptr<const LengthProfile>> lengths;
  std::map<int64_t, InfluenceSummary> summaries;
  std::string path;
  std::vector<int64_t> lengthList() const;
  // A plain moa::Profile (copies the influence; for the solver, in a worker thread).
  Profile toProfile() const;
};
using ProfileDataPtr = std::shared_ptr<const ProfileData>;

}  // namespace moa::studio
