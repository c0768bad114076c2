// Backends built outside this tree, as shared libraries loaded at run time.
//
// A plugin is a shared library compiled against this tree's headers (same
// compiler and standard library) that exports:
//
//   extern "C" neon::Backend* neon_create_backend(const char* argument);
//
// returning a new backend (owned by the caller) or throwing neon::Error.
// Select it with --backend=plugin:/path/to/libmybackend.so[:argument].
#pragma once

#include <memory>
#include <string>

#include "backends/backend.h"

namespace neon {

inline constexpr const char* kPluginEntryPoint = "neon_create_backend";
using CreateBackendFunction = Backend* (*)(const char* argument);

// Loads `path` (kept loaded for the life of the process) and creates its backend.
std::unique_ptr<Backend> LoadPluginBackend(const std::string& path, const std::string& argument);

}  // namespace neon
