// GFLOP/s of the OpenCL convolution (im2col / col2im + CLBlast GEMM) against a
// direct CLBlast GEMM of the same product on the same device, measured in one
// run, alternating. Conv 3x3, 64 -> 64 channels, 32 x 32, batch 64, pad 1,
// float32: each pass is one product of 2 * 64 * 576 * 65536 flops, so the GEMM
// baseline is that product with the whole column matrix already in memory (the
// ceiling im2col + GEMM could reach without the column building).
// Usage: conv_benchmark [--reps N] [--quick]   (--quick: batch 8, a smoke run)
#include <clblast.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backends/opencl/opencl_backend.h"
#include "core/error.h"

namespace neon {
namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename F>
double Time(OpenCLBackend& be, F&& f) {
  be.synchronize();
  const Clock::time_point start = Clock::now();
  f();
  be.synchronize();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::shared_ptr<Buffer> Filled(OpenCLBackend& be, size_t count, float value) {
  std::vector<float> host(count);
  for (size_t e = 0; e < count; ++e) host[e] = value * static_cast<float>(e % 17) - 1.0f;
  std::shared_ptr<Buffer> buffer = be.allocate(count * sizeof(float));
  be.copy_in(*buffer, 0, host.data(), count * sizeof(float));
  return buffer;
}

int Run(int reps, bool quick) {
  OpenCLBackend be;
  ConvGeometry g;
  g.c = g.k = 64, g.h = g.w = g.p = g.q = 32, g.n = quick ? 8 : 64, g.r = g.s = 3, g.pad_h = g.pad_w = 1;
  const int64_t rows = g.c * g.r * g.s, positions = g.p * g.q * g.n;
  const double flops = 2.0 * static_cast<double>(g.k) * static_cast<double>(rows) * static_cast<double>(positions);
  std::printf("conv 3x3, %lld -> %lld channels, %lld x %lld, batch %lld, pad 1, float32 on %s (%s); %d reps\n",
              static_cast<long long>(g.c), static_cast<long long>(g.k), static_cast<long long>(g.h),
              static_cast<long long>(g.w), static_cast<long long>(g.n), be.info().name.c_str(),
              be.info().description.c_str(), reps);
  std::shared_ptr<Buffer> src = Filled(be, static_cast<size_t>(g.c * g.h * g.w * g.n), 0.1f);
  std::shared_ptr<Buffer> filter = Filled(be, static_cast<size_t>(g.k * rows), 0.01f);
  std::shared_ptr<Buffer> dst = Filled(be, static_cast<size_t>(g.k * positions), 0.1f);
  std::shared_ptr<Buffer> col = Filled(be, static_cast<size_t>(rows * positions), 0.1f);
  const ConvArgs args{DType::kFloat32, g, {src.get(), 0}, {filter.get(), 0}, {dst.get(), 0}};
  cl_command_queue queue = be.queue();
  cl_mem filter_mem = be.Mem(*filter), dst_mem = be.Mem(*dst), col_mem = be.Mem(*col);
  const size_t k = static_cast<size_t>(g.k), r = static_cast<size_t>(rows), n = static_cast<size_t>(positions);
  using clblast::Layout, clblast::Transpose;
  auto check = [](clblast::StatusCode status) {
    if (status != clblast::StatusCode::kSuccess) {
      throw BackendError("conv_benchmark: CLBlast status " + std::to_string(static_cast<int>(status)));
    }
  };
  struct Pass {
    const char* name;
    void (Backend::*ours)(const ConvArgs&);
    std::function<void()> gemm;   // the same product through CLBlast directly
  };
  const Pass passes[] = {
      {"fprop", &Backend::conv_fprop,
       [&] {   // dst (K x PQN) = filter (K x CRS) col (CRS x PQN)
         check(clblast::Gemm<float>(Layout::kRowMajor, Transpose::kNo, Transpose::kNo, k, n, r, 1.0f, filter_mem, 0, r,
                                    col_mem, 0, n, 0.0f, dst_mem, 0, n, &queue));
       }},
      {"bprop_data", &Backend::conv_bprop_data,
       [&] {   // col (CRS x PQN) = filter^T dst
         check(clblast::Gemm<float>(Layout::kRowMajor, Transpose::kYes, Transpose::kNo, r, n, k, 1.0f, filter_mem, 0,
                                    r, dst_mem, 0, n, 0.0f, col_mem, 0, n, &queue));
       }},
      {"bprop_filter", &Backend::conv_bprop_filter,
       [&] {   // filter (K x CRS) = dst col^T
         check(clblast::Gemm<float>(Layout::kRowMajor, Transpose::kNo, Transpose::kYes, k, r, n, 1.0f, dst_mem, 0, n,
                                    col_mem, 0, n, 0.0f, filter_mem, 0, r, &queue));
       }},
  };
  for (const Pass& pass : passes) {
    Time(be, [&] { (be.*pass.ours)(args); });   // warm-up: program builds, workspace
    Time(be, pass.gemm);
    std::vector<double> ours, gemm;
    for (int rep = 0; rep < reps; ++rep) {
      ours.push_back(Time(be, [&] { (be.*pass.ours)(args); }));
      gemm.push_back(Time(be, pass.gemm));
    }
    const double ours_gflops = flops / Median(ours) / 1e9, gemm_gflops = flops / Median(gemm) / 1e9;
    std::printf("conv %-12s %8.2f ms  %7.1f GFLOP/s | CLBlast GEMM %8.2f ms  %7.1f GFLOP/s | conv/GEMM speed: %.2f\n",
                pass.name, Median(ours) * 1e3, ours_gflops, Median(gemm) * 1e3, gemm_gflops,
                ours_gflops / gemm_gflops);
  }
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) {
  int reps = 7;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: conv_benchmark [--reps N] [--quick]\n");
      return 2;
    }
  }
  try {
    return neon::Run(reps, quick);
  } catch (const neon::Error& e) {
    std::fprintf(stderr, "conv_benchmark: %s\n", e.what());
    return 2;
  }
}
