// The safetensors file format (github.com/huggingface/safetensors), as published:
//
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   a JSON object: {"__metadata__": {string: string}, "<tensor>": {"dtype": "F32",
//             "shape": [..], "data_offsets": [begin, end]}, ...}, padded with spaces
//   the rest  the tensors' bytes, little-endian, row-major; offsets are relative to here
//
// The byte buffer is covered exactly by the tensors (no holes, no overlaps). Host-side
// only: no backend. Every defect of a file is an IoError naming it and what was wrong.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace neon {

struct SafetensorsTensor {
  std::string dtype;           // "F32" or "F64" (the only ones neon writes and reads)
  std::vector<int64_t> shape;
  std::vector<double> values;  // row-major
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, SafetensorsTensor> tensors;
};

// The bytes of a safetensors file; tensors are laid out in name order.
std::string EncodeSafetensors(const SafetensorsFile& file);
// Parses and checks `bytes`; `source` names the file in messages.
SafetensorsFile DecodeSafetensors(const std::string& bytes, const std::string& source);

// Whole-file I/O with IoErrors naming the file. WriteFileAtomically writes a temporary
// file beside `path`, fsyncs it, renames it over `path` and fsyncs the directory, so a
// crash leaves either the old file or the new one, never a mix.
std::string ReadWholeFile(const std::string& path);
void WriteFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace neon
