// The seed's BatchNormAutodiff on a (64, 8192) float32 input: time of one
// backward pass (constructing Autodiff with next_error = deltas, as the seed's
// bprop does on every call, then back_prop_grad for x, gamma and beta into
// deltas, grad_gamma, grad_beta) divided by the time of the forward assign
// y = xhat * gamma + beta. Medians of repeated runs in this process. Goal: <= 3.
//
// Run: tools/bazel run //autodiff:autodiff_benchmark -- [--backend=reference|cpu|opencl] [--repeats=N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autodiff/autodiff.h"
#include "autodiff/gradient_cases.h"
#include "backends/registry.h"
#include "core/error.h"

namespace neon {
namespace {

double Median(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double Seconds(Backend& be, const std::function<void()>& run) {
  be.synchronize();
  auto start = std::chrono::steady_clock::now();
  run();
  be.synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Main(const std::string& spec, int repeats, int64_t rows, int64_t cols) {
  std::unique_ptr<Backend> be = CreateBackend(spec);
  auto values = [&](int64_t r, int64_t c, double low, double high, bool positive, uint64_t seed) {
    return array(*be, TestValues(static_cast<size_t>(r * c), low, high, positive, seed), {r, c}, DType::kFloat32);
  };
  Tensor x = values(rows, cols, 0.1, 2.0, false, 1);
  Tensor gamma = values(rows, 1, 0.5, 1.5, true, 2);
  Tensor beta = values(rows, 1, 0.1, 1.0, false, 3);
  Tensor error = values(rows, cols, 0.1, 1.0, false, 4);
  Tensor deltas = empty(*be, {rows, cols});
  Tensor y = empty(*be, {rows, cols});
  Tensor grad_gamma = empty(*be, {rows, 1});
  Tensor grad_beta = empty(*be, {rows, 1});
  const double eps = 1e-6;

  // The seed's get_forward_optree.
  Expr xvar = var(x, 1);
  Expr xmean = mean(x, 1);
  Expr xhat = (x - xmean) / sqrt(xvar + eps);
  Expr fprop = xhat * gamma + beta;

  auto forward = [&] { y.assign(fprop); };
  auto reset = [&] { deltas.assign(error); };  // bprop overwrites deltas: same input every run
  auto construct = [&] { Autodiff ad(fprop, *be, Expr(deltas)); };
  auto backward = [&] {
    Autodiff ad(fprop, *be, Expr(deltas));
    ad.back_prop_grad({x, gamma, beta}, {deltas, grad_gamma, grad_beta});
  };
  for (int i = 0; i < 2; ++i) {  // warm up: compile plans, fill the autodiff cache
    forward();
    reset();
    backward();
  }
  // Interleaved, so both see the same machine load.
  std::vector<double> forward_times, backward_times, construct_times;
  for (int i = 0; i < repeats; ++i) {
    forward_times.push_back(Seconds(*be, forward));
    reset();
    backward_times.push_back(Seconds(*be, backward));
    construct_times.push_back(Seconds(*be, construct));
  }
  double forward_s = Median(forward_times);
  double backward_s = Median(backward_times);
  double construct_s = Median(construct_times);
  std::printf("backend %s, x (%lld, %lld) float32, median of %d runs\n", be->info().name.c_str(),
              static_cast<long long>(rows), static_cast<long long>(cols), repeats);
  std::printf("forward  y = xhat * gamma + beta:          %10.3f ms\n", forward_s * 1e3);
  std::printf("backward Autodiff + back_prop_grad(x, gamma, beta): %10.3f ms (of which Autodiff construction %.3f ms)\n",
              backward_s * 1e3, construct_s * 1e3);
  double fastest_forward = *std::min_element(forward_times.begin(), forward_times.end());
  double fastest_backward = *std::min_element(backward_times.begin(), backward_times.end());
  std::printf("ratio of fastest runs (less sensitive to other load): %.2f\n", fastest_backward / fastest_forward);
  std::printf("ratio backward / forward: %.2f (goal <= 3)\n", backward_s / forward_s);
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) {
  std::string spec = "reference";
  int repeats = 21;
  int64_t rows = 64, cols = 8192;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--backend=", 10) == 0) spec = argv[i] + 10;
    else if (std::strncmp(argv[i], "--repeats=", 10) == 0) repeats = std::max(1, std::atoi(argv[i] + 10));
    else if (std::strncmp(argv[i], "--cols=", 7) == 0) cols = std::atoll(argv[i] + 7);
    else {
      std::fprintf(stderr, "usage: %s [--backend=NAME] [--repeats=N] [--cols=N]\n", argv[0]);
      return 2;
    }
  }
  try {
    return neon::Main(spec, repeats, rows, cols);
  } catch (const neon::Error& error) {
    std::fprintf(stderr, "autodiff_benchmark: %s\n", error.what());
    return 1;
  }
}
