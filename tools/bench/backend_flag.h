// The --backend=NAME flag of benchmark programs, taken out of argv before
// Google Benchmark parses the rest.
#pragma once

#include <cstring>
#include <string>

namespace neon::bench {

// The value of --backend= (removed from argv), or `fallback` when absent.
inline std::string TakeBackendFlag(int& argc, char** argv, std::string fallback) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--backend=", 10) == 0) {
      fallback = argv[i] + 10;
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      --i;
    }
  }
  return fallback;
}

}  // namespace neon::bench
