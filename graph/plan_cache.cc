#include "graph/plan_cache.h"

#include <mutex>
#include <unordered_map>

namespace neon {

namespace {

// Bounded: past this many plans the cache starts over (a program that builds
// unbounded distinct structures should not grow without limit).
constexpr size_t kMaxPlans = 4096;

struct PlanCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const Plan>> plans;
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
  auto found = cache.plans.find(key);
  if (found == cache.plans.end()) return nullptr;
  ++cache.stats.hits;
  return found->second;
}

std::shared_ptr<const Plan> StorePlan(const std::string& key, Plan plan) {
  PlanCache& cache = Cache();
  auto stored = std::make_shared<const Plan>(std::move(plan));
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (cache.plans.size() >= kMaxPlans) cache.plans.clear();
  cache.plans[key] = stored;
  ++cache.stats.compiles;
  return stored;
}

PlanCacheStats GetPlanCacheStats() {
  PlanCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  PlanCacheStats stats = cache.stats;
  stats.size = cache.plans.size();
  return stats;
}

void ClearPlanCache() {
  PlanCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.plans.clear();
}

}  // namespace neon
