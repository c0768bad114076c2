#include "layers/model_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "graph/random_stream.h"

namespace neon {

namespace {

constexpr const char* kOptimizerPrefix = "optimizer.";
// Limits on what a description may build before anything is allocated.
constexpr int64_t kMaxActivationFeatures = int64_t{1} << 24;
constexpr int64_t kMaxWeightElements = int64_t{1} << 28;

SafetensorsTensor ToHost(const Tensor& tensor) {
  return {tensor.dtype() == DType::kFloat64 ? "F64" : "F32", tensor.shape(), tensor.get<double>()};
}

uint64_t ParseCount(const std::map<std::string, std::string>& metadata, const std::string& key,
                    const std::string& path) {
  auto found = metadata.find(key);
  if (found == metadata.end()) throw IoError(path + ": model file has no \"" + key + "\" in its metadata");
  const std::string& text = found->second;
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw IoError(path + ": metadata \"" + key + "\" must be a decimal count, got '" + text + "'");
  }
  return std::stoull(text);
}

// A count that files written before mid-epoch checkpoints lack: absent means 0.
uint64_t ParseOptionalCount(const std::map<std::string, std::string>& metadata, const std::string& key,
                            const std::string& path) {
  return metadata.count(key) != 0 ? ParseCount(metadata, key, path) : 0;
}

double ParseOptionalReal(const std::map<std::string, std::string>& metadata, const std::string& key,
                         const std::string& path) {
  auto found = metadata.find(key);
  if (found == metadata.end()) return 0.0;
  const std::string& text = found->second;
  char* end = nullptr;
  double value = text.empty() || text.size() > 40 ? NAN : std::strtod(text.c_str(), &end);
  if (!std::isfinite(value) || end != text.c_str() + text.size()) {
    throw IoError(path + ": metadata \"" + key + "\" must be a finite number, got '" + text + "'");
  }
  return value;
}

Json ParseJson(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path) {
  auto found = metadata.find(key);
  if (found == metadata.end()) throw IoError(path + ": model file has no \"" + key + "\" in its metadata");
  Json value = Json::parse(found->second, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) throw IoError(path + ": metadata \"" + key + "\" is not a JSON object");
  return value;
}

// The file's tensor `name` for `target`: present, of target's shape.
const SafetensorsTensor& Matching(const ModelFile& file, const std::string& name, const Tensor& target) {
  auto found = file.tensors.find(name);
  if (found == file.tensors.end()) throw IoError(file.path + ": has no tensor '" + name + "' that the model needs");
  if (found->second.shape != target.shape()) {
    throw IoError(file.path + ": tensor '" + name + "' has shape " + ShapeString(found->second.shape) +
                  " but the model's is " + ShapeString(target.shape()));
  }
  return found->second;
}

// Checks every pair first, then copies: a failure changes nothing.
void CopyAll(const ModelFile& file, const std::vector<std::pair<std::string, Tensor>>& targets) {
  std::vector<const SafetensorsTensor*> sources;
  for (const auto& [name, tensor] : targets) sources.push_back(&Matching(file, name, tensor));
  for (size_t i = 0; i < targets.size(); ++i) {
    Tensor target = targets[i].second;
    target.set(sources[i]->values);
  }
}

// Activation and weight sizes of a configured model, bounded before allocate.
void CheckSizes(const std::vector<std::shared_ptr<Layer>>& layers, const std::string& path) {
  for (const auto& layer : layers) {
    if (FeatureSize(layer->out_shape) > kMaxActivationFeatures) {
      throw IoError(path + ": layer '" + layer->name + "' would output " + ShapeString(layer->out_shape) +
                    " features per sample (more than 2^24)");
    }
    auto* parameter_layer = dynamic_cast<ParameterLayer*>(layer.get());
    if (parameter_layer != nullptr && FeatureSize(parameter_layer->weight_shape) > kMaxWeightElements) {
      throw IoError(path + ": layer '" + layer->name + "' would have weights " +
                    ShapeString(parameter_layer->weight_shape) + " (more than 2^28 elements)");
    }
  }
}

}  // namespace

void SaveModel(const std::string& path, Model& model, const Optimizer* optimizer, const ModelFile& file) {
  SafetensorsFile out;
  for (const Param& param : model.params()) out.tensors[param.name] = ToHost(param.W);
  for (const Param& state : model.states()) out.tensors[state.name] = ToHost(state.W);
  if (optimizer != nullptr) {
    for (const Param& state : optimizer->states()) out.tensors[kOptimizerPrefix + state.name] = ToHost(state.W);
  }
  RandomRange position = ReserveRandom(model.backend(), 0);
  out.metadata = {{"format", kModelFileFormat},
                  {"model", file.description.dump()},
                  {"training", file.training.is_object() ? file.training.dump() : "{}"},
                  {"epoch", std::to_string(file.epoch)},
                  {"rng_seed", std::to_string(position.seed)},
                  {"rng_position", std::to_string(position.first)},
                  {"optimizer_steps", std::to_string(optimizer != nullptr ? optimizer->step_count() : 0)}};
  if (file.minibatch > 0) {
    char sum[40];
    std::snprintf(sum, sizeof(sum), "%.17g", file.epoch_cost_sum);  // 17 digits: the double exactly
    out.metadata["minibatch"] = std::to_string(file.minibatch);
    out.metadata["epoch_cost_sum"] = sum;
  }
  WriteFileAtomically(path, EncodeSafetensors(out));
}

ModelFile ReadModelFile(const std::string& path) {
  SafetensorsFile raw = DecodeSafetensors(ReadWholeFile(path), path);
  auto format = raw.metadata.find("format");
  if (format == raw.metadata.end() || format->second != kModelFileFormat) {
    throw IoError(path + ": a safetensors file but not a neon-cpp model (metadata \"format\" is not \"" +
                  kModelFileFormat + "\")");
  }
  ModelFile file;
  file.path = path;
  file.description = ParseJson(raw.metadata, "model", path);
  file.training = ParseJson(raw.metadata, "training", path);
  uint64_t epoch = ParseCount(raw.metadata, "epoch", path);
  if (epoch > 1000000) throw IoError(path + ": epoch " + std::to_string(epoch) + " is not plausible");
  file.epoch = static_cast<int>(epoch);
  file.rng_seed = ParseCount(raw.metadata, "rng_seed", path);
  file.rng_position = ParseCount(raw.metadata, "rng_position", path);
  file.optimizer_steps = static_cast<int64_t>(ParseCount(raw.metadata, "optimizer_steps", path));
  uint64_t minibatch = ParseOptionalCount(raw.metadata, "minibatch", path);
  if (minibatch > (uint64_t{1} << 40)) throw IoError(path + ": minibatch " + std::to_string(minibatch) + " is not plausible");
  file.minibatch = static_cast<int64_t>(minibatch);
  file.epoch_cost_sum = ParseOptionalReal(raw.metadata, "epoch_cost_sum", path);
  file.tensors = std::move(raw.tensors);
  return file;
}

void LoadWeights(const ModelFile& file, Model& model) {
  std::vector<std::pair<std::string, Tensor>> targets;
  for (const Param& param : model.params()) targets.push_back({param.name, param.W});
  for (const Param& state : model.states()) targets.push_back({state.name, state.W});
  CopyAll(file, targets);
}

std::unique_ptr<Model> BuildModel(const ModelFile& file, Backend& backend, int64_t batch_size, DType dtype) {
  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<Model>(backend, BuildLayers(file.description), dtype);
    model->configure(InputShapeOf(file.description), batch_size);
  } catch (const ArgumentError& error) {
    throw IoError(file.path + ": " + error.what());
  } catch (const ShapeError& error) {
    throw IoError(file.path + ": " + error.what());
  }
  CheckSizes(model->layers(), file.path);
  model->allocate();
  LoadWeights(file, *model);
  return model;
}

void LoadOptimizerState(const ModelFile& file, Model& model, Optimizer& optimizer) {
  optimizer.InitStates(model.params());
  std::vector<std::pair<std::string, Tensor>> targets;
  for (const Param& state : optimizer.states()) targets.push_back({kOptimizerPrefix + state.name, state.W});
  CopyAll(file, targets);
  optimizer.set_step_count(file.optimizer_steps);
}

void RestoreRandomStream(const ModelFile& file, Backend& backend) {
  SetSeed(backend, file.rng_seed);
  ReserveRandom(backend, file.rng_position);
}

}  // namespace neon
