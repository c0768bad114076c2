// A backend that wraps a correct one and breaks exactly one rule of the porting
// contract, so tests can prove the conformance suite (and shadow validation)
// notices each kind of mistake a port can make.
#pragma once

#include <memory>
#include <string_view>

#include "backends/backend.h"

namespace neon::conformance {

// V(enum name, what the faulty backend does wrong)
#define NEON_FAULT_LIST(V)                                                                        \
  V(kGemmReadsCWhenBetaIsZero, "gemm reads C when beta is 0 (NaN in C leaks into the result)")      \
  V(kGemmIgnoresBatchStride, "gemm uses the first matrix of A and B for every batch")               \
  V(kGemmIgnoresTransposeOfA, "gemm reads A as stored even when it is to be transposed")            \
  V(kFillIgnoresStreamOffset, "fill_random starts every fill at stream position 0")                 \
  V(kFillIgnoresSeedHighHalf, "fill_random keys Philox with the low 32 bits of the seed only")      \
  V(kKernelRandIgnoresStreamOffset, "rand() in a kernel starts at stream position 0")               \
  V(kRintRoundsHalvesAwayFromZero, "rint rounds halves away from zero instead of to even")          \
  V(kEmptyReductionLeavesOutput, "a reduction over an empty axis writes nothing")                   \
  V(kSkipsArgumentValidation, "bad arguments are silently ignored instead of an ArgumentError")     \
  V(kOutputIgnoresRowStride, "kernels write the output as if its rows were contiguous")             \
  V(kInputIgnoresColumnStride, "kernels read inputs as if their columns were contiguous")           \
  V(kCopyOutIgnoresOffset, "copy_out reads from the start of the buffer")

enum class Fault {
#define NEON_FAULT_ENUM(name, text) name,
  NEON_FAULT_LIST(NEON_FAULT_ENUM)
#undef NEON_FAULT_ENUM
};

inline constexpr std::string_view kFaultDescriptions[] = {
#define NEON_FAULT_TEXT(name, text) text,
    NEON_FAULT_LIST(NEON_FAULT_TEXT)
#undef NEON_FAULT_TEXT
};
inline constexpr int kNumFaults = static_cast<int>(std::size(kFaultDescriptions));

// `inner` with `fault`; every other call is passed through unchanged.
std::unique_ptr<Backend> MakeFaultyBackend(std::unique_ptr<Backend> inner, Fault fault);

}  // namespace neon::conformance
