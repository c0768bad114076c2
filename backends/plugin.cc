#include "backends/plugin.h"

#include <dlfcn.h>

#include "graph/error.h"

namespace neon {

std::unique_ptr<Backend> LoadPluginBackend(const std::string& path, const std::string& argument) {
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    throw BackendError("plugin '" + path + "' could not be loaded: " + dlerror());
  }
  auto create = reinterpret_cast<CreateBackendFunction>(dlsym(library, kPluginEntryPoint));
  if (create == nullptr) {
    throw BackendError("plugin '" + path + "' does not export " + kPluginEntryPoint +
                       " (expected extern \"C\" neon::Backend* neon_create_backend(const char*))");
  }
  Backend* backend = create(argument.c_str());
  if (backend == nullptr) throw BackendError("plugin '" + path + "' returned no backend");
  return std::unique_ptr<Backend>(backend);
}

}  // namespace neon
