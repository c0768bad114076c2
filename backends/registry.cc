#include "backends/registry.h"

#include <cstdlib>

#include "backends/cpu/cpu_backend.h"
#include "backends/opencl/opencl_backend.h"
#include "backends/opencl/opencl_device.h"
#include "backends/plugin.h"
#include "backends/reference/reference_backend.h"
#include "backends/shadow_backend.h"
#include "core/error.h"

namespace neon {

namespace {

// One line per backend kind: its name, how to make one (device -1 = the best), its devices.
struct Registration {
  const char* kind;
  std::unique_ptr<Backend> (*create)(int device);
  std::vector<DeviceInfo> (*list_devices)();
};

template <std::unique_ptr<Backend> (*kMake)()>
std::unique_ptr<Backend> SingleDevice(int device) {
  if (device > 0) throw ArgumentError("this backend has one device (index 0), got index " + std::to_string(device));
  return kMake();
}

template <std::unique_ptr<Backend> (*kMake)()>
std::vector<DeviceInfo> OwnDevice() {
  return {kMake()->info()};
}

// The cpu backend with its default thread count (NEON_NUM_THREADS, else every core).
std::unique_ptr<Backend> MakeDefaultCpuBackend() { return MakeCpuBackend(); }

const Registration kRegistry[] = {
    {"reference", SingleDevice<MakeReferenceBackend>, OwnDevice<MakeReferenceBackend>},
    {"cpu", SingleDevice<MakeDefaultCpuBackend>, OwnDevice<MakeDefaultCpuBackend>},
    {"opencl", MakeOpenCLBackend, ListOpenCLDevices},
};

const Registration* FindKind(std::string_view kind) {
  for (const Registration& registration : kRegistry) {
    if (kind == registration.kind) return &registration;
  }
  return nullptr;
}

std::string ValidNames() {
  std::string names;
  for (const Registration& registration : kRegistry) names += std::string(registration.kind) + ", ";
  return names + "auto, or plugin:/path/lib.so";
}

int ParseDeviceIndex(std::string_view spec, std::string_view text) {
  int index = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || index > 100000) {
      throw ArgumentError("backend '" + std::string(spec) + "': device index must be a number, got '" +
                          std::string(text) + "'");
    }
    index = index * 10 + (c - '0');
  }
  if (text.empty()) throw ArgumentError("backend '" + std::string(spec) + "': missing device index after ':'");
  return index;
}

// "auto": a GPU when one is usable, else the fastest CPU path, else the reference.
std::unique_ptr<Backend> CreateAuto() {
  for (const char* kind : {"opencl", "cpu", "reference"}) {
    const Registration* registration = FindKind(kind);
    if (registration == nullptr) continue;
    try {
      if (std::string_view(kind) == "opencl") {
        bool has_gpu = false;
        for (const DeviceInfo& device : registration->list_devices()) has_gpu |= device.device_type == "gpu";
        if (!has_gpu) continue;
      }
      return registration->create(-1);
    } catch (const BackendError&) {
      continue;  // device missing: try the next kind
    }
  }
  throw BackendError("auto: no usable backend");
}

std::unique_ptr<Backend> CreateUnvalidated(std::string_view spec) {
  if (spec == "auto") return CreateAuto();
  if (spec.substr(0, 7) == "plugin:") {
    // The path ends at the first ".so:" (so a path may hold ':'); the argument is everything after.
    std::string rest(spec.substr(7));
    size_t end = rest.find(".so:");
    end = end == std::string::npos ? rest.size() : end + 3;
    if (end == 0) {
      throw ArgumentError("backend '" + std::string(spec) + "': missing library path (expected plugin:/path/lib.so)");
    }
    return LoadPluginBackend(rest.substr(0, end), end < rest.size() ? rest.substr(end + 1) : "");
  }
  std::string_view kind = spec.substr(0, spec.find(':'));
  const Registration* registration = FindKind(kind);
  if (registration == nullptr) {
    throw ArgumentError("unknown backend '" + std::string(spec) + "' (valid: " + ValidNames() + ")");
  }
  int device = kind.size() == spec.size() ? -1 : ParseDeviceIndex(spec, spec.substr(kind.size() + 1));
  return registration->create(device);
}

}  // namespace

bool ShadowValidationRequested() {
  const char* env = std::getenv("NEON_VALIDATE");
  return env != nullptr && std::string_view(env) == "1";
}

std::unique_ptr<Backend> CreateBackend(std::string_view spec) {
  std::unique_ptr<Backend> backend = CreateUnvalidated(spec);
  // The reference needs no shadow: it is the shadow.
  if (ShadowValidationRequested() && backend->info().kind != "reference") {
    return MakeShadowValidatedBackend(std::move(backend));
  }
  return backend;
}

std::string DefaultBackendSpec() {
  const char* env = std::getenv("NEON_BACKEND");
  return env != nullptr && *env != '\0' ? env : "auto";
}

std::vector<std::string> BackendKinds() {
  std::vector<std::string> kinds;
  for (const Registration& registration : kRegistry) kinds.emplace_back(registration.kind);
  return kinds;
}

std::vector<std::string> AvailableBackends() {
  std::vector<std::string> available;
  for (const Registration& registration : kRegistry) {
    try {
      registration.create(-1);
      available.emplace_back(registration.kind);
    } catch (const Error&) {
      // Not usable here (no device or driver): left out.
    }
  }
  return available;
}

std::vector<DeviceInfo> ListDevices(std::string_view kind) {
  const Registration* registration = FindKind(kind);
  if (registration == nullptr) throw ArgumentError("unknown backend '" + std::string(kind) + "' (valid: " + ValidNames() + ")");
  return registration->list_devices();
}

}  // namespace neon
