// Several hundred random compound op-trees (depth <= 5: broadcasts, reductions on
// every axis, dot, transposes, shared subtrees, tensors used twice) from fixed
// seeds; autodiff must match central finite differences in float64 on each.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "autodiff/autodiff.h"
#include "autodiff/finite_differences.h"
#include "autodiff/gradient_cases.h"
#include "backends/reference/reference_backend.h"

namespace neon {
namespace {

class TreeGenerator {
 public:
  TreeGenerator(Backend& backend, uint64_t seed) : backend_(backend), rng_(seed) {}

  // A random tree of exactly `shape`, at most `depth` ops deep.
  Expr Make(const Shape& shape, int depth) {
    if (depth == 0 || Chance(0.15)) return Leaf(shape);
    auto& pool = pool_[shape];
    if (!pool.empty() && Chance(0.2)) return pool[Pick(pool.size())];  // share a subtree
    Expr made = Fresh(shape, depth);
    pool.push_back(made);
    return made;
  }

  const std::vector<Tensor>& tensors() const { return tensors_; }

 private:
  Expr Fresh(const Shape& shape, int depth) {
    int64_t rows = shape[0], cols = shape[1];
    switch (Pick(6)) {
      case 0:
        return Unary(Make(shape, depth - 1));
      case 1:
      case 2: {  // one operand of the full shape, the other maybe broadcast, either order
        Expr full = Make(shape, depth - 1);
        Expr other = Make(Operand(shape), depth - 1);
        return Chance(0.5) ? Binary(full, other) : Binary(other, full);
      }
      case 3: {  // a reduction onto this shape
        if (rows == 1 && cols == 1 && Chance(0.5)) return Reduce(Make({Size(), Size() + 1}, depth - 1), kAllAxes);
        if (rows == 1) return Reduce(Make({Size() + 1, cols}, depth - 1), 0);  // var of one value has a kink
        if (cols == 1) return Reduce(Make({rows, Size() + 1}, depth - 1), 1);
        return Unary(Make(shape, depth - 1));
      }
      case 4: {
        int64_t inner = Size();
        return dot(Make({rows, inner}, depth - 1), Make({inner, cols}, depth - 1));
      }
      default:
        return transpose(Make({cols, rows}, depth - 1));
    }
  }

  // Smooth ops with their domains respected (positive arguments made as sqr(e) + 0.5).
  Expr Unary(const Expr& x) {
    auto positive = [&] { return sqr(x) + 0.5; };
    switch (Pick(17)) {
      case 0: return -x;
      case 1: return sqr(x) * 0.5;
      case 2: return exp(x * 0.3);
      case 3: return exp2(x * 0.3);
      case 4: return sig(x);
      case 5: return sig2(x);
      case 6: return tanh(x);
      case 7: return tanh2(x);
      case 8: return abs(x);
      case 9: return sqrt(positive());
      case 10: return log(positive());
      case 11: return log2(positive());
      case 12: return safelog(positive());
      case 13: return pow(positive(), 1.3);
      case 14: return clip(x, -0.8, 0.8);
      case 15: return x * 0.7 + 0.2;
      default: return 1.0 / positive();
    }
  }

  Expr Binary(const Expr& x, const Expr& y) {
    switch (Pick(9)) {
      case 0: return x + y;
      case 1: return x - y;
      case 2: return x * y;
      case 3: return x / (sqr(y) + 0.5);
      case 4: return maximum(x, y);
      case 5: return minimum(x, y);
      case 6: return pow(sqr(x) + 0.5, tanh(y));
      case 7: return shift(x, tanh(y));
      default: return x * 0.5 - y * 2.0;
    }
  }

  Expr Reduce(const Expr& x, int axis) {
    switch (Pick(6)) {
      case 0: return sum(x, axis);
      case 1: return max(x, axis);
      case 2: return min(x, axis);
      case 3: return mean(x, axis);
      case 4: return var(x, axis);
      default: return std_dev(x, axis) + 0.1;
    }
  }

  Expr Leaf(const Shape& shape) {
    std::vector<Tensor> same;
    for (const Tensor& tensor : tensors_) {
      if (tensor.shape() == shape) same.push_back(tensor);
      else if (tensor.shape() == Shape{shape[1], shape[0]} && shape[0] != shape[1]) same.push_back(tensor.T());
    }
    if (!same.empty() && Chance(0.4)) return same[Pick(same.size())];  // a tensor used again
    Tensor tensor = array(backend_, TestValues(static_cast<size_t>(shape[0] * shape[1]), 0.2, 1.5, false, rng_()),
                          shape, DType::kFloat64, "t" + std::to_string(tensors_.size()));
    tensors_.push_back(tensor);
    return tensor;
  }

  // The shape of a binary operand: sometimes broadcast along one or both axes.
  Shape Operand(const Shape& shape) {
    if (!Chance(0.3)) return shape;
    switch (Pick(3)) {
      case 0: return {1, shape[1]};
      case 1: return {shape[0], 1};
      default: return {1, 1};
    }
  }

  int64_t Size() { return 1 + static_cast<int64_t>(Pick(3)); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  Backend& backend_;
  std::mt19937_64 rng_;
  std::vector<Tensor> tensors_;
  std::map<Shape, std::vector<Expr>> pool_;
};

constexpr int kTrees = 400;

TEST(RandomTreeTest, GradientsMatchFiniteDifferences) {
  auto be = MakeReferenceBackend();
  const Shape kRootShapes[] = {{3, 4}, {1, 3}, {3, 1}, {1, 1}, {2, 2}};
  int checked = 0, skipped = 0;
  for (int seed = 0; seed < kTrees; ++seed) {
    TreeGenerator generator(*be, 1000 + seed);
    Shape root_shape = kRootShapes[seed % 5];
    Expr tree = generator.Make(root_shape, 1 + seed % 5);
    if (generator.tensors().empty()) continue;
    // Trees whose values overflow say nothing about gradients: skip them (and count them).
    std::vector<double> values = empty(*be, root_shape, DType::kFloat64).assign(tree).get<double>();
    if (std::any_of(values.begin(), values.end(), [](double v) { return !std::isfinite(v) || std::fabs(v) > 1e4; })) {
      ++skipped;
      continue;
    }
    std::optional<Tensor> next_error;
    if (seed % 2) {
      next_error = array(*be, TestValues(static_cast<size_t>(root_shape[0] * root_shape[1]), 0.5, 1.5, false, seed),
                         root_shape, DType::kFloat64);
    }
    std::optional<Expr> upstream;
    if (next_error) upstream = Expr(*next_error);
    Autodiff autodiff(tree, *be, upstream);
    std::vector<std::vector<double>> ad = autodiff.get_grad_host_f64(generator.tensors());
    std::vector<std::vector<double>> fd = FiniteDifferenceGradients(tree, generator.tensors(), next_error);
    EXPECT_EQ(CompareGradients(ad, fd, 1e-5), "") << "seed " << seed << ": " << tree.ToString();
    ++checked;
  }
  EXPECT_GE(checked, kTrees * 9 / 10) << skipped << " trees skipped for overflow";
  std::printf("%d random trees checked, %d skipped for overflow\n", checked, skipped);
}

}  // namespace
}  // namespace neon
