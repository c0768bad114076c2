// Memory soak of the bounded caches: many assignments over more distinct tree
// structures than the plan cache holds (so plans are evicted and rebuilt all
// the time), printing the resident set size (RSS) at the start and the end.
// Memory is flat when RSS at the end is about RSS after the first round.
//
// tools/bazel run //graph:plan_cache_soak -- [--backend=cpu] [--assignments=100000] [--structures=6000]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/expr.h"
#include "graph/plan_cache.h"
#include "tools/bench/bench_main.h"

namespace neon {
namespace {

// VmRSS of this process in KiB, from /proc/self/status (0 when unreadable).
long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// Tree structure number `index`: its base-8 digits pick a chain of unary ops on x
// (a leading sig makes every index a distinct chain length or sequence).
Expr Structure(const Tensor& x, int index) {
  Expr tree = x;
  for (int rest = index; rest > 0; rest /= 8) {
    switch (rest % 8) {
      case 0: tree = -tree; break;
      case 1: tree = abs(tree); break;
      case 2: tree = sig(tree); break;
      case 3: tree = tanh(tree); break;
      case 4: tree = tree * x; break;
      case 5: tree = minimum(tree, x); break;
      case 6: tree = maximum(tree, x); break;
      default: tree = sqr(tree); break;
    }
  }
  return sig(tree);
}

// "--name=value" -> value when arg starts with "--name=".
bool Flag(const char* arg, const char* name, std::string& value) {
  const std::string prefix = std::string("--") + name + "=";
  if (std::string(arg).rfind(prefix, 0) != 0) return false;
  value = arg + prefix.size();
  return true;
}

int Main(int argc, char** argv) {
  std::string backend_spec = "cpu", assignments_text = "100000", structures_text = "6000";
  for (int i = 1; i < argc; ++i) {
    if (!Flag(argv[i], "backend", backend_spec) && !Flag(argv[i], "assignments", assignments_text) &&
        !Flag(argv[i], "structures", structures_text)) {
      std::fprintf(stderr, "plan_cache_soak: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  const long assignments = std::atol(assignments_text.c_str());
  const int structures = std::atoi(structures_text.c_str());
  if (assignments < 1 || structures < 1) {
    std::fprintf(stderr, "plan_cache_soak: --assignments and --structures must be positive\n");
    return 2;
  }
  std::unique_ptr<Backend> be = CreateBackend(backend_spec);
  Tensor x = full(*be, {8, 8}, 0.5, DType::kFloat32, "x");
  Tensor out = empty(*be, {8, 8}, DType::kFloat32, "out");
  ClearPlanCache();
  const long rss_start = ResidentKiB();
  long rss_first_round = rss_start;
  for (long i = 0; i < assignments; ++i) {
    out.assign(Structure(x, static_cast<int>(i % structures)));
    if (i + 1 == structures) rss_first_round = ResidentKiB();
  }
  be->synchronize();
  const long rss_end = ResidentKiB();
  const PlanCacheStats stats = GetPlanCacheStats();
  std::printf("backend %s, %ld assignments of %d structures (plan cache bound %zu)\n", be->info().name.c_str(),
              assignments, structures, kMaxCachedPlans);
  std::printf("RSS at start %ld KiB, after the first %d assignments %ld KiB, at the end %ld KiB\n", rss_start,
              structures, rss_first_round, rss_end);
  std::printf("plans: %llu compiled, %llu reused, %llu evicted, %llu held\n",
              static_cast<unsigned long long>(stats.compiles), static_cast<unsigned long long>(stats.hits),
              static_cast<unsigned long long>(stats.evictions), static_cast<unsigned long long>(stats.size));
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::bench::RunMain("plan_cache_soak", neon::Main, argc, argv); }
