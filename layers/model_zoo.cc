#include "layers/model_zoo.h"

#include "core/error.h"

namespace neon {

namespace {

// Linear, then batchnorm (whose beta is the bias), rectlin, and dropout when keep < 1.
void AppendHidden(Json& layers, int64_t nout, double keep) {
  layers.push_back({{"kind", "Linear"}, {"nout", nout}, {"init", "Kaiming"}});
  layers.push_back({{"kind", "BatchNorm"}});
  layers.push_back({{"kind", "Activation"}, {"transform", "Rectlin"}});
  if (keep < 1.0) layers.push_back({{"kind", "Dropout"}, {"keep", keep}});
}

void AppendConvBlock(Json& layers, int64_t filters) {
  layers.push_back({{"kind", "Conv"}, {"r", 5}, {"s", 5}, {"k", filters}, {"pad", 2}, {"init", "Kaiming"}});
  layers.push_back({{"kind", "BatchNorm"}});
  layers.push_back({{"kind", "Activation"}, {"transform", "Rectlin"}});
  layers.push_back({{"kind", "Pooling"}, {"r", 2}, {"s", 2}, {"op", "max"}});
}

void AppendClassifier(Json& layers, int64_t nclass) {
  layers.push_back({{"kind", "Linear"}, {"nout", nclass}, {"init", "GlorotUniform"}});
  layers.push_back({{"kind", "Bias"}});
  layers.push_back({{"kind", "Activation"}, {"transform", "Softmax"}});
}

}  // namespace

std::vector<std::string> ModelZooNames() { return {"mlp", "convnet"}; }

Json ModelZooDescription(const std::string& name, const Shape& input_shape, int64_t nclass) {
  Json layers = Json::array();
  if (name == "mlp") {
    AppendHidden(layers, 512, 0.8);
    AppendHidden(layers, 256, 0.8);
  } else if (name == "convnet") {
    AppendConvBlock(layers, 16);
    AppendConvBlock(layers, 32);
    layers.push_back({{"kind", "Flatten"}});
    AppendHidden(layers, 128, 0.5);
  } else {
    throw ArgumentError("unknown model '" + name + "' (known: mlp, convnet)");
  }
  AppendClassifier(layers, nclass);
  return {{"input_shape", input_shape}, {"layers", layers}};
}

}  // namespace neon
