// The backend registry: turns a name ("reference", "cpu", "opencl",
// "opencl:N", "auto", or "plugin:/path/libfoo.so[:argument]", the path ending
// at its first ".so") into a Backend. Several
// backends can live in one process; there is no global backend.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"

namespace neon {

// A new backend for `spec` (see above). Unknown names throw ArgumentError listing the valid ones;
// a known backend whose device is missing throws BackendError saying how to install it. With
// NEON_VALIDATE=1 the backend is shadow-validated against reference (backends/shadow_backend.h).
std::unique_ptr<Backend> CreateBackend(std::string_view spec);

// Whether $NEON_VALIDATE is "1" (what `neon --validate` sets).
bool ShadowValidationRequested();

// The spec to use when the user gave none: $NEON_BACKEND, else "auto".
std::string DefaultBackendSpec();

// Every registered backend kind, e.g. {"reference", "cpu", "opencl"}.
std::vector<std::string> BackendKinds();

// Registered kinds whose device is usable on this machine (each one created once to check).
std::vector<std::string> AvailableBackends();

// One line per device a backend kind offers (e.g. each OpenCL device), for `neon devices`.
std::vector<DeviceInfo> ListDevices(std::string_view kind);

}  // namespace neon
