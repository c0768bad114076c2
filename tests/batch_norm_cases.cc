// Cases that call Backend::batch_norm_fprop / batch_norm_bprop directly (layers
// reach them only where supports() says native, so nothing else would run the
// default host path): (features, batch) and (C, H, W, N) activations, channels
// 1, 3 and 17, batch 1 (variance 0), large means (1e4 + a small spread), float64.
// One case per result, so each is compared on its own scale (a mean of 1e4 would
// hide an error in dx inside one NMSE). Bad arguments are ArgumentErrors.
#include <vector>

#include "tests/conformance.h"

namespace neon::conformance {

namespace {

struct BatchNormShape {
  const char* name;
  int64_t channels;
  int64_t elements;  // per channel: H * W * N, or N
  double offset = 0.0;  // added to every input: large means
  DType dtype = DType::kFloat32;
};

// The results compared, each a case.
enum class BatchNormResult { kY, kMean, kVar, kDiffSrc, kDiffParams, kInferenceY };
constexpr const char* kResultNames[] = {"y", "mean", "var", "dx", "dgamma_dbeta", "y_inference"};

BufferRef Ref(const Tensor& tensor) { return {tensor.buffer().get(), tensor.offset()}; }

std::vector<double> Draw(int64_t count, uint32_t seed, double low, double high, DType dtype) {
  InputSpec spec{{count, 1}, dtype, {low, high}};
  return DrawValues(spec, seed);
}

// Runs training fprop, bprop (in place, as the layer does) and inference fprop on host
// values, and returns the chosen result.
std::vector<double> RunBatchNorm(Backend& backend, const BatchNormShape& shape, BatchNormResult result) {
  const int64_t c = shape.channels, count = shape.channels * shape.elements;
  const DType dtype = shape.dtype;
  std::vector<double> x = Draw(count, 1, -1.0, 1.0, DType::kFloat64);
  for (double& value : x) value = dtype == DType::kFloat32 ? static_cast<float>(value + shape.offset) : value + shape.offset;
  auto make = [&](const std::vector<double>& values, Shape tensor_shape, const char* name) {
    return array(backend, values, std::move(tensor_shape), dtype, name);
  };
  Tensor src = make(x, {c, shape.elements}, "src");
  Tensor gamma = make(Draw(c, 2, 0.5, 1.5, dtype), {c, 1}, "gamma");
  Tensor beta = make(Draw(c, 3, -1.0, 1.0, dtype), {c, 1}, "beta");
  Tensor mean = full(backend, {c, 1}, -7.0, dtype, "mean");  // overwritten by the training fprop
  Tensor var = full(backend, {c, 1}, -7.0, dtype, "var");
  Tensor dst = full(backend, {c, shape.elements}, -7.0, dtype, "dst");
  Tensor error = make(Draw(count, 4, -1.0, 1.0, dtype), {c, shape.elements}, "error");
  Tensor diff_gamma = full(backend, {c, 1}, -7.0, dtype, "diff_gamma");
  Tensor diff_beta = full(backend, {c, 1}, -7.0, dtype, "diff_beta");
  BatchNormArgs args;
  args.dtype = dtype;
  args.channels = c;
  args.elements = shape.elements;
  args.epsilon = 1e-3;
  args.src = Ref(src);
  args.dst = Ref(dst);
  args.gamma = Ref(gamma);
  args.beta = Ref(beta);
  args.mean = Ref(mean);
  args.var = Ref(var);
  args.diff_dst = Ref(error);
  args.diff_src = Ref(error);
  args.diff_gamma = Ref(diff_gamma);
  args.diff_beta = Ref(diff_beta);
  backend.batch_norm_fprop(args);
  switch (result) {
    case BatchNormResult::kY:
      return dst.get<double>();
    case BatchNormResult::kMean:
      return mean.get<double>();
    case BatchNormResult::kVar:
      return var.get<double>();
    case BatchNormResult::kDiffSrc:
      backend.batch_norm_bprop(args);
      return error.get<double>();
    case BatchNormResult::kDiffParams: {
      backend.batch_norm_bprop(args);
      std::vector<double> params = diff_gamma.get<double>();
      for (double value : diff_beta.get<double>()) params.push_back(value);
      return params;
    }
    case BatchNormResult::kInferenceY: {
      // Running statistics unlike the batch's, so a device that ignored them would differ.
      mean.set(Draw(c, 5, -1.0 + shape.offset, 1.0 + shape.offset, DType::kFloat64));
      var.set(Draw(c, 6, 0.5, 2.0, DType::kFloat64));
      args.inference = true;
      backend.batch_norm_fprop(args);
      return dst.get<double>();
    }
  }
  return {};
}

}  // namespace

void AddBatchNormCases(std::vector<Case>& cases) {
  const BatchNormShape shapes[] = {
      {"f1_n5", 1, 5},
      {"f3_n1", 3, 1},  // batch 1: variance 0, y = beta, dx = 0
      {"f17_n5", 17, 5},
      {"c3_4x4_n2", 3, 4 * 4 * 2},
      {"c17_3x3_n2", 17, 3 * 3 * 2},
      {"c1_5x5_n1", 1, 5 * 5},
      {"c16_7x7_n5", 16, 7 * 7 * 5},
      {"f17_n5_mean1e4", 17, 5, 1e4},
      {"c3_4x4_n2_mean1e4", 3, 4 * 4 * 2, 1e4},
      {"c3_4x4_n2_float64", 3, 4 * 4 * 2, 0.0, DType::kFloat64},
  };
  for (const BatchNormShape& shape : shapes) {
    for (int i = 0; i < 6; ++i) {
      auto result = static_cast<BatchNormResult>(i);
      Case test_case;
      test_case.name = std::string("batch_norm_") + shape.name + "_" + kResultNames[i];
      test_case.output_dtype = shape.dtype;
      // float64: the same double loops everywhere but for summation order.
      if (shape.dtype == DType::kFloat64) test_case.tolerance = 1e-20;
      // Large means in float32: the stored batch mean (1e4) is good to one ulp, 9.8e-4, which
      // is 1.7e-3 of the spread (std 0.58) and shifts xhat by that much in bprop (oneDNN's
      // mean is off by one ulp where the reference rounds its double mean correctly):
      // an NMSE up to ~(1.7e-3)^2 times the projection's gain; measured 1.3e-6 for dx.
      if (shape.offset != 0.0 && shape.dtype == DType::kFloat32) test_case.tolerance = 1e-5;
      test_case.run = [shape, result](Backend& backend) { return RunBatchNorm(backend, shape, result); };
      cases.push_back(std::move(test_case));
    }
  }
  // Bad arguments are an ArgumentError on every backend, before anything is touched.
  const std::pair<const char*, void (*)(BatchNormArgs&, Buffer*)> faults[] = {
      {"dst_too_small", [](BatchNormArgs& args, Buffer* small) { args.dst = {small, 0}; }},
      {"zero_epsilon", [](BatchNormArgs& args, Buffer*) { args.epsilon = 0.0; }},
      {"int32", [](BatchNormArgs& args, Buffer*) { args.dtype = DType::kInt32; }},
      {"no_mean", [](BatchNormArgs& args, Buffer*) { args.mean = {}; }},
  };
  for (const auto& [name, fault] : faults) {
    Case test_case;
    test_case.name = std::string("batch_norm_rejects_") + name;
    test_case.tolerance = 0;
    test_case.run = [fault = fault, name = std::string(name)](Backend& backend) {
      // Plain buffers, no kernel launched: the call must fail before reading them.
      std::shared_ptr<Buffer> whole = backend.allocate(4 * 3 * 8), channel = backend.allocate(4 * 3);
      std::shared_ptr<Buffer> small = backend.allocate(4 * 3 * 7);
      BatchNormArgs args;
      args.channels = 3;
      args.elements = 8;
      args.src = args.dst = {whole.get(), 0};
      args.gamma = args.beta = args.mean = args.var = {channel.get(), 0};
      fault(args, small.get());
      std::vector<double> rejected = Rejects([&] { backend.batch_norm_fprop(args); });
      // Thrown, not compared: the reference accepting it too must fail the case.
      if (rejected[0] != 1.0) throw BackendError("batch_norm_fprop accepted bad arguments (" + name + ")");
      return rejected;
    };
    cases.push_back(std::move(test_case));
  }
}

}  // namespace neon::conformance
