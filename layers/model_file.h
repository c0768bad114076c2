// Model files: one safetensors file (layers/safetensors.h) that carries
//   tensors   every parameter and non-trainable state by its name ("Conv_0.W",
//             "BatchNorm_1.gmean"), and the optimizer's state as "optimizer.<param>.<state>"
//   metadata  "format": "neon-cpp-model-1"; "model": the model description (JSON, the
//             layer registry's); "training": the settings a resume needs (JSON);
//             "epoch", "rng_seed", "rng_position", "optimizer_steps" (decimal strings);
//             a checkpoint written inside an epoch adds "minibatch" (decimal) and
//             "epoch_cost_sum" (the epoch's summed costs so far, %.17g)
// so it opens with the Python safetensors package and numpy, and any backend
// rebuilds the model from it. Written atomically; a bad file is an IoError naming it
// and what was wrong, and a failed load changes nothing.
#pragma once

#include <memory>
#include <string>

#include "layers/layer_registry.h"
#include "layers/model.h"
#include "layers/safetensors.h"

namespace neon {

inline constexpr const char* kModelFileFormat = "neon-cpp-model-1";

struct ModelFile {
  std::string path;         // where it was read from (for messages)
  Json description;         // {"input_shape": [...], "layers": [...]}
  Json training;            // free-form settings (optimizer, learning rate, batch size, seed, ...)
  int epoch = 0;            // epochs completed
  int64_t minibatch = 0;    // minibatches completed of the next epoch (a checkpoint made inside it)
  double epoch_cost_sum = 0.0;  // the sum of those minibatches' costs
  uint64_t rng_seed = 0;    // the backend's Philox stream: seed and position
  uint64_t rng_position = 0;
  int64_t optimizer_steps = 0;
  std::map<std::string, SafetensorsTensor> tensors;
};

// Writes `model` (and the optimizer's state, when given) with the rest of `file`'s fields;
// the backend's random stream position is read from the model's backend.
void SaveModel(const std::string& path, Model& model, const Optimizer* optimizer, const ModelFile& file);

// Reads and checks a model file (format, metadata, description); tensors are checked when loaded.
ModelFile ReadModelFile(const std::string& path);

// A new model on `backend` from the file's description, configured for `batch_size`,
// with the file's weights and states.
std::unique_ptr<Model> BuildModel(const ModelFile& file, Backend& backend, int64_t batch_size,
                                  DType dtype = DType::kFloat32);

// Copies the file's weights and states into `model`; checks every name and shape first.
void LoadWeights(const ModelFile& file, Model& model);
// Makes the optimizer's state for the model's parameters and copies the file's into it.
void LoadOptimizerState(const ModelFile& file, Model& model, Optimizer& optimizer);
// Restarts the backend's random stream where the file's stopped.
void RestoreRandomStream(const ModelFile& file, Backend& backend);

}  // namespace neon
