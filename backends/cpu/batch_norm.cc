#include "backends/cpu/batch_norm.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "backends/cpu/gemm.h"
#include "backends/cpu/host_access.h"
#include "backends/cpu/onednn_layout.h"
#include "backends/host_ops.h"
#include "core/error.h"
#include "core/lru_map.h"

namespace neon::cpu {

namespace {

using dnnl::memory;

constexpr size_t kMaxCachedPrimitives = 64;

enum class Pass : int { kTraining, kInference, kBackward };

std::string Key(const BatchNormArgs& args, Pass pass) {
  uint64_t epsilon_bits;
  std::memcpy(&epsilon_bits, &args.epsilon, sizeof(epsilon_bits));
  return std::to_string(args.channels) + "," + std::to_string(args.elements) + "," + std::to_string(epsilon_bits) +
         "," + std::to_string(static_cast<int>(pass)) + "," + std::to_string(static_cast<int>(args.layout)) + "," +
         std::to_string(args.batch);
}

// float64 (oneDNN has none): the reference loops straight on host memory.
void RunFloat64(const BatchNormArgs& args, bool bprop) {
  auto p = [](const BufferRef& ref) { return HostPointer<double>(ref); };
  if (bprop) {
    host_ops::BatchNormBprop(args, p(args.src), p(args.gamma), p(args.mean), p(args.var), p(args.diff_dst),
                             p(args.diff_src), p(args.diff_gamma), p(args.diff_beta));
  } else {
    host_ops::BatchNormFprop(args, p(args.src), p(args.gamma), p(args.beta), p(args.mean), p(args.var), p(args.dst));
  }
}

}  // namespace

struct BatchNormPrimitives::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;  // guards the cache; a pass runs under it like the conv primitives
  LruMap<std::string, dnnl::primitive> primitives{kMaxCachedPrimitives};

  dnnl::primitive Create(const BatchNormArgs& args, Pass pass) {
    memory::desc data = Data(args);
    auto epsilon = static_cast<float>(args.epsilon);
    auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    if (pass == Pass::kInference) {
      dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data, epsilon,
                                                   flags | dnnl::normalization_flags::use_global_stats);
      return dnnl::batch_normalization_forward({desc, engine});
    }
    dnnl::batch_normalization_forward::desc forward(dnnl::prop_kind::forward_training, data, epsilon, flags);
    dnnl::batch_normalization_forward::primitive_desc forward_pd(forward, engine);
    if (pass == Pass::kTraining) return dnnl::batch_normalization_forward(forward_pd);
    dnnl::batch_normalization_backward::desc backward(dnnl::prop_kind::backward, data, data, epsilon, flags);
    return dnnl::batch_normalization_backward({backward, engine, forward_pd});
  }

  // (C, E) as oneDNN's plain (1, C, 1, E): no reorder, and its optimised kernel for plain
  // layouts. The device layout: (N, C, H * W, 1) channel-blocked, as the convolutions leave it.
  static memory::desc Data(const BatchNormArgs& args) {
    if (args.layout == ActivationLayout::kDevice) {
      return ActivationDesc(ActivationLayout::kDevice, args.batch, args.channels, args.elements / args.batch, 1);
    }
    return memory::desc({1, args.channels, 1, args.elements}, memory::data_type::f32, memory::format_tag::nchw);
  }
  static memory::desc PerChannel(const BatchNormArgs& args) {
    return memory::desc({args.channels}, memory::data_type::f32, memory::format_tag::a);
  }
};

BatchNormPrimitives::BatchNormPrimitives() : impl_(std::make_unique<Impl>()) {}
BatchNormPrimitives::~BatchNormPrimitives() = default;

void BatchNormPrimitives::Run(const BatchNormArgs& args, bool bprop, int num_threads) {
  if (args.dtype == DType::kFloat64) {
    RunFloat64(args, bprop);
    return;
  }
  Pass pass = bprop ? Pass::kBackward : args.inference ? Pass::kInference : Pass::kTraining;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  OmpThreadsScope threads(num_threads);
  try {
    std::string key = Key(args, pass);
    dnnl::primitive* primitive = impl_->primitives.Find(key);
    if (primitive == nullptr) primitive = &impl_->primitives.Insert(key, impl_->Create(args, pass));
    dnnl::engine& engine = impl_->engine;
    memory::desc data = Impl::Data(args), channel = Impl::PerChannel(args);
    auto activation = [&](const BufferRef& ref) { return memory(data, engine, HostPointer<float>(ref)); };
    auto per_channel = [&](const BufferRef& ref) { return memory(channel, engine, HostPointer<float>(ref)); };
    std::unordered_map<int, memory> operands = {
        {DNNL_ARG_SRC, activation(args.src)},     {DNNL_ARG_SCALE, per_channel(args.gamma)},
        {DNNL_ARG_MEAN, per_channel(args.mean)},  {DNNL_ARG_VARIANCE, per_channel(args.var)},
    };
    if (bprop) {
      operands.insert({{DNNL_ARG_DIFF_DST, activation(args.diff_dst)},
                       {DNNL_ARG_DIFF_SRC, activation(args.diff_src)},
                       {DNNL_ARG_DIFF_SCALE, per_channel(args.diff_gamma)},
                       {DNNL_ARG_DIFF_SHIFT, per_channel(args.diff_beta)},
                       {DNNL_ARG_SHIFT, per_channel(args.gamma)}});  // oneDNN 2.6 asks for it; backward never reads it
    } else {
      operands.insert({{DNNL_ARG_SHIFT, per_channel(args.beta)}, {DNNL_ARG_DST, activation(args.dst)}});
    }
    dnnl::stream stream(engine);
    primitive->execute(stream, operands);
    stream.wait();
  } catch (const dnnl::error& error) {
    throw BackendError(std::string("cpu backend: oneDNN batch normalization failed: ") + error.what());
  }
}

}  // namespace neon::cpu
