// `neon train` and `neon eval`: a model from the zoo (or a checkpoint) trained on
// Fashion-MNIST (or any MNIST-format directory) on one backend, with progress,
// a checkpoint after every epoch and on Ctrl-C, a CSV log, and evaluation with a
// confusion matrix.
#pragma once

#include <cstdint>
#include <string>

namespace neon {

struct TrainOptions {
  std::string backend;           // backend spec
  std::string model = "convnet"; // zoo name (layers/model_zoo.h)
  int epochs = 2;                // total epochs (a resumed run continues up to this count)
  int64_t batch_size = 128;
  double lr = 0.001;
  std::string optimizer = "adam";  // adam | sgd | rmsprop | adagrad
  uint64_t seed = 1;
  std::string save;              // model / checkpoint file
  std::string data_dir;          // MNIST-format directory
  int64_t subset = 0;            // first N training and test images, 0 for all
  std::string resume;            // checkpoint to continue from, "" for a new run
  std::string log;               // CSV file, "" for none
  bool prefetch = true;          // a loader thread prepares the next minibatch during each step
};

struct EvalOptions {
  std::string backend;
  std::string load;
  std::string data_dir;
  int64_t batch_size = 128;
  int64_t subset = 0;
};

// Each returns the exit code; bad input throws a typed neon::Error.
int RunTrain(const TrainOptions& options);
int RunEval(const EvalOptions& options);

}  // namespace neon
