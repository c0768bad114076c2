#include "tests/backends_under_test.h"

#include <algorithm>
#include <cstdlib>

#include "backends/registry.h"

namespace neon {

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::vector<std::string> BackendsUnderTest() {
  std::string text = Env("NEON_CONFORMANCE_BACKENDS");
  if (text.empty()) {
    std::string one = Env("NEON_TEST_BACKEND");
    return one.empty() ? AvailableBackends() : std::vector<std::string>{one};
  }
  std::vector<std::string> specs;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) specs.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return specs;
}

std::string BackendUnderTest() {
  std::string spec = Env("NEON_TEST_BACKEND");
  return spec.empty() ? "reference" : spec;
}

}  // namespace neon
