// The layer registry: a layer's kind -> a factory that builds it from its JSON
// description, so a model file can carry its architecture and any backend can
// rebuild it. A description is {"kind": "Conv", "r": 5, "s": 5, "k": 16, ...}; a
// model description is {"input_shape": [1, 28, 28], "layers": [ ... ]}.
//
// Descriptions come from files: every argument is checked (present, of its type,
// in range) and a bad one is an ArgumentError naming the layer and the argument.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace neon {

using Json = nlohmann::json;

// One layer from its description.
std::shared_ptr<Layer> BuildLayer(const Json& description);
// Every layer of a model description's "layers", in order.
std::vector<std::shared_ptr<Layer>> BuildLayers(const Json& model_description);
// The model description's "input_shape" (the feature shape of one sample).
Shape InputShapeOf(const Json& model_description);
// The kinds the registry builds, for messages and docs.
std::vector<std::string> RegisteredLayerKinds();

}  // namespace neon
