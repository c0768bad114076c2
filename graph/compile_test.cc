// The compiler's choices, seen through Plan::Describe(), and the plan cache.
#include "graph/compile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends/reference/reference_backend.h"
#include "graph/execute.h"
#include "graph/expr.h"
#include "graph/plan_cache.h"

namespace neon {
namespace {

class CompileTest : public ::testing::Test {
 protected:
  std::string Describe(const Expr& value, const Tensor& output) {
    BindingIndex index;
    Binding binding = Bind(value, output, &index);
    return Compile(value, output, binding, index).Describe();
  }
  std::unique_ptr<Backend> be_ = MakeReferenceBackend();
  Tensor x_ = zeros(*be_, {4, 6}, DType::kFloat32, "x");
  Tensor y_ = zeros(*be_, {4, 6}, DType::kFloat32, "y");
  Tensor out_ = zeros(*be_, {4, 6}, DType::kFloat32, "out");
};

TEST_F(CompileTest, ElementwiseTreeIsOneKernel) {
  EXPECT_EQ(Describe(1 / (1 + exp(-1 * x_)), out_), "kernel out <- (leaf0) 8 ops\n");  // 3 params, load, mul, exp, add, div
}

TEST_F(CompileTest, ConstantsFoldIntoOneParameter) {
  double rho = 0.9;
  BindingIndex index;
  Binding binding = Bind((1.0 - rho) * x_ + rho * 2, out_, &index);
  EXPECT_EQ(binding.params.size(), 2u);
  EXPECT_DOUBLE_EQ(binding.params[0], 0.1);
  EXPECT_DOUBLE_EQ(binding.params[1], 1.8);
}

TEST_F(CompileTest, CommonSubexpressionsAreComputedOnce) {
  BindingIndex index;
  Expr value = exp(x_) * exp(x_) + exp(x_);
  Binding binding = Bind(value, out_, &index);
  Plan plan = Compile(value, out_, binding, index);
  ASSERT_EQ(plan.stages.size(), 1u);
  const FusedKernel& kernel = std::get<KernelStage>(plan.stages[0]).kernel;
  int exps = 0;
  for (const Instr& instr : kernel.body) exps += instr.op == OpKind::kExp;
  EXPECT_EQ(exps, 1);
  EXPECT_EQ(kernel.body.size(), 4u);  // load, exp, mul, add
}

TEST_F(CompileTest, ReductionFusesWithItsEpilogue) {
  Tensor col = zeros(*be_, {4, 1}, DType::kFloat32, "col");
  EXPECT_EQ(Describe(sqrt(sum(x_ * y_, 1) + 1e-6), col), "kernel out <- (leaf0, leaf1) 3 ops + sum(axis 1) + 4 ops\n");
}

TEST_F(CompileTest, ReductionUsedAtAnotherShapeIsMaterialised) {
  EXPECT_EQ(Describe(x_ - mean(x_, 1), out_),
            "kernel temp0 <- (leaf0) 1 ops + sum(axis 1) + 1 ops\n"
            "kernel out <- (leaf0, temp0) 5 ops\n");
}

TEST_F(CompileTest, DotBecomesGemmWithAlphaAndBeta) {
  Tensor a = zeros(*be_, {4, 5}, DType::kFloat32, "a");
  Tensor b = zeros(*be_, {5, 6}, DType::kFloat32, "b");
  EXPECT_EQ(Describe(dot(a, b), out_), "gemm out = leaf0 x leaf1\n");
  EXPECT_EQ(Describe(2.0 * dot(a.T().T(), b), out_), "gemm out = leaf0 x leaf1\n");
  // A transposed product is computed once and read transposed.
  EXPECT_EQ(Describe(transpose(dot(b.T(), a.T())) * 0.5 + out_ * 3, out_),
            "gemm temp0 = leaf0 x leaf1\n"
            "kernel out <- (temp0.T, leaf2) 7 ops\n");
  EXPECT_EQ(Describe(0.5 * dot(a, b) + 0.25 * out_, out_), "gemm out = leaf0 x leaf1 + beta c\n");
}

TEST_F(CompileTest, DotInsideATreeGoesThroughATemporary) {
  Tensor a = zeros(*be_, {4, 5}, DType::kFloat32, "a");
  Tensor b = zeros(*be_, {5, 6}, DType::kFloat32, "b");
  Tensor bias = zeros(*be_, {4, 1}, DType::kFloat32, "bias");
  EXPECT_EQ(Describe(maximum(dot(a, b) + bias, 0), out_),
            "gemm temp0 = leaf0 x leaf1\n"
            "kernel out <- (temp0, leaf2) 5 ops\n");
}

TEST_F(CompileTest, OverlappingOutputGoesThroughATemporary) {
  Tensor square = zeros(*be_, {4, 4}, DType::kFloat32, "square");
  EXPECT_EQ(Describe(square.T() + 1, square), "kernel temp0 <- (leaf0) 3 ops\nkernel out <- (temp0) 1 ops\n");
  EXPECT_EQ(Describe(square * 2, square), "kernel out <- (leaf0) 3 ops\n");  // same view: in place
}

TEST_F(CompileTest, SameStructureCompilesOnceAcrossNewData) {
  ClearPlanCache();
  std::vector<Tensor> inputs;
  for (int i = 0; i < 1000; ++i) inputs.push_back(full(*be_, {3, 5}, i));
  Tensor b = zeros(*be_, {1, 5});
  Tensor column = zeros(*be_, {3, 1});
  Tensor out = empty(*be_, {3, 5});
  uint64_t before = GetPlanCacheStats().compiles;
  for (int i = 0; i < 1000; ++i) {
    out.assign(sig(inputs[i] * (0.5 + i) + b));
    ASSERT_FLOAT_EQ(out.get<float>()[0], static_cast<float>(1 / (1 + std::exp(-i * (0.5 + i)))));
  }
  EXPECT_EQ(GetPlanCacheStats().compiles - before, 1u);
  // A different broadcast pattern is a different structure.
  out.assign(sig(inputs[0] * 0.5 + column));
  EXPECT_EQ(GetPlanCacheStats().compiles - before, 2u);
}

TEST_F(CompileTest, PlanCacheEvictsTheLeastRecentlyUsedPlan) {
  ClearPlanCache();
  const uint64_t evictions = GetPlanCacheStats().evictions;
  for (size_t i = 0; i < kMaxCachedPlans; ++i) StorePlan("plan" + std::to_string(i), Plan());
  ASSERT_NE(FindPlan("plan0"), nullptr);  // now the most recently used
  StorePlan("one more", Plan());
  EXPECT_EQ(GetPlanCacheStats().size, kMaxCachedPlans);  // not cleared: bounded
  EXPECT_EQ(GetPlanCacheStats().evictions - evictions, 1u);
  EXPECT_NE(FindPlan("plan0"), nullptr);
  EXPECT_EQ(FindPlan("plan1"), nullptr);  // the least recently used went
  EXPECT_NE(FindPlan("plan2"), nullptr);
  EXPECT_NE(FindPlan("one more"), nullptr);
  ClearPlanCache();
}

TEST_F(CompileTest, SizesAreRuntimeArguments) {
  ClearPlanCache();
  uint64_t before = GetPlanCacheStats().compiles;
  for (int64_t n : {2, 3, 17}) {
    Tensor a = full(*be_, {n, n + 1}, 2.0);
    Tensor out = empty(*be_, {n, 1});
    out.assign(sum(a * a, 1));
    EXPECT_EQ(out.get<float>(), std::vector<float>(static_cast<size_t>(n), 4.0f * static_cast<float>(n + 1)));
  }
  EXPECT_EQ(GetPlanCacheStats().compiles - before, 2u);  // the fill in full() and the sum
}

// A scalar node used both inside a folded constant subtree and on its own must keep a
// parameter that holds its value (folding drops the subtree's parameters).
TEST_F(CompileTest, SharedScalarFoldedInOnePlaceKeepsItsValueElsewhere) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4}, {2, 2}, DType::kFloat64, "x");
  Tensor out = empty(*be_, {2, 2}, DType::kFloat64, "out");
  Expr one = 1.0;
  Expr half = 2.5;
  out.assign(x * half + pow(x, half - one));  // the plain use comes first
  std::vector<double> got = out.get<double>();
  for (int i = 0; i < 4; ++i) {
    double v = i + 1;
    EXPECT_DOUBLE_EQ(got[i], 2.5 * v + std::pow(v, 1.5)) << i;
  }
}

// A tree that uses one scalar node twice and a tree with two distinct scalars in the same
// places must not share a cached plan: the first reads one param twice.
TEST_F(CompileTest, SharedScalarNodeIsPartOfThePlanKey) {
  Tensor x = array<double>(*be_, {1, 2}, {1, 2}, DType::kFloat64, "x");
  Tensor out = empty(*be_, {1, 2}, DType::kFloat64, "out");
  Expr two = 2.0;
  out.assign(x * two * two);
  EXPECT_EQ(out.get<double>(), (std::vector<double>{4, 8}));
  out.assign(x * Expr(3.0) * Expr(5.0));
  EXPECT_EQ(out.get<double>(), (std::vector<double>{15, 30}));
  out.assign(x * two * two + (two - 1.0));  // the shared node also inside a folded subtree
  EXPECT_EQ(out.get<double>(), (std::vector<double>{5, 9}));
}

TEST_F(CompileTest, SharedSubtreesAreWalkedOnce) {
  // 40 levels of s = tanh(s * s + s): 2^40 paths, 120 distinct nodes.
  Expr s = x_;
  for (int level = 0; level < 40; ++level) s = tanh(s * s + s);
  Binding binding = Bind(s, out_);
  EXPECT_EQ(binding.nodes.size(), 120u);
  out_.assign(s);  // compiles and runs in linear time
  // Sharing is structure: the same tree with duplicated subtrees is another key.
  EXPECT_NE(Bind(exp(x_) * exp(x_), out_).key, Bind([&] { Expr e = exp(x_); return e * e; }(), out_).key);
}

}  // namespace
}  // namespace neon

namespace neon {
namespace {

// x0 + x1 + ... + x999: a thousand distinct leaves in one tree.
TEST_F(CompileTest, AHugeTreeIsSplitIntoBoundedKernels) {
  std::vector<Tensor> leaves;
  Expr total = 0.0;
  for (int i = 0; i < 1000; ++i) {
    leaves.push_back(full(*be_, {4, 6}, i % 7));
    total = i == 0 ? Expr(leaves[0]) : total + leaves[i];
  }
  BindingIndex index;
  Binding binding = Bind(total, out_, &index);
  Plan plan = Compile(total, out_, binding, index);
  EXPECT_GT(plan.stages.size(), 10u);
  for (const auto& stage : plan.stages) {
    const KernelStage& kernel = std::get<KernelStage>(stage);
    EXPECT_LE(kernel.inputs.size(), 2u * kKernelNodeBudget);
    EXPECT_LE(kernel.kernel.body.size(), 4u * kKernelNodeBudget);
  }
  out_.assign(total);
  double expected = 0.0;
  for (int i = 0; i < 1000; ++i) expected += i % 7;
  for (float value : out_.get<float>()) EXPECT_EQ(value, expected);
}

// A broadcast operand holding rand() stays in the kernel that draws per element.
TEST_F(CompileTest, SplittingKeepsOneDrawPerElement) {
  Expr chain = x_;
  for (int i = 0; i < 3 * kKernelNodeBudget; ++i) chain = chain + x_ * i;
  // sqr(rand()) is (1, 1) and lowered after the chain has used up the kernel's budget.
  out_.assign(chain * 0.0 + sqr(rand()));
  std::vector<float> values = out_.get<float>();
  std::sort(values.begin(), values.end());
  EXPECT_TRUE(std::adjacent_find(values.begin(), values.end()) == values.end()) << "repeated draws";
}

// x0 + x1 + ... + x(count - 1) over distinct leaves holding i % 7.
class WideSumTest : public CompileTest {
 protected:
  Expr WideSum(int count) {
    for (int i = static_cast<int>(leaves_.size()); i < count; ++i) leaves_.push_back(full(*be_, {4, 6}, i % 7));
    Expr total = leaves_[0];
    for (int i = 1; i < count; ++i) total = total + leaves_[i];
    return total;
  }
  Plan CompileWithLimit(const Expr& value, const Tensor& output, int max_kernel_inputs) {
    BindingIndex index;
    Binding binding = Bind(value, output, &index);
    return Compile(value, output, binding, index, max_kernel_inputs);
  }
  std::vector<Tensor> leaves_;
};

TEST_F(WideSumTest, AKernelWiderThanTheBackendAllowsIsSplit) {
  Expr total = WideSum(40);
  Plan plan = CompileWithLimit(total, out_, 6);
  EXPECT_GE(plan.stages.size(), 40u / 6);
  for (const auto& stage : plan.stages) EXPECT_LE(std::get<KernelStage>(stage).inputs.size(), 6u);
  Execute(plan, Bind(total, out_), out_);
  double expected = 0.0;
  for (int i = 0; i < 40; ++i) expected += i % 7;
  for (float value : out_.get<float>()) EXPECT_EQ(value, expected);
}

TEST_F(WideSumTest, AKernelWithinTheLimitIsNotSplit) {
  Expr total = WideSum(20);
  std::string inputs;
  for (int i = 0; i < 20; ++i) inputs += (i ? ", leaf" : "leaf") + std::to_string(i);
  EXPECT_EQ(CompileWithLimit(total, out_, 20).Describe(), "kernel out <- (" + inputs + ") 39 ops\n");
}

// A broadcast row chain holds no rand(): past the node budget it splits off like a
// full-shape operand, so its leaves do not all land in one kernel.
TEST_F(WideSumTest, ABroadcastOperandWithoutRandIsSplit) {
  std::vector<Tensor> rows;
  Expr chain = full(*be_, {1, 6}, 0.0);
  for (int i = 0; i < 4 * kKernelNodeBudget; ++i) {
    rows.push_back(full(*be_, {1, 6}, i % 5));
    chain = chain + rows.back();
  }
  Plan plan = CompileWithLimit(x_ + chain, out_, kNoKernelInputLimit);
  EXPECT_GT(plan.stages.size(), 3u);
  for (const auto& stage : plan.stages) {
    EXPECT_LE(std::get<KernelStage>(stage).inputs.size(), 2u * kKernelNodeBudget);
  }
}

// A fused reduction's epilogue reads the reduction, so it stays one kernel: too wide is an error.
TEST_F(WideSumTest, AnEpilogueWiderThanTheLimitIsAnError) {
  Tensor col = zeros(*be_, {4, 1}, DType::kFloat32, "col");
  std::vector<Tensor> columns;
  Expr value = sum(x_, 1);
  for (int i = 0; i < 8; ++i) {
    columns.push_back(full(*be_, {4, 1}, i));
    value = value + columns.back();
  }
  try {
    CompileWithLimit(value, col, 4);
    FAIL() << "expected BackendError";
  } catch (const BackendError& error) {
    EXPECT_NE(std::string(error.what()).find("reading 9 tensors"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("allows 4 per kernel"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace neon
