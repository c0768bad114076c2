#include "autodiff/gradient_cases.h"

#include <cmath>

#include "autodiff/autodiff.h"

namespace neon {

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A tensor of `shape` with TestValues; each call in a case passes its own seed.
Tensor Make(Backend& be, DType dtype, Shape shape, uint64_t seed, double low = 0.2, double high = 1.5,
            bool positive = false, const std::string& name = "t") {
  size_t count = static_cast<size_t>(shape[0] * shape[1]);
  return array(be, TestValues(count, low, high, positive, seed), std::move(shape), dtype, name);
}

Tensor Pos(Backend& be, DType dtype, Shape shape, uint64_t seed) {
  return Make(be, dtype, std::move(shape), seed, 0.3, 2.0, true, "p");
}

GradientProblem Unary(Expr (*op)(const Expr&), Backend& be, DType dtype, bool positive) {
  Tensor x = positive ? Pos(be, dtype, {3, 4}, 1) : Make(be, dtype, {3, 4}, 1);
  Tensor ne = Make(be, dtype, {3, 4}, 2);
  return {op(x), {x}, ne};
}

#define NEON_UNARY_CASE(fn, positive) \
  {"unary_" #fn, [](Backend& be, DType dtype) { return Unary(fn, be, dtype, positive); }}

#define NEON_BINARY_CASE(name, expr, y_positive)                                \
  {name, [](Backend& be, DType dtype) -> GradientProblem {                      \
     Tensor x = Make(be, dtype, {3, 4}, 3);                                     \
     Tensor y = y_positive ? Pos(be, dtype, {1, 4}, 4) : Make(be, dtype, {1, 4}, 4); \
     Tensor ne = Make(be, dtype, {3, 4}, 5);                                    \
     return {expr, {x, y}, ne};                                                 \
   }}

#define NEON_REDUCTION_CASE(fn, axis, out_shape)                               \
  {#fn "_axis_" #axis, [](Backend& be, DType dtype) -> GradientProblem {        \
     Tensor x = Make(be, dtype, {4, 5}, 6);                                     \
     Tensor ne = Make(be, dtype, out_shape, 7);                                 \
     return {fn(x * 1.5, axis), {x}, ne};                                       \
   }}

const std::vector<GradientCase> kCases = {
    NEON_UNARY_CASE(neg, false),
    NEON_UNARY_CASE(abs, false),
    NEON_UNARY_CASE(sqrt, true),
    NEON_UNARY_CASE(sqr, false),
    NEON_UNARY_CASE(exp, false),
    NEON_UNARY_CASE(log, true),
    NEON_UNARY_CASE(exp2, false),
    NEON_UNARY_CASE(log2, true),
    NEON_UNARY_CASE(sig, false),
    NEON_UNARY_CASE(sig2, false),
    NEON_UNARY_CASE(tanh, false),
    NEON_UNARY_CASE(tanh2, false),
    NEON_UNARY_CASE(safelog, true),
    {"transpose", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {3, 4}, 38);
       Tensor ne = Make(be, dtype, {4, 3}, 39);
       return {transpose(x * 2.0), {x}, ne};
     }},
    {"safelog_clamped", [](Backend& be, DType dtype) -> GradientProblem {
       // x * 1e-30 stays below the clamp (e^-50) for x near 1 even when x moves by a step.
       Tensor x = array<double>(be, {1.0, 0.5, 2e21, 3e22, 0.25, 5e23}, {2, 3}, dtype, "x");
       return {safelog(x * 1e-30), {x}, std::nullopt};
     }},
    NEON_BINARY_CASE("add_broadcast_row", x + y, false),
    NEON_BINARY_CASE("sub_broadcast_row", x - y, false),
    NEON_BINARY_CASE("mul_broadcast_row", x * y, false),
    NEON_BINARY_CASE("div_broadcast_row", x / y, true),
    NEON_BINARY_CASE("pow_tensor_exponent", pow(y + 1.0, x), true),
    NEON_BINARY_CASE("minimum", minimum(x, y), false),
    NEON_BINARY_CASE("maximum", maximum(y, x), false),
    NEON_BINARY_CASE("shift", shift(x, y), false),
    {"pow_scalar_exponent", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Pos(be, dtype, {3, 4}, 8);
       return {pow(x, 2.5) + pow(3.0, x), {x}, std::nullopt};
     }},
    {"add_column_and_scalar", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {3, 4}, 9);
       Tensor c = Make(be, dtype, {3, 1}, 10);
       Tensor s = Make(be, dtype, {1, 1}, 11);
       Tensor ne = Make(be, dtype, {3, 4}, 12);
       return {(x + c) * s - c * c, {x, c, s}, ne};
     }},
    {"maximum_ties_split", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = array<double>(be, {1, 2, 3, 4}, {2, 2}, dtype, "x");
       Tensor y = array<double>(be, {1, 0, 3, 5}, {2, 2}, dtype, "y");
       return {maximum(x, y) + minimum(x, y) * 3.0, {x, y}, std::nullopt};
     }},
    NEON_REDUCTION_CASE(sum, 0, (Shape{1, 5})),
    NEON_REDUCTION_CASE(sum, 1, (Shape{4, 1})),
    NEON_REDUCTION_CASE(sum, -1, (Shape{1, 1})),
    NEON_REDUCTION_CASE(max, 0, (Shape{1, 5})),
    NEON_REDUCTION_CASE(max, 1, (Shape{4, 1})),
    NEON_REDUCTION_CASE(max, -1, (Shape{1, 1})),
    NEON_REDUCTION_CASE(min, 0, (Shape{1, 5})),
    NEON_REDUCTION_CASE(min, 1, (Shape{4, 1})),
    NEON_REDUCTION_CASE(min, -1, (Shape{1, 1})),
    NEON_REDUCTION_CASE(mean, 0, (Shape{1, 5})),
    NEON_REDUCTION_CASE(mean, 1, (Shape{4, 1})),
    NEON_REDUCTION_CASE(mean, -1, (Shape{1, 1})),
    NEON_REDUCTION_CASE(var, 0, (Shape{1, 5})),
    NEON_REDUCTION_CASE(var, 1, (Shape{4, 1})),
    NEON_REDUCTION_CASE(var, -1, (Shape{1, 1})),
    NEON_REDUCTION_CASE(std_dev, 0, (Shape{1, 5})),
    NEON_REDUCTION_CASE(std_dev, 1, (Shape{4, 1})),
    NEON_REDUCTION_CASE(std_dev, -1, (Shape{1, 1})),
    {"max_min_ties_first_index", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = array<double>(be, {2, 1, 2, 0, 3, 3}, {2, 3}, dtype, "x");
       return {max(x, 1) + min(x, 0) * 2.0 + max(x, -1) * 4.0, {x}, std::nullopt};
     }, /*has_ties=*/true},
    {"clip", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {3, 4}, 13);
       Tensor ne = Make(be, dtype, {3, 4}, 14);
       return {clip(x, -0.7, 0.9), {x}, ne};
     }},
    {"dot", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor a = Make(be, dtype, {3, 5}, 15);
       Tensor b = Make(be, dtype, {5, 4}, 16);
       Tensor ne = Make(be, dtype, {3, 4}, 17);
       return {dot(a, b), {a, b}, ne};
     }},
    {"dot_default_next_error", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor a = Make(be, dtype, {3, 5}, 18);
       Tensor b = Make(be, dtype, {5, 4}, 19);
       return {dot(a, b), {a, b}, std::nullopt};
     }},
    {"dot_reduced", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor a = Make(be, dtype, {3, 5}, 20);
       Tensor b = Make(be, dtype, {5, 4}, 21);
       return {sum(dot(a, b), 1) + sum(dot(a, b) * 2.0, 0) * 0.5, {a, b}, std::nullopt};
     }},
    {"dot_transposed_views", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor a = Make(be, dtype, {5, 3}, 22);
       Tensor b = Make(be, dtype, {4, 5}, 23);
       return {tanh(dot(a.T(), b.T())), {a, b}, std::nullopt};
     }},
    {"same_tensor_and_its_transpose", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {3, 3}, 24);
       Tensor ne = Make(be, dtype, {3, 3}, 25);
       return {x * x.T() + transpose(x) * 2.0 + x, {x}, ne};
     }},
    {"slices_and_reshape_of_one_tensor", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {4, 6}, 40);
       Tensor w = Make(be, dtype, {1, 3}, 41);
       Expr top = tanh(x.rows(0, 2).cols(1, 4) * w);
       Expr right = sum(sqr(x.cols(3, 6)), 0);
       return {sum(top, 1) * 2.0 + sum(right) + sum(exp(x.reshape({8, 3}) * 0.3)), {x, w}, std::nullopt};
     }},
    {"shared_subtree", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {3, 4}, 26);
       Tensor w = Make(be, dtype, {1, 4}, 27);
       Expr s = sig(x * w);
       return {s * s + exp(s) - sum(s, 1), {x, w}, std::nullopt};
     }},
    {"zero_gradient_ops", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {3, 4}, 28);
       Tensor y = Make(be, dtype, {3, 4}, 29);
       Expr flat = eq(x, y) + ne(x, y) + lt(x, y) + le(x, y) + ge(x, y) + sgn(x) + finite(y) + rint(x) +
                   binarize(y) + argmax(x, 1) + argmin(y, 0);
       return {x * gt(x, y) + flat, {x, y}, std::nullopt};
     }},
    {"onehot", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor idx = array<double>(be, {2, 0, 3, 1, 2}, {1, 5}, dtype, "idx");
       Tensor x = Make(be, dtype, {4, 5}, 30);
       return {onehot(idx, 4, 0) * x, {x, idx}, std::nullopt};
     }},
    {"logistic", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {10, 10}, 31);
       return {1.0 / (1.0 + exp(-1.0 * x)), {x}, std::nullopt};
     }},
    {"batchnorm", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {4, 6}, 32, 0.2, 2.0);
       Tensor gamma = Pos(be, dtype, {4, 1}, 33);
       Tensor beta = Make(be, dtype, {4, 1}, 34);
       Tensor ne = Make(be, dtype, {4, 6}, 35);
       Expr xhat = (x - mean(x, 1)) / sqrt(var(x, 1) + 1e-6);
       return {xhat * gamma + beta, {x, gamma, beta}, ne};
     }},
    {"unused_tensor", [](Backend& be, DType dtype) -> GradientProblem {
       Tensor x = Make(be, dtype, {2, 3}, 36);
       Tensor unused = Make(be, dtype, {2, 3}, 37);
       return {sqr(x), {x, unused}, std::nullopt};
     }},
};

#undef NEON_UNARY_CASE
#undef NEON_BINARY_CASE
#undef NEON_REDUCTION_CASE

}  // namespace

std::vector<double> TestValues(size_t count, double low, double high, bool positive, uint64_t seed) {
  uint64_t state = seed * 0x2545F4914F6CDD1Dull + 1;
  std::vector<double> values(count);
  for (double& value : values) {
    uint64_t bits = SplitMix(state);
    double unit = static_cast<double>(bits >> 11) * 0x1.0p-53;
    value = low + (high - low) * unit;
    if (!positive && (bits & 1)) value = -value;
  }
  return values;
}

const std::vector<GradientCase>& GradientCases() { return kCases; }

std::vector<std::vector<double>> EvaluateGradientCase(const GradientCase& gradient_case, Backend& backend,
                                                      DType dtype) {
  GradientProblem problem = gradient_case.build(backend, dtype);
  std::optional<Expr> next_error;
  if (problem.next_error) next_error = Expr(*problem.next_error);
  Autodiff autodiff(problem.tree, backend, next_error);
  std::vector<std::vector<double>> host;
  for (const Tensor& grad : autodiff.get_grad_tensor(problem.wrt)) host.push_back(grad.get<double>());
  return host;
}

}  // namespace neon
