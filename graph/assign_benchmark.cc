// Per-assignment overhead of a small cached tree: the time of
// `out.assign(tree)` (bind, plan-cache lookup, run) against the time of
// running the same compiled kernel directly on the backend, in one run.
//
// tools/bazel run //graph:assign_benchmark -- [--backend=NAME] [--benchmark_repetitions=10]
#include <benchmark/benchmark.h>

#include <string>

#include "backends/registry.h"
#include "tools/bench/backend_flag.h"
#include "tools/bench/ratio_reporter.h"
#include "graph/bind.h"
#include "graph/compile.h"
#include "graph/expr.h"

namespace neon {
namespace {

std::string g_backend_spec = "reference";

struct Fixture {
  std::unique_ptr<Backend> be = CreateBackend(g_backend_spec);
  Tensor x = full(*be, {10, 10}, 0.25);
  Tensor y = full(*be, {10, 10}, 2.0);
  Tensor out = empty(*be, {10, 10});
  // Five ops: mul, add, exp, div, maximum.
  Expr Tree() const { return maximum(exp(x * y + 1) / y, 0); }
};

void BM_AssignCachedTree(benchmark::State& state) {
  Fixture f;
  f.out.assign(f.Tree());  // compile once
  for (auto _ : state) {
    f.out.assign(f.Tree());
    f.be->synchronize();
  }
  state.SetLabel(f.be->info().name + ", tree built every iteration");
}

void BM_AssignPrebuiltTree(benchmark::State& state) {
  Fixture f;
  Expr tree = f.Tree();
  f.out.assign(tree);
  for (auto _ : state) {
    f.out.assign(tree);
    f.be->synchronize();
  }
  state.SetLabel(f.be->info().name);
}

// Baseline: the same fused kernel handed straight to the backend.
void BM_BackendRunOnly(benchmark::State& state) {
  Fixture f;
  Expr tree = f.Tree();
  BindingIndex index;
  Binding binding = Bind(tree, f.out, &index);
  Plan plan = Compile(tree, f.out, binding, index);
  const KernelStage& stage = std::get<KernelStage>(plan.stages.at(0));
  KernelArgs args;
  args.rows = 10;
  args.cols = 10;
  for (const ViewRef& input : stage.inputs) {
    const Tensor& leaf = *binding.leaves[input.index];
    args.inputs.push_back({leaf.buffer().get(), leaf.offset(), 10, 1, leaf.dtype()});
  }
  args.output = {f.out.buffer().get(), 0, 10, 1, DType::kFloat32};
  for (int param : stage.params) args.params.push_back(binding.params[param]);
  for (auto _ : state) {
    f.be->run(stage.kernel, args);
    f.be->synchronize();
  }
  state.SetLabel(f.be->info().name);
}

// A plan with a temporary (the row means): its memory is leased per execution
// (docs/threads.md); BM_AllocateTemporary is what that lease costs.
void BM_AssignTreeWithTemporary(benchmark::State& state) {
  Fixture f;
  Expr tree = f.x - mean(f.x, 1);
  f.out.assign(tree);
  for (auto _ : state) {
    f.out.assign(tree);
    f.be->synchronize();
  }
  state.SetLabel(f.be->info().name + ", x - mean(x, 1)");
}

void BM_AllocateTemporary(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) benchmark::DoNotOptimize(f.be->allocate(10 * sizeof(float)));
  state.SetLabel(f.be->info().name + ", the (10, 1) temporary of x - mean(x, 1)");
}

BENCHMARK(BM_BackendRunOnly);
BENCHMARK(BM_AssignPrebuiltTree);
BENCHMARK(BM_AssignCachedTree);
BENCHMARK(BM_AssignTreeWithTemporary);
BENCHMARK(BM_AllocateTemporary);

}  // namespace
}  // namespace neon

int main(int argc, char** argv) {
  neon::g_backend_spec = neon::bench::TakeBackendFlag(argc, argv, neon::g_backend_spec);
  benchmark::Initialize(&argc, argv);
  neon::bench::RatioReporter reporter("BM_BackendRunOnly");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
