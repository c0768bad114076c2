// Speed of the cpu backend as ratios against baselines measured in the same
// run (medians over repetitions), so a noisy machine still gives a stable figure:
//   1. fused 1/(1+exp(-x)) over 2^25 float32 vs a plain y = a*x + b loop
//   2. sum over axis 0 / axis 1 of 4096 x 4096 float32 vs a plain summing loop
//   3. gemm() vs a direct dnnl_sgemm call (2048^3, 64^3, 256 x 4096 x 128)
//   4. dispatch: median microseconds of run() for a 5-op program on 10 x 10
// Each is measured through the backend API and through the IR (Tensor::assign
// of an op-tree: y.assign(1 / (1 + exp(-x))), c.assign(dot(a, b)), ...).
// Usage: cpu_benchmark [--threads N] [--reps N] [--quick] [--only sigmoid|sum|gemm|dispatch]
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/host_buffer.h"
#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {
namespace {

using Clock = std::chrono::steady_clock;

// Median seconds of `reps` timed calls of fn (after one warm-up call).
double MedianSeconds(int reps, const std::function<void()>& fn) {
  fn();
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Ours and the baseline alternate, so drifts in machine load hit both alike.
std::pair<double, double> MedianPair(int reps, const std::function<void()>& ours, const std::function<void()>& base) {
  ours();
  base();
  std::vector<double> a, b;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    ours();
    a.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    start = Clock::now();
    base();
    b.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return {a[a.size() / 2], b[b.size() / 2]};
}

float* F32(Buffer& b) { return reinterpret_cast<float*>(HostBuffer::Data(&b)); }

void Fill(float* p, size_t n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>((i * 2654435761u) % 1000) * 0.01f - 5.0f;
}

void Report(const char* name, double ours, double base, const char* unit_note, double goal) {
  const double ratio = base / ours;
  std::printf("%-44s ours %9.3f ms  baseline %9.3f ms  ratio %.3f  (goal >= %.2f)%s\n", name, ours * 1e3,
              base * 1e3, ratio, goal, unit_note);
}

void BenchElementwise(CpuBackend& be, int reps, int64_t n) {
  const int threads = be.num_threads();
  auto x = be.allocate(n * 4), y = be.allocate(n * 4);
  Fill(F32(*x), n, threads);
  FusedKernel k;  // 1 / (1 + exp(-x)), as the op-tree compiler emits it
  k.input_dtypes = {DType::kFloat32};
  k.num_params = 1;
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kNeg, 0}, {OpKind::kExp, 1}, {OpKind::kScalar, -1, -1, 0},
            {OpKind::kAdd, 3, 2}, {OpKind::kDiv, 3, 4}};
  KernelArgs args{1, n, {{x.get(), 0, n, 1, DType::kFloat32}}, {y.get(), 0, n, 1, DType::kFloat32}, {1.0}};
  // Reshaped as rows of 4096 too, the 2-D case the op-trees usually produce.
  KernelArgs args2d{n / 4096, 4096, {{x.get(), 0, 4096, 1, DType::kFloat32}}, {y.get(), 0, 4096, 1, DType::kFloat32}, {1.0}};
  const float* xs = F32(*x);
  float* ys = F32(*y);
  const auto axpb = [&] {
    const float a = 1.0001f, b = 0.5f;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) ys[i] = a * xs[i] + b;
  };
  auto [ours, base] = MedianPair(reps, [&] { be.run(k, args); }, axpb);
  const std::string size = "2^" + std::to_string(63 - __builtin_clzll(static_cast<uint64_t>(n))) + " f32";
  const std::string shape2d = " (" + std::to_string(n / 4096) + " x 4096)";
  Report(("sigmoid 1/(1+exp(-x)) " + size + " (1 x n)").c_str(), ours, base, "  [baseline y=a*x+b]", 0.7);
  std::tie(ours, base) = MedianPair(reps, [&] { be.run(k, args2d); }, axpb);
  Report(("sigmoid 1/(1+exp(-x)) " + size + shape2d).c_str(), ours, base, "  [baseline y=a*x+b]", 0.7);
  std::printf("%-44s %.2f GB/s read+write\n", "  sigmoid memory throughput", 8.0 * n / ours / 1e9);

  // Through the IR: the op-tree compiled (once, then cached) and run on the same memory.
  Tensor xt = empty(be, {n / 4096, 4096}), yt = empty(be, {n / 4096, 4096});
  std::memcpy(F32(*xt.buffer()), xs, n * 4);
  std::tie(ours, base) = MedianPair(reps, [&] { yt.assign(1 / (1 + exp(-xt))); }, axpb);
  Report(("IR y.assign(1/(1+exp(-x)))" + shape2d).c_str(), ours, base, "  [baseline y=a*x+b]", 0.7);
}

void BenchReductions(CpuBackend& be, int reps, int64_t side) {
  const int threads = be.num_threads();
  const int64_t n = side * side;
  auto x = be.allocate(n * 4), out = be.allocate(side * 4);
  Fill(F32(*x), n, threads);
  const float* xs = F32(*x);
  volatile float sink = 0;
  // Each thread sums its share in 32 independent lanes (the compiler keeps
  // them in vector registers), then lanes and threads are added: a read-only ceiling.
  const auto plain_sum = [&] {
    double total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      const int64_t parts = omp_get_num_threads(), part = omp_get_thread_num();
      const int64_t begin = n * part / parts / 32 * 32, end = n * (part + 1) / parts / 32 * 32;
      float lanes[32] = {};
      for (int64_t i = begin; i < end; i += 32)
        for (int l = 0; l < 32; ++l) lanes[l] += xs[i + l];
      for (float l : lanes) total += l;
    }
    sink = static_cast<float>(total);
  };
  for (int axis : {0, 1}) {
    FusedKernel k;
    k.input_dtypes = {DType::kFloat32};
    k.body = {{OpKind::kTensor, -1, -1, 0}};
    k.has_reduction = true;
    k.reduce_op = OpKind::kSum;
    k.reduce_axis = axis;
    KernelArgs args{side, side, {{x.get(), 0, side, 1, DType::kFloat32}},
                    {out.get(), 0, axis == 1 ? 1 : side, 1, DType::kFloat32}, {}};
    auto [ours, base] = MedianPair(reps, [&] { be.run(k, args); }, plain_sum);
    const std::string name = "sum axis " + std::to_string(axis) + " " + std::to_string(side) + "^2 f32";
    Report(name.c_str(), ours, base, "  [baseline read-only sum]", 0.8);
  }
  Tensor xt = empty(be, {side, side}), row = empty(be, {1, side}), col = empty(be, {side, 1});
  std::memcpy(F32(*xt.buffer()), xs, n * 4);
  auto [ours, base] = MedianPair(reps, [&] { row.assign(sum(xt, 0)); }, plain_sum);
  Report("IR row.assign(sum(x, 0))", ours, base, "  [baseline read-only sum]", 0.8);
  std::tie(ours, base) = MedianPair(reps, [&] { col.assign(sum(xt, 1)); }, plain_sum);
  Report("IR col.assign(sum(x, 1))", ours, base, "  [baseline read-only sum]", 0.8);
}

void BenchGemm(CpuBackend& be, int reps, int64_t m, int64_t n, int64_t k) {
  auto a = be.allocate(m * k * 4), b = be.allocate(k * n * 4), c = be.allocate(m * n * 4);
  Fill(F32(*a), m * k, be.num_threads());
  Fill(F32(*b), k * n, be.num_threads());
  GemmArgs g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = {a.get(), 0, k};
  g.b = {b.get(), 0, n};
  g.c = {c.get(), 0, n};
  const auto direct = [&] {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(be.num_threads());
    dnnl_sgemm('N', 'N', m, n, k, 1.0f, F32(*a), k, F32(*b), n, 0.0f, F32(*c), n);
    omp_set_num_threads(saved);
  };
  // Small products repeat inside one timing so the clock's resolution does not matter.
  const int inner = m * n * k < (int64_t{1} << 24) ? 200 : 1;
  const auto repeat = [inner](const std::function<void()>& fn) { return [fn, inner] { for (int i = 0; i < inner; ++i) fn(); }; };
  auto [ours, base] = MedianPair(reps, repeat([&] { be.gemm(g); }), repeat(direct));
  const std::string name = "gemm m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k);
  Report(name.c_str(), ours / inner, base / inner, "  [baseline direct dnnl_sgemm]", 0.95);
  std::printf("%-44s %.1f GFLOP/s\n", "  gemm throughput", 2.0 * m * n * k / (ours / inner) / 1e9);

  Tensor at = empty(be, {m, k}), bt = empty(be, {k, n}), ct = empty(be, {m, n});
  std::memcpy(F32(*at.buffer()), F32(*a), m * k * 4);
  std::memcpy(F32(*bt.buffer()), F32(*b), k * n * 4);
  std::tie(ours, base) = MedianPair(reps, repeat([&] { ct.assign(dot(at, bt)); }), repeat(direct));
  const std::string ir_name = "IR c.assign(dot(a, b)) " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
  Report(ir_name.c_str(), ours / inner, base / inner, "  [baseline direct dnnl_sgemm]", 0.95);
}

void BenchDispatch(CpuBackend& be, int reps) {
  auto x = be.allocate(100 * 4), y = be.allocate(100 * 4);
  Fill(F32(*x), 100, 1);
  FusedKernel k;  // tanh(x * 2 + 1) * x - 3: five ops
  k.input_dtypes = {DType::kFloat32};
  k.num_params = 3;
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1},
            {OpKind::kScalar, -1, -1, 1}, {OpKind::kAdd, 2, 3}, {OpKind::kTanh, 4},
            {OpKind::kMul, 5, 0}, {OpKind::kScalar, -1, -1, 2}, {OpKind::kSub, 6, 7}};
  KernelArgs args{10, 10, {{x.get(), 0, 10, 1, DType::kFloat32}}, {y.get(), 0, 10, 1, DType::kFloat32}, {2.0, 1.0, 3.0}};
  constexpr int kCalls = 2000;
  const double t = MedianSeconds(std::max(reps, 21), [&] {
    for (int i = 0; i < kCalls; ++i) be.run(k, args);
  });
  std::printf("%-44s %.3f us per run()  (goal < 2 us)\n", "dispatch 5-op program on 10 x 10 f32", t / kCalls * 1e6);

  // Through the IR: a cached tree of five ops (mul, add, exp, div, maximum), built each call.
  Tensor xt = full(be, {10, 10}, 0.25), yt = full(be, {10, 10}, 2.0), out = empty(be, {10, 10});
  const double t_ir = MedianSeconds(std::max(reps, 21), [&] {
    for (int i = 0; i < kCalls; ++i) out.assign(maximum(exp(xt * yt + 1) / yt, 0));
  });
  std::printf("%-44s %.3f us per assign()  (goal < 2 us)\n", "IR dispatch 5-op tree on 10 x 10 f32", t_ir / kCalls * 1e6);
}

int Main(int argc, char** argv) {
  int threads = 0, reps = 11;
  bool quick = false;
  std::string only;  // run one group: sigmoid, sum, gemm or dispatch
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (arg == "--quick") {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: cpu_benchmark [--threads N] [--reps N] [--quick] [--only sigmoid|sum|gemm|dispatch]\n");
      return 2;
    }
  }
  CpuBackend be(threads);
  std::printf("device: %s\nthreads: %d, repetitions: %d (medians; ratio = baseline time / our time)\n\n",
              be.info().description.c_str(), be.num_threads(), reps);
  const auto wanted = [&](const char* group) { return only.empty() || only == group; };
  if (wanted("sigmoid")) BenchElementwise(be, reps, quick ? (1 << 20) : (1 << 25));
  if (wanted("sum")) BenchReductions(be, reps, quick ? 1024 : 4096);
  if (wanted("gemm")) {
    const int64_t big = quick ? 256 : 2048;
    BenchGemm(be, reps, big, big, big);
    BenchGemm(be, reps, 64, 64, 64);
    BenchGemm(be, reps, 256, 128, 4096);
  }
  if (wanted("dispatch")) BenchDispatch(be, reps);
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::Main(argc, argv); }
