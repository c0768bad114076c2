#include "tools/train.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "backends/registry.h"
#include "data/dataset.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "layers/model_file.h"
#include "layers/model_zoo.h"

namespace neon {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t interrupted = 0;

// Thrown by the progress callback after Ctrl-C: fit stops between minibatches. Where
// the run stopped: completed epochs and minibatches completed of the next one.
struct Interrupted {
  int epoch;
  int64_t minibatch;
};

// Only sets the flag: a second Ctrl-C while a checkpoint is written changes nothing.
void OnInterrupt(int) { interrupted = 1; }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name, double lr) {
  if (!(lr > 0.0 && lr < 100.0)) throw ArgumentError("--lr must be in (0, 100), got " + std::to_string(lr));
  if (name == "adam") return std::make_unique<Adam>(lr);
  if (name == "sgd") {
    GDMOptions momentum;
    momentum.momentum_coef = 0.9;
    return std::make_unique<GradientDescentMomentum>(lr, momentum);
  }
  if (name == "rmsprop") return std::make_unique<RMSProp>(lr);
  if (name == "adagrad") return std::make_unique<Adagrad>(lr);
  throw ArgumentError("unknown optimizer '" + name + "' (known: adam, sgd, rmsprop, adagrad)");
}

// The settings a resumed run takes from its checkpoint.
Json TrainingSettings(const TrainOptions& options) {
  return {{"model", options.model},   {"optimizer", options.optimizer}, {"lr", options.lr},
          {"batch_size", options.batch_size}, {"seed", options.seed},     {"subset", options.subset}};
}

void ApplySettings(const Json& training, const std::string& path, TrainOptions& options) {
  try {
    options.model = training.at("model").get<std::string>();
    options.optimizer = training.at("optimizer").get<std::string>();
    options.lr = training.at("lr").get<double>();
    options.batch_size = training.at("batch_size").get<int64_t>();
    options.seed = training.at("seed").get<uint64_t>();
    options.subset = training.at("subset").get<int64_t>();
  } catch (const nlohmann::json::exception&) {
    throw IoError(path + ": the checkpoint's \"training\" settings are incomplete (a model file, not a checkpoint "
                         "of neon train?)");
  }
  if (options.batch_size < 1 || options.batch_size > 65536) {
    throw IoError(path + ": batch size " + std::to_string(options.batch_size) + " is not plausible");
  }
}

// Fraction of correct predictions and the confusion matrix [true][predicted].
struct Evaluation {
  double accuracy = 0.0;
  std::vector<std::vector<int64_t>> confusion;
};

Evaluation Evaluate(Model& model, const Dataset& test, int64_t batch_size, bool prefetch) {
  auto data = MakeIterator(model.backend(), test, batch_size, /*shuffle=*/false, 0, prefetch);
  std::vector<float> outputs = model.get_outputs(*data);
  int64_t nclass = test.nclass;
  Evaluation result;
  result.confusion.assign(static_cast<size_t>(nclass), std::vector<int64_t>(static_cast<size_t>(nclass), 0));
  int64_t correct = 0;
  for (int64_t i = 0; i < test.size(); ++i) {
    const float* row = outputs.data() + i * nclass;
    int64_t predicted = std::max_element(row, row + nclass) - row;
    int64_t truth = test.labels[static_cast<size_t>(i)];
    ++result.confusion[static_cast<size_t>(truth)][static_cast<size_t>(predicted)];
    correct += predicted == truth;
  }
  result.accuracy = static_cast<double>(correct) / static_cast<double>(test.size());
  return result;
}

// A progress bar on a terminal (rewritten in place), plain lines every 10% otherwise; the
// cost is read from the device only when shown. Stops the run on Ctrl-C after a minibatch
// (or before an epoch, when Ctrl-C came during the previous one's evaluation).
class Progress : public Callback {
 public:
  Progress(int64_t nbatches, int epochs) : nbatches_(nbatches), epochs_(epochs), terminal_(isatty(1) != 0) {}

  void on_epoch_begin(Model& model, int epoch) override {
    if (interrupted) throw Interrupted{epoch, 0};
    start_ = Clock::now();
    first_minibatch_ = -1;
  }

  void on_minibatch_end(Model& model, int epoch, int64_t minibatch) override {
    if (interrupted) throw Interrupted{epoch, minibatch + 1};
    // NEON_TEST_SLOW_STEPS=1 pauses after each minibatch, so a test's Ctrl-C lands inside an
    // epoch however fast the machine trains (tools/interrupt_test.sh).
    static const bool slow_steps = std::getenv("NEON_TEST_SLOW_STEPS") != nullptr;
    if (slow_steps) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    if (first_minibatch_ < 0) first_minibatch_ = minibatch;  // a resumed epoch starts inside
    int64_t done = minibatch + 1;
    int64_t every = terminal_ ? std::max<int64_t>(1, nbatches_ / 50) : std::max<int64_t>(1, nbatches_ / 10);
    if (done % every != 0 && done != nbatches_) return;
    double seconds = SecondsSince(start_);
    double rate = static_cast<double>(done - first_minibatch_) / std::max(seconds, 1e-9);
    double eta = static_cast<double>(nbatches_ - done) / rate;
    char line[200];
    if (terminal_) {
      int filled = static_cast<int>(30 * done / nbatches_);
      std::snprintf(line, sizeof(line), "\repoch %d/%d [%-30s] %lld/%lld  %.1f batches/s  cost %.4f  ETA %.0f s ",
                    epoch + 1, epochs_, std::string(static_cast<size_t>(filled), '=').c_str(),
                    static_cast<long long>(done), static_cast<long long>(nbatches_), rate, model.current_cost(), eta);
      std::cout << line << std::flush;
    } else {
      std::snprintf(line, sizeof(line), "epoch %d/%d  batch %lld/%lld  %.1f batches/s  cost %.4f  ETA %.0f s\n",
                    epoch + 1, epochs_, static_cast<long long>(done), static_cast<long long>(nbatches_), rate,
                    model.current_cost(), eta);
      std::cout << line << std::flush;
    }
  }

  void on_epoch_end(Model& model, int epoch) override {
    if (terminal_) std::cout << "\n";
  }

 private:
  int64_t nbatches_;
  int epochs_;
  bool terminal_;
  Clock::time_point start_;
  int64_t first_minibatch_ = -1;
};

// After every epoch: test accuracy, a checkpoint, a line of output and of the CSV log.
class EpochEnd : public Callback {
 public:
  EpochEnd(const Dataset& test, const TrainOptions& options, const Optimizer& optimizer, const ModelFile& file)
      : test_(test), options_(options), optimizer_(optimizer), file_(file) {
    if (!options.log.empty()) {
      bool append = !options.resume.empty();
      log_.open(options.log, append ? std::ios::app : std::ios::trunc);
      if (!log_) throw IoError(options.log + ": cannot open the log for writing");
      if (!append) log_ << "epoch,train_cost,test_accuracy,seconds\n" << std::flush;
    }
  }

  void on_epoch_begin(Model& model, int epoch) override { start_ = Clock::now(); }

  void on_epoch_end(Model& model, int epoch) override {
    double train_cost = model.epoch_cost();
    double train_seconds = SecondsSince(start_);
    accuracy_ = Evaluate(model, test_, options_.batch_size, options_.prefetch).accuracy;
    file_.epoch = epoch + 1;
    SaveModel(options_.save, model, &optimizer_, file_);
    char line[200];
    std::snprintf(line, sizeof(line), "epoch %d: train cost %.4f, test accuracy %.2f%%, %.1f s", epoch + 1,
                  train_cost, 100.0 * accuracy_, train_seconds);
    std::cout << line << " (saved " << options_.save << ")\n" << std::flush;
    if (log_.is_open()) {
      std::snprintf(line, sizeof(line), "%d,%.9g,%.6f,%.3f\n", epoch + 1, train_cost, accuracy_, train_seconds);
      log_ << line << std::flush;
    }
  }

  double accuracy() const { return accuracy_; }

 private:
  const Dataset& test_;
  const TrainOptions& options_;
  const Optimizer& optimizer_;
  ModelFile file_;
  std::ofstream log_;
  Clock::time_point start_;
  double accuracy_ = 0.0;
};

void PrintConfusion(const Evaluation& evaluation) {
  std::cout << "confusion matrix (rows: true class, columns: predicted):\n";
  for (const auto& row : evaluation.confusion) {
    for (int64_t count : row) std::cout << (count < 10000 ? std::string(6 - std::to_string(count).size(), ' ') : " ") << count;
    std::cout << "\n";
  }
}

}  // namespace

int RunTrain(const TrainOptions& requested) {
  TrainOptions options = requested;
  ModelFile checkpoint;
  if (!options.resume.empty()) {
    checkpoint = ReadModelFile(options.resume);
    ApplySettings(checkpoint.training, options.resume, options);
    if (options.save.empty()) options.save = options.resume;
  }
  if (options.epochs < 1 || options.epochs > 10000) {
    throw ArgumentError("--epochs must be in [1, 10000], got " + std::to_string(options.epochs));
  }
  if (options.batch_size < 1 || options.batch_size > 65536) {
    throw ArgumentError("--batch-size must be in [1, 65536], got " + std::to_string(options.batch_size));
  }
  std::unique_ptr<Optimizer> optimizer = MakeOptimizer(options.optimizer, options.lr);
  Dataset train = LoadMnist(options.data_dir, "train", options.subset);
  Dataset test = LoadMnist(options.data_dir, "test", options.subset);
  std::unique_ptr<Backend> backend = CreateBackend(options.backend);

  std::unique_ptr<Model> model;
  ModelFile file;
  FitStart start;
  if (!options.resume.empty()) {
    model = BuildModel(checkpoint, *backend, options.batch_size);
    LoadOptimizerState(checkpoint, *model, *optimizer);
    RestoreRandomStream(checkpoint, *backend);
    file = checkpoint;
    start = {checkpoint.epoch, checkpoint.minibatch, checkpoint.epoch_cost_sum};
    file.minibatch = 0;  // the checkpoints written from here on say where they were made
    file.epoch_cost_sum = 0.0;
    std::cout << "resuming " << options.resume << " after epoch " << start.epoch;
    if (start.minibatch > 0) std::cout << " and minibatch " << start.minibatch << " of epoch " << start.epoch + 1;
    std::cout << "\n";
  } else {
    SetSeed(*backend, options.seed);
    file.description = ModelZooDescription(options.model, train.feature_shape, train.nclass);
    model = std::make_unique<Model>(*backend, BuildLayers(file.description));
  }
  file.training = TrainingSettings(options);
  if (start.epoch >= options.epochs) {
    std::cout << options.resume << " already has " << start.epoch << " epochs (--epochs " << options.epochs << ")\n";
    return 0;
  }
  std::cout << "training " << options.model << " on " << backend->info().name << ": " << train.size()
            << " images, " << test.size() << " test images, batch " << options.batch_size << ", "
            << optimizer->describe() << ", epochs " << start.epoch + 1 << ".." << options.epochs << "\n";

  auto train_data = MakeIterator(*backend, train, options.batch_size, /*shuffle=*/true, options.seed, options.prefetch);
  if (start.minibatch > train_data->nbatches()) {
    throw IoError(options.resume + ": stopped after minibatch " + std::to_string(start.minibatch) +
                  " but an epoch of this data has " + std::to_string(train_data->nbatches()));
  }
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  Progress progress(train_data->nbatches(), options.epochs);
  EpochEnd epoch_end(test, options, *optimizer, file);
  interrupted = 0;
  auto previous = std::signal(SIGINT, OnInterrupt);
  Clock::time_point start_time = Clock::now();
  try {
    model->fit_from(*train_data, cost, *optimizer, options.epochs, {&progress, &epoch_end}, start);
  } catch (const Interrupted& at) {
    // Saved with the handler still installed: another Ctrl-C only sets the flag again.
    file.epoch = at.epoch;
    file.minibatch = at.minibatch;
    file.epoch_cost_sum = at.minibatch > 0 ? model->epoch_cost_sum() : 0.0;
    SaveModel(options.save, *model, optimizer.get(), file);
    std::cout << "\ninterrupted after " << at.epoch << " epochs and " << at.minibatch << " minibatches: saved "
              << options.save << "; continue with --resume " << options.save << "\n" << std::flush;
    std::signal(SIGINT, previous);  // only now: a Ctrl-C from here on ends a run whose file is complete
    return 130;
  }
  std::signal(SIGINT, previous);
  char line[160];
  std::snprintf(line, sizeof(line), "done: test accuracy %.2f%% after %d epochs, %.1f s", 100.0 * epoch_end.accuracy(),
                options.epochs, SecondsSince(start_time));
  std::cout << line << "; model saved to " << options.save << "\n";
  return 0;
}

int RunEval(const EvalOptions& options) {
  ModelFile file = ReadModelFile(options.load);
  if (options.batch_size < 1 || options.batch_size > 65536) {
    throw ArgumentError("--batch-size must be in [1, 65536], got " + std::to_string(options.batch_size));
  }
  Dataset test = LoadMnist(options.data_dir, "test", options.subset);
  std::unique_ptr<Backend> backend = CreateBackend(options.backend);
  std::unique_ptr<Model> model = BuildModel(file, *backend, options.batch_size);
  Evaluation evaluation = Evaluate(*model, test, options.batch_size, /*prefetch=*/true);
  char line[80];
  std::snprintf(line, sizeof(line), "test accuracy %.2f%% (%lld images)\n", 100.0 * evaluation.accuracy,
                static_cast<long long>(test.size()));
  std::cout << options.load << " on " << backend->info().name << ": " << line;
  PrintConfusion(evaluation);
  return 0;
}

}  // namespace neon
