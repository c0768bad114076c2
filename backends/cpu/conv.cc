#include "backends/cpu/conv.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/onednn_layout.h"
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

memory::desc Any(const memory::dims& dims) { return memory::desc(dims, memory::data_type::f32, Tag::any); }

// One cached pass: the primitive, and buffers in its layouts for the operands that differ
// from the caller's (reordered in before and out after each call; made on first need).
struct Entry {
  dnnl::primitive primitive;
  memory::desc weights_user;                       // neon's (K, C, R, S)
  memory::desc src_prim, weights_prim, dst_prim;   // the primitive's
  memory src_buffer, weights_buffer, dst_buffer;
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
    entry.weights_user = memory::desc(weights_dims, memory::data_type::f32, Tag::oihw);
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

namespace {

memory::desc Src(const ConvArgs& args) {
  const ConvGeometry& g = args.geometry;
  return ActivationDesc(args.src_layout, g.n, g.c, g.h, g.w);
}
memory::desc Dst(const ConvArgs& args) {
  const ConvGeometry& g = args.geometry;
  return ActivationDesc(args.dst_layout, g.n, g.k, g.p, g.q);
}

// One call of the cached passes, each operand reordered only where the caller's layout
// is not the primitive's.
class Execution {
 public:
  explicit Execution(dnnl::engine& engine) : io_(engine) {}

  void Fprop(Entry& e, const ConvArgs& args) {
    const memory::desc dst_user = Dst(args);
    memory src = io_.In(Src(args), args.src, e.src_prim, e.src_buffer);
    memory weights = io_.In(e.weights_user, args.filter, e.weights_prim, e.weights_buffer);
    memory dst = io_.OutTarget(dst_user, args.dst, e.dst_prim, e.dst_buffer);
    e.primitive.execute(io_.stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    io_.Out(dst, dst_user, args.dst);
  }
  // diff_dst: the output gradient already in the primitive's layout.
  void BpropData(Entry& e, const ConvArgs& args, const memory& diff_dst) {
    const memory::desc src_user = Src(args);
    memory weights = io_.In(e.weights_user, args.filter, e.weights_prim, e.weights_buffer);
    memory diff_src = io_.OutTarget(src_user, args.src, e.src_prim, e.src_buffer);
    e.primitive.execute(io_.stream(),
                        {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, diff_src}});
    io_.Out(diff_src, src_user, args.src);
  }
  void BpropFilter(Entry& e, const ConvArgs& args, const memory& diff_dst) {
    memory src = io_.In(Src(args), args.src, e.src_prim, e.src_buffer);
    memory diff_weights = io_.OutTarget(e.weights_user, args.filter, e.weights_prim, e.weights_buffer);
    e.primitive.execute(io_.stream(),
                        {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_weights}});
    io_.Out(diff_weights, e.weights_user, args.filter);
  }
  memory DiffDst(Entry& e, const ConvArgs& args) { return io_.In(Dst(args), args.dst, e.dst_prim, e.dst_buffer); }

  void Wait() { io_.Wait(); }

 private:
  ReorderingStream io_;
};

bool SameGeometry(const ConvGeometry& a, const ConvGeometry& b) {
  return Key(a, ConvPass::kFprop) == Key(b, ConvPass::kFprop);
}

}  // namespace

void ConvPrimitives::Run(const ConvArgs& args, ConvPass pass, int num_threads) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  OmpThreadsScope threads(num_threads);
  try {
    Entry& entry = impl_->Find(args.geometry, pass);
    Execution execution(impl_->engine);
    switch (pass) {
      case ConvPass::kFprop:
        execution.Fprop(entry, args);
        break;
      case ConvPass::kBpropData:
        execution.BpropData(entry, args, execution.DiffDst(entry, args));
        break;
      case ConvPass::kBpropFilter:
        execution.BpropFilter(entry, args, execution.DiffDst(entry, args));
        break;
    }
    execution.Wait();
  } catch (const dnnl::error& error) {
    throw BackendError(std::string("cpu backend: oneDNN convolution failed: ") + error.what());
  }
}

void ConvPrimitives::RunBackward(const ConvArgs& filter_args, const ConvArgs& data_args, int num_threads) {
  const bool shared = SameGeometry(filter_args.geometry, data_args.geometry) &&
                      filter_args.dst.buffer == data_args.dst.buffer && filter_args.dst.offset == data_args.dst.offset &&
                      filter_args.dst_layout == data_args.dst_layout;
  if (!shared) {
    Run(filter_args, ConvPass::kBpropFilter, num_threads);
    Run(data_args, ConvPass::kBpropData, num_threads);
    return;
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  OmpThreadsScope threads(num_threads);
  try {
    // Find evicts the least recently used entry: the second lookup of data is a hit, so both stay.
    impl_->Find(data_args.geometry, ConvPass::kBpropData);
    Entry& filter_entry = impl_->Find(filter_args.geometry, ConvPass::kBpropFilter);
    Entry& data_entry = impl_->Find(data_args.geometry, ConvPass::kBpropData);
    Execution execution(impl_->engine);
    memory diff_dst = execution.DiffDst(filter_entry, filter_args);
    execution.BpropFilter(filter_entry, filter_args, diff_dst);
    // The gradient is reordered once when both passes read it in the same layout.
    if (data_entry.dst_prim != filter_entry.dst_prim) diff_dst = execution.DiffDst(data_entry, data_args);
    execution.BpropData(data_entry, data_args, diff_dst);
    execution.Wait();
  } catch (const dnnl::error& error) {
    throw BackendError(std::string("cpu backend: oneDNN convolution failed: ") + error.what());
  }
}

}  // namespace neon::cpu
