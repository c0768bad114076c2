#include "backends/opencl/program_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <set>
#include <vector>

#include "core/error.h"

namespace neon::opencl {

namespace {

// File layout: magic, u64 key size, u64 binary size, u64 FNV-1a of key + binary, the key, the binary.
constexpr char kMagic[8] = {'N', 'E', 'O', 'N', 'C', 'L', 'B', '2'};
constexpr size_t kHeaderBytes = sizeof kMagic + 24;
// A temp file older than this has no live writer (a write takes well under a second).
constexpr auto kStaleTempAge = std::chrono::hours(1);

std::string Hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string BuildLog(cl_program program, cl_device_id device) {
  size_t size = 0;
  if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size) != CL_SUCCESS) return "";
  std::string log(size, '\0');
  if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr) != CL_SUCCESS) {
    return "";
  }
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

// The whole of `path` when it is a regular file of at most kMaxCacheFileBytes; nullopt on
// any error. O_NONBLOCK: opening a FIFO must not wait for a writer.
std::optional<std::string> ReadCacheFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> data;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && static_cast<uint64_t>(info.st_size) <= kMaxCacheFileBytes) {
    data.emplace(static_cast<size_t>(info.st_size), '\0');
    size_t done = 0;
    while (done < data->size()) {
      const ssize_t got = ::read(fd, data->data() + done, data->size() - done);
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    if (done != data->size()) data.reset();
    if (data) ::futimens(fd, nullptr);  // used now: least recently used is pruned first
  }
  ::close(fd);
  return data;
}

uint64_t ReadU64(const std::string& data, size_t at) {
  uint64_t value = 0;
  std::memcpy(&value, data.data() + at, sizeof value);
  return value;
}

}  // namespace

uint64_t Fnv1a64(std::string_view text, uint64_t basis) {
  uint64_t hash = basis;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string FormatBuildFailure(std::string_view label, std::string_view log, std::string_view source) {
  std::string message = "OpenCL compiler rejected kernel " + std::string(label) + ":\n" +
                        (log.empty() ? std::string("(the driver gave no build log)") : std::string(log)) + "\n";
  std::vector<std::string_view> lines = Lines(source);
  // Clang-style locations: "<file>:LINE:COLUMN:" (PoCL prefixes "Error: ").
  std::set<size_t> named;
  static const std::regex kLocation(R"(:(\d+):(\d+):)");
  std::string log_text(log);
  for (auto it = std::sregex_iterator(log_text.begin(), log_text.end(), kLocation);
       it != std::sregex_iterator() && named.size() < 8; ++it) {
    size_t line = std::stoul((*it)[1].str());
    if (line >= 1 && line <= lines.size()) named.insert(line);
  }
  auto show = [&](size_t from, size_t to, const std::set<size_t>& marked) {
    for (size_t line = from; line <= to; ++line) {
      char prefix[32];
      std::snprintf(prefix, sizeof prefix, "%s%5zu | ", marked.count(line) ? ">" : " ", line);
      message += prefix + std::string(lines[line - 1]) + "\n";
    }
  };
  if (named.empty()) {
    message += "generated source (the log names no line; first lines shown):\n";
    show(1, std::min<size_t>(lines.size(), 40), named);
    return message;
  }
  message += "generated source at the lines the log names:\n";
  size_t shown_to = 0;
  for (size_t line : named) {
    size_t from = std::max<size_t>(line > 2 ? line - 2 : 1, shown_to + 1);
    size_t to = std::min(lines.size(), line + 2);
    if (from > shown_to + 1 && shown_to != 0) message += "  ...\n";
    if (from <= to) show(from, to, named);
    shown_to = std::max(shown_to, to);
  }
  return message;
}

ProgramCache::ProgramCache(cl_context context, cl_device_id device, std::string identity, std::string cache_dir,
                           uint64_t max_disk_bytes)
    : context_(context),
      device_(device),
      identity_(std::move(identity)),
      cache_dir_(std::move(cache_dir)),
      max_disk_bytes_(max_disk_bytes) {}

std::string ProgramCache::DefaultDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] != '\0') return std::string(xdg) + "/neon/opencl";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return std::string(home) + "/.cache/neon/opencl";
  return "";
}

std::string ProgramCache::CachePath(const std::string& source, const std::string& options) const {
  if (cache_dir_.empty()) return "";
  std::string text = identity_ + '\n' + options + '\n' + source;
  // Two differently seeded 64-bit hashes: 128 bits of name.
  return cache_dir_ + "/" + Hex(Fnv1a64(text)) + Hex(Fnv1a64(text, 0x84222325cbf29ce4ull)) + ".clbin";
}

ProgramHandle ProgramCache::Get(const std::string& source, const std::string& options, std::string_view label) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string key = options + '\n' + source;
  if (ProgramHandle* found = programs_.Find(key)) return *found;
  std::string path = CachePath(source, options);
  const std::string disk_key = identity_ + '\n' + key;
  ProgramHandle program;
  if (!path.empty()) program = LoadBinary(path, disk_key);
  if (program) {
    ++disk_load_count_;
  } else {
    program = Compile(source, options, label);
    if (!path.empty()) StoreBinary(program.get(), path, disk_key);
  }
  return programs_.Insert(key, program);
}

ProgramHandle ProgramCache::LoadBinary(const std::string& path, const std::string& key) {
  try {
    std::optional<std::string> data = ReadCacheFile(path);
    if (!data || data->size() < kHeaderBytes || std::memcmp(data->data(), kMagic, sizeof kMagic) != 0) return {};
    const uint64_t key_size = ReadU64(*data, 8), size = ReadU64(*data, 16), hash = ReadU64(*data, 24);
    const uint64_t body = data->size() - kHeaderBytes;
    if (key_size != key.size() || size == 0 || size > body || key_size != body - size) return {};
    const std::string_view recorded_key(data->data() + kHeaderBytes, key_size);
    const std::string_view binary(data->data() + kHeaderBytes + key_size, size);
    if (Fnv1a64(binary, Fnv1a64(recorded_key)) != hash || recorded_key != key) return {};  // corrupt, or another kernel's
    const unsigned char* bytes = reinterpret_cast<const unsigned char*>(binary.data());
    size_t length = binary.size();
    cl_int binary_status = CL_SUCCESS, status = CL_SUCCESS;
    ProgramHandle program(clCreateProgramWithBinary(context_, 1, &device_, &length, &bytes, &binary_status, &status));
    if (status != CL_SUCCESS || binary_status != CL_SUCCESS || !program) return {};
    if (clBuildProgram(program.get(), 1, &device_, nullptr, nullptr, nullptr) != CL_SUCCESS) return {};
    return program;
  } catch (const std::exception&) {
    return {};  // e.g. no memory for the file: compile instead
  }
}

ProgramHandle ProgramCache::Compile(const std::string& source, const std::string& options, std::string_view label) {
  const char* text = source.c_str();
  size_t length = source.size();
  for (int attempt = 1;; ++attempt) {
    cl_int status = CL_SUCCESS;
    ProgramHandle program(clCreateProgramWithSource(context_, 1, &text, &length, &status));
    CheckCl(status, "clCreateProgramWithSource");
    ++compile_count_;
    status = clBuildProgram(program.get(), 1, &device_, options.c_str(), nullptr, nullptr);
    if (status == CL_SUCCESS) return program;
    if (status == CL_BUILD_PROGRAM_FAILURE && attempt == 1) continue;  // once more: see the header
    if (status == CL_BUILD_PROGRAM_FAILURE || status == CL_INVALID_BUILD_OPTIONS) {
      std::string log = BuildLog(program.get(), device_);
      if (status == CL_INVALID_BUILD_OPTIONS) log = "invalid build options '" + options + "'\n" + log;
      throw BackendError(FormatBuildFailure(std::string(label) + " (built twice)", log, source));
    }
    CheckCl(status, "clBuildProgram of kernel " + std::string(label));
  }
}

void ProgramCache::StoreBinary(cl_program program, const std::string& path, const std::string& key) {
  size_t size = 0;
  if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, nullptr) != CL_SUCCESS || size == 0 ||
      size > kMaxCacheFileBytes) {
    return;
  }
  // A cache that cannot be written only costs a compile next time: errors are ignored.
  try {
    std::string binary(size, '\0');
    unsigned char* pointer = reinterpret_cast<unsigned char*>(binary.data());
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof pointer, &pointer, nullptr) != CL_SUCCESS) return;
    std::error_code error;
    std::filesystem::create_directories(cache_dir_, error);
    if (error) return;
    static std::atomic<uint64_t> next_temp{0};  // unique among the caches of this process
    const std::string temp = path + ".tmp" + std::to_string(::getpid()) + "." + std::to_string(next_temp++);
    {
      std::ofstream file(temp, std::ios::binary | std::ios::trunc);
      if (!file) return;
      const uint64_t header[3] = {key.size(), size, Fnv1a64(binary, Fnv1a64(key))};
      file.write(kMagic, sizeof kMagic);
      file.write(reinterpret_cast<const char*>(header), sizeof header);
      file.write(key.data(), static_cast<std::streamsize>(key.size()));
      file.write(binary.data(), static_cast<std::streamsize>(binary.size()));
      if (!file) {
        std::filesystem::remove(temp, error);
        return;
      }
    }
    std::filesystem::rename(temp, path, error);
    if (error) std::filesystem::remove(temp, error);
    PruneDirectory();
  } catch (const std::exception&) {
  }
}

void ProgramCache::PruneDirectory() {
  namespace fs = std::filesystem;
  struct Entry {
    fs::file_time_type used;
    uint64_t bytes;
    fs::path path;
  };
  std::vector<Entry> binaries;
  uint64_t total = 0;
  std::error_code error;
  const fs::file_time_type now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(cache_dir_, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    const fs::file_time_type used = fs::last_write_time(path, error);
    if (error) {
      error.clear();
      continue;
    }
    const std::string name = path.filename().string();
    if (name.find(".clbin.tmp") != std::string::npos) {
      if (now - used > kStaleTempAge) fs::remove(path, error);  // its writer died
    } else if (path.extension() == ".clbin" && it->is_regular_file(error)) {
      const uint64_t bytes = it->file_size(error);
      if (!error) {
        binaries.push_back({used, bytes, path});
        total += bytes;
      }
    }
    error.clear();
  }
  if (total <= max_disk_bytes_) return;
  std::sort(binaries.begin(), binaries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& entry : binaries) {
    if (total <= max_disk_bytes_) break;
    if (fs::remove(entry.path, error)) total -= entry.bytes;
    error.clear();
  }
}

}  // namespace neon::opencl
