// Builds OpenCL programs for one device, once: in memory by source text, and
// on disk as program binaries named by a hash of the source, the build
// options, the device name and the driver version, so a second process loads
// the binary instead of compiling. Corrupt cache files are ignored and rewritten.
#pragma once

#include <CL/cl.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "backends/opencl/opencl_handles.h"

namespace neon::opencl {

class ProgramCache {
 public:
  // identity: device name + driver version (part of every disk key).
  // cache_dir: where binaries live; empty disables the disk cache.
  ProgramCache(cl_context context, cl_device_id device, std::string identity, std::string cache_dir);

  // The built program for `source`: from memory, from disk, or compiled.
  // BackendError with the build log and the source lines it names when the
  // compiler rejects the source; `label` names the kernel in that message.
  ProgramHandle Get(const std::string& source, const std::string& options, std::string_view label);

  // Programs compiled from source / loaded from disk binaries by this cache.
  int compile_count() const { return compile_count_; }
  int disk_load_count() const { return disk_load_count_; }
  const std::string& cache_dir() const { return cache_dir_; }

  // The cache file a source would use (empty when the disk cache is off).
  std::string CachePath(const std::string& source, const std::string& options) const;

  // $XDG_CACHE_HOME/neon/opencl, else $HOME/.cache/neon/opencl, else "".
  static std::string DefaultDir();

 private:
  ProgramHandle LoadBinary(const std::string& path);
  ProgramHandle Compile(const std::string& source, const std::string& options, std::string_view label);
  void StoreBinary(cl_program program, const std::string& path);

  cl_context context_;
  cl_device_id device_;
  std::string identity_;
  std::string cache_dir_;
  std::mutex mutex_;
  std::unordered_map<std::string, ProgramHandle> programs_;   // options + '\n' + source
  int compile_count_ = 0;
  int disk_load_count_ = 0;
};

// 64-bit FNV-1a of text (stable across processes and builds).
uint64_t Fnv1a64(std::string_view text, uint64_t basis = 0xcbf29ce484222325ull);

// The message for a failed build: the label, the compiler's log, and the
// source lines the log names (numbered, with two lines of context each).
std::string FormatBuildFailure(std::string_view label, std::string_view log, std::string_view source);

}  // namespace neon::opencl
