// Convolution 3x3, 64 -> 64 channels, 32x32, batch 64, float32: forward,
// backward-data and backward-filter through the Conv layer on a backend, against
// the same oneDNN primitives called directly in the same run (activations kept in
// the primitive's own layout, no reorders: the best a direct oneDNN user gets).
// Prints `conv layer/oneDNN speed: X` (oneDNN time / layer time); also max pooling
// 2x2 and batch norm through their layers, batch norm against oneDNN's primitive
// called directly (`batchnorm layer/oneDNN speed: X`). tools/bench/conv_torch.py adds PyTorch.
//
// Run: tools/bazel run //layers:conv_benchmark -- [--threads N] [--reps 11]
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "layers/model.h"
#include "tools/bench/bench_main.h"

namespace neon {
namespace {

constexpr int64_t kN = 64, kC = 64, kK = 64, kH = 32, kW = 32;

template <typename Fn>
double MedianSeconds(int reps, Fn&& fn) {
  fn();
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

// The three passes with oneDNN alone: format `any` everywhere, operands made once in
// the primitives' layouts.
double DirectOneDnnSeconds(int reps) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::dims src_dims = {kN, kC, kH, kW}, w_dims = {kK, kC, 3, 3}, dst_dims = {kN, kK, kH, kW};
  auto any = [](const memory::dims& dims) { return memory::desc(dims, memory::data_type::f32, memory::format_tag::any); };
  convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, any(src_dims), any(w_dims),
                               any(dst_dims), {1, 1}, {0, 0}, {1, 1}, {1, 1});
  convolution_forward::primitive_desc fpd(fd, eng);
  convolution_backward_data::desc bdd(algorithm::convolution_direct, any(src_dims), any(w_dims), any(dst_dims), {1, 1},
                                      {0, 0}, {1, 1}, {1, 1});
  convolution_backward_data::primitive_desc bdpd(bdd, eng, fpd);
  convolution_backward_weights::desc bwd(algorithm::convolution_direct, any(src_dims), any(w_dims), any(dst_dims),
                                         {1, 1}, {0, 0}, {1, 1}, {1, 1});
  convolution_backward_weights::primitive_desc bwpd(bwd, eng, fpd);
  memory src(fpd.src_desc(), eng), w(fpd.weights_desc(), eng), dst(fpd.dst_desc(), eng);
  memory diff_src(bdpd.diff_src_desc(), eng), diff_dst(bdpd.diff_dst_desc(), eng);
  memory diff_w(bwpd.diff_weights_desc(), eng), bw_src(bwpd.src_desc(), eng), bw_diff_dst(bwpd.diff_dst_desc(), eng);
  for (memory* m : {&src, &w, &diff_dst, &bw_src, &bw_diff_dst}) {
    float* data = static_cast<float*>(m->get_data_handle());
    std::fill(data, data + m->get_desc().get_size() / sizeof(float), 0.01f);
  }
  convolution_forward forward(fpd);
  convolution_backward_data backward_data(bdpd);
  convolution_backward_weights backward_weights(bwpd);
  return MedianSeconds(reps, [&] {
    forward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
    backward_data.execute(s, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diff_src}});
    backward_weights.execute(s, {{DNNL_ARG_SRC, bw_src}, {DNNL_ARG_DIFF_DST, bw_diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_w}});
    s.wait();
  });
}

// Batch norm forward (training) + backward with oneDNN alone, on the conv activations
// in oneDNN's blocked nChw16c layout (its fastest kernel: the best a direct user gets).
double DirectOneDnnBatchNormSeconds(int reps) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::desc data({kN, kC, kH, kW}, memory::data_type::f32, memory::format_tag::nChw16c);
  memory::desc channel({kC}, memory::data_type::f32, memory::format_tag::a);
  auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
  batch_normalization_forward::primitive_desc fpd({prop_kind::forward_training, data, 1e-5f, flags}, eng);
  batch_normalization_backward::primitive_desc bpd({prop_kind::backward, data, data, 1e-5f, flags}, eng, fpd);
  memory src(data, eng), dst(data, eng), diff_dst(data, eng), diff_src(data, eng);
  memory scale(channel, eng), shift(channel, eng), mean(channel, eng), variance(channel, eng);
  memory diff_scale(channel, eng), diff_shift(channel, eng);
  for (memory* m : {&src, &diff_dst, &scale, &shift}) {
    float* values = static_cast<float*>(m->get_data_handle());
    for (size_t i = 0; i < m->get_desc().get_size() / sizeof(float); ++i) values[i] = 0.01f * static_cast<float>(i % 97);
  }
  batch_normalization_forward forward(fpd);
  batch_normalization_backward backward(bpd);
  return MedianSeconds(reps, [&] {
    forward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, shift},
                        {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance}});
    backward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_SCALE, scale},
                         {DNNL_ARG_SHIFT, shift}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance},
                         {DNNL_ARG_DIFF_SRC, diff_src}, {DNNL_ARG_DIFF_SCALE, diff_scale},
                         {DNNL_ARG_DIFF_SHIFT, diff_shift}});
    s.wait();
  });
}

int Main(int argc, char** argv) {
  std::string spec = "cpu";
  int reps = 11;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--backend=", 0) == 0) {
      spec = arg.substr(10);
    } else if (arg == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--threads" && i + 1 < argc) {
      setenv("NEON_NUM_THREADS", argv[++i], 1);
      setenv("OMP_NUM_THREADS", argv[i], 1);
    } else {
      std::fprintf(stderr, "usage: conv_benchmark [--backend=NAME] [--reps N] [--threads N]\n");
      return 2;
    }
  }
  std::unique_ptr<Backend> be = CreateBackend(spec);
  SetSeed(*be, 1);

  // The conv layer, its first layer's input error computed too (as in a deep network).
  auto conv = std::make_shared<Conv>(3, 3, kK, std::make_shared<Kaiming>(), ConvOptions::Square(1, 1), "conv");
  auto root = std::make_shared<Sequential>(std::vector<std::shared_ptr<Layer>>{conv}, "net");
  root->set_context({be.get(), kN, DType::kFloat32});
  root->configure({kC, kH, kW});
  root->allocate();
  Tensor x = empty(*be, {kC, kH, kW, kN});
  x.fill_random(Distribution::kUniform, -1.0, 1.0);
  Tensor error = empty(*be, {kK, kH, kW, kN});
  error.fill_random(Distribution::kUniform, -1.0, 1.0);
  double layer = MedianSeconds(reps, [&] {
    root->fprop(x);
    root->bprop(error);
    be->synchronize();
  });

  auto pool = std::make_shared<Pooling>(2, 2, "max", ConvOptions::Square(2), "pool");
  auto pool_root = std::make_shared<Sequential>(std::vector<std::shared_ptr<Layer>>{pool}, "pooling");
  pool_root->set_context({be.get(), kN, DType::kFloat32});
  pool_root->configure({kC, kH, kW});
  pool_root->allocate();
  Tensor pool_error = empty(*be, {kC, kH / 2, kW / 2, kN});
  pool_error.fill(0.5);
  double pooling = MedianSeconds(reps, [&] {
    pool_root->fprop(x);
    pool_root->bprop(pool_error);
    be->synchronize();
  });

  auto bn = std::make_shared<BatchNorm>(0.9, 1e-5, "bn");
  auto bn_root = std::make_shared<Sequential>(std::vector<std::shared_ptr<Layer>>{bn}, "batchnorm");
  bn_root->set_context({be.get(), kN, DType::kFloat32});
  bn_root->configure({kC, kH, kW});
  bn_root->allocate();
  Tensor bn_error = empty(*be, {kC, kH, kW, kN});
  double batchnorm = MedianSeconds(reps, [&] {
    bn_root->fprop(x);
    bn_error.assign(error);  // bprop works in place on its error
    bn_root->bprop(bn_error);
    be->synchronize();
  });

  double flops = 3.0 * 2.0 * kN * kK * kH * kW * kC * 9;
  std::printf("conv 3x3, %lld -> %lld channels, %lldx%lld, batch %lld, float32 on %s (%s)\n",
              static_cast<long long>(kC), static_cast<long long>(kK), static_cast<long long>(kH),
              static_cast<long long>(kW), static_cast<long long>(kN), be->info().name.c_str(),
              be->info().description.c_str());
  std::printf("  Conv layer fprop + bprop data + bprop filter   median %8.3f ms  (%.1f GFLOP/s)\n", layer * 1e3,
              flops / layer * 1e-9);
  if (spec.rfind("cpu", 0) == 0) {
    double direct = DirectOneDnnSeconds(reps);
    std::printf("  oneDNN primitives directly                     median %8.3f ms  (%.1f GFLOP/s)\n", direct * 1e3,
                flops / direct * 1e-9);
    std::printf("conv layer/oneDNN speed: %.2f\n", direct / layer);
  }
  std::printf("  max pooling 2x2 fprop + bprop                  median %8.3f ms\n", pooling * 1e3);
  std::printf("  batch norm fprop + bprop (with an error copy)  median %8.3f ms\n", batchnorm * 1e3);
  if (spec.rfind("cpu", 0) == 0) {
    double direct = DirectOneDnnBatchNormSeconds(reps);
    std::printf("  oneDNN batch norm directly (nChw16c)           median %8.3f ms\n", direct * 1e3);
    std::printf("batchnorm layer/oneDNN speed: %.2f\n", direct / batchnorm);
  }
  std::printf("CONV_STEP_SECONDS %.9f\nPOOL_STEP_SECONDS %.9f\nBN_STEP_SECONDS %.9f\n", layer, pooling, batchnorm);
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::bench::RunMain("conv_benchmark", neon::Main, argc, argv); }
