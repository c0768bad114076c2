#include "backends/cpu/conv.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/host_buffer.h"
#include "backends/host_ops.h"
#include "core/error.h"

namespace neon::cpu {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

constexpr size_t kMaxCachedPrimitives = 64;

std::string Key(const ConvGeometry& g, ConvPass pass) {
  std::string key;
  for (int64_t v : {g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.p, g.q, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
                    g.dilation_h, g.dilation_w}) {
    key += std::to_string(v) + ",";
  }
  return key + std::to_string(static_cast<int>(pass));
}

// neon's activations (C, H, W, N) as oneDNN's logical (N, C, H, W) with explicit strides.
memory::desc Activation(int64_t n, int64_t c, int64_t h, int64_t w) {
  return memory::desc({n, c, h, w}, memory::data_type::f32, memory::dims{1, h * w * n, w * n, n});
}

memory::desc Any(const memory::dims& dims) { return memory::desc(dims, memory::data_type::f32, Tag::any); }

// One cached pass: the primitive, and buffers in its layouts for the operands that differ
// from ours (reordered in before and out after each call).
struct Entry {
  dnnl::primitive primitive;
  memory::desc src_user, weights_user, dst_user;   // neon's layouts
  memory::desc src_prim, weights_prim, dst_prim;   // the primitive's
  memory src_buffer, weights_buffer, dst_buffer;   // used when the layouts differ
};

}  // namespace

struct ConvPrimitives::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;  // one pass at a time: entries own their reorder buffers
  std::list<std::pair<std::string, Entry>> entries;  // most recently used first
  std::unordered_map<std::string, std::list<std::pair<std::string, Entry>>::iterator> index;

  Entry Create(const ConvGeometry& g, ConvPass pass) {
    memory::dims src_dims = {g.n, g.c, g.h, g.w};
    memory::dims weights_dims = {g.k, g.c, g.r, g.s};
    memory::dims dst_dims = {g.n, g.k, g.p, g.q};
    memory::dims strides = {g.stride_h, g.stride_w};
    memory::dims dilates = {g.dilation_h - 1, g.dilation_w - 1};  // oneDNN counts the gaps
    memory::dims padding = {g.pad_h, g.pad_w};
    dnnl::convolution_forward::desc forward(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                            Any(src_dims), Any(weights_dims), Any(dst_dims), strides, dilates,
                                            padding, padding);
    dnnl::convolution_forward::primitive_desc forward_pd(forward, engine);
    Entry entry;
    entry.src_user = Activation(g.n, g.c, g.h, g.w);
    entry.weights_user = memory::desc(weights_dims, memory::data_type::f32, Tag::oihw);
    entry.dst_user = Activation(g.n, g.k, g.p, g.q);
    switch (pass) {
      case ConvPass::kFprop:
        entry.primitive = dnnl::convolution_forward(forward_pd);
        entry.src_prim = forward_pd.src_desc();
        entry.weights_prim = forward_pd.weights_desc();
        entry.dst_prim = forward_pd.dst_desc();
        break;
      case ConvPass::kBpropData: {
        dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, Any(src_dims),
                                                   Any(weights_dims), Any(dst_dims), strides, dilates, padding, padding);
        dnnl::convolution_backward_data::primitive_desc pd(desc, engine, forward_pd);
        entry.primitive = dnnl::convolution_backward_data(pd);
        entry.src_prim = pd.diff_src_desc();
        entry.weights_prim = pd.weights_desc();
        entry.dst_prim = pd.diff_dst_desc();
        break;
      }
      case ConvPass::kBpropFilter: {
        dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, Any(src_dims),
                                                      Any(weights_dims), Any(dst_dims), strides, dilates, padding,
                                                      padding);
        dnnl::convolution_backward_weights::primitive_desc pd(desc, engine, forward_pd);
        entry.primitive = dnnl::convolution_backward_weights(pd);
        entry.src_prim = pd.src_desc();
        entry.weights_prim = pd.diff_weights_desc();
        entry.dst_prim = pd.diff_dst_desc();
        break;
      }
    }
    if (entry.src_prim != entry.src_user) entry.src_buffer = memory(entry.src_prim, engine);
    if (entry.weights_prim != entry.weights_user) entry.weights_buffer = memory(entry.weights_prim, engine);
    if (entry.dst_prim != entry.dst_user) entry.dst_buffer = memory(entry.dst_prim, engine);
    return entry;
  }

  Entry& Find(const ConvGeometry& g, ConvPass pass) {
    std::string key = Key(g, pass);
    auto found = index.find(key);
    if (found != index.end()) {
      entries.splice(entries.begin(), entries, found->second);
      return entries.front().second;
    }
    entries.emplace_front(key, Create(g, pass));
    index[key] = entries.begin();
    if (entries.size() > kMaxCachedPrimitives) {
      index.erase(entries.back().first);
      entries.pop_back();
    }
    return entries.front().second;
  }
};

ConvPrimitives::ConvPrimitives() : impl_(std::make_unique<Impl>()) {}
ConvPrimitives::~ConvPrimitives() = default;

void ConvPrimitives::Run(const ConvArgs& args, ConvPass pass, int num_threads) {
  auto pointer = [](const BufferRef& ref) {
    return reinterpret_cast<float*>(HostBuffer::Data(ref.buffer)) + ref.offset;
  };
  std::lock_guard<std::mutex> lock(impl_->mutex);
  OmpThreadsScope threads(num_threads);
  try {
    Entry& entry = impl_->Find(args.geometry, pass);
    dnnl::engine& engine = impl_->engine;
    dnnl::stream stream(engine);
    memory src_user(entry.src_user, engine, pointer(args.src));
    memory weights_user(entry.weights_user, engine, pointer(args.filter));
    memory dst_user(entry.dst_user, engine, pointer(args.dst));
    // The primitive's view of each operand: ours, or its reorder buffer.
    memory src = entry.src_buffer ? entry.src_buffer : src_user;
    memory weights = entry.weights_buffer ? entry.weights_buffer : weights_user;
    memory dst = entry.dst_buffer ? entry.dst_buffer : dst_user;
    auto reorder_in = [&](memory& user, memory& prim) {
      if (prim != user) dnnl::reorder(user, prim).execute(stream, user, prim);
    };
    auto reorder_out = [&](memory& prim, memory& user) {
      if (prim != user) dnnl::reorder(prim, user).execute(stream, prim, user);
    };
    switch (pass) {
      case ConvPass::kFprop:
        reorder_in(src_user, src);
        reorder_in(weights_user, weights);
        entry.primitive.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
        reorder_out(dst, dst_user);
        break;
      case ConvPass::kBpropData:
        reorder_in(dst_user, dst);
        reorder_in(weights_user, weights);
        entry.primitive.execute(stream,
                                {{DNNL_ARG_DIFF_DST, dst}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, src}});
        reorder_out(src, src_user);
        break;
      case ConvPass::kBpropFilter:
        reorder_in(src_user, src);
        reorder_in(dst_user, dst);
        entry.primitive.execute(stream,
                                {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dst}, {DNNL_ARG_DIFF_WEIGHTS, weights}});
        reorder_out(weights, weights_user);
        break;
    }
    stream.wait();
  } catch (const dnnl::error& error) {
    throw BackendError(std::string("cpu backend: oneDNN convolution failed: ") + error.what());
  }
}

}  // namespace neon::cpu
