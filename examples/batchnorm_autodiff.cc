// Runs the seed's BatchNormAutodiff next to the native BatchNorm on the same
// input and error, on one backend, and checks that outputs, input gradients,
// gamma / beta gradients and running statistics agree (float32 rounding aside),
// on (features, batch) and, per channel, on conv activations (C, H, W, N).
// Run: tools/bazel run //examples:batchnorm_autodiff -- [--backend=NAME]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "backends/registry.h"
#include "examples/backend_flag.h"
#include "examples/batchnorm_autodiff.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "layers/model.h"

namespace {

// Largest |a - b| / (1 + |b|).
double WorstDifference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1.0 + std::fabs(b[i])));
  return worst;
}

// Both layers on one input shape: (features,) or conv activations (C, H, W), per channel.
bool Agree(neon::Backend& be, const neon::Shape& features, int64_t batch) {
  auto autodiff_bn = std::make_shared<BatchNormAutodiff>(0.9, 1e-3, "bn_autodiff");
  auto native_bn = std::make_shared<neon::BatchNorm>(0.9, 1e-3, "bn_native");
  neon::Model autodiff_model(be, {autodiff_bn});
  neon::Model native_model(be, {native_bn});
  for (neon::Model* model : {&autodiff_model, &native_model}) {
    model->configure(features, batch);
    model->allocate();
  }
  neon::Shape shape = features;
  shape.push_back(batch);
  neon::Tensor x = neon::empty(be, shape);
  x.fill_random(neon::Distribution::kNormal, 3.0, 2.0);
  neon::Tensor error = neon::empty(be, shape);
  error.fill_random(neon::Distribution::kUniform, -1.0, 1.0);
  std::vector<float> error_values = error.get<float>();

  std::vector<float> y_autodiff = autodiff_model.fprop(x).get<float>();
  std::vector<float> y_native = native_model.fprop(x).get<float>();
  neon::Tensor e_autodiff = neon::array(be, error_values, shape);
  neon::Tensor e_native = neon::array(be, error_values, shape);
  std::vector<float> dx_autodiff = autodiff_model.bprop(e_autodiff).get<float>();
  std::vector<float> dx_native = native_model.bprop(e_native).get<float>();

  struct Pair {
    const char* what;
    std::vector<float> autodiff, native;
  };
  std::vector<Pair> pairs = {
      {"y", y_autodiff, y_native},
      {"dx", dx_autodiff, dx_native},
      {"grad_gamma", autodiff_bn->grad_gamma.get<float>(), native_bn->grad_gamma.get<float>()},
      {"grad_beta", autodiff_bn->grad_beta.get<float>(), native_bn->grad_beta.get<float>()},
      {"gmean", autodiff_bn->gmean.get<float>(), native_bn->gmean.get<float>()},
      {"gvar", autodiff_bn->gvar.get<float>(), native_bn->gvar.get<float>()},
  };
  std::printf("backend %s: BatchNormAutodiff vs BatchNorm (%s), input %s x batch %lld\n", be.info().name.c_str(),
              be.supports("batch_norm_fprop") ? "backend op" : "op-trees", neon::ShapeString(features).c_str(),
              static_cast<long long>(batch));
  bool ok = true;
  for (const Pair& pair : pairs) {
    double worst = WorstDifference(pair.autodiff, pair.native);
    // float32 with reductions over at most 128 samples: a few ulps of the largest value.
    bool same = worst < 1e-4;
    std::printf("  %-10s worst relative difference %.2e %s\n", pair.what, worst, same ? "ok" : "MISMATCH");
    ok &= same;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec = BackendFlag(argc, argv);
  try {
    std::unique_ptr<neon::Backend> be = neon::CreateBackend(spec);
    neon::SetSeed(*be, 7);
    bool features = Agree(*be, {5}, 8);
    bool channels = Agree(*be, {3, 4, 4}, 8);
    return features && channels ? 0 : 1;
  } catch (const neon::Error& error) {
    std::fprintf(stderr, "batchnorm_autodiff: %s\n", error.what());
    return 2;
  }
}
