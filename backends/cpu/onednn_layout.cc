#include "backends/cpu/onednn_layout.h"

#include "backends/cpu/host_access.h"

namespace neon::cpu {

using dnnl::memory;

int64_t DeviceLayoutBlock() {
  static const int64_t block = [] {
    auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    return (isa & avx512) == avx512 ? 16 : 8;
  }();
  return block;
}

memory::desc ActivationDesc(ActivationLayout layout, int64_t n, int64_t c, int64_t h, int64_t w) {
  if (layout == ActivationLayout::kDevice) {
    auto tag = DeviceLayoutBlock() == 16 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c;
    return memory::desc({n, c, h, w}, memory::data_type::f32, tag);
  }
  return memory::desc({n, c, h, w}, memory::data_type::f32, memory::dims{1, h * w * n, w * n, n});
}

memory ReorderingStream::In(const memory::desc& user, const BufferRef& ref, const memory::desc& prim,
                            memory& scratch) {
  memory given(user, engine_, HostPointer<float>(ref));
  if (prim == user) return given;
  if (!scratch) scratch = memory(prim, engine_);
  dnnl::reorder(given, scratch).execute(stream_, given, scratch);
  return scratch;
}

memory ReorderingStream::OutTarget(const memory::desc& user, const BufferRef& ref, const memory::desc& prim,
                                   memory& scratch) {
  if (prim == user) return memory(user, engine_, HostPointer<float>(ref));
  if (!scratch) scratch = memory(prim, engine_);
  return scratch;
}

void ReorderingStream::Out(memory written, const memory::desc& user, const BufferRef& ref) {
  if (written.get_desc() == user) return;
  memory target(user, engine_, HostPointer<float>(ref));
  dnnl::reorder(written, target).execute(stream_, written, target);
}

}  // namespace neon::cpu
