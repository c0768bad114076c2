// Backends built outside this tree: shared libraries speaking the C ABI of
// backends/plugin_api.h, loaded at run time and adapted to `Backend`, so
// everything above (IR, autodiff, layers) is unchanged.
//
// Select one with --backend=plugin:/path/to/libmine.so[:argument]. The library
// is opened RTLD_NOW | RTLD_LOCAL and never unloaded. Every failure to load
// (missing file, not a shared library, no entry symbol, another ABI major, a
// required slot NULL, a struct_size too small) is a one-line BackendError
// naming the file and what was expected.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace neon {

// Loads `path` and creates its device with `argument` ("" when none).
std::unique_ptr<Backend> LoadPluginBackend(const std::string& path, const std::string& argument);

// The shared libraries in the directories of $NEON_BACKEND_PATH (':'-separated), sorted.
std::vector<std::string> PluginLibrariesOnPath();

}  // namespace neon
