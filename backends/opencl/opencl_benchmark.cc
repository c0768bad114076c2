// Benchmarks of the OpenCL backend, as ratios against baselines measured in
// the same run on the same machine:
//   1. fused sigmoid 1/(1+exp(-x)) over 2^25 float32 vs the host bandwidth
//      ceiling of a plain `y = a*x + b` loop (goal >= 0.5);
//   2. gemm() 2048^3 float32 vs a direct CLBlast call on the same device and
//      buffers (goal >= 0.95);
//   3. first-call time of a new plan (render + compile + run), then the same
//      plans in a second process that finds the disk cache (medians, ms).
// Usage: opencl_benchmark [--quick]   (--quick: smaller sizes, for a smoke run)
#include <clblast.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/opencl/opencl_backend.h"
#include "core/error.h"
#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

FusedKernel SigmoidPlan() {
  // 1/(1+exp(-x)) as the op-tree compiler lowers it (graph/compile.cc): the
  // two constants are params 0 and 1, then the tensor.
  FusedKernel k;
  k.input_dtypes = {DType::kFloat32};
  k.num_params = 2;
  k.body = {{OpKind::kScalar, -1, -1, 0}, {OpKind::kScalar, -1, -1, 1}, {OpKind::kTensor, -1, -1, 0},
            {OpKind::kNeg, 2},           {OpKind::kExp, 3},            {OpKind::kAdd, 1, 4},
            {OpKind::kDiv, 0, 5}};
  return k;
}

void BenchSigmoid(OpenCLBackend& be, bool quick) {
  const int64_t rows = quick ? 1024 : 4096, cols = 8192;
  const size_t n = static_cast<size_t>(rows * cols);
  const int repeats = quick ? 5 : 15;
  std::printf("fused sigmoid over %zu float32 (%lld x %lld)\n", n, static_cast<long long>(rows),
              static_cast<long long>(cols));
  std::vector<float> host(n), host_y(n);
  for (size_t e = 0; e < n; ++e) host[e] = static_cast<float>(e % 2000) * 0.01f - 10.0f;
  // The ceiling: a plain y = a*x + b loop over the same bytes, one thread and
  // all threads (OpenMP); per round the faster of the two counts.
  float* xp = host.data();
  float* yp = host_y.data();
  const long count = static_cast<long>(n);
  auto host_one = [&] {
    for (long e = 0; e < count; ++e) yp[e] = 1.0001f * xp[e] + 0.5f;
  };
  auto host_all = [&] {
#pragma omp parallel for schedule(static)
    for (long e = 0; e < count; ++e) yp[e] = 1.0001f * xp[e] + 0.5f;
  };
  std::shared_ptr<Buffer> x = be.allocate(n * sizeof(float)), y = be.allocate(n * sizeof(float));
  be.copy_in(*x, 0, host.data(), n * sizeof(float));
  FusedKernel plan = SigmoidPlan();
  KernelArgs args{rows, cols, {{x.get(), 0, cols, 1, DType::kFloat32}}, {y.get(), 0, cols, 1, DType::kFloat32}, {1.0, 1.0}};
  auto device_run = [&] {
    be.run(plan, args);
    be.synchronize();
  };
  // The same through the IR: op-tree -> plan (cached) -> run.
  Tensor tx(be, {rows, cols}), ty(be, {rows, cols});
  tx.set<float>(host);
  auto device_ir = [&] {
    ty.assign(1.0 / (1.0 + exp(-Expr(tx))));
    be.synchronize();
  };
  host_one();
  host_all();
  device_run();
  const int compiled_before_ir = be.programs().compile_count();
  device_ir();
  std::printf("  (the IR's plan %s the hand-built one)\n",
              be.programs().compile_count() == compiled_before_ir ? "is" : "differs from");
  // Rounds interleave the four so changing load on a shared machine hits all alike.
  std::vector<double> one_s, all_s, run_s, ir_s;
  for (int r = 0; r < repeats; ++r) {
    Clock::time_point start = Clock::now();
    host_one();
    one_s.push_back(Seconds(start));
    start = Clock::now();
    host_all();
    all_s.push_back(Seconds(start));
    start = Clock::now();
    device_run();
    run_s.push_back(Seconds(start));
    start = Clock::now();
    device_ir();
    ir_s.push_back(Seconds(start));
  }
  volatile float sink = host_y[n / 2];
  (void)sink;
  float first = 0;
  be.copy_out(*y, 0, &first, sizeof first);
  if (std::abs(first - 1.0f / (1.0f + std::exp(10.0f))) > 1e-6f) throw BackendError("sigmoid result is wrong");
  if (std::abs(ty.get<float>()[0] - first) > 1e-6f) throw BackendError("IR sigmoid result is wrong");
  const double bytes = 2.0 * sizeof(float) * n;
  auto rate = [&](const std::vector<double>& times) { return bytes / Median(times) / 1e9; };
  const double ceiling = std::max(rate(one_s), rate(all_s));
  std::printf("  host y=a*x+b loop: 1 thread %.2f GB/s, all threads %.2f GB/s (medians of %d rounds)\n", rate(one_s),
              rate(all_s), repeats);
  std::printf("  opencl run(): %.2f GB/s (%.2f ms); y.assign(1/(1+exp(-x))): %.2f GB/s (%.2f ms)\n", rate(run_s),
              Median(run_s) * 1e3, rate(ir_s), Median(ir_s) * 1e3);
  std::printf("  RATIO sigmoid/ceiling = %.3f via run(), %.3f via the IR (goal >= 0.5)\n", rate(run_s) / ceiling,
              rate(ir_s) / ceiling);
}

// Informational: read bandwidth of sum reductions along each axis.
void BenchReductions(OpenCLBackend& be, bool quick) {
  const int64_t rows = quick ? 1024 : 4096, cols = 8192;
  const size_t n = static_cast<size_t>(rows * cols);
  std::vector<float> host(n, 0.5f);
  std::shared_ptr<Buffer> x = be.allocate(n * sizeof(float)), y = be.allocate(cols * sizeof(float));
  be.copy_in(*x, 0, host.data(), n * sizeof(float));
  std::printf("sum reductions over %lld x %lld float32 (read bandwidth, medians of 5):\n", static_cast<long long>(rows),
              static_cast<long long>(cols));
  for (int axis : {0, 1, kAllAxes}) {
    FusedKernel k;
    k.input_dtypes = {DType::kFloat32};
    k.body = {{OpKind::kTensor, -1, -1, 0}};
    k.has_reduction = true;
    k.reduce_axis = axis;
    KernelArgs args{rows, cols, {{x.get(), 0, cols, 1, DType::kFloat32}}, {y.get(), 0, 1, 1, DType::kFloat32}, {}};
    if (axis == 1) args.output.row_stride = 1;
    std::vector<double> times;
    for (int r = 0; r < 6; ++r) {
      Clock::time_point start = Clock::now();
      be.run(k, args);
      be.synchronize();
      if (r > 0) times.push_back(Seconds(start));
    }
    std::printf("  axis %2d: %.2f GB/s (%.2f ms)\n", axis, n * sizeof(float) / Median(times) / 1e9, Median(times) * 1e3);
  }
}

void BenchGemm(OpenCLBackend& be, bool quick) {
  const int64_t size = quick ? 512 : 2048;
  const int repeats = quick ? 3 : 7;
  const size_t n = static_cast<size_t>(size * size);
  std::vector<float> host(n);
  for (size_t e = 0; e < n; ++e) host[e] = static_cast<float>(e % 17) * 0.125f - 1.0f;
  std::shared_ptr<Buffer> a = be.allocate(n * 4), b = be.allocate(n * 4), c = be.allocate(n * 4);
  be.copy_in(*a, 0, host.data(), n * 4);
  be.copy_in(*b, 0, host.data(), n * 4);
  GemmArgs args;
  args.m = args.n = args.k = size;
  args.a = {a.get(), 0, size, false, 0};
  args.b = {b.get(), 0, size, false, 0};
  args.c = {c.get(), 0, size, false, 0};
  cl_mem am = be.Mem(*a), bm = be.Mem(*b), cm = be.Mem(*c);
  cl_command_queue queue = be.queue();
  auto direct = [&] {
    auto status = clblast::Gemm<float>(clblast::Layout::kRowMajor, clblast::Transpose::kNo, clblast::Transpose::kNo,
                                       size, size, size, 1.0f, am, 0, size, bm, 0, size, 0.0f, cm, 0, size, &queue);
    if (status != clblast::StatusCode::kSuccess) throw BackendError("direct CLBlast call failed");
    clFinish(queue);
  };
  auto ours = [&] {
    be.gemm(args);
    be.synchronize();
  };
  Tensor ta(be, {size, size}), tb(be, {size, size}), tc(be, {size, size});
  ta.set<float>(host);
  tb.set<float>(host);
  auto through_ir = [&] {
    tc.assign(dot(ta, tb));
    be.synchronize();
  };
  // Interleave so drift in machine load hits both alike.
  direct();
  ours();
  through_ir();
  std::vector<double> direct_times, our_times, ir_times;
  for (int r = 0; r < repeats; ++r) {
    Clock::time_point start = Clock::now();
    direct();
    direct_times.push_back(Seconds(start));
    start = Clock::now();
    ours();
    our_times.push_back(Seconds(start));
    start = Clock::now();
    through_ir();
    ir_times.push_back(Seconds(start));
  }
  const double flops = 2.0 * size * size * size;
  const double direct_s = Median(direct_times), our_s = Median(our_times), ir_s = Median(ir_times);
  std::printf("gemm %lld^3 float32\n", static_cast<long long>(size));
  std::printf("  direct CLBlast: %.1f GFLOP/s (%.1f ms); gemm(): %.1f GFLOP/s (%.1f ms); c.assign(dot(a, b)): "
              "%.1f GFLOP/s (%.1f ms)\n",
              flops / direct_s / 1e9, direct_s * 1e3, flops / our_s / 1e9, our_s * 1e3, flops / ir_s / 1e9,
              ir_s * 1e3);
  std::printf("  RATIO gemm()/CLBlast = %.3f, IR/CLBlast = %.3f (goal >= 0.95)\n", direct_s / our_s,
              direct_s / ir_s);
}

// Plans never seen before: each unary op in turn after a multiply by a scalar.
std::vector<FusedKernel> CompilePlans(int count) {
  std::vector<FusedKernel> plans;
  for (int op = 0; op < kNumOpKinds && static_cast<int>(plans.size()) < count; ++op) {
    OpKind kind = static_cast<OpKind>(op);
    if (ClassOf(kind) != OpClass::kUnary) continue;
    FusedKernel k;
    k.input_dtypes = {DType::kFloat32};
    k.num_params = 1;
    k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1}, {kind, 2}};
    plans.push_back(k);
  }
  return plans;
}

// Runs each plan once on a fresh backend using cache_dir; prints the median
// first-call milliseconds and how many programs were compiled / loaded.
void TimeFirstCalls(const std::string& cache_dir, int count, const char* label) {
  OpenCLOptions options;
  options.cache_dir = cache_dir;
  OpenCLBackend be(options);
  std::shared_ptr<Buffer> x = be.allocate(1024 * sizeof(float));
  std::vector<float> ones(1024, 0.5f);
  be.copy_in(*x, 0, ones.data(), ones.size() * sizeof(float));
  std::vector<double> times;
  for (const FusedKernel& plan : CompilePlans(count)) {
    KernelArgs args{32, 32, {{x.get(), 0, 32, 1, DType::kFloat32}}, {x.get(), 0, 32, 1, DType::kFloat32}, {1.0}};
    Clock::time_point start = Clock::now();
    be.run(plan, args);
    be.synchronize();
    times.push_back(Seconds(start) * 1e3);
  }
  std::printf("  %s: median %.1f ms, min %.1f, max %.1f over %zu plans (compiled %d, loaded from disk %d)\n", label,
              Median(times), *std::min_element(times.begin(), times.end()),
              *std::max_element(times.begin(), times.end()), times.size(), be.programs().compile_count(),
              be.programs().disk_load_count());
}

int RunChild(const std::string& self, const std::string& cache_dir, const std::string& pocl_dir, int count,
             const char* label) {
  std::string command = "POCL_CACHE_DIR='" + pocl_dir + "' '" + self + "' --child '" + cache_dir + "' " +
                        std::to_string(count) + " '" + label + "'";
  std::fflush(stdout);
  return std::system(command.c_str());
}

void BenchCompile(const std::string& self, bool quick) {
  const int count = quick ? 3 : 9;
  const std::string root = std::filesystem::temp_directory_path() / ("neon-opencl-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  const std::string cache = root + "/neon", pocl_first = root + "/pocl-1", pocl_fresh = root + "/pocl-2";
  std::printf("first call of a new plan (render + build + run 32x32), fresh caches\n");
  // Each phase in its own process so PoCL's cache directory can be set per phase.
  RunChild(self, cache, pocl_first, count, "first process, empty caches");
  RunChild(self, cache, pocl_first, count, "second process, disk cache (PoCL cache warm too)");
  RunChild(self, cache, pocl_fresh, count, "second process, disk cache only (PoCL cache empty)");
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) {
  // OpenMP threads of the host baseline must not spin after their loop while
  // the OpenCL driver's threads run (libgomp spins by default).
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  try {
    if (argc == 5 && std::strcmp(argv[1], "--child") == 0) {
      neon::TimeFirstCalls(argv[2], std::atoi(argv[3]), argv[4]);
      return 0;
    }
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    std::vector<neon::DeviceInfo> devices = neon::ListOpenCLDevices();
    neon::OpenCLOptions options;
    options.cache_dir = "";
    neon::OpenCLBackend backend(options);
    std::printf("device %s: %s\n", backend.info().name.c_str(), backend.info().description.c_str());
    neon::BenchSigmoid(backend, quick);
    neon::BenchReductions(backend, quick);
    neon::BenchGemm(backend, quick);
    std::string self = std::filesystem::canonical("/proc/self/exe");
    neon::BenchCompile(self, quick);
  } catch (const neon::Error& e) {
    std::fprintf(stderr, "opencl_benchmark: %s\n", e.what());
    return 2;
  }
  return 0;
}
