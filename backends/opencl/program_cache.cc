#include "backends/opencl/program_cache.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <vector>

#include "graph/error.h"

namespace neon::opencl {

namespace {

constexpr char kMagic[8] = {'N', 'E', 'O', 'N', 'C', 'L', 'B', '1'};

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
  std::string message = "OpenCL compiler rejected kernel " + std::string(label) + ":\n" + std::string(log) + "\n";
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

ProgramCache::ProgramCache(cl_context context, cl_device_id device, std::string identity, std::string cache_dir)
    : context_(context), device_(device), identity_(std::move(identity)), cache_dir_(std::move(cache_dir)) {}

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
  auto found = programs_.find(key);
  if (found != programs_.end()) return found->second;
  std::string path = CachePath(source, options);
  ProgramHandle program;
  if (!path.empty()) program = LoadBinary(path);
  if (program) {
    ++disk_load_count_;
  } else {
    program = Compile(source, options, label);
    if (!path.empty()) StoreBinary(program.get(), path);
  }
  programs_.emplace(std::move(key), program);
  return program;
}

ProgramHandle ProgramCache::LoadBinary(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Layout: magic, u64 binary size, u64 FNV-1a of the binary, the binary.
  constexpr size_t kHeader = sizeof kMagic + 16;
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return {};
  uint64_t size = 0, hash = 0;
  std::memcpy(&size, data.data() + 8, 8);
  std::memcpy(&hash, data.data() + 16, 8);
  if (size == 0 || size != data.size() - kHeader) return {};
  std::string_view binary(data.data() + kHeader, size);
  if (Fnv1a64(binary) != hash) return {};
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(binary.data());
  size_t length = binary.size();
  cl_int binary_status = CL_SUCCESS, status = CL_SUCCESS;
  ProgramHandle program(clCreateProgramWithBinary(context_, 1, &device_, &length, &bytes, &binary_status, &status));
  if (status != CL_SUCCESS || binary_status != CL_SUCCESS || !program) return {};
  if (clBuildProgram(program.get(), 1, &device_, nullptr, nullptr, nullptr) != CL_SUCCESS) return {};
  return program;
}

ProgramHandle ProgramCache::Compile(const std::string& source, const std::string& options, std::string_view label) {
  const char* text = source.c_str();
  size_t length = source.size();
  cl_int status = CL_SUCCESS;
  ProgramHandle program(clCreateProgramWithSource(context_, 1, &text, &length, &status));
  CheckCl(status, "clCreateProgramWithSource");
  ++compile_count_;
  status = clBuildProgram(program.get(), 1, &device_, options.c_str(), nullptr, nullptr);
  if (status == CL_BUILD_PROGRAM_FAILURE || status == CL_INVALID_BUILD_OPTIONS) {
    std::string log = BuildLog(program.get(), device_);
    if (status == CL_INVALID_BUILD_OPTIONS) log = "invalid build options '" + options + "'\n" + log;
    throw BackendError(FormatBuildFailure(label, log, source));
  }
  CheckCl(status, "clBuildProgram of kernel " + std::string(label));
  return program;
}

void ProgramCache::StoreBinary(cl_program program, const std::string& path) {
  size_t size = 0;
  if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, nullptr) != CL_SUCCESS || size == 0) {
    return;
  }
  std::string binary(size, '\0');
  unsigned char* pointer = reinterpret_cast<unsigned char*>(binary.data());
  if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof pointer, &pointer, nullptr) != CL_SUCCESS) return;
  // A cache that cannot be written only costs a compile next time: errors are ignored.
  std::error_code error;
  std::filesystem::create_directories(cache_dir_, error);
  if (error) return;
  std::string temp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    if (!file) return;
    uint64_t length = size, hash = Fnv1a64(binary);
    file.write(kMagic, sizeof kMagic);
    file.write(reinterpret_cast<const char*>(&length), 8);
    file.write(reinterpret_cast<const char*>(&hash), 8);
    file.write(binary.data(), static_cast<std::streamsize>(binary.size()));
    if (!file) {
      std::filesystem::remove(temp, error);
      return;
    }
  }
  std::filesystem::rename(temp, path, error);
  if (error) std::filesystem::remove(temp, error);
}

}  // namespace neon::opencl
