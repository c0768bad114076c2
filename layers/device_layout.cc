#include "layers/device_layout.h"

namespace neon {

namespace {

bool Eligible(const Shape& activation, int64_t block) { return activation.size() == 3 && activation[0] % block == 0; }

}  // namespace

void ChooseDeviceLayouts(const std::vector<std::shared_ptr<Layer>>& layers, bool allowed) {
  for (const auto& layer : layers) {
    layer->in_layout = ActivationLayout::kNeon;
    layer->out_layout = ActivationLayout::kNeon;
  }
  if (!allowed || layers.empty()) return;
  const int64_t block = layers.front()->be().device_layout_block(layers.front()->dtype());
  if (block <= 0) return;
  const size_t n = layers.size();
  size_t i = 0;
  while (i < n) {
    if (layers[i]->device_layout_role() != DeviceLayoutRole::kConverts) {
      ++i;
      continue;
    }
    // Extend the chain while the next layer can join; it ends at its last kConverts layer.
    size_t end = i, last = i;
    while (end + 1 < n && layers[end + 1]->device_layout_role() != DeviceLayoutRole::kNone &&
           Eligible(layers[end]->out_shape, block)) {
      ++end;
      if (layers[end]->device_layout_role() == DeviceLayoutRole::kConverts) last = end;
    }
    for (size_t b = i; b < last; ++b) {
      layers[b]->out_layout = ActivationLayout::kDevice;
      layers[b + 1]->in_layout = ActivationLayout::kDevice;
    }
    i = end + 1;  // a chain starting inside this run would stop where it stopped
  }
}

}  // namespace neon
