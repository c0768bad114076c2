// The case list of `neon check`: the conformance cases, every gradient case in
// float32 and float64, and every layer and cost case (layers/layer_cases.h), the
// same tables the GoogleTest suites run.
#include "autodiff/gradient_cases.h"
#include "layers/layer_cases.h"
#include "tests/conformance.h"

namespace neon::conformance {

namespace {

// Every result of a layer or cost case, one after another.
std::vector<double> Flatten(const std::vector<layer_cases::Result>& results) {
  std::vector<double> flat;
  for (const layer_cases::Result& result : results) flat.insert(flat.end(), result.values.begin(), result.values.end());
  return flat;
}

std::vector<Case> BuildCheckCases() {
  std::vector<Case> cases = AllCases();
  for (const GradientCase& gradient_case : GradientCases()) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
      Case test_case;
      test_case.name = "grad_" + gradient_case.name + "_" + std::string(DTypeName(dtype));
      test_case.family = "gradient";
      test_case.output_dtype = dtype;
      // float64 differs from the reference only by summation order (~1e-16 relative).
      test_case.tolerance = dtype == DType::kFloat32 ? 1e-7 : 1e-20;
      const GradientCase* source = &gradient_case;
      test_case.run = [source, dtype](Backend& backend) {
        std::vector<double> flat;
        for (const std::vector<double>& gradient : EvaluateGradientCase(*source, backend, dtype)) {
          flat.insert(flat.end(), gradient.begin(), gradient.end());
        }
        return flat;
      };
      cases.push_back(std::move(test_case));
    }
  }
  // Layers and costs in float32: weights come from the backend's Philox stream, the same
  // bits on every backend, so each side runs the case on its own.
  for (const layer_cases::LayerCase& layer_case : layer_cases::AllLayerCases()) {
    Case test_case;
    test_case.name = "layer_" + layer_case.name;
    test_case.family = "layer";
    const layer_cases::LayerCase* source = &layer_case;
    test_case.run = [source](Backend& backend) {
      return Flatten(layer_cases::RunLayerCase(backend, *source, DType::kFloat32).results);
    };
    cases.push_back(std::move(test_case));
  }
  for (const layer_cases::CostCase& cost_case : layer_cases::AllCostCases()) {
    Case test_case;
    test_case.name = "cost_" + cost_case.name;
    test_case.family = "cost";
    const layer_cases::CostCase* source = &cost_case;
    test_case.run = [source](Backend& backend) {
      return Flatten(layer_cases::RunCostCase(backend, *source, DType::kFloat32));
    };
    cases.push_back(std::move(test_case));
  }
  return cases;
}

}  // namespace

const std::vector<Case>& CheckCases() {
  static const std::vector<Case>* cases = new std::vector<Case>(BuildCheckCases());
  return *cases;
}

}  // namespace neon::conformance
