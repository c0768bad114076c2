// Random op-trees (autodiff/random_op_tree.h) on the backend under test against reference:
// values and gradients. A failure prints the shrunk tree as C++. Forty trees keep the
// number of distinct OpenCL programs small for a cold cache; tools: //autodiff:difftest.
#include <cstdio>

#include <gtest/gtest.h>

#include "autodiff/difftest.h"
#include "backends/registry.h"
#include "tests/backends_under_test.h"

namespace neon {
namespace {

constexpr int kTrees = 40;
constexpr uint64_t kFirstSeed = 1;

TEST(DifftestTest, RandomTreesMatchReference) {
  auto reference = CreateBackend("reference");
  auto device = CreateBackend(BackendUnderTest());
  int compared = 0, with_gradients = 0;
  for (uint64_t seed = kFirstSeed; seed < kFirstSeed + kTrees; ++seed) {
    RandomTree tree = GenerateRandomTree(seed);
    TreeDifference difference = CompareTree(tree, *reference, *device);
    compared += !difference.skipped;
    with_gradients += difference.gradients_compared;
    if (!difference.differs) continue;
    RandomTree minimal = ShrinkRandomTree(tree, [&](const RandomTree& candidate) {
      return CompareTree(candidate, *reference, *device).differs;
    });
    ADD_FAILURE() << "seed " << seed << ": " << CompareTree(minimal, *reference, *device).message
                  << "\nminimal tree:\n" << RandomTreeToCpp(minimal);
  }
  std::printf("%d random trees compared on %s (%d with gradients)\n", compared, device->info().name.c_str(),
              with_gradients);
  EXPECT_GE(compared, kTrees * 9 / 10);
  EXPECT_GE(with_gradients, 5);
}

}  // namespace
}  // namespace neon
