// Which backends a cross-device test runs on. tests/build_defs.bzl fans a test
// out into one target per backend, each naming its backend in $NEON_TEST_BACKEND.
#pragma once

#include <string>
#include <vector>

namespace neon {

// $NEON_CONFORMANCE_BACKENDS (comma-separated specs, e.g. "plugin:/path/libmine.so") when
// set, else $NEON_TEST_BACKEND, else every registered backend usable on this machine.
std::vector<std::string> BackendsUnderTest();

// The one backend of a per-backend target: $NEON_TEST_BACKEND, else "reference".
std::string BackendUnderTest();

}  // namespace neon
