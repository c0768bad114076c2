// neon difftest: random op-trees on a backend against reference, values and gradients;
// each failing tree is shrunk and printed as C++.
//   difftest --backend=cpu [--seed=S] [--trees=N] [--hours=H]
// Runs N trees (default 100), or, with --hours, until H hours have passed (and N trees, if given).
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "autodiff/difftest.h"
#include "backends/registry.h"
#include "core/error.h"

namespace {

// The value of `--name=value` in `arg`, or nullptr.
const char* FlagValue(const std::string& arg, const std::string& name) {
  std::string prefix = "--" + name + "=";
  return arg.compare(0, prefix.size(), prefix) == 0 ? arg.c_str() + prefix.size() : nullptr;
}

double ParseNumber(const char* text, const std::string& flag) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !(value >= 0)) {
    throw neon::ArgumentError("--" + flag + "=" + text + ": expected a non-negative number");
  }
  return value;
}

int Run(int argc, char** argv) {
  std::string backend_spec = "cpu";
  uint64_t seed = 1;
  long long trees = -1;
  double hours = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (const char* value = FlagValue(arg, "backend")) {
      backend_spec = value;
    } else if (const char* value = FlagValue(arg, "seed")) {
      seed = static_cast<uint64_t>(ParseNumber(value, "seed"));
    } else if (const char* value = FlagValue(arg, "trees")) {
      trees = static_cast<long long>(ParseNumber(value, "trees"));
    } else if (const char* value = FlagValue(arg, "hours")) {
      hours = ParseNumber(value, "hours");
    } else {
      throw neon::ArgumentError("unknown flag '" + arg + "' (expected --backend=, --seed=, --trees=, --hours=)");
    }
  }
  if (backend_spec.empty()) throw neon::ArgumentError("--backend= needs a value");
  if (trees < 0) trees = hours > 0 ? -1 : 100;
  auto reference = neon::CreateBackend("reference");
  auto device = neon::CreateBackend(backend_spec);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double, std::ratio<3600>>(hours);
  long long ran = 0, failed = 0, skipped = 0, with_gradients = 0;
  while ((trees < 0 || ran < trees) && (hours == 0 || std::chrono::steady_clock::now() < deadline)) {
    uint64_t tree_seed = seed + static_cast<uint64_t>(ran++);
    neon::RandomTree tree = neon::GenerateRandomTree(tree_seed);
    neon::TreeDifference difference = neon::CompareTree(tree, *reference, *device);
    skipped += difference.skipped;
    with_gradients += difference.gradients_compared;
    if (!difference.differs) continue;
    ++failed;
    neon::RandomTree minimal = neon::ShrinkRandomTree(tree, [&](const neon::RandomTree& candidate) {
      return neon::CompareTree(candidate, *reference, *device).differs;
    });
    std::printf("FAIL seed %llu (%d nodes, shrunk to %d): %s\n%s\n", static_cast<unsigned long long>(tree_seed),
                neon::CountNodes(tree), neon::CountNodes(minimal),
                neon::CompareTree(minimal, *reference, *device).message.c_str(),
                neon::RandomTreeToCpp(minimal).c_str());
    std::fflush(stdout);
  }
  std::printf("%lld trees ran on %s against reference (seeds %llu..%llu): %lld with gradients, %lld skipped, "
              "%lld failed\n",
              ran, device->info().name.c_str(), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed + ran - 1), with_gradients, skipped, failed);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "difftest: %s\n", error.what());
    return 2;
  }
}
