#include "autodiff/autodiff.h"

#include <cmath>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "autodiff/finite_differences.h"
#include "autodiff/gradient_cases.h"
#include "backends/reference/reference_backend.h"
#include "core/error.h"

namespace neon {
namespace {

class AutodiffTest : public ::testing::Test {
 protected:
  Tensor Values(Shape shape, uint64_t seed, DType dtype = DType::kFloat64) {
    return array(*be_, TestValues(static_cast<size_t>(shape[0] * shape[1]), 0.2, 1.5, false, seed), shape, dtype);
  }
  std::vector<double> Eval(const Expr& expr, Shape shape) {
    return empty(*be_, shape, DType::kFloat64).assign(expr).get<double>();
  }
  std::unique_ptr<Backend> be_ = MakeReferenceBackend();
};

// The seed's walk-through: f = 1/(1+exp(-1*x)) at x = 0 has gradient sig'(0) = 0.25.
TEST_F(AutodiffTest, SeedLogisticWalkThrough) {
  Tensor x = zeros(*be_, {10, 10}, DType::kFloat32, "myTensor");
  Expr f = 1 / (1 + exp(-1 * x));
  Tensor fval = empty(*be_, {10, 10});
  fval.assign(f);
  Autodiff ad(f, *be_);
  Tensor grads = ad.get_grad_tensor(x);
  EXPECT_EQ(grads.shape(), (Shape{10, 10}));
  for (float value : grads.get<float>()) EXPECT_FLOAT_EQ(value, 0.25f);
  for (float value : ad.get_grad_host(x)) EXPECT_FLOAT_EQ(value, 0.25f);
  Tensor buffer = empty(*be_, {10, 10});
  ad.back_prop_grad(x, buffer);
  for (float value : buffer.get<float>()) EXPECT_FLOAT_EQ(value, 0.25f);
}

TEST_F(AutodiffTest, NextErrorMustHaveTheTreeShape) {
  Tensor x = Values({3, 4}, 1);
  EXPECT_THROW(Autodiff(sqr(x), *be_, Expr(Values({4, 3}, 2))), ShapeError);
  EXPECT_THROW(Autodiff(sqr(x), *be_, Expr(2.0)), ShapeError);
  EXPECT_NO_THROW(Autodiff(sqr(x), *be_, Expr(Values({3, 4}, 2))));
}

TEST_F(AutodiffTest, NextErrorWeightsTheGradient) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4}, {2, 2}, DType::kFloat64);
  Tensor error = array<double>(*be_, {1, -1, 0.5, 2}, {2, 2}, DType::kFloat64);
  Autodiff ad(sqr(x), *be_, Expr(error));
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], (std::vector<double>{2, -4, 3, 16}));
}

TEST_F(AutodiffTest, UnusedTensorHasZeroGradient) {
  Tensor x = Values({2, 3}, 3);
  Tensor other = Values({2, 3}, 4);
  Autodiff ad(exp(x), *be_);
  Expr grad = ad.get_grad_op_tree(other);
  EXPECT_EQ(grad.op(), OpKind::kScalar);
  EXPECT_EQ(grad.value(), 0.0);
  EXPECT_EQ(ad.get_grad_host_f64({other})[0], std::vector<double>(6, 0.0));
}

TEST_F(AutodiffTest, TensorUsedSeveralTimesAccumulates) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4}, {2, 2}, DType::kFloat64);
  Autodiff ad(x * x + x * 3.0 + x, *be_);
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], (std::vector<double>{6, 8, 10, 12}));
}

TEST_F(AutodiffTest, TiesGoToTheFirstExtremeElement) {
  for (const GradientCase& gradient_case : GradientCases()) {
    if (gradient_case.name != "max_min_ties_first_index") continue;
    // x = [[2, 1, 2], [0, 3, 3]]; f = max(x, 1) + 2 min(x, 0) + 4 max(x), broadcast to (2, 3) and
    // summed: the row maxima (0,0), (1,1) count 3 times, the column minima (1,0), (0,1), (0,2)
    // 2 * 2, the overall maximum (1,1) 4 * 6. Only the first of each tie gets anything.
    std::vector<std::vector<double>> grads = EvaluateGradientCase(gradient_case, *be_, DType::kFloat64);
    EXPECT_EQ(grads[0], (std::vector<double>{3, 4, 4, 4, 27, 0}));
    return;
  }
  FAIL() << "case max_min_ties_first_index is missing";
}

TEST_F(AutodiffTest, MaximumSplitsTies) {
  Tensor x = array<double>(*be_, {1, 5}, {1, 2}, DType::kFloat64);
  Tensor y = array<double>(*be_, {1, 2}, {1, 2}, DType::kFloat64);
  Autodiff ad(maximum(x, y), *be_);
  std::vector<std::vector<double>> grads = ad.get_grad_host_f64({x, y});
  EXPECT_EQ(grads[0], (std::vector<double>{0.5, 1}));
  EXPECT_EQ(grads[1], (std::vector<double>{0.5, 0}));
}

TEST_F(AutodiffTest, RandHasNoGradientAndIsAFreshDrawInGradients) {
  Tensor x = Values({4, 8}, 17);
  Autodiff ad(x * rand() + sqr(rand()), *be_);  // d/dx = a fresh uniform draw per element
  std::vector<double> grad = ad.get_grad_host_f64({x})[0];
  double total = 0;
  for (double value : grad) {
    EXPECT_GE(value, 0.0);
    EXPECT_LT(value, 1.0);
    total += value;
  }
  EXPECT_GT(total, 0.0);
  Expr twice = x * rand() + x * rand();  // two draws stay two draws (no merging of rand nodes)
  Tensor out = empty(*be_, {4, 8}, DType::kFloat64);
  out.assign(Autodiff(twice, *be_).get_grad_op_tree(x));
  for (double value : out.get<double>()) EXPECT_LT(value, 2.0);
  std::set<const OpNode*> draws;
  std::function<void(const Expr&)> collect = [&](const Expr& e) {
    if (e.op() == OpKind::kRand) draws.insert(e.node());
    for (const Expr& operand : e.operands()) collect(operand);
  };
  collect(Autodiff(twice, *be_).get_grad_op_tree(x));
  EXPECT_EQ(draws.size(), 2u);
}

// ---- views ----

TEST_F(AutodiffTest, TransposedViewRoutesToItsBase) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4, 5, 6}, {2, 3}, DType::kFloat64, "x");
  Tensor w = array<double>(*be_, {1, 10, 100}, {3, 1}, DType::kFloat64, "w");
  Autodiff ad(x.T() * w, *be_);  // (3, 2) * (3, 1)
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], (std::vector<double>{1, 10, 100, 1, 10, 100}));
  EXPECT_EQ(ad.get_grad_host_f64({x.T()})[0], (std::vector<double>{1, 1, 10, 10, 100, 100}));
  EXPECT_EQ(ad.get_grad_host_f64({w})[0], (std::vector<double>{5, 7, 9}));
}

TEST_F(AutodiffTest, ViewAndTransposeOfTheSameTensorAccumulate) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4}, {2, 2}, DType::kFloat64, "x");
  Autodiff ad(x * 2.0 + x.T() * 10.0, *be_, Expr(array<double>(*be_, {1, 2, 3, 4}, {2, 2}, DType::kFloat64)));
  // d/dx_ij = 2 e_ij + 10 e_ji
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], (std::vector<double>{12, 34, 26, 48}));
}

TEST_F(AutodiffTest, RowVectorReshapedToAColumnIsATranspose) {
  Tensor x = array<double>(*be_, {1, 2, 3}, {1, 3}, DType::kFloat64, "x");
  Tensor weights = array<double>(*be_, {1, 10, 100}, {3, 1}, DType::kFloat64);
  Autodiff ad(x.reshape({3, 1}) * weights, *be_);
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], (std::vector<double>{1, 10, 100}));
}

TEST_F(AutodiffTest, SlicesRouteIntoTheirPartOfTheBase) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3}, DType::kFloat64, "x");
  // Rows 0-1 squared, columns 1-2 times 3, row 3 times 10: three slices of one tensor.
  Expr f = sum(sqr(x.rows(0, 2))) + sum(x.cols(1, 3) * 3.0) + sum(x.rows(3, 4) * 10.0);
  Autodiff ad(f, *be_);
  std::vector<double> expected = {2, 7, 9, 8, 13, 15, 0, 3, 3, 10, 13, 13};
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], expected);
  Tensor buffer = full(*be_, {4, 3}, 100.0, DType::kFloat64);  // old contents are overwritten
  ad.back_prop_grad(x, buffer);
  EXPECT_EQ(buffer.get<double>(), expected);
  // Slices of x get their part too, whichever leaves they meet; a block no leaf touches gets 0.
  EXPECT_EQ(ad.get_grad_host_f64({x.rows(0, 2)})[0], (std::vector<double>{2, 7, 9, 8, 13, 15}));
  EXPECT_EQ(ad.get_grad_host_f64({x.rows(1, 4).cols(1, 3)})[0], (std::vector<double>{13, 15, 3, 3, 13, 13}));
  EXPECT_EQ(ad.get_grad_host_f64({x.rows(2, 3).cols(0, 1)})[0], (std::vector<double>{0}));
  // An op-tree cannot place a gradient into part of a tensor.
  try {
    ad.get_grad_op_tree(x);
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("as a slice or reshape"), std::string::npos) << error.what();
  }
}

TEST_F(AutodiffTest, ReshapeRoutesToItsBase) {
  Tensor x = array<double>(*be_, {1, 2, 3, 4, 5, 6}, {2, 3}, DType::kFloat64, "x");
  Tensor w = array<double>(*be_, {10, 20}, {1, 2}, DType::kFloat64, "w");
  Autodiff ad(sum(x.reshape({3, 2}) * w) + sum(x), *be_);
  EXPECT_EQ(ad.get_grad_host_f64({x})[0], (std::vector<double>{11, 21, 11, 21, 11, 21}));
}

TEST_F(AutodiffTest, OtherOverlapsAreAClearError) {
  Tensor x = Values({3, 3}, 5);
  Autodiff ad(sqr(x.T().rows(0, 1)), *be_);  // a strided row of x's transpose: x's first column
  try {
    ad.get_grad_host_f64({x});
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("overlaps"), std::string::npos) << error.what();
  }
  EXPECT_EQ(ad.get_grad_host_f64({x.T().rows(0, 1)})[0].size(), 3u);  // the view itself is fine
}

TEST_F(AutodiffTest, NdTensorsAreSeenAs2dAndKeepTheirShape) {
  Tensor x = array(*be_, TestValues(24, 0.2, 1.5, false, 6), {2, 3, 4}, DType::kFloat64, "x");
  Autodiff ad(sqr(x) * 0.5, *be_);
  Tensor grad = ad.get_grad_tensor(x);
  EXPECT_EQ(grad.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(grad.get<double>(), x.get<double>());
}

// ---- back_prop_grad ----

TEST_F(AutodiffTest, BackPropGradIntoTheNextErrorBuffer) {
  // The seed's BatchNormAutodiff: deltas is both next_error and the x-gradient buffer.
  Tensor x = Values({4, 6}, 7);
  Tensor gamma = array<double>(*be_, {0.5, 1, 1.5, 2}, {4, 1}, DType::kFloat64, "gamma");
  Tensor beta = Values({4, 1}, 8);
  Tensor deltas = Values({4, 6}, 9);
  Expr xhat = (x - mean(x, 1)) / sqrt(var(x, 1) + 1e-6);
  Expr y = xhat * gamma + beta;

  Tensor error_copy = empty(*be_, {4, 6}, DType::kFloat64).assign(deltas);
  std::vector<std::vector<double>> expected = Autodiff(y, *be_, Expr(error_copy)).get_grad_host_f64({x, gamma, beta});

  Tensor grad_gamma = empty(*be_, {4, 1}, DType::kFloat64);
  Tensor grad_beta = empty(*be_, {4, 1}, DType::kFloat64);
  Autodiff ad(y, *be_, Expr(deltas));
  ad.back_prop_grad({x, gamma, beta}, {deltas, grad_gamma, grad_beta});
  EXPECT_EQ(deltas.get<double>(), expected[0]);
  EXPECT_EQ(grad_gamma.get<double>(), expected[1]);
  EXPECT_EQ(grad_beta.get<double>(), expected[2]);
  // And against finite differences.
  std::vector<std::vector<double>> fd = FiniteDifferenceGradients(y, {x, gamma, beta}, error_copy);
  EXPECT_EQ(CompareGradients(expected, fd, 1e-6), "");
}

TEST_F(AutodiffTest, BackPropGradBreaksReadWriteCycles) {
  // grad x = 2 y goes into y's buffer and grad y = 2 x into x's: each is read by the other.
  Tensor x = array<double>(*be_, {1, 2}, {1, 2}, DType::kFloat64);
  Tensor y = array<double>(*be_, {10, 20}, {1, 2}, DType::kFloat64);
  Autodiff ad(x * y * 2.0, *be_);
  ad.back_prop_grad({x, y}, {y, x});
  EXPECT_EQ(y.get<double>(), (std::vector<double>{20, 40}));
  EXPECT_EQ(x.get<double>(), (std::vector<double>{2, 4}));
}

TEST_F(AutodiffTest, BackPropGradChecksItsArguments) {
  Tensor x = Values({2, 3}, 10);
  Autodiff ad(sqr(x), *be_);
  EXPECT_THROW(ad.back_prop_grad({x}, {}), ArgumentError);
  EXPECT_THROW(ad.back_prop_grad(x, empty(*be_, {3, 2}, DType::kFloat64)), ShapeError);
  EXPECT_THROW(ad.back_prop_grad(x, Tensor()), ArgumentError);
}

// ---- sharing and caching ----

TEST_F(AutodiffTest, SharedSubtreesAreDifferentiatedOnce) {
  // As a tree this has 2^40 paths; the DAG has 80 nodes.
  Tensor x = array<double>(*be_, {0.3, -0.2}, {1, 2}, DType::kFloat64);
  Expr s = x;
  for (int i = 0; i < 40; ++i) s = tanh(s * s + s);
  Autodiff ad(s, *be_);
  Expr grad = ad.get_grad_op_tree(x);
  EXPECT_EQ(grad.shape(), (Shape{1, 2}));
  // A shallower one evaluated, against finite differences.
  Expr t = x;
  for (int i = 0; i < 4; ++i) t = tanh(t * t + t);  // (graph's Bind walks paths, not nodes)
  EXPECT_EQ(CompareGradients(Autodiff(t, *be_).get_grad_host_f64({x}), FiniteDifferenceGradients(t, {x}, {}), 1e-6),
            "");
}

TEST_F(AutodiffTest, SameStructureReusesTheDerivation) {
  ClearAutodiffCache();
  Tensor x = Values({3, 4}, 11);
  Tensor w = Values({1, 4}, 12);
  auto tree = [](const Tensor& a, const Tensor& b) { return sig(a * b) + sqr(a); };
  Autodiff first(tree(x, w), *be_);
  EXPECT_FALSE(first.from_cache());
  Autodiff again(tree(x, w), *be_);  // a new tree object, same structure and tensors
  EXPECT_TRUE(again.from_cache());
  EXPECT_EQ(again.get_grad_host_f64({x, w}), first.get_grad_host_f64({x, w}));

  Tensor x2 = Values({3, 4}, 13);  // other tensors, same structure: reused, bound to the new tensors
  Tensor w2 = Values({1, 4}, 14);
  Autodiff other(tree(x2, w2), *be_);
  EXPECT_TRUE(other.from_cache());
  EXPECT_EQ(CompareGradients(other.get_grad_host_f64({x2, w2}), FiniteDifferenceGradients(tree(x2, w2), {x2, w2}, {}), 1e-6), "");

  EXPECT_FALSE(Autodiff(tree(x, x), *be_).from_cache());                  // one leaf used twice: different
  EXPECT_FALSE(Autodiff(sig(x * w) + sqr(x) * 2.0, *be_).from_cache());   // another constant
  EXPECT_FALSE(Autodiff(tree(x, w), *be_, Expr(Values({3, 4}, 15))).from_cache());  // with next_error
  AutodiffCacheStats stats = GetAutodiffCacheStats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.size, 4u);
}

TEST_F(AutodiffTest, CacheIsBounded) {
  ClearAutodiffCache();
  size_t capacity = AutodiffCacheCapacity();
  SetAutodiffCacheCapacity(3);
  Tensor x = Values({2, 2}, 16);
  for (int i = 0; i < 10; ++i) Autodiff(x * static_cast<double>(i), *be_);
  EXPECT_EQ(GetAutodiffCacheStats().size, 3u);
  EXPECT_TRUE(Autodiff(x * 9.0, *be_).from_cache());   // most recent kept
  EXPECT_FALSE(Autodiff(x * 0.0, *be_).from_cache());  // oldest evicted
  SetAutodiffCacheCapacity(capacity);
}

}  // namespace
}  // namespace neon

namespace neon {
namespace {

// x + x + ... (`levels` additions, depth levels + 1): d/dx = levels + 1.
Expr AddChainOf(const Tensor& x, int levels) {
  Expr chain = x;
  for (int i = 0; i < levels; ++i) chain = chain + x;
  return chain;
}

TEST_F(AutodiffTest, TooDeepATreeIsAnArgumentError) {
  Tensor x = Values({2, 2}, 7);
  EXPECT_THROW(Autodiff(AddChainOf(x, 30000), *be_), ArgumentError);
}

TEST_F(AutodiffTest, ATreeAtTheDepthLimitDifferentiatesOnAThread) {
  Tensor x = Values({2, 2}, 7);
  Expr chain = AddChainOf(x, kMaxTreeDepth - 1);
  std::vector<double> grad;
  std::thread worker([&] { grad = Autodiff(chain, *be_).get_grad_host_f64({x})[0]; });
  worker.join();
  for (double value : grad) EXPECT_EQ(value, kMaxTreeDepth);
}

}  // namespace
}  // namespace neon
