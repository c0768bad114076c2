// Layer and cost cases shared by the cross-device layer conformance test
// (tests/layer_conformance_test.cc) and the finite-difference gradient test
// (layers/layer_gradient_test.cc). Adding a layer adds cases here; no test
// has per-backend or per-layer code.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/costs.h"
#include "layers/layer.h"

namespace neon::layer_cases {

struct LayerCase {
  std::string name;
  Shape in_shape;   // feature shape
  int64_t batch = 1;
  bool inference = false;
  std::function<std::vector<std::shared_ptr<Layer>>()> make;
  // Inputs are drawn from [-2, 2] but kept at least this far from 0 (kinks of Rectlin / Explin).
  double avoid_zero = 0.0;
};

struct CostCase {
  std::string name;
  int64_t features = 1;
  int64_t batch = 1;
  std::function<std::shared_ptr<CostFunction>()> make;
  // Outputs drawn as probabilities (positive, columns summing to 1) rather than in [-2, 2].
  bool probabilities = false;
  bool one_hot_targets = false;
};

const std::vector<LayerCase>& AllLayerCases();
const std::vector<CostCase>& AllCostCases();

// A named host copy of one result of a run.
struct Result {
  std::string name;
  std::vector<double> values;
};

// What one case computes on a backend: outputs, the error at the input, every
// parameter gradient and state. Parameters are initialised from the backend's
// Philox stream (seed 1) and then, when `param_values` is not empty, overwritten
// with them (so a device runs with the reference's exact weights); the values used
// are returned in `used_params`.
struct LayerRun {
  std::vector<Result> results;
  std::vector<std::vector<double>> used_params;
};
LayerRun RunLayerCase(Backend& backend, const LayerCase& test_case, DType dtype,
                      const std::vector<std::vector<double>>& param_values = {});

// The case's inputs and output error, deterministic host values (row-major).
std::vector<double> CaseInputs(const LayerCase& test_case);
std::vector<double> CaseErrors(const LayerCase& test_case, const Shape& out_shape);

// A configured and allocated Sequential for a case (names its layers).
std::shared_ptr<Layer> BuildCase(Backend& backend, const LayerCase& test_case, DType dtype);

// Cost cases: outputs y and targets t as host values ((features, batch) row-major).
std::vector<double> CostOutputs(const CostCase& test_case);
std::vector<double> CostTargets(const CostCase& test_case);
// The mean cost and its gradient on a backend.
std::vector<Result> RunCostCase(Backend& backend, const CostCase& test_case, DType dtype);

}  // namespace neon::layer_cases
