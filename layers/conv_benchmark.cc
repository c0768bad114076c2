// Convolution 3x3, 64 -> 64 channels, 32x32, batch 64, float32: forward,
// backward-data and backward-filter through the Conv layer on a backend, placed
// inside a network (its neighbours hand it activations in the backend's own layout
// where it has one: layers/device_layout.h), against the same oneDNN primitives
// called directly in the same run at the same thread count (activations kept in the
// primitive's own layout, no reorders: the best a direct oneDNN user gets).
// Prints `conv layer/oneDNN speed: X` (oneDNN time / layer time), and the same for
// max pooling 2x2 and batch norm (`pooling layer/oneDNN speed`, `batchnorm
// layer/oneDNN speed`); each layer is also timed alone, neon's layout at its ends.
// tools/bench/conv_torch.py adds PyTorch.
//
// Run: tools/bazel run //layers:conv_benchmark -- [--threads N] [--reps 11]
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

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
// in oneDNN's blocked layout (`blocked`: nChw16c, nChw8c below AVX-512; its fastest
// kernel: the best a direct user gets).
double DirectOneDnnBatchNormSeconds(int reps, dnnl::memory::format_tag blocked) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::desc data({kN, kC, kH, kW}, memory::data_type::f32, blocked);
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

// Max pooling 2x2 stride 2 forward (training, with its workspace) + backward with oneDNN
// alone on the conv activations in the blocked layout.
double DirectOneDnnPoolSeconds(int reps, dnnl::memory::format_tag blocked) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::desc src_desc({kN, kC, kH, kW}, memory::data_type::f32, blocked);
  memory::desc dst_desc({kN, kC, kH / 2, kW / 2}, memory::data_type::f32, blocked);
  pooling_forward::primitive_desc fpd({prop_kind::forward_training, algorithm::pooling_max, src_desc, dst_desc, {2, 2},
                                       {2, 2}, {0, 0}, {0, 0}},
                                      eng);
  pooling_backward::primitive_desc bpd({algorithm::pooling_max, src_desc, dst_desc, {2, 2}, {2, 2}, {0, 0}, {0, 0}},
                                       eng, fpd);
  memory src(src_desc, eng), dst(dst_desc, eng), workspace(fpd.workspace_desc(), eng);
  memory diff_dst(dst_desc, eng), diff_src(src_desc, eng);
  for (memory* m : {&src, &diff_dst}) {
    float* values = static_cast<float*>(m->get_data_handle());
    for (size_t i = 0; i < m->get_desc().get_size() / sizeof(float); ++i) values[i] = 0.01f * static_cast<float>(i % 97);
  }
  pooling_forward forward(fpd);
  pooling_backward backward(bpd);
  return MedianSeconds(reps, [&] {
    forward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_WORKSPACE, workspace}});
    backward.execute(s, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}, {DNNL_ARG_WORKSPACE, workspace}});
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
      reps = bench::FlagInRange("--reps", argv[++i], 1000);
    } else if (arg == "--threads" && i + 1 < argc) {
      int threads = bench::FlagInRange("--threads", argv[++i], 4096);
      setenv("NEON_NUM_THREADS", argv[i], 1);  // read by the cpu backend when it is made
      omp_set_num_threads(threads);  // oneDNN called directly (libgomp read OMP_NUM_THREADS at load)
    } else {
      std::fprintf(stderr, "usage: conv_benchmark [--backend=NAME] [--reps N] [--threads N]\n");
      return 2;
    }
  }
  std::unique_ptr<Backend> be = CreateBackend(spec);
  SetSeed(*be, 1);
  // The direct baselines' layout: the cpu backend's own, what oneDNN's convolutions pick.
  auto blocked = be->device_layout_block(DType::kFloat32) == 8 ? dnnl::memory::format_tag::nChw8c
                                                                : dnnl::memory::format_tag::nChw16c;

  Tensor x = empty(*be, {kC, kH, kW, kN});
  x.fill_random(Distribution::kUniform, -1.0, 1.0);

  // A layer inside a network, between two 1x1 conv layers, as a deep network runs it: its
  // input and output gradient come from its neighbours (in the backend's own layout where it
  // has one, layers/device_layout.h), its input error computed too. Only it is timed.
  auto inside = [&](std::shared_ptr<Layer> layer) {
    Shape in_shape = {kC, kH, kW};
    layer->set_context({be.get(), kN, DType::kFloat32});
    Shape out_shape = layer->configure(in_shape).out_shape;
    auto before = std::make_shared<Conv>(1, 1, kC, std::make_shared<Kaiming>(), ConvOptions{}, "before");
    auto after = std::make_shared<Conv>(1, 1, out_shape[0], std::make_shared<Kaiming>(), ConvOptions{}, "after");
    Sequential net({before, layer, after}, "net");
    net.set_context({be.get(), kN, DType::kFloat32});
    net.configure(in_shape);
    net.allocate();
    Tensor out_error = empty(*be, {out_shape[0], out_shape[1], out_shape[2], kN});
    out_error.fill_random(Distribution::kUniform, -1.0, 1.0);
    net.fprop(x);
    net.bprop(out_error);
    Tensor layer_x = before->outputs, layer_error = after->deltas;
    return MedianSeconds(reps, [&] {
      layer->fprop(layer_x);
      layer->bprop(layer_error);
      be->synchronize();
    });
  };
  // The same layer alone: neon's layout at both sides, converted around each op.
  auto alone = [&](std::shared_ptr<Layer> layer) {
    Sequential root({layer}, "alone");
    root.set_context({be.get(), kN, DType::kFloat32});
    root.configure({kC, kH, kW});
    root.allocate();
    Tensor out_error = empty(*be, {layer->out_shape[0], layer->out_shape[1], layer->out_shape[2], kN});
    out_error.fill_random(Distribution::kUniform, -1.0, 1.0);
    return MedianSeconds(reps, [&] {
      root.fprop(x);
      root.bprop(out_error);
      be->synchronize();
    });
  };
  auto make_conv = [] {
    return std::make_shared<Conv>(3, 3, kK, std::make_shared<Kaiming>(), ConvOptions::Square(1, 1), "conv");
  };
  auto make_pool = [] { return std::make_shared<Pooling>(2, 2, "max", ConvOptions::Square(2), "pool"); };
  auto make_bn = [] { return std::make_shared<BatchNorm>(0.9, 1e-5, "bn"); };
  double layer = inside(make_conv()), edge = alone(make_conv());
  double pooling = inside(make_pool()), pooling_alone = alone(make_pool());
  double batchnorm = inside(make_bn()), batchnorm_alone = alone(make_bn());

  double flops = 3.0 * 2.0 * kN * kK * kH * kW * kC * 9;
  std::printf("conv 3x3, %lld -> %lld channels, %lldx%lld, batch %lld, float32 on %s (%s)\n",
              static_cast<long long>(kC), static_cast<long long>(kK), static_cast<long long>(kH),
              static_cast<long long>(kW), static_cast<long long>(kN), be->info().name.c_str(),
              be->info().description.c_str());
  std::printf("  Conv layer fprop + bprop data + bprop filter   median %8.3f ms  (%.1f GFLOP/s)\n", layer * 1e3,
              flops / layer * 1e-9);
  std::printf("  the same layer alone, neon's layout at its ends median %8.3f ms  (%.1f GFLOP/s)\n", edge * 1e3,
              flops / edge * 1e-9);
  if (spec.rfind("cpu", 0) == 0) {
    double direct = DirectOneDnnSeconds(reps);
    std::printf("  oneDNN primitives directly                     median %8.3f ms  (%.1f GFLOP/s)\n", direct * 1e3,
                flops / direct * 1e-9);
    std::printf("conv layer/oneDNN speed: %.2f\n", direct / layer);
    std::printf("conv layer alone (neon layout in and out)/oneDNN speed: %.2f\n", direct / edge);
  }
  std::printf("  max pooling 2x2 fprop + bprop                  median %8.3f ms (alone %.3f ms)\n", pooling * 1e3,
              pooling_alone * 1e3);
  if (spec.rfind("cpu", 0) == 0) {
    double direct = DirectOneDnnPoolSeconds(reps, blocked);
    std::printf("  oneDNN max pooling directly (blocked)          median %8.3f ms\n", direct * 1e3);
    std::printf("pooling layer/oneDNN speed: %.2f\n", direct / pooling);
  }
  std::printf("  batch norm fprop + bprop                       median %8.3f ms (alone %.3f ms)\n", batchnorm * 1e3,
              batchnorm_alone * 1e3);
  if (spec.rfind("cpu", 0) == 0) {
    double direct = DirectOneDnnBatchNormSeconds(reps, blocked);
    std::printf("  oneDNN batch norm directly (blocked)           median %8.3f ms\n", direct * 1e3);
    std::printf("batchnorm layer/oneDNN speed: %.2f\n", direct / batchnorm);
  }
  std::printf("CONV_STEP_SECONDS %.9f\nPOOL_STEP_SECONDS %.9f\nBN_STEP_SECONDS %.9f\n", layer, pooling, batchnorm);
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::bench::RunMain("conv_benchmark", neon::Main, argc, argv); }
