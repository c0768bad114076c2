// The case table of the conformance suite. Shapes include the odd ones that
// catch tail handling and broadcasting bugs.
#include <cmath>

#include "tests/conformance.h"

namespace neon::conformance {

namespace {

const std::vector<Shape> kOddShapes = {{1, 1}, {1, 7}, {3, 1000}, {127, 129}, {4096, 1}};

using Build = std::function<Expr(const std::vector<Tensor>&)>;

InputSpec In(Shape shape, Domain domain = {}, Layout layout = Layout::kPlain, DType dtype = DType::kFloat32) {
  return {std::move(shape), dtype, domain, layout};
}

std::string AxisName(int axis) { return axis == kAllAxes ? "all" : "axis" + std::to_string(axis); }

std::string ShapeName(const Shape& shape) { return std::to_string(shape[0]) + "x" + std::to_string(shape[1]); }

struct UnaryOp {
  const char* name;
  Expr (*fn)(const Expr&);
  Domain domain;
};

struct BinaryOp {
  const char* name;
  Expr (*fn)(const Expr&, const Expr&);
  Domain first;
  Domain second;
};

const Domain kWide = {-4, 4};
const Domain kPositiveAndSome = {-0.5, 4};  // negatives give NaN: positions must match
const Domain kInts = {-3, 3, true};

void AddUnary(std::vector<Case>& cases) {
  const UnaryOp ops[] = {
      {"neg", neg, kWide},        {"abs", abs, kWide},         {"sgn", sgn, kInts},
      {"finite", finite, kWide},  {"sqrt", sqrt, kPositiveAndSome}, {"sqr", sqr, kWide},
      {"exp", exp, {-20, 20}},    {"log", log, kPositiveAndSome},   {"exp2", exp2, {-20, 20}},
      {"log2", log2, kPositiveAndSome}, {"sig", sig, {-20, 20}}, {"sig2", sig2, {-20, 20}},
      {"tanh", tanh, {-10, 10}},  {"tanh2", tanh2, {-10, 10}}, {"safelog", safelog, kPositiveAndSome},
      {"rint", rint, {-5, 5}},    {"binarize", binarize, kInts},
  };
  for (const UnaryOp& op : ops) {
    for (const Shape& shape : kOddShapes) {
      auto fn = op.fn;
      cases.push_back({std::string(op.name) + "_" + ShapeName(shape), {In(shape, op.domain)},
                       [fn](const std::vector<Tensor>& in) { return fn(in[0]); }});
    }
    // NaN, infinities and signed zeros go through every op.
    Domain specials = op.domain;
    specials.specials = true;
    auto fn = op.fn;
    cases.push_back({std::string(op.name) + "_specials", {In({5, 33}, specials)},
                     [fn](const std::vector<Tensor>& in) { return fn(in[0]); }});
  }
}

void AddBinary(std::vector<Case>& cases) {
  const BinaryOp ops[] = {
      {"add", add, kWide, kWide},         {"sub", sub, kWide, kWide},
      {"mul", mul, kWide, kWide},         {"div", div, kWide, {0.5, 4}},
      {"eq", eq, kInts, kInts},           {"ne", ne, kInts, kInts},
      {"lt", lt, kInts, kInts},           {"le", le, kInts, kInts},
      {"gt", gt, kInts, kInts},           {"ge", ge, kInts, kInts},
      {"pow", pow, {-3, 3}, {-3, 3}},     {"minimum", minimum, kInts, kWide},
      {"maximum", maximum, kInts, kWide}, {"shift", shift, kWide, {-4, 4, true}},
  };
  // (first, second) shape pairs: same, row broadcast, column broadcast, outer, scalar-like.
  const std::pair<Shape, Shape> patterns[] = {
      {{127, 129}, {127, 129}}, {{127, 129}, {1, 129}}, {{37, 1}, {37, 55}},
      {{1, 55}, {37, 1}},       {{3, 1000}, {1, 1}},    {{4096, 1}, {4096, 1}},
  };
  for (const BinaryOp& op : ops) {
    for (const auto& [a, b] : patterns) {
      auto fn = op.fn;
      cases.push_back({std::string(op.name) + "_" + ShapeName(a) + "_" + ShapeName(b),
                       {In(a, op.first), In(b, op.second)},
                       [fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }});
    }
    auto fn = op.fn;
    Domain first = op.first;
    first.specials = true;
    cases.push_back({std::string(op.name) + "_specials", {In({5, 33}, first), In({5, 33}, op.second)},
                     [fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }});
    cases.push_back({std::string(op.name) + "_with_scalar", {In({9, 17}, op.first)},
                     [fn](const std::vector<Tensor>& in) { return fn(in[0], 1.5); }});
  }
}

// Every op on every special and range-limit value (and, for binary ops, every pair of
// them), checked element by element: the NMSE alone misses one wrong element among huge ones.
const Domain kRangeLimits = {-1, 1, false, false, true};
// Float transcendental functions are accurate to a few ulps (1 ulp = 6e-8).
constexpr double kRangeLimitRelativeError = 1e-6;

void AddRangeLimits(std::vector<Case>& cases) {
  const int64_t count = static_cast<int64_t>(RangeLimitValues().size());
  const std::pair<const char*, Expr (*)(const Expr&)> unary[] = {
      {"neg", neg},   {"abs", abs},     {"sgn", sgn},         {"finite", finite}, {"sqrt", sqrt}, {"sqr", sqr},
      {"exp", exp},   {"log", log},     {"exp2", exp2},       {"log2", log2},     {"sig", sig},   {"sig2", sig2},
      {"tanh", tanh}, {"tanh2", tanh2}, {"safelog", safelog}, {"rint", rint},     {"binarize", binarize}};
  for (const auto& [name, fn] : unary) {
    Case range{std::string(name) + "_range_limits", {In({count, 1}, kRangeLimits)},
               [fn = fn](const std::vector<Tensor>& in) { return fn(in[0]); }};
    range.max_relative_error = kRangeLimitRelativeError;
    cases.push_back(range);
  }
  const std::pair<const char*, Expr (*)(const Expr&, const Expr&)> binary[] = {
      {"add", add}, {"sub", sub}, {"mul", mul}, {"div", div},         {"eq", eq},           {"ne", ne},
      {"lt", lt},   {"le", le},   {"gt", gt},   {"ge", ge},           {"pow", pow},         {"minimum", minimum},
      {"maximum", maximum},       {"shift", shift}};
  for (const auto& [name, fn] : binary) {
    // (count, 1) against (1, count): the outer grid of every pair.
    Case range{std::string(name) + "_range_limit_pairs", {In({count, 1}, kRangeLimits), In({1, count}, kRangeLimits)},
               [fn = fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }};
    range.max_relative_error = kRangeLimitRelativeError;
    cases.push_back(range);
  }
  const std::pair<const char*, Expr (*)(const Expr&, int)> reductions[] = {
      {"max", max}, {"min", min}, {"argmax", argmax}, {"argmin", argmin}};
  for (const auto& [name, fn] : reductions) {
    for (int axis : {0, 1}) {
      Shape shape = axis == 0 ? Shape{count, 3} : Shape{3, count};
      Case range{std::string(name) + "_" + AxisName(axis) + "_range_limits", {In(shape, kRangeLimits)},
                 [fn = fn, axis](const std::vector<Tensor>& in) { return fn(in[0], axis); }};
      range.max_relative_error = kRangeLimitRelativeError;
      cases.push_back(range);
    }
  }
}

void AddReductions(std::vector<Case>& cases) {
  const std::pair<const char*, Expr (*)(const Expr&, int)> ops[] = {
      {"sum", sum}, {"max", max}, {"min", min}, {"argmax", argmax}, {"argmin", argmin}};
  const Shape shapes[] = {{127, 129}, {1, 7}, {4096, 1}, {3, 1000}, {1, 1}};
  for (const auto& [name, fn] : ops) {
    for (int axis : {0, 1, kAllAxes}) {
      for (const Shape& shape : shapes) {
        // Integers make ties, which argmax/argmin must break the same way everywhere.
        Domain domain = std::string(name).rfind("arg", 0) == 0 ? kInts : kWide;
        auto reduce = fn;
        cases.push_back({std::string(name) + "_" + AxisName(axis) + "_" + ShapeName(shape),
                         {In(shape, domain)},
                         [reduce, axis](const std::vector<Tensor>& in) { return reduce(in[0], axis); }});
      }
    }
  }
  cases.push_back({"max_with_nan_axis1", {In({6, 40}, {-2, 2, false, true})},
                   [](const std::vector<Tensor>& in) { return max(in[0], 1); }});
  cases.push_back({"argmax_with_nan_axis0", {In({40, 6}, {-2, 2, false, true})},
                   [](const std::vector<Tensor>& in) { return argmax(in[0], 0); }});
}

void AddViews(std::vector<Case>& cases) {
  for (Layout layout : {Layout::kTransposed, Layout::kSliced}) {
    std::string kind = layout == Layout::kTransposed ? "transposed" : "sliced";
    cases.push_back({"exp_" + kind, {In({31, 45}, {-3, 3}, layout)},
                     [](const std::vector<Tensor>& in) { return exp(in[0]); }});
    cases.push_back({"add_" + kind + "_and_plain", {In({31, 45}, kWide, layout), In({31, 45})},
                     [](const std::vector<Tensor>& in) { return in[0] + in[1]; }});
    cases.push_back({"add_" + kind + "_row", {In({31, 45}), In({1, 45}, kWide, layout)},
                     [](const std::vector<Tensor>& in) { return in[0] + in[1]; }});
    for (int axis : {0, 1}) {
      cases.push_back({"sum_" + kind + "_axis" + std::to_string(axis), {In({130, 67}, kWide, layout)},
                       [axis](const std::vector<Tensor>& in) { return sum(in[0], axis); }});
      cases.push_back({"argmax_" + kind + "_axis" + std::to_string(axis), {In({67, 130}, kInts, layout)},
                       [axis](const std::vector<Tensor>& in) { return argmax(in[0], axis); }});
    }
    cases.push_back({"dot_" + kind + "_a", {In({33, 20}, kWide, layout), In({20, 17})},
                     [](const std::vector<Tensor>& in) { return dot(in[0], in[1]); }});
    cases.push_back({"dot_" + kind + "_b", {In({33, 20}), In({20, 17}, kWide, layout)},
                     [](const std::vector<Tensor>& in) { return dot(in[0], in[1]); }});
  }
  cases.push_back({"transpose_of_leaf", {In({19, 23})}, [](const std::vector<Tensor>& in) { return transpose(in[0]); }});
  cases.push_back({"transpose_of_tree", {In({19, 23}), In({19, 1})},
                   [](const std::vector<Tensor>& in) { return transpose(exp(in[0]) + in[1]) * 2; }});
}

void AddDot(std::vector<Case>& cases) {
  const std::tuple<int64_t, int64_t, int64_t> shapes[] = {
      {1, 1, 1}, {1, 7, 1}, {64, 64, 64}, {127, 129, 3}, {3, 1000, 5}, {256, 31, 129}};
  for (const auto& [m, k, n] : shapes) {
    std::string size = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
    cases.push_back({"dot_" + size, {In({m, k}), In({k, n})},
                     [](const std::vector<Tensor>& in) { return dot(in[0], in[1]); }});
  }
  cases.push_back({"dot_scaled", {In({40, 30}), In({30, 20})},
                   [](const std::vector<Tensor>& in) { return -0.5 * dot(in[0], in[1]); }});
  cases.push_back({"dot_plus_bias_relu", {In({40, 30}), In({30, 20}), In({40, 1})},
                   [](const std::vector<Tensor>& in) { return maximum(dot(in[0], in[1]) + in[2], 0); }});
  cases.push_back({"dot_of_trees", {In({40, 30}), In({30, 20})},
                   [](const std::vector<Tensor>& in) { return dot(tanh(in[0]), in[1] * 2 + 1); }});
  cases.push_back({"dot_transposed_both", {In({30, 40}), In({20, 30})},
                   [](const std::vector<Tensor>& in) { return dot(transpose(in[0]), transpose(in[1])); }});
}

void AddCompound(std::vector<Case>& cases) {
  cases.push_back({"logistic", {In({10, 10})}, [](const std::vector<Tensor>& in) {
                     return 1 / (1 + exp(-1 * in[0]));
                   }});
  cases.push_back({"softmax_axis0", {In({10, 128}, {-10, 10})}, [](const std::vector<Tensor>& in) {
                     Expr shifted = exp(in[0] - max(in[0], 0));
                     return shifted / sum(shifted, 0);
                   }});
  cases.push_back({"batchnorm_forward", {In({64, 200}), In({64, 1}), In({64, 1})},
                   [](const std::vector<Tensor>& in) {
                     Expr xhat = (in[0] - mean(in[0], 1)) / sqrt(var(in[0], 1) + 1e-6);
                     return xhat * in[1] + in[2];
                   }});
  cases.push_back({"cross_entropy", {In({10, 64}, {0.01, 1}), In({10, 64}, {0, 1, true})},
                   [](const std::vector<Tensor>& in) { return sum(-in[1] * safelog(in[0])) * (1.0 / 64); }});
  cases.push_back({"reduction_epilogue", {In({50, 70}), In({50, 1})},
                   [](const std::vector<Tensor>& in) { return sqrt(sum(sqr(in[0]), 1) + 1) * in[1]; }});
  cases.push_back({"two_reductions", {In({50, 70})},
                   [](const std::vector<Tensor>& in) { return sum(in[0], 1) - max(in[0], 1) * 2; }});
  cases.push_back({"reduction_of_reduction", {In({50, 70})},
                   [](const std::vector<Tensor>& in) { return sum(max(in[0], 0), 1); }});
  cases.push_back({"onehot_axis0", {In({1, 50}, {0, 9, true})},
                   [](const std::vector<Tensor>& in) { return onehot(in[0], 10, 0); }});
  cases.push_back({"onehot_axis1", {In({50, 1}, {0, 9, true})},
                   [](const std::vector<Tensor>& in) { return onehot(in[0], 10, 1) * 3; }});
  cases.push_back({"misclassification", {In({10, 64}), In({1, 64}, {0, 9, true})},
                   [](const std::vector<Tensor>& in) { return mean(ne(argmax(in[0], 0), in[1])); }});
  cases.push_back({"deep_chain", {In({33, 77}), In({1, 77}), In({33, 1})},
                   [](const std::vector<Tensor>& in) {
                     Expr t = tanh(in[0] * in[1] + in[2]);
                     return clip(sig(t * t - abs(in[0])) / (1 + sqr(in[1])), 0.1, 0.9) + exp2(-abs(t));
                   }});
  cases.push_back({"shared_subtrees", {In({33, 77})}, [](const std::vector<Tensor>& in) {
                     Expr e = exp(in[0]);
                     return e * e + e / (1 + e);
                   }});
  cases.push_back({"std_dev_axis0", {In({100, 13})}, [](const std::vector<Tensor>& in) { return std_dev(in[0], 0); }});
}

void AddDtypes(std::vector<Case>& cases) {
  for (DType dtype : {DType::kFloat64, DType::kInt32}) {
    std::string name(DTypeName(dtype));
    Domain domain = dtype == DType::kInt32 ? Domain{-50, 50, true} : kWide;
    Case elementwise{name + "_elementwise", {In({37, 41}, domain, Layout::kPlain, dtype)},
                     [](const std::vector<Tensor>& in) { return in[0] * 3 - 1; }};
    elementwise.output_dtype = dtype;
    cases.push_back(elementwise);
    Case reduction{name + "_sum_axis1", {In({37, 41}, domain, Layout::kPlain, dtype)},
                   [](const std::vector<Tensor>& in) { return sum(in[0], 1); }};
    reduction.output_dtype = dtype;
    cases.push_back(reduction);
  }
  Case mixed{"float32_plus_float64", {In({20, 30}), In({20, 30}, kWide, Layout::kPlain, DType::kFloat64)},
             [](const std::vector<Tensor>& in) { return exp(in[0]) + in[1]; }};
  mixed.output_dtype = DType::kFloat64;
  cases.push_back(mixed);
  Case dot64{"dot_float64", {In({30, 40}, kWide, Layout::kPlain, DType::kFloat64),
                             In({40, 20}, kWide, Layout::kPlain, DType::kFloat64)},
             [](const std::vector<Tensor>& in) { return dot(in[0], in[1]); }};
  dot64.output_dtype = DType::kFloat64;
  dot64.tolerance = 1e-20;
  cases.push_back(dot64);
  Case argmax_int{"argmax_into_int32", {In({10, 64}, kInts)},
                  [](const std::vector<Tensor>& in) { return argmax(in[0], 0); }};
  argmax_int.output_dtype = DType::kInt32;
  cases.push_back(argmax_int);
}

void AddRandom(std::vector<Case>& cases) {
  Case dropout{"dropout_mask", {In({64, 100})}, [](const std::vector<Tensor>& in) {
                 return in[0] * (rand() < 0.5) * 2;
               }};
  dropout.uses_rand = true;
  dropout.tolerance = 0;  // Philox is bit-identical everywhere
  cases.push_back(dropout);
  Case uniform{"rand_uniform", {In({3, 1000})}, [](const std::vector<Tensor>& in) { return rand() + in[0] * 0; }};
  uniform.uses_rand = true;
  uniform.tolerance = 0;
  cases.push_back(uniform);
}

std::vector<Case> BuildCases() {
  // One family per table `neon check` prints.
  const std::pair<const char*, void (*)(std::vector<Case>&)> families[] = {
      {"unary", AddUnary},     {"binary", AddBinary},     {"range_limit", AddRangeLimits},
      {"reduction", AddReductions},
      {"view", AddViews},      {"dot", AddDot},           {"compound", AddCompound},
      {"dtype", AddDtypes},    {"philox", AddRandom},     {"random_fill", AddRandomFillCases},
      {"contract", AddContractCases}, {"batch_norm", AddBatchNormCases},
  };
  std::vector<Case> cases;
  for (const auto& [family, add] : families) {
    size_t first = cases.size();
    add(cases);
    for (size_t i = first; i < cases.size(); ++i) cases[i].family = family;
  }
  return cases;
}

}  // namespace

const std::vector<Case>& AllCases() {
  static const std::vector<Case>* cases = new std::vector<Case>(BuildCases());
  return *cases;
}

}  // namespace neon::conformance
