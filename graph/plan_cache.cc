#include "graph/plan_cache.h"

#include <mutex>

#include "core/lru_map.h"

namespace neon {

namespace {

struct PlanCache {
  std::mutex mutex;
  LruMap<std::string, std::shared_ptr<const Plan>> plans{kMaxCachedPlans};
  PlanCacheStats stats;
};

PlanCache& Cache() {
  static PlanCache* cache = new PlanCache();  // never destroyed: usable during static teardown
  return *cache;
}

}  // namespace

std::shared_ptr<const Plan> FindPlan(const std::string& key) {
  PlanCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  std::shared_ptr<const Plan>* found = cache.plans.Find(key);
  if (found == nullptr) return nullptr;
  ++cache.stats.hits;
  return *found;
}

std::shared_ptr<const Plan> StorePlan(const std::string& key, Plan plan) {
  PlanCache& cache = Cache();
  auto stored = std::make_shared<const Plan>(std::move(plan));
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.plans.Insert(key, stored);
  ++cache.stats.compiles;
  return stored;
}

PlanCacheStats GetPlanCacheStats() {
  PlanCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  PlanCacheStats stats = cache.stats;
  stats.size = cache.plans.size();
  stats.evictions = cache.plans.evictions();
  return stats;
}

void ClearPlanCache() {
  PlanCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.plans.clear();
}

}  // namespace neon
