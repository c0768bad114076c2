#include "layers/layer_registry.h"

#include <functional>

#include "core/error.h"
#include "layers/basic_layers.h"
#include "layers/batch_norm.h"
#include "layers/conv_layers.h"

namespace neon {

namespace {

// Bounds a description read from a file may ask for: far above any model here,
// far below an allocation that takes the machine down.
constexpr int64_t kMaxUnits = int64_t{1} << 20;
constexpr int64_t kMaxWindow = 1024;

// The arguments of one layer description, checked as they are read.
class Args {
 public:
  Args(const Json& description, std::string kind) : description_(description), kind_(std::move(kind)) {}

  int64_t Integer(const char* key, int64_t low, int64_t high, std::optional<int64_t> fallback = {}) const {
    const Json* value = Find(key, fallback.has_value());
    if (value == nullptr) return *fallback;
    if (!value->is_number_integer()) Fail(key, "an integer");
    int64_t number = value->get<int64_t>();
    if (number < low || number > high) {
      Fail(key, "in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " + std::to_string(number));
    }
    return number;
  }

  double Number(const char* key, double low, double high, std::optional<double> fallback = {}) const {
    const Json* value = Find(key, fallback.has_value());
    if (value == nullptr) return *fallback;
    if (!value->is_number()) Fail(key, "a number");
    double number = value->get<double>();
    if (!(number >= low && number <= high)) Fail(key, "in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
    return number;
  }

  std::string String(const char* key, std::optional<std::string> fallback = {}) const {
    const Json* value = Find(key, fallback.has_value());
    if (value == nullptr) return *fallback;
    if (!value->is_string()) Fail(key, "a string");
    return value->get<std::string>();
  }

  // "init": "GlorotUniform" | "Xavier" | "Kaiming" | {"name": "Constant", "val": v}
  //         | {"name": "Uniform", "low": a, "high": b} | {"name": "Gaussian", "loc": m, "scale": s}
  std::shared_ptr<Initializer> Init(const char* key) const {
    const Json* value = Find(key, false);
    Json spec = value->is_string() ? Json{{"name", *value}} : *value;
    if (!spec.is_object()) Fail(key, "an initializer name or object");
    Args init(spec, kind_ + " " + key);
    std::string name = init.String("name");
    constexpr double kLimit = 1e30;
    if (name == "GlorotUniform") return std::make_shared<GlorotUniform>();
    if (name == "Xavier") return std::make_shared<Xavier>();
    if (name == "Kaiming") return std::make_shared<Kaiming>();
    if (name == "Constant") return std::make_shared<Constant>(init.Number("val", -kLimit, kLimit, 0.0));
    if (name == "Uniform") {
      return std::make_shared<Uniform>(init.Number("low", -kLimit, kLimit, 0.0), init.Number("high", -kLimit, kLimit, 1.0));
    }
    if (name == "Gaussian") {
      return std::make_shared<Gaussian>(init.Number("loc", -kLimit, kLimit, 0.0), init.Number("scale", 0.0, kLimit, 1.0));
    }
    Fail(key, "one of GlorotUniform, Xavier, Kaiming, Constant, Uniform, Gaussian, got '" + name + "'");
  }

  ConvOptions Conv(int64_t default_stride) const {
    ConvOptions options;
    options.stride_h = options.stride_w = Integer("stride", 1, kMaxWindow, default_stride);
    options.pad_h = options.pad_w = Integer("pad", 0, kMaxWindow, 0);
    options.dilation_h = options.dilation_w = Integer("dilation", 1, kMaxWindow, 1);
    return options;
  }

 private:
  const Json* Find(const char* key, bool optional) const {
    auto found = description_.find(key);
    if (found != description_.end()) return &*found;
    if (!optional) Fail(key, "present");
    return nullptr;
  }

  [[noreturn]] void Fail(const char* key, const std::string& expected) const {
    throw ArgumentError("layer description " + kind_ + ": argument '" + key + "' must be " + expected);
  }

  const Json& description_;
  std::string kind_;
};

using LayerFactory = std::function<std::shared_ptr<Layer>(const Args& args)>;

struct RegistryEntry {
  const char* kind;
  LayerFactory make;
};

const std::vector<RegistryEntry>& Registry() {
  static const std::vector<RegistryEntry> registry = {
      {"Linear", [](const Args& a) { return std::make_shared<Linear>(a.Integer("nout", 1, kMaxUnits), a.Init("init")); }},
      {"Bias", [](const Args& a) { return std::make_shared<Bias>(); }},
      {"Activation", [](const Args& a) { return std::make_shared<Activation>(MakeTransform(a.String("transform"))); }},
      {"BatchNorm",
       [](const Args& a) { return std::make_shared<BatchNorm>(a.Number("rho", 0.0, 1.0, 0.9), a.Number("eps", 0.0, 1.0, 1e-3)); }},
      {"Dropout", [](const Args& a) { return std::make_shared<Dropout>(a.Number("keep", 0.0, 1.0, 0.5)); }},
      {"Flatten", [](const Args& a) { return std::make_shared<Flatten>(); }},
      {"Conv",
       [](const Args& a) {
         return std::make_shared<Conv>(a.Integer("r", 1, kMaxWindow), a.Integer("s", 1, kMaxWindow),
                                       a.Integer("k", 1, kMaxUnits), a.Init("init"), a.Conv(1));
       }},
      {"Pooling",
       [](const Args& a) {
         int64_t r = a.Integer("r", 1, kMaxWindow);
         return std::make_shared<Pooling>(r, a.Integer("s", 1, kMaxWindow), a.String("op", "max"), a.Conv(r));
       }},
  };
  return registry;
}

std::string KindList() {
  std::string list;
  for (const std::string& kind : RegisteredLayerKinds()) list += (list.empty() ? "" : ", ") + kind;
  return list;
}

}  // namespace

std::vector<std::string> RegisteredLayerKinds() {
  std::vector<std::string> kinds;
  for (const RegistryEntry& entry : Registry()) kinds.push_back(entry.kind);
  return kinds;
}

std::shared_ptr<Layer> BuildLayer(const Json& description) {
  if (!description.is_object()) throw ArgumentError("layer description must be a JSON object, got " + description.dump());
  std::string kind = Args(description, "(no kind)").String("kind");
  for (const RegistryEntry& entry : Registry()) {
    if (kind == entry.kind) return entry.make(Args(description, kind));
  }
  throw ArgumentError("layer description: unknown kind '" + kind + "' (known: " + KindList() + ")");
}

std::vector<std::shared_ptr<Layer>> BuildLayers(const Json& model_description) {
  if (!model_description.is_object() || !model_description.contains("layers") ||
      !model_description["layers"].is_array() || model_description["layers"].empty()) {
    throw ArgumentError("model description must be an object with a non-empty array \"layers\"");
  }
  std::vector<std::shared_ptr<Layer>> layers;
  for (const Json& description : model_description["layers"]) layers.push_back(BuildLayer(description));
  return layers;
}

Shape InputShapeOf(const Json& model_description) {
  auto found = model_description.is_object() ? model_description.find("input_shape") : model_description.end();
  if (found == model_description.end() || !found->is_array() || found->empty() || found->size() > 3) {
    throw ArgumentError("model description: \"input_shape\" must be an array of 1 to 3 dimensions");
  }
  Shape shape;
  for (const Json& dim : *found) {
    if (!dim.is_number_integer() || dim.get<int64_t>() < 1 || dim.get<int64_t>() > kMaxUnits) {
      throw ArgumentError("model description: \"input_shape\" dimensions must be integers in [1, 2^20], got " +
                          found->dump());
    }
    shape.push_back(dim.get<int64_t>());
  }
  return shape;
}

}  // namespace neon
