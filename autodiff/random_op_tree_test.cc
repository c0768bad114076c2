// The random-tree generator covers every op, view and dtype; the shrinker finds the
// known minimal tree of a deliberately failing predicate; reference agrees with itself.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "autodiff/difftest.h"
#include "backends/reference/reference_backend.h"
#include "core/op_table.h"

namespace neon {
namespace {

void CollectOps(const RandomNode& node, std::set<std::string>* ops) {
  ops->insert(node.op);
  for (const RandomNodePtr& operand : node.operands) CollectOps(*operand, ops);
}

bool ContainsOp(const RandomNode& node, const std::string& op) {
  std::set<std::string> ops;
  CollectOps(node, &ops);
  return ops.count(op) > 0;
}

TEST(RandomOpTreeTest, GeneratorCoversEveryOpViewAndDtype) {
  std::set<std::string> ops;
  std::set<RandomLeaf::View> views;
  bool float64 = false, specials = false, gradients = false;
  for (uint64_t seed = 0; seed < 500; ++seed) {
    RandomTree tree = GenerateRandomTree(seed);
    CollectOps(*tree.root, &ops);
    for (const RandomLeaf& leaf : tree.leaves) {
      views.insert(leaf.view);
      specials |= leaf.has_special_values;
    }
    float64 |= tree.dtype == DType::kFloat64;
    gradients |= HasComparableGradients(tree) && CountNodes(tree) > 3;
  }
  for (const OpInfo& info : kOpInfo) {
    if (info.op_class == OpClass::kInternal || info.op_class == OpClass::kLeaf) continue;
    EXPECT_TRUE(ops.count(std::string(info.name))) << info.name << " never generated";
  }
  EXPECT_EQ(views.size(), 4u);
  EXPECT_TRUE(float64 && specials && gradients);
}

TEST(RandomOpTreeTest, ShrinkerFindsTheMinimalFailingTree) {
  // "Fails" whenever an exp is present: the minimal failing tree is exp of a plain leaf.
  auto fails = [](const RandomTree& tree) { return ContainsOp(*tree.root, "exp"); };
  int shrunk = 0;
  for (uint64_t seed = 0; seed < 2000 && shrunk < 5; ++seed) {
    RandomTree tree = GenerateRandomTree(seed);
    if (!fails(tree) || CountNodes(tree) < 6) continue;
    RandomTree minimal = ShrinkRandomTree(tree, fails);
    ASSERT_EQ(minimal.root->op, "exp") << RandomTreeToCpp(minimal);
    ASSERT_EQ(minimal.root->operands.size(), 1u);
    const RandomNode& operand = *minimal.root->operands[0];
    ASSERT_EQ(operand.op, "leaf");
    EXPECT_EQ(minimal.leaves[operand.leaf].view, RandomLeaf::View::kWhole);
    EXPECT_FALSE(minimal.leaves[operand.leaf].has_special_values);
    EXPECT_NE(RandomTreeToCpp(minimal).find("neon::Expr tree = neon::exp(v"), std::string::npos);
    ++shrunk;
  }
  EXPECT_EQ(shrunk, 5);
}

TEST(RandomOpTreeTest, ShrinkerKeepsWhatTheFailureNeeds) {
  // Fails while a dot has a transpose somewhere below it: minimal is dot over one transpose.
  std::function<bool(const RandomNode&)> dot_over_transpose = [&](const RandomNode& node) {
    if (node.op == "dot" && ContainsOp(node, "transpose")) return true;
    for (const RandomNodePtr& operand : node.operands) {
      if (dot_over_transpose(*operand)) return true;
    }
    return false;
  };
  auto fails = [&](const RandomTree& tree) { return dot_over_transpose(*tree.root); };
  int shrunk = 0;
  for (uint64_t seed = 0; seed < 2000 && shrunk < 3; ++seed) {
    RandomTree tree = GenerateRandomTree(seed);
    if (!fails(tree)) continue;
    RandomTree minimal = ShrinkRandomTree(tree, fails);
    EXPECT_EQ(minimal.root->op, "dot") << RandomTreeToCpp(minimal);
    EXPECT_EQ(CountNodes(minimal), 4) << RandomTreeToCpp(minimal);  // dot, transpose, two leaves
    ++shrunk;
  }
  EXPECT_EQ(shrunk, 3);
}

TEST(RandomOpTreeTest, ReferenceAgreesWithItself) {
  auto reference = MakeReferenceBackend();
  auto other = MakeReferenceBackend();
  int compared = 0;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    TreeDifference difference = CompareTree(GenerateRandomTree(seed), *reference, *other);
    EXPECT_FALSE(difference.differs) << difference.message;
    compared += !difference.skipped;
  }
  EXPECT_GE(compared, 25);
}

}  // namespace
}  // namespace neon
