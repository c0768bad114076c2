#include "layers/layer_cases.h"

#include <cmath>
#include <random>
#include <utility>

#include "graph/random_stream.h"
#include "layers/basic_layers.h"
#include "layers/batch_norm.h"
#include "layers/conv_layers.h"
#include "layers/initializers.h"
#include "layers/transforms.h"

namespace neon::layer_cases {

namespace {

using Layers = std::vector<std::shared_ptr<Layer>>;

std::vector<double> Draw(int64_t count, uint32_t seed, double low, double high, double avoid_zero) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  std::vector<double> values(static_cast<size_t>(count));
  for (double& value : values) {
    value = uniform(engine);
    if (std::fabs(value) < avoid_zero) value = value < 0 ? value - avoid_zero : value + avoid_zero;
    value = static_cast<float>(value);  // exact in float32 too, so every dtype sees the same inputs
  }
  return values;
}

std::shared_ptr<Initializer> Weights() { return std::make_shared<Gaussian>(0.0, 0.5); }

// Each layer kind on the feature counts and batches the issue asks for: features
// 1, 7 and 129, batch 1 and 5.
void AddFeatureSweep(std::vector<LayerCase>& cases, const std::string& name, std::function<Layers()> make,
                     double avoid_zero = 0.0, bool inference = false) {
  for (int64_t features : {1, 7, 129}) {
    for (int64_t batch : {1, 5}) {
      cases.push_back({name + "_f" + std::to_string(features) + "_n" + std::to_string(batch), {features}, batch,
                       inference, make, avoid_zero});
    }
  }
}

// Convolution: filters 1x1 to 7x7, stride 1 and 2, padding 0 to 2, dilation 2, channels 1, 3
// and 17, batch 1 and 5. Pooling: max and avg, 2x2 and overlapping 3x3 windows, padding.
void AddConvCases(std::vector<LayerCase>& cases) {
  struct ConvShape {
    int64_t c, h, w, r, s, k;
    ConvOptions options;
  };
  const ConvShape shapes[] = {
      {3, 6, 6, 1, 1, 4, ConvOptions::Square(1, 0)},     {1, 7, 7, 3, 3, 2, ConvOptions::Square(1, 1)},
      {3, 8, 7, 3, 3, 5, ConvOptions::Square(2, 1)},     {17, 5, 5, 3, 3, 3, ConvOptions::Square(1, 0)},
      {2, 9, 9, 5, 5, 3, ConvOptions::Square(1, 2)},     {3, 9, 8, 5, 5, 2, ConvOptions::Square(2, 2)},
      {2, 9, 9, 7, 7, 2, ConvOptions::Square(1, 0)},     {1, 10, 10, 3, 3, 2, ConvOptions::Square(1, 2, 2)},
      {3, 7, 9, 3, 2, 4, ConvOptions{2, 1, 1, 0, 1, 2}},
  };
  for (const ConvShape& shape : shapes) {
    for (int64_t batch : {1, 5}) {
      const ConvOptions& o = shape.options;
      std::string name = "Conv_c" + std::to_string(shape.c) + "_" + std::to_string(shape.r) + "x" +
                         std::to_string(shape.s) + "_k" + std::to_string(shape.k) + "_st" + std::to_string(o.stride_h) +
                         std::to_string(o.stride_w) + "_pad" + std::to_string(o.pad_h) + std::to_string(o.pad_w) +
                         "_dil" + std::to_string(o.dilation_h) + std::to_string(o.dilation_w) + "_n" +
                         std::to_string(batch);
      cases.push_back({name, {shape.c, shape.h, shape.w}, batch, false, [shape] {
                         return Layers{std::make_shared<Conv>(shape.r, shape.s, shape.k, Weights(), shape.options)};
                       }});
    }
  }
  struct PoolShape {
    int64_t c, h, w, r, s;
    ConvOptions options;
  };
  const PoolShape pools[] = {
      {3, 6, 6, 2, 2, ConvOptions::Square(2, 0)},
      {2, 7, 7, 3, 3, ConvOptions::Square(2, 1)},
      {1, 5, 6, 3, 3, ConvOptions::Square(1, 1)},
  };
  for (const PoolShape& shape : pools) {
    for (const char* op : {"max", "avg"}) {
      for (int64_t batch : {1, 5}) {
        std::string name = std::string("Pool_") + op + "_c" + std::to_string(shape.c) + "_" + std::to_string(shape.r) +
                           "x" + std::to_string(shape.s) + "_st" + std::to_string(shape.options.stride_h) + "_pad" +
                           std::to_string(shape.options.pad_h) + "_n" + std::to_string(batch);
        std::string op_name = op;
        cases.push_back({name, {shape.c, shape.h, shape.w}, batch, false, [shape, op_name] {
                           return Layers{std::make_shared<Pooling>(shape.r, shape.s, op_name, shape.options)};
                         }});
      }
    }
  }
  // A small convnet block: conv, per-channel batch norm, rectlin, pooling, flatten, linear.
  for (int64_t batch : {1, 5}) {
    cases.push_back({"ConvBlock_n" + std::to_string(batch), {2, 8, 8}, batch, false, [] {
                       return Layers{std::make_shared<Conv>(3, 3, 4, Weights(), ConvOptions::Square(1, 1)),
                                     std::make_shared<BatchNorm>(),
                                     std::make_shared<Activation>(std::make_shared<Rectlin>()),
                                     std::make_shared<Pooling>(2, 2, "max"), std::make_shared<Flatten>(),
                                     std::make_shared<Linear>(3, Weights())};
                     }, 0.0});
  }
  // 16 channels: a device-layout chain from the first conv to the last pooling on a backend
  // with its own layout (cpu), overlapping average pooling and an elementwise tanh inside.
  for (auto [batch, inference] : {std::pair<int64_t, bool>{1, false}, {5, false}, {5, true}}) {
    std::string name = "ConvChain_n" + std::to_string(batch) + (inference ? "_inference" : "");
    cases.push_back({name, {2, 8, 8}, batch, inference, [] {
                       return Layers{std::make_shared<Conv>(3, 3, 16, Weights(), ConvOptions::Square(1, 1)),
                                     std::make_shared<BatchNorm>(),
                                     std::make_shared<Activation>(std::make_shared<Rectlin>()),
                                     std::make_shared<Pooling>(3, 3, "avg", ConvOptions::Square(2, 1)),
                                     std::make_shared<Conv>(1, 1, 16, Weights()),
                                     std::make_shared<Activation>(std::make_shared<Tanh>()),
                                     std::make_shared<Pooling>(2, 2, "max"), std::make_shared<Flatten>(),
                                     std::make_shared<Linear>(3, Weights())};
                     }, 0.0});
  }
}

std::vector<LayerCase> MakeLayerCases() {
  std::vector<LayerCase> cases;
  AddFeatureSweep(cases, "Linear", [] { return Layers{std::make_shared<Linear>(3, Weights())}; });
  AddFeatureSweep(cases, "Bias", [] { return Layers{std::make_shared<Bias>(Weights())}; });
  for (const std::string& name : TransformNames()) {
    AddFeatureSweep(cases, "Activation_" + name,
                    [name] { return Layers{std::make_shared<Activation>(MakeTransform(name))}; }, 1e-3);
  }
  AddFeatureSweep(cases, "Activation_rectlin_leaky",
                  [] { return Layers{std::make_shared<Activation>(std::make_shared<Rectlin>(0.1))}; }, 1e-3);
  AddFeatureSweep(cases, "Dropout_train", [] { return Layers{std::make_shared<Dropout>(0.5)}; });
  AddFeatureSweep(cases, "Dropout_inference", [] { return Layers{std::make_shared<Dropout>(0.8)}; }, 0.0, true);
  AddFeatureSweep(cases, "BatchNorm_train", [] { return Layers{std::make_shared<BatchNorm>()}; });
  AddFeatureSweep(cases, "BatchNorm_inference", [] { return Layers{std::make_shared<BatchNorm>()}; }, 0.0, true);
  AddFeatureSweep(cases, "Affine_rectlin", [] {
    AffineOptions options;
    options.activation = std::make_shared<Rectlin>();
    return Affine(4, Weights(), options);
  }, 1e-3);
  AddFeatureSweep(cases, "Affine_bn_tanh", [] {
    AffineOptions options;
    options.batch_norm = true;
    options.activation = std::make_shared<Tanh>();
    return Affine(4, Weights(), options);
  });
  // Conv-shaped activations (C, H, W, N): per-channel batch norm and bias, Linear and Flatten over all features.
  for (int64_t batch : {1, 5}) {
    std::string n = "_n" + std::to_string(batch);
    cases.push_back({"BatchNorm_conv" + n, {3, 4, 4}, batch, false, [] { return Layers{std::make_shared<BatchNorm>()}; }});
    cases.push_back({"Bias_conv" + n, {3, 2, 2}, batch, false, [] { return Layers{std::make_shared<Bias>(Weights())}; }});
    cases.push_back({"Linear_conv" + n, {2, 3, 3}, batch, false,
                     [] { return Layers{std::make_shared<Linear>(5, Weights())}; }});
    cases.push_back({"Flatten_Linear" + n, {2, 3, 3}, batch, false,
                     [] { return Layers{std::make_shared<Flatten>(), std::make_shared<Linear>(2, Weights())}; }});
    cases.push_back({"Reshape" + n, {12}, batch, false, [] {
                       return Layers{std::make_shared<Reshape>(Shape{3, -1}), std::make_shared<BatchNorm>()};
                     }});
  }
  AddConvCases(cases);
  return cases;
}

std::vector<CostCase> MakeCostCases() {
  std::vector<CostCase> cases;
  for (int64_t features : {1, 7, 129}) {
    for (int64_t batch : {1, 5}) {
      std::string shape = "_f" + std::to_string(features) + "_n" + std::to_string(batch);
      cases.push_back({"CrossEntropyMulti" + shape, features, batch, [] { return std::make_shared<CrossEntropyMulti>(); },
                       true, true});
      cases.push_back({"CrossEntropyBinary" + shape, features, batch,
                       [] { return std::make_shared<CrossEntropyBinary>(); }, true, false});
      cases.push_back({"SumSquared" + shape, features, batch, [] { return std::make_shared<SumSquared>(); }});
      cases.push_back({"MeanSquared" + shape, features, batch, [] { return std::make_shared<MeanSquared>(); }});
    }
  }
  return cases;
}

Shape WithBatch(Shape shape, int64_t batch) {
  shape.push_back(batch);
  if (shape.size() < 2) shape.insert(shape.begin(), 1);
  return shape;
}

}  // namespace

const std::vector<LayerCase>& AllLayerCases() {
  static const auto* cases = new std::vector<LayerCase>(MakeLayerCases());
  return *cases;
}

const std::vector<CostCase>& AllCostCases() {
  static const auto* cases = new std::vector<CostCase>(MakeCostCases());
  return *cases;
}

std::vector<double> CaseInputs(const LayerCase& test_case) {
  return Draw(FeatureSize(test_case.in_shape) * test_case.batch, 11, -2.0, 2.0, test_case.avoid_zero);
}

std::vector<double> CaseErrors(const LayerCase& test_case, const Shape& out_shape) {
  return Draw(FeatureSize(out_shape) * test_case.batch, 23, -1.0, 1.0, 0.0);
}

std::shared_ptr<Layer> BuildCase(Backend& backend, const LayerCase& test_case, DType dtype) {
  Layers layers = test_case.make();
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i]->name.empty()) layers[i]->name = layers[i]->kind() + "_" + std::to_string(i);
  }
  auto root = std::make_shared<Sequential>(std::move(layers), test_case.name);
  root->set_context({&backend, test_case.batch, dtype});
  SetSeed(backend, 1);
  root->configure(test_case.in_shape);
  root->allocate();
  return root;
}

LayerRun RunLayerCase(Backend& backend, const LayerCase& test_case, DType dtype,
                      const std::vector<std::vector<double>>& param_values) {
  std::shared_ptr<Layer> root = BuildCase(backend, test_case, dtype);
  LayerRun run;
  std::vector<Param> params = root->params();
  for (size_t i = 0; i < params.size(); ++i) {
    if (i < param_values.size()) params[i].W.set(param_values[i]);
    run.used_params.push_back(params[i].W.get<double>());
  }
  Tensor x = array(backend, CaseInputs(test_case), WithBatch(test_case.in_shape, test_case.batch), dtype, "x");
  SetSeed(backend, 99);  // dropout masks
  Tensor y = root->fprop(x, test_case.inference);
  run.results.push_back({"outputs", y.get<double>()});
  if (test_case.inference) return run;  // inference runs no bprop
  Tensor error = array(backend, CaseErrors(test_case, root->out_shape), WithBatch(root->out_shape, test_case.batch),
                       dtype, "error");
  Tensor input_error = root->bprop(error);
  run.results.push_back({"input error", input_error.get<double>()});
  for (const Param& param : params) run.results.push_back({"grad " + param.name, param.dW.get<double>()});
  for (const Param& state : root->states()) run.results.push_back({"state " + state.name, state.W.get<double>()});
  return run;
}

std::vector<double> CostOutputs(const CostCase& test_case) {
  std::vector<double> y = Draw(test_case.features * test_case.batch, 31, test_case.probabilities ? 0.05 : -2.0,
                               test_case.probabilities ? 0.95 : 2.0, 0.0);
  if (test_case.probabilities && test_case.one_hot_targets) {
    for (int64_t j = 0; j < test_case.batch; ++j) {  // columns sum to 1, as a softmax output does
      double total = 0.0;
      for (int64_t i = 0; i < test_case.features; ++i) total += y[static_cast<size_t>(i * test_case.batch + j)];
      for (int64_t i = 0; i < test_case.features; ++i) {
        double& value = y[static_cast<size_t>(i * test_case.batch + j)];
        value = static_cast<float>(value / total);
      }
    }
  }
  return y;
}

std::vector<double> CostTargets(const CostCase& test_case) {
  if (!test_case.one_hot_targets) {
    return Draw(test_case.features * test_case.batch, 37, test_case.probabilities ? 0.0 : -2.0, 1.0, 0.0);
  }
  std::vector<double> t(static_cast<size_t>(test_case.features * test_case.batch), 0.0);
  for (int64_t j = 0; j < test_case.batch; ++j) {
    t[static_cast<size_t>(((j * 5 + 3) % test_case.features) * test_case.batch + j)] = 1.0;
  }
  return t;
}

std::vector<Result> RunCostCase(Backend& backend, const CostCase& test_case, DType dtype) {
  GeneralizedCost cost(test_case.make());
  cost.allocate(backend, test_case.features, test_case.batch, dtype);
  Tensor y = array(backend, CostOutputs(test_case), {test_case.features, test_case.batch}, dtype, "y");
  Tensor t = array(backend, CostTargets(test_case), {test_case.features, test_case.batch}, dtype, "t");
  cost.get_cost(y, t);
  Tensor errors = cost.get_errors(y, t);
  return {{"cost", {cost.cost_value()}}, {"gradient", errors.get<double>()}};
}

}  // namespace neon::layer_cases
