// Device-layout chains. A backend may have its own layout for conv activations
// (Backend::device_layout_block, ActivationLayout::kDevice: oneDNN's channel-blocked
// layout on cpu). Converting to and from it around every conv, pooling and batch-norm
// op costs about as much memory traffic as the ops themselves (docs/benchmarks.md), so a
// Sequential keeps the activations between two such layers in the device layout and
// converts only where a chain meets a layer that reads neon's layout.
//
// A chain is a run of consecutive layers of role kConverts or kPreserves whose inner
// activations are (C, H, W) with C a multiple of the block. It starts and ends with a
// kConverts layer (Conv, Pooling: their ops convert at either side); kPreserves layers
// (BatchNorm, elementwise Activation) only sit inside. Both layouts have the same size,
// so buffers do not change; `outputs` of a layer inside a chain hold the device layout.
#pragma once

#include <memory>
#include <vector>

#include "layers/layer.h"

namespace neon {

// Sets every layer's in_layout and out_layout: kDevice at the inner boundaries of each
// chain, kNeon elsewhere (everywhere when `allowed` is false or the backend has no layout).
void ChooseDeviceLayouts(const std::vector<std::shared_ptr<Layer>>& layers, bool allowed);

}  // namespace neon
