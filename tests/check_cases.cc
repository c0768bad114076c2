// The case list of `neon check`: the conformance cases and every gradient case in
// float32 and float64, the same tables the GoogleTest suites run.
#include "autodiff/gradient_cases.h"
#include "tests/conformance.h"

namespace neon::conformance {

namespace {

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
  return cases;
}

}  // namespace

const std::vector<Case>& CheckCases() {
  static const std::vector<Case>* cases = new std::vector<Case>(BuildCheckCases());
  return *cases;
}

}  // namespace neon::conformance
