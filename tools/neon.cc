// The `neon` command line: device listing and the conformance check; training
// and evaluation join as the layers land. Errors are one line on stderr and exit code 2.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

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

int Main(int argc, char** argv) {
  CLI::App app{"neon: a multi-backend deep-learning runtime"};
  app.require_subcommand(1);
  app.fallthrough();  // --backend and --threads also after the subcommand: `neon check --backend=cpu`
  std::string backend_spec = DefaultBackendSpec();
  app.add_option("--backend", backend_spec,
                 "reference | cpu | opencl[:N] | auto | plugin:/path/lib.so[:arg] (default: $NEON_BACKEND or auto)");
  int threads = 0;
  app.add_option("--threads", threads, "threads of the cpu backend (default: $NEON_NUM_THREADS or every core)")
      ->check(CLI::Range(1, 4096));
  bool validate = false;
  app.add_flag("--validate", validate,
               "shadow-validate every stage against reference and stop at the first that differs "
               "(a debugging mode; also NEON_VALIDATE=1)");
  CLI::App* devices = app.add_subcommand("devices", "list backends and devices (and plugins on $NEON_BACKEND_PATH)");
  CLI::App* check = app.add_subcommand("check", "run the conformance cases on --backend against reference");
  CheckOptions check_options;
  check->add_option("--cases", check_options.cases, "only this family, or the cases matching this glob or containing this text");
  check->add_option("--json", check_options.json, "write a machine-readable report to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& error) {
    std::cerr << "neon: " << error.what() << "\n";
    return 2;
  }
  // The cpu backend reads its thread count from the environment when it is created.
  if (threads > 0) setenv("NEON_NUM_THREADS", std::to_string(threads).c_str(), 1);
  if (validate) setenv("NEON_VALIDATE", "1", 1);  // every backend the registry creates from here on
  try {
    if (devices->parsed()) return ListDevicesCommand(backend_spec);
    if (check->parsed()) {
      check_options.backend = backend_spec;
      return RunCheck(check_options);
    }
  } catch (const Error& error) {
    std::cerr << "neon: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "neon: internal error: " << error.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::Main(argc, argv); }
