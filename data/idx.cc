#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include "core/error.h"

namespace neon {

namespace {

constexpr uint8_t kUnsignedByteType = 0x08;
constexpr int kMaxRank = 4;
// Far above any real dataset; bounds what a corrupt header can make us allocate.
constexpr int64_t kMaxElements = int64_t{1} << 34;

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

// Reads exactly `size` bytes or throws naming the file and what was being read.
void ReadExactly(gzFile file, const std::string& path, void* dst, size_t size, const char* what) {
  auto* bytes = static_cast<uint8_t*>(dst);
  while (size > 0) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(size, 1u << 30));
    int got = gzread(file, bytes, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw IoError(path + ": corrupt compressed data while reading the " + what + " (" + message + ")");
    }
    if (got == 0) throw IoError(path + ": truncated: the file ends inside the " + std::string(what));
    bytes += got;
    size -= static_cast<size_t>(got);
  }
}

uint32_t BigEndian32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]};
}

}  // namespace

IdxArray ReadIdx(const std::string& path, int64_t max_items) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
  uint8_t magic[4];
  ReadExactly(file.get(), path, magic, sizeof(magic), "magic number");
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != kUnsignedByteType || magic[3] < 1 || magic[3] > kMaxRank) {
    char text[64];
    std::snprintf(text, sizeof(text), "0x%02x%02x%02x%02x", magic[0], magic[1], magic[2], magic[3]);
    throw IoError(path + ": wrong magic number " + text +
                  " (expected 0x000008NN: an IDX file of unsigned bytes with rank NN from 1 to 4)");
  }
  IdxArray array;
  int64_t elements = 1;
  for (int axis = 0; axis < magic[3]; ++axis) {
    uint8_t dim[4];
    ReadExactly(file.get(), path, dim, sizeof(dim), "dimensions");
    int64_t size = BigEndian32(dim);
    if (axis > 0 && size == 0) throw IoError(path + ": dimension " + std::to_string(axis) + " is 0");
    if (size != 0 && elements > kMaxElements / size) {
      throw IoError(path + ": dimensions describe more than 2^34 elements (a corrupt header)");
    }
    elements *= size;
    array.dims.push_back(size);
  }
  if (max_items > 0 && array.dims[0] > max_items) {
    elements = elements / array.dims[0] * max_items;
    array.dims[0] = max_items;
  }
  // Grown chunk by chunk as data arrives: a header that promises more than the file holds
  // fails at the file's end instead of allocating what it promised.
  constexpr int64_t kChunk = int64_t{1} << 20;
  for (int64_t done = 0; done < elements;) {
    int64_t chunk = std::min(kChunk, elements - done);
    array.data.resize(static_cast<size_t>(done + chunk));
    ReadExactly(file.get(), path, array.data.data() + done, static_cast<size_t>(chunk), "data");
    done += chunk;
  }
  return array;
}

void WriteIdx(const std::string& path, const IdxArray& array) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(path + ": cannot create (" + std::strerror(errno) + ")");
  uint8_t magic[4] = {0, 0, kUnsignedByteType, static_cast<uint8_t>(array.dims.size())};
  out.write(reinterpret_cast<const char*>(magic), 4);
  for (int64_t dim : array.dims) {
    uint32_t size = static_cast<uint32_t>(dim);
    uint8_t bytes[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                        static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
    out.write(reinterpret_cast<const char*>(bytes), 4);
  }
  out.write(reinterpret_cast<const char*>(array.data.data()), static_cast<std::streamsize>(array.data.size()));
  if (!out.flush()) throw IoError(path + ": write failed");
}

}  // namespace neon
