// Element types a tensor can hold, with their sizes and names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace neon {

enum class DType : uint8_t { kFloat32, kFloat64, kInt32 };

constexpr size_t SizeOf(DType dtype) {
  return dtype == DType::kFloat64 ? 8 : 4;
}

constexpr std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt32: return "int32";
  }
  return "?";
}

// C++ type of each dtype, for host code that reads or writes elements.
template <DType> struct DTypeTraits;
template <> struct DTypeTraits<DType::kFloat32> { using type = float; };
template <> struct DTypeTraits<DType::kFloat64> { using type = double; };
template <> struct DTypeTraits<DType::kInt32> { using type = int32_t; };

template <typename T> constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kFloat32; }
template <> constexpr DType DTypeOf<double>() { return DType::kFloat64; }
template <> constexpr DType DTypeOf<int32_t>() { return DType::kInt32; }

}  // namespace neon
