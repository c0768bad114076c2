// The examples' one flag: --backend=NAME, else $NEON_BACKEND, else "auto".
#pragma once

#include <cstring>
#include <string>

#include "backends/registry.h"

inline std::string BackendFlag(int argc, char** argv) {
  std::string spec = neon::DefaultBackendSpec();
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--backend=", 10) == 0) spec = argv[i] + 10;
  }
  return spec;
}
