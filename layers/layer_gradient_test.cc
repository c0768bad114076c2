// Finite-difference checks of every layer case and every cost, in float64 on
// `reference`: the gradient bprop gives (at the input and for every parameter)
// against central differences of L = sum(fprop(x) * error).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "autodiff/finite_differences.h"
#include "backends/reference/reference_backend.h"
#include "graph/random_stream.h"
#include "layers/layer_cases.h"
#include "layers/model.h"

namespace neon::layer_cases {
namespace {

constexpr double kStep = 1e-5;
// Central differences in float64 with h = 1e-5: truncation ~h^2 and rounding ~1e-16 / h,
// both far below this.
constexpr double kTolerance = 1e-6;
constexpr size_t kMaxProbes = 24;  // elements probed per tensor, spread evenly

Backend& Reference() {
  static ReferenceBackend* backend = new ReferenceBackend();
  return *backend;
}

Shape WithBatch(Shape shape, int64_t batch) {
  shape.push_back(batch);
  if (shape.size() < 2) shape.insert(shape.begin(), 1);
  return shape;
}

// d loss / d tensor by central differences at up to kMaxProbes elements, against `analytic`
// at the same elements.
void CheckByDifferences(const std::string& what, Tensor tensor, const std::vector<double>& analytic,
                        const std::function<double()>& loss) {
  ASSERT_EQ(static_cast<size_t>(tensor.size()), analytic.size()) << what;
  size_t stride = std::max<size_t>(1, analytic.size() / kMaxProbes);
  std::vector<double> numeric = FiniteDifferences(tensor, loss, kStep, stride);
  std::vector<double> expected;
  for (size_t i = 0; i < analytic.size(); i += stride) expected.push_back(analytic[i]);
  EXPECT_EQ(CompareGradients({expected}, {numeric}, kTolerance), "") << what;
}

class LayerGradientTest : public ::testing::TestWithParam<size_t> {};

TEST_P(LayerGradientTest, MatchesFiniteDifferences) {
  const LayerCase& test_case = AllLayerCases()[GetParam()];
  Backend& be = Reference();
  std::shared_ptr<Layer> root = BuildCase(be, test_case, DType::kFloat64);
  Tensor x = array(be, CaseInputs(test_case), WithBatch(test_case.in_shape, test_case.batch), DType::kFloat64, "x");
  std::vector<double> error_values = CaseErrors(test_case, root->out_shape);
  Tensor weights = array(be, error_values, WithBatch(root->out_shape, test_case.batch), DType::kFloat64, "R");

  auto loss = [&] {
    SetSeed(be, 99);  // the same dropout mask every time
    Tensor y = root->fprop(x, test_case.inference);
    Tensor total = empty(be, {1, 1}, DType::kFloat64);
    total.assign(sum(y * weights));
    return total.get<double>()[0];
  };
  loss();
  Tensor error = array(be, error_values, WithBatch(root->out_shape, test_case.batch), DType::kFloat64, "error");
  std::vector<double> input_error = root->bprop(error).get<double>();
  std::vector<Param> params = root->params();
  std::vector<std::vector<double>> grads;
  for (const Param& param : params) grads.push_back(param.dW.get<double>());

  CheckByDifferences("input", x, input_error, loss);
  for (size_t i = 0; i < params.size(); ++i) CheckByDifferences(params[i].name, params[i].W, grads[i], loss);
}

std::vector<size_t> TrainingCases() {
  std::vector<size_t> indices;
  for (size_t i = 0; i < AllLayerCases().size(); ++i) {
    if (!AllLayerCases()[i].inference) indices.push_back(i);
  }
  return indices;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerGradientTest, ::testing::ValuesIn(TrainingCases()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return AllLayerCases()[info.param].name; });

class CostGradientTest : public ::testing::TestWithParam<size_t> {};

TEST_P(CostGradientTest, MatchesFiniteDifferences) {
  const CostCase& test_case = AllCostCases()[GetParam()];
  Backend& be = Reference();
  GeneralizedCost cost(test_case.make());
  cost.allocate(be, test_case.features, test_case.batch, DType::kFloat64);
  Tensor y = array(be, CostOutputs(test_case), {test_case.features, test_case.batch}, DType::kFloat64, "y");
  Tensor t = array(be, CostTargets(test_case), {test_case.features, test_case.batch}, DType::kFloat64, "t");
  std::vector<double> gradient = cost.get_errors(y, t).get<double>();
  CheckByDifferences("outputs", y, gradient, [&] {
    cost.get_cost(y, t);
    return cost.cost_value();
  });
}

INSTANTIATE_TEST_SUITE_P(Costs, CostGradientTest, ::testing::Range<size_t>(0, AllCostCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return AllCostCases()[info.param].name; });

// The fused gradients (Softmax + CrossEntropyMulti, Logistic + CrossEntropyBinary) are the
// gradient of the cost of the activation's output with respect to its input.
void CheckFusedOutput(std::shared_ptr<Transform> transform, std::shared_ptr<CostFunction> costfunc, bool one_hot) {
  Backend& be = Reference();
  constexpr int64_t kFeatures = 6, kBatch = 4;
  auto activation = std::make_shared<Activation>(transform, "out");
  Model model(be, {activation}, DType::kFloat64);
  model.configure({kFeatures}, kBatch);
  model.allocate();
  GeneralizedCost cost(costfunc);
  cost.allocate(be, kFeatures, kBatch, DType::kFloat64);
  ASSERT_TRUE(cost.fuses_with(*transform));
  LayerCase inputs;
  inputs.in_shape = {kFeatures};
  inputs.batch = kBatch;
  Tensor x = array(be, CaseInputs(inputs), {kFeatures, kBatch}, DType::kFloat64, "x");
  std::vector<double> targets(kFeatures * kBatch, 0.0);
  for (int64_t j = 0; j < kBatch; ++j) {
    for (int64_t i = 0; i < kFeatures; ++i) {
      targets[i * kBatch + j] = one_hot ? (i == (j * 3 + 1) % kFeatures) : (i + j) % 3 / 2.0;
    }
  }
  Tensor t = array(be, targets, {kFeatures, kBatch}, DType::kFloat64, "t");
  Tensor y = model.fprop(x);
  activation->set_fused_with_cost(true);
  std::vector<double> input_error = model.bprop(cost.get_errors(y, t, transform.get())).get<double>();
  CheckByDifferences("input", x, input_error, [&] {
    cost.get_cost(model.fprop(x), t);
    return cost.cost_value();
  });
}

TEST(FusedCostGradientTest, SoftmaxCrossEntropyMulti) {
  CheckFusedOutput(std::make_shared<Softmax>(), std::make_shared<CrossEntropyMulti>(), true);
}

TEST(FusedCostGradientTest, LogisticCrossEntropyBinary) {
  CheckFusedOutput(std::make_shared<Logistic>(), std::make_shared<CrossEntropyBinary>(), false);
}

}  // namespace
}  // namespace neon::layer_cases
