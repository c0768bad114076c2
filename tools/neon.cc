// The `neon` command line: device listing, the conformance check, training and
// evaluation (tools/train.h). Errors are one line on stderr and exit code 2.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

#include "backends/cpu/cpu_backend.h"
#include "backends/plugin.h"
#include "backends/registry.h"
#include "core/error.h"
#include "data/dataset.h"
#include "tools/check.h"
#include "tools/plot.h"
#include "tools/train.h"

namespace neon {
namespace {

std::string FormatBytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

void PrintDevice(const DeviceInfo& device) {
  std::cout << device.name << ": " << device.description << " [" << device.device_type << ", "
            << FormatBytes(device.memory_bytes) << ", " << device.compute_units << " compute units"
            << (device.supports_float64 ? ", float64" : "") << "]\n";
}

// `neon devices`: every backend kind, its devices, and which one --backend selects.
int ListDevicesCommand(const std::string& backend_spec) {
  std::unique_ptr<Backend> selected = CreateBackend(backend_spec);
  for (const std::string& kind : BackendKinds()) {
    std::vector<DeviceInfo> devices;
    std::string problem;
    try {
      devices = ListDevices(kind);
    } catch (const Error& error) {
      problem = error.what();
    }
    if (devices.empty()) {
      std::cout << kind << ": unavailable" << (problem.empty() ? "" : " (" + problem + ")") << "\n";
      continue;
    }
    for (const DeviceInfo& device : devices) PrintDevice(device);
  }
  // Plugins found on $NEON_BACKEND_PATH, each loaded to describe itself.
  for (const std::string& library : PluginLibrariesOnPath()) {
    try {
      PrintDevice(CreateBackend("plugin:" + library)->info());
    } catch (const Error& error) {
      std::cout << "plugin:" << library << ": unavailable (" << error.what() << ")\n";
    }
  }
  if (selected->info().kind == "plugin") PrintDevice(selected->info());  // what it declares, not just its name
  std::cout << "selected (--backend=" << backend_spec << "): " << selected->info().name << "\n";
  // The optional ops it runs natively; the others run through the runtime's defaults.
  std::string native;
  for (const char* op : kOptionalOps) {
    if (selected->supports(op)) native += std::string(native.empty() ? "" : ", ") + op;
  }
  std::cout << "native optional ops: " << (native.empty() ? "none" : native) << "\n";
  // Whether conv activations stay in the device's own layout between layers (docs/layers.md).
  int64_t block = selected->device_layout_block(DType::kFloat32);
  std::cout << "device activation layout (float32): "
            << (block > 0 ? "its own, channels in blocks of " + std::to_string(block) : std::string("none (neon's)"))
            << "\n";
  return 0;
}

// The subcommands, for the usage line and the unknown-command message.
constexpr const char* kCommands[] = {"devices", "check", "train", "eval", "plot"};

// Options that take a value (and so may be followed by it as the next word).
bool TakesValue(std::string_view arg) { return arg == "--backend" || arg == "--threads"; }

constexpr char kNoCommand[] = "no command given";

// What is wrong with the words before the command, or "": an option given an empty value
// ("--backend=" would otherwise swallow the next word), no command, an unknown command.
std::string CommandLineProblem(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") return "";
    const size_t equals = arg.find('=');
    if (equals != std::string_view::npos && TakesValue(arg.substr(0, equals)) && equals + 1 == arg.size()) {
      return std::string(arg.substr(0, equals)) + "= needs a value";
    }
    if (TakesValue(arg)) {
      if (i + 1 < argc && argv[i + 1][0] == '\0') return std::string(arg) + " needs a value";
      ++i;  // its value
      continue;
    }
    if (arg.substr(0, 1) == "-") continue;  // CLI11 reports unknown options
    for (const char* command : kCommands) {
      if (arg == command) return "";
    }
    std::string commands;
    for (const char* command : kCommands) commands += (commands.empty() ? "" : ", ") + std::string(command);
    return "unknown command '" + std::string(arg) + "' (commands: " + commands + ")";
  }
  return kNoCommand;
}

// A path as the user typed it: `bazel run` starts us in the runfiles tree, so relative
// paths are taken from the directory bazel was run in.
std::string UserPath(const std::string& path) {
  const char* working_directory = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || working_directory == nullptr || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(working_directory) / path).string();
}

int Main(int argc, char** argv) {
  CLI::App app{"neon: a multi-backend deep-learning runtime", "neon"};
  app.require_subcommand(1);
  app.fallthrough();  // --backend and --threads also after the subcommand: `neon check --backend=cpu`
  std::string backend_spec = DefaultBackendSpec();
  app.add_option("--backend", backend_spec,
                 "reference | cpu | opencl[:N] | auto | plugin:/path/lib.so[:arg] (default: $NEON_BACKEND or auto)");
  std::string threads;
  app.add_option("--threads", threads,
                 "threads of the cpu backend, 1 to " + std::to_string(kMaxCpuThreads) +
                     " (default: $NEON_NUM_THREADS or every core)");
  bool validate = false;
  app.add_flag("--validate", validate,
               "shadow-validate every stage against reference and stop at the first that differs "
               "(a debugging mode; also NEON_VALIDATE=1)");
  CLI::App* devices = app.add_subcommand(kCommands[0], "list backends and devices (and plugins on $NEON_BACKEND_PATH)");
  CLI::App* check = app.add_subcommand(kCommands[1], "run the conformance cases on --backend against reference");
  CheckOptions check_options;
  check->add_option("--cases", check_options.cases, "only this family, or the cases matching this glob or containing this text");
  check->add_option("--json", check_options.json, "write a machine-readable report to this file");
  CLI::App* train = app.add_subcommand("train", "train a model on Fashion-MNIST (or --data-dir), checkpointing every epoch");
  TrainOptions train_options;
  train_options.data_dir = kFashionMnistDir;
  train->add_option("--model", train_options.model, "mlp | convnet")->capture_default_str();
  train->add_option("--epochs", train_options.epochs, "total epochs (a resumed run continues up to this)")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  train->add_option("--batch-size", train_options.batch_size)->capture_default_str()->check(CLI::Range(1, 65536));
  train->add_option("--lr", train_options.lr, "learning rate")->capture_default_str();
  train->add_option("--optimizer", train_options.optimizer, "adam | sgd (momentum 0.9) | rmsprop | adagrad")
      ->capture_default_str();
  train->add_option("--seed", train_options.seed, "weights, dropout and shuffling")->capture_default_str();
  train->add_option("--save", train_options.save, "model file, rewritten after every epoch (default: MODEL.safetensors)");
  train->add_option("--data-dir", train_options.data_dir, "an MNIST-format directory")->capture_default_str();
  train->add_option("--subset", train_options.subset, "only the first N training and test images")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  train->add_option("--resume", train_options.resume, "continue from this checkpoint (its model and settings)");
  train->add_option("--log", train_options.log, "write epoch, train cost, test accuracy, seconds as CSV");
  bool no_prefetch = false;
  train->add_flag("--no-prefetch", no_prefetch,
                  "copy each minibatch to the device when it is needed (default: a loader thread prepares the next)");
  CLI::App* eval = app.add_subcommand("eval", "evaluate a model file: test accuracy and confusion matrix");
  EvalOptions eval_options;
  eval_options.data_dir = kFashionMnistDir;
  eval->add_option("--load", eval_options.load, "model file written by neon train")->required();
  eval->add_option("--data-dir", eval_options.data_dir, "an MNIST-format directory")->capture_default_str();
  eval->add_option("--batch-size", eval_options.batch_size)->capture_default_str()->check(CLI::Range(1, 65536));
  eval->add_option("--subset", eval_options.subset, "only the first N test images")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  CLI::App* plot = app.add_subcommand("plot", "draw a neon train --log CSV as an SVG (train cost, test accuracy)");
  std::string plot_log, plot_svg = "training.svg";
  plot->add_option("--log", plot_log, "the CSV written by neon train --log")->required();
  plot->add_option("--out", plot_svg, "the SVG file to write")->capture_default_str();
  if (std::string problem = CommandLineProblem(argc, argv); !problem.empty()) {
    // One line, and the usage when there was no command at all.
    std::cerr << "neon: " << problem << "\n" << (problem == kNoCommand ? app.help() : "");
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& error) {
    std::cerr << "neon: " << error.what() << "\n";
    return 2;
  }
  if (validate) setenv("NEON_VALIDATE", "1", 1);  // every backend the registry creates from here on
  try {
    // The cpu backend reads its thread count from the environment when it is created.
    if (!threads.empty()) setenv("NEON_NUM_THREADS", std::to_string(ParseThreadCount(threads, "--threads")).c_str(), 1);
    int code = 0;
    if (devices->parsed()) code = ListDevicesCommand(backend_spec);
    if (check->parsed()) {
      check_options.backend = backend_spec;
      code = RunCheck(check_options);
    }
    if (train->parsed()) {
      train_options.backend = backend_spec;
      train_options.prefetch = !no_prefetch;
      if (train_options.save.empty() && train_options.resume.empty()) train_options.save = train_options.model + ".safetensors";
      for (std::string* path : {&train_options.save, &train_options.data_dir, &train_options.resume, &train_options.log}) {
        *path = UserPath(*path);
      }
      code = RunTrain(train_options);
    }
    if (eval->parsed()) {
      eval_options.backend = backend_spec;
      eval_options.load = UserPath(eval_options.load);
      eval_options.data_dir = UserPath(eval_options.data_dir);
      code = RunEval(eval_options);
    }
    if (plot->parsed()) {
      PlotTrainingLog(UserPath(plot_log), UserPath(plot_svg));
      std::cout << "wrote " << UserPath(plot_svg) << "\n";
    }
    // A full disk or a closed pipe must not look like success.
    if (!std::cout.flush()) {
      std::cerr << "neon: cannot write to standard output: " << std::strerror(errno) << "\n";
      return 2;
    }
    return code;
  } catch (const Error& error) {
    std::cerr << "neon: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "neon: internal error: " << error.what() << "\n";
    return 2;
  }
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::Main(argc, argv); }
