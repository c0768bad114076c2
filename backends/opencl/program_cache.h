// Builds OpenCL programs for one device, once: in memory by source text (the
// kMaxProgramsInMemory most recently used), and on disk as program binaries
// named by a hash of the source, the build options, the device name and the
// driver version, so a second process loads the binary instead of compiling.
// The disk cache never fails an assignment: a file that cannot be read, is not a
// regular file, is larger than kMaxCacheFileBytes, is corrupt or records another
// key is a miss (and rewritten). The directory is pruned to max_disk_bytes, least
// recently used first, and temp files left by dead writers are removed.
#pragma once

#include <CL/cl.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "backends/opencl/opencl_handles.h"
#include "core/lru_map.h"

namespace neon::opencl {

constexpr size_t kMaxProgramsInMemory = 1024;
constexpr uint64_t kMaxCacheFileBytes = uint64_t{64} << 20;
constexpr uint64_t kDefaultMaxDiskBytes = uint64_t{512} << 20;

class ProgramCache {
 public:
  // identity: device name + driver version (part of every disk key).
  // cache_dir: where binaries live; empty disables the disk cache.
  // max_disk_bytes: the directory's .clbin files are pruned to this total.
  ProgramCache(cl_context context, cl_device_id device, std::string identity, std::string cache_dir,
               uint64_t max_disk_bytes = kDefaultMaxDiskBytes);

  // The built program for `source`: from memory, from disk, or compiled.
  // A failed build is retried once (PoCL sharing its own cache with other processes
  // sometimes fails a valid build with an empty log); BackendError with the build
  // log and the source lines it names when the compiler rejects the source twice;
  // `label` names the kernel in that message.
  ProgramHandle Get(const std::string& source, const std::string& options, std::string_view label);

  // Builds from source (retries included) / programs loaded from disk binaries by this cache.
  int compile_count() const { return compile_count_; }
  int disk_load_count() const { return disk_load_count_; }
  const std::string& cache_dir() const { return cache_dir_; }

  // The cache file a source would use (empty when the disk cache is off).
  std::string CachePath(const std::string& source, const std::string& options) const;

  // $XDG_CACHE_HOME/neon/opencl, else $HOME/.cache/neon/opencl, else "".
  static std::string DefaultDir();

 private:
  ProgramHandle LoadBinary(const std::string& path, const std::string& key);
  ProgramHandle Compile(const std::string& source, const std::string& options, std::string_view label);
  void StoreBinary(cl_program program, const std::string& path, const std::string& key);
  // Removes stale temp files and the least recently used binaries beyond max_disk_bytes_.
  void PruneDirectory();

  cl_context context_;
  cl_device_id device_;
  std::string identity_;
  std::string cache_dir_;
  uint64_t max_disk_bytes_;
  std::mutex mutex_;
  LruMap<std::string, ProgramHandle> programs_{kMaxProgramsInMemory};   // options + '\n' + source
  int compile_count_ = 0;
  int disk_load_count_ = 0;
};

// 64-bit FNV-1a of text (stable across processes and builds).
uint64_t Fnv1a64(std::string_view text, uint64_t basis = 0xcbf29ce484222325ull);

// The message for a failed build: the label, the compiler's log (or that the
// driver gave none), and the source lines the log names (numbered, with two
// lines of context each).
std::string FormatBuildFailure(std::string_view label, std::string_view log, std::string_view source);

}  // namespace neon::opencl
