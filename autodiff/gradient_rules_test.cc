#include "autodiff/gradient_rules.h"

#include <set>

#include <gtest/gtest.h>

#include "autodiff/autodiff.h"
#include "autodiff/finite_differences.h"
#include "autodiff/gradient_cases.h"
#include "backends/reference/reference_backend.h"
#include "core/error.h"

namespace neon {
namespace {

void CollectOps(const Expr& expr, std::set<OpKind>& ops) {
  ops.insert(expr.op());
  for (const Expr& operand : expr.operands()) CollectOps(operand, ops);
}

TEST(GradientRulesTest, TableMatchesTheOpTableFlags) {
  int with_gradient = 0;
  for (int i = 0; i < kNumOpKinds; ++i) {
    OpKind op = static_cast<OpKind>(i);
    if (ClassOf(op) == OpClass::kLeaf || ClassOf(op) == OpClass::kInternal) {
      EXPECT_THROW(GradientRuleFor(op), ArgumentError) << OpName(op);
      continue;
    }
    EXPECT_NE(GradientRuleFor(op), nullptr) << OpName(op);
    with_gradient += HasGradient(op);
  }
  EXPECT_EQ(with_gradient, 26);  // the differentiable ops of core/op_table.h
}

TEST(GradientRulesTest, NonDifferentiableOpsPassNoGradient) {
  auto be = MakeReferenceBackend();
  Tensor x = zeros(*be, {2, 3});
  for (OpKind op : {OpKind::kSgn, OpKind::kRint, OpKind::kBinarize, OpKind::kFinite}) {
    Expr node = Expr::Make(op, {x});
    OperandGrads grads = GradientRuleFor(op)(node, Expr(1.0));
    ASSERT_EQ(grads.size(), 1u);
    EXPECT_FALSE(grads[0]) << OpName(op);
  }
}

TEST(GradientRulesTest, EveryDifferentiableOpHasAFiniteDifferenceCase) {
  auto be = MakeReferenceBackend();
  std::set<OpKind> covered;
  for (const GradientCase& gradient_case : GradientCases()) {
    CollectOps(gradient_case.build(*be, DType::kFloat64).tree, covered);
  }
  for (int i = 0; i < kNumOpKinds; ++i) {
    OpKind op = static_cast<OpKind>(i);
    if (HasGradient(op)) {
      EXPECT_TRUE(covered.count(op)) << "no gradient case uses " << OpName(op);
    }
  }
}

TEST(GradientRulesTest, ReduceToShapeSumsBroadcastAxes) {
  auto be = MakeReferenceBackend();
  Tensor g = array<double>(*be, {1, 2, 3, 4, 5, 6}, {2, 3}, DType::kFloat64);
  Tensor out = empty(*be, {1, 1}, DType::kFloat64);
  EXPECT_EQ(ReduceToShape(g, {1, 3}, {2, 3}).shape(), (Shape{1, 3}));
  EXPECT_EQ(ReduceToShape(g, {2, 1}, {2, 3}).shape(), (Shape{2, 1}));
  out.assign(ReduceToShape(g, {1, 1}, {2, 3}));
  EXPECT_EQ(out.get<double>()[0], 21.0);
  Expr unit = Expr(2.0);  // constant along both axes: stays as it is for a full-size operand
  EXPECT_EQ(ReduceToShape(unit, {2, 3}, {2, 3}).node(), unit.node());
  out.assign(ReduceToShape(unit, {1, 1}, {2, 3}));  // ... and counts the 6 copies of a scalar operand
  EXPECT_EQ(out.get<double>()[0], 12.0);
  Tensor row = array<double>(*be, {1, 2, 3}, {1, 3}, DType::kFloat64);
  out.assign(ReduceToShape(row, {1, 1}, {4, 3}));  // summed over columns, 4 copies of each row
  EXPECT_EQ(out.get<double>()[0], 24.0);
}

class GradientCaseTest : public testing::TestWithParam<size_t> {};

TEST_P(GradientCaseTest, MatchesCentralFiniteDifferencesInFloat64) {
  const GradientCase& gradient_case = GradientCases()[GetParam()];
  auto be = MakeReferenceBackend();
  GradientProblem problem = gradient_case.build(*be, DType::kFloat64);
  std::optional<Expr> next_error;
  if (problem.next_error) next_error = Expr(*problem.next_error);
  Autodiff autodiff(problem.tree, *be, next_error);
  std::vector<std::vector<double>> ad = autodiff.get_grad_host_f64(problem.wrt);
  std::vector<std::vector<double>> fd = FiniteDifferenceGradients(problem.tree, problem.wrt, problem.next_error);
  EXPECT_EQ(CompareGradients(ad, fd, 1e-6), "") << gradient_case.name << ": " << problem.tree.ToString();
}

// Cases evaluated at a tie are left out: finite differences do not apply there (the tie
// rule is checked against fixed values in autodiff_test).
std::vector<size_t> CasesWithoutTies() {
  std::vector<size_t> indices;
  for (size_t i = 0; i < GradientCases().size(); ++i) {
    if (!GradientCases()[i].has_ties) indices.push_back(i);
  }
  return indices;
}

INSTANTIATE_TEST_SUITE_P(AllCases, GradientCaseTest, testing::ValuesIn(CasesWithoutTies()),
                         [](const testing::TestParamInfo<size_t>& info) {
                           std::string name = GradientCases()[info.param].name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(GradientCasesTest, EvaluateGradientCaseRunsInFloat32) {
  auto be = MakeReferenceBackend();
  for (const GradientCase& gradient_case : GradientCases()) {
    std::vector<std::vector<double>> f32 = EvaluateGradientCase(gradient_case, *be, DType::kFloat32);
    std::vector<std::vector<double>> f64 = EvaluateGradientCase(gradient_case, *be, DType::kFloat64);
    EXPECT_EQ(CompareGradients(f32, f64, 1e-3), "") << gradient_case.name;
  }
}

}  // namespace
}  // namespace neon
