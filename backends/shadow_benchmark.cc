// The cost of shadow validation (--validate): one training-like step of a
// 512-feature logistic layer over a 256-sample batch (a GEMM, fused elementwise
// kernels, a reduction), plain and shadow-validated, in one run.
//
// tools/bazel run //backends:shadow_benchmark -- [--backend=cpu] [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <string>

#include "backends/registry.h"
#include "backends/shadow_backend.h"
#include "graph/expr.h"
#include "tools/bench/backend_flag.h"
#include "tools/bench/ratio_reporter.h"

namespace neon {
namespace {

std::string g_backend_spec = "cpu";

void Step(Backend& be, benchmark::State& state) {
  constexpr int64_t kFeatures = 512, kOutputs = 64, kBatch = 256;
  Tensor w = full(be, {kOutputs, kFeatures}, 0.01);
  Tensor x = full(be, {kFeatures, kBatch}, 0.5);
  Tensor target = full(be, {kOutputs, kBatch}, 1.0);
  Tensor y = empty(be, {kOutputs, kBatch});
  Tensor grad = empty(be, {kOutputs, kFeatures});
  Tensor loss = empty(be, {1, 1});
  for (auto _ : state) {
    y.assign(sig(dot(w, x)));
    loss.assign(sum(sqr(y - target)) * (1.0 / kBatch));
    grad.assign(dot(y - target, transpose(x)));
    w.assign(w - 0.01 * grad);
    be.synchronize();
  }
  state.SetLabel(be.info().name);
}

void BM_StepPlain(benchmark::State& state) {
  std::unique_ptr<Backend> be = CreateBackend(g_backend_spec);
  Step(*be, state);
}

void BM_StepShadowValidated(benchmark::State& state) {
  std::unique_ptr<Backend> be = MakeShadowValidatedBackend(CreateBackend(g_backend_spec));
  Step(*be, state);
}

BENCHMARK(BM_StepPlain);
BENCHMARK(BM_StepShadowValidated);

}  // namespace
}  // namespace neon

int main(int argc, char** argv) {
  neon::g_backend_spec = neon::bench::TakeBackendFlag(argc, argv, neon::g_backend_spec);
  benchmark::Initialize(&argc, argv);
  neon::bench::RatioReporter reporter("BM_StepPlain");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
