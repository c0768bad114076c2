// Plans cached by the structure of an assignment (Binding::key), so a
// training loop compiles each expression once. Thread-safe. Bounded: past
// kMaxCachedPlans the least recently used plan is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "graph/plan.h"

namespace neon {

constexpr size_t kMaxCachedPlans = 4096;

struct PlanCacheStats {
  uint64_t compiles = 0;   // plans built
  uint64_t hits = 0;       // assignments that reused a plan
  uint64_t size = 0;       // plans held
  uint64_t evictions = 0;  // least recently used plans dropped to stay within kMaxCachedPlans
};

// The cached plan for `key`, or null.
std::shared_ptr<const Plan> FindPlan(const std::string& key);
// Store `plan` under `key` (counts a compile).
std::shared_ptr<const Plan> StorePlan(const std::string& key, Plan plan);
PlanCacheStats GetPlanCacheStats();
void ClearPlanCache();

}  // namespace neon
