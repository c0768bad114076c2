// The batch-norm backward of the spec (host_ops.h) against central finite
// differences of L = sum(fprop(x) * dy), in float64: d L / d x, d gamma, d beta,
// for (features, batch) and (C, H, W, N) sizes, batch 1 and large means.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backends/host_ops.h"

namespace neon::host_ops {
namespace {

struct Shape {
  int64_t channels, elements;
  double offset;  // added to every input
};

std::vector<double> Draw(int64_t count, uint32_t seed, double low, double high) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  std::vector<double> values(static_cast<size_t>(count));
  for (double& value : values) value = uniform(engine);
  return values;
}

class BatchNormGradientTest : public ::testing::TestWithParam<Shape> {};

TEST_P(BatchNormGradientTest, MatchesFiniteDifferences) {
  const Shape shape = GetParam();
  BatchNormArgs args;
  args.channels = shape.channels;
  args.elements = shape.elements;
  args.epsilon = 1e-3;
  const int64_t count = shape.channels * shape.elements;
  std::vector<double> x = Draw(count, 1, -1.0, 1.0);
  for (double& value : x) value += shape.offset;
  std::vector<double> gamma = Draw(shape.channels, 2, 0.5, 1.5), beta = Draw(shape.channels, 3, -1.0, 1.0);
  std::vector<double> dy = Draw(count, 4, -1.0, 1.0);
  std::vector<double> mean(gamma.size()), var(gamma.size()), y(x.size());
  auto loss = [&] {
    BatchNormFprop(args, x.data(), gamma.data(), beta.data(), mean.data(), var.data(), y.data());
    double total = 0.0;
    for (size_t i = 0; i < y.size(); ++i) total += y[i] * dy[i];
    return total;
  };
  loss();
  std::vector<double> dx(x.size()), dgamma(gamma.size()), dbeta(beta.size());
  BatchNormBprop(args, x.data(), gamma.data(), mean.data(), var.data(), dy.data(), dx.data(), dgamma.data(),
                 dbeta.data());
  // Central differences with h = 1e-5 (the spread is ~1 whatever the mean): truncation ~h^2;
  // rounding ~1e-16 * 1e4 (x - mean at the large mean) * E / h ~ 3e-6 at worst, below the tolerance.
  auto check = [&](const char* what, std::vector<double>& values, const std::vector<double>& analytic) {
    for (size_t i = 0; i < values.size(); ++i) {
      const double saved = values[i], h = 1e-5;
      values[i] = saved + h;
      double plus = loss();
      values[i] = saved - h;
      double minus = loss();
      values[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      EXPECT_NEAR(analytic[i], numeric, 1e-5 * (1.0 + std::fabs(numeric))) << what << "[" << i << "]";
    }
  };
  check("x", x, dx);
  check("gamma", gamma, dgamma);
  check("beta", beta, dbeta);
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormGradientTest,
                         ::testing::Values(Shape{1, 5, 0.0}, Shape{3, 1, 0.0}, Shape{17, 5, 0.0},
                                           Shape{3, 4 * 4 * 2, 0.0}, Shape{17, 3 * 3 * 2, 0.0},
                                           Shape{3, 4 * 4 * 2, 1e4}));

}  // namespace
}  // namespace neon::host_ops
