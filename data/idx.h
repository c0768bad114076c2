// The IDX file format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist):
// a big-endian magic (0, 0, type 0x08 = unsigned byte, rank), one big-endian
// uint32 per dimension, then the elements. Files may be gzip-compressed
// (read through zlib; plain files are read as they are).
// Every defect is an IoError naming the file and what was wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace neon {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major, prod(dims) bytes
};

// Reads an unsigned-byte IDX file of rank 1 to 4; `max_items` > 0 keeps only the
// first max_items entries of the first axis (the rest of the file is not read).
IdxArray ReadIdx(const std::string& path, int64_t max_items = 0);

// Writes `array` as a plain (uncompressed) IDX file; for tests and tools.
void WriteIdx(const std::string& path, const IdxArray& array);

}  // namespace neon
