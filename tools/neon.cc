// The `neon` command line: device listing and the conformance check; training
// and evaluation join as the layers land. Errors are one line on stderr and exit code 2.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "backends/cpu/cpu_backend.h"
#include "backends/plugin.h"
#include "backends/registry.h"
#include "graph/error.h"
#include "tools/check.h"

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
  return 0;
}

// The subcommands, for the usage line and the unknown-command message.
constexpr const char* kCommands[] = {"devices", "check"};

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
