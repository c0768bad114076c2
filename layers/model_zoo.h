// The models `neon train --model` offers, as model descriptions for the layer
// registry (layers/layer_registry.h), so a model file carries them like any other.
#pragma once

#include <string>
#include <vector>

#include "layers/layer_registry.h"

namespace neon {

// "mlp": 784-512-256-10 with batchnorm, rectlin and dropout;
// "convnet": conv5x5(16)-bn-relu-pool2, conv5x5(32)-bn-relu-pool2, fc(128)-bn-relu-dropout, fc(nclass)-softmax.
// ArgumentError on an unknown name, listing the known ones.
Json ModelZooDescription(const std::string& name, const Shape& input_shape, int64_t nclass);
std::vector<std::string> ModelZooNames();

}  // namespace neon
