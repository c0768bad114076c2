#include "layers/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace neon {

namespace {

using Json = nlohmann::json;

// Headers larger than this are not ours (the Python package's limit is 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

int64_t ElementSize(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "F64") return 8;
  return 0;
}

void AppendLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t ReadLittleEndian(const char* bytes, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

[[noreturn]] void Corrupt(const std::string& source, const std::string& what) {
  throw IoError(source + ": not a valid safetensors file: " + what);
}

// The element count of `shape`, or a Corrupt error when it is negative or overflows.
int64_t CheckedElements(const Json& shape, const std::string& source, const std::string& name,
                        std::vector<int64_t>& dims) {
  if (!shape.is_array()) Corrupt(source, "tensor '" + name + "' has no shape array");
  int64_t count = 1;
  for (const Json& dim : shape) {
    if (!dim.is_number_unsigned()) Corrupt(source, "tensor '" + name + "' has a shape that is not unsigned integers");
    uint64_t size = dim.get<uint64_t>();
    if (size > (uint64_t{1} << 40) || (size != 0 && static_cast<uint64_t>(count) > (uint64_t{1} << 40) / size)) {
      Corrupt(source, "tensor '" + name + "' has more than 2^40 elements");
    }
    count *= static_cast<int64_t>(size);
    dims.push_back(static_cast<int64_t>(size));
  }
  return count;
}

}  // namespace

std::string EncodeSafetensors(const SafetensorsFile& file) {
  Json header = Json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::string data;
  for (const auto& [name, tensor] : file.tensors) {
    int64_t element_size = ElementSize(tensor.dtype);
    if (element_size == 0) throw ArgumentError("safetensors: tensor '" + name + "' has unsupported dtype " + tensor.dtype);
    size_t begin = data.size();
    for (double value : tensor.values) {
      if (element_size == 4) {
        float single = static_cast<float>(value);
        uint32_t bits;
        std::memcpy(&bits, &single, 4);
        AppendLittleEndian(data, bits, 4);
      } else {
        uint64_t bits;
        std::memcpy(&bits, &value, 8);
        AppendLittleEndian(data, bits, 8);
      }
    }
    header[name] = {{"dtype", tensor.dtype}, {"shape", tensor.shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned, as the Python package writes
  std::string out;
  AppendLittleEndian(out, text.size(), 8);
  return out + text + data;
}

SafetensorsFile DecodeSafetensors(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 8) Corrupt(source, "shorter than the 8-byte header length (truncated?)");
  uint64_t header_bytes = ReadLittleEndian(bytes.data(), 8);
  if (header_bytes > kMaxHeaderBytes) Corrupt(source, "header length " + std::to_string(header_bytes) + " is over 100 MB");
  if (header_bytes > bytes.size() - 8) {
    Corrupt(source, "header length " + std::to_string(header_bytes) + " passes the end of the file (truncated?)");
  }
  Json header = Json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(header_bytes), nullptr,
                            /*allow_exceptions=*/false);
  if (!header.is_object()) Corrupt(source, "the header is not a JSON object");
  uint64_t data_bytes = bytes.size() - 8 - header_bytes;
  const char* data = bytes.data() + 8 + header_bytes;
  SafetensorsFile file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) Corrupt(source, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) Corrupt(source, "__metadata__ value of '" + key + "' is not a string");
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string()) {
      Corrupt(source, "tensor '" + name + "' has no dtype");
    }
    SafetensorsTensor tensor;
    tensor.dtype = entry["dtype"].get<std::string>();
    int64_t element_size = ElementSize(tensor.dtype);
    if (element_size == 0) Corrupt(source, "tensor '" + name + "' has dtype " + tensor.dtype + " (neon reads F32 and F64)");
    int64_t count = CheckedElements(entry.value("shape", Json()), source, name, tensor.shape);
    const Json offsets = entry.value("data_offsets", Json());
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      Corrupt(source, "tensor '" + name + "' has no data_offsets [begin, end]");
    }
    uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_bytes) {
      Corrupt(source, "tensor '" + name + "' data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                          "] are outside the " + std::to_string(data_bytes) + " data bytes (truncated?)");
    }
    if (end - begin != static_cast<uint64_t>(count * element_size)) {
      Corrupt(source, "tensor '" + name + "' has " + std::to_string(end - begin) + " bytes but its shape and dtype need " +
                          std::to_string(count * element_size));
    }
    ranges.push_back({begin, end});
    tensor.values.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      uint64_t bits = ReadLittleEndian(data + begin + i * element_size, static_cast<int>(element_size));
      if (element_size == 4) {
        uint32_t bits32 = static_cast<uint32_t>(bits);
        float single;
        std::memcpy(&single, &bits32, 4);
        tensor.values[static_cast<size_t>(i)] = single;
      } else {
        std::memcpy(&tensor.values[static_cast<size_t>(i)], &bits, 8);
      }
    }
    file.tensors[name] = std::move(tensor);
  }
  // The published format: the tensors cover the data exactly, without holes or overlaps.
  std::sort(ranges.begin(), ranges.end());
  uint64_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != covered) Corrupt(source, "the tensors' data has a hole or an overlap at byte " + std::to_string(begin));
    covered = end;
  }
  if (covered != data_bytes) {
    Corrupt(source, std::to_string(data_bytes - covered) + " bytes after the last tensor belong to none");
  }
  return file;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path + ": read failed");
  return bytes;
}

void WriteFileAtomically(const std::string& path, const std::string& bytes) {
  std::filesystem::path target(path);
  std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string temp = (directory / ("." + target.filename().string() + ".tmp." + std::to_string(getpid()))).string();
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot create " + temp + " (" + std::strerror(errno) + ")");
  // NEON_TEST_SLOW_WRITES=1 pauses between 64 KiB chunks, so a test's kill -9 lands inside a write.
  static const bool slow_writes = std::getenv("NEON_TEST_SLOW_WRITES") != nullptr;
  constexpr size_t kChunk = 64 << 10;
  size_t written = 0;
  while (written < bytes.size()) {
    if (slow_writes && written > 0) usleep(1000);
    ssize_t n = write(fd, bytes.data() + written, std::min(kChunk, bytes.size() - written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string reason = std::strerror(errno);
      close(fd);
      unlink(temp.c_str());
      throw IoError(path + ": write failed (" + reason + ")");
    }
    written += static_cast<size_t>(n);
  }
  bool synced = fsync(fd) == 0;
  bool closed = close(fd) == 0;
  if (!synced || !closed) {
    std::string reason = std::strerror(errno);
    unlink(temp.c_str());
    throw IoError(path + ": fsync failed (" + reason + ")");
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    unlink(temp.c_str());
    throw IoError(path + ": cannot rename " + temp + " over it (" + reason + ")");
  }
  int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);  // makes the rename itself durable
    close(dir_fd);
  }
}

}  // namespace neon
