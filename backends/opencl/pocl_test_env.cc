// Linked into every test that opens an OpenCL device: gives the test process a
// PoCL kernel cache that no other process uses at the same time. PoCL's cache
// is not safe for several processes building at once (1-3 of 8 parallel
// processes failed with an empty build log). The directory is named after the
// workspace's Bazel output base, the test target and the shard, and kept under
// /tmp across runs: a fresh PoCL cache per run would make
// every run cold (PoCL compiles each program's binary again: 240 s instead of
// 2 s for the conformance suite). Runs outside Bazel keep PoCL's default.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string PrivatePoclCacheDir() {
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return "";
  // The output base: the working directory up to the per-run sandbox or the execroot.
  std::string base = cwd;
  for (const char* cut : {"/sandbox/", "/execroot/"}) base = base.substr(0, base.find(cut));
  const std::string identity = base + "|" + Env("TEST_TARGET") + "|" + Env("TEST_SHARD_INDEX");
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : identity) hash = (hash ^ c) * 0x100000001b3ull;
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(hash));
  return std::string("/tmp/neon-pocl-cache/") + name;
}

// Runs before main, so before the first OpenCL call reads the variable.
const bool kPoclCacheIsPrivate = [] {
  if (std::getenv("TEST_TMPDIR") == nullptr) return false;  // not a Bazel test
  const std::string dir = PrivatePoclCacheDir();
  return !dir.empty() && setenv("POCL_CACHE_DIR", dir.c_str(), 1) == 0;
}();

}  // namespace
