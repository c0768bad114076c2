// What a backend is asked to run: a fused elementwise kernel (a small SSA
// program with an optional trailing reduction and epilogue), a GEMM, or a
// random fill, plus the runtime arguments (buffers, strides, sizes, scalars).
// These are plain data shared by graph/ (which builds them) and every backend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/op_table.h"

namespace neon {

class Buffer;

// One SSA instruction; its result is the register with its own index.
struct Instr {
  OpKind op;
  int32_t a = -1;     // first operand register
  int32_t b = -1;     // second operand register
  // kTensor: input slot. kScalar: param slot. kRand: first of three param
  // slots (key low 32 bits, key high 32 bits, counter offset).
  int32_t slot = -1;
};

// A fused kernel over a 2-D iteration space (rows, cols).
//
// Without a reduction: out[i, j] = body(i, j).
// With a reduction on axis 0 / 1 / all: acc = reduce over the axis of body(i, j),
// then out = epilogue evaluated at the output position, where the epilogue
// reads acc through a kReduced instruction. argmax/argmin reduce to the index
// (first index on ties; NaN counts as the largest/smallest value there is).
//
// Arithmetic happens in compute_dtype (float64 unless every operand and the
// output are float32); values are converted on load and on store.
struct FusedKernel {
  std::vector<DType> input_dtypes;   // one per input slot
  int num_params = 0;                // scalar parameters, passed at run time
  DType compute_dtype = DType::kFloat32;
  DType output_dtype = DType::kFloat32;
  std::vector<Instr> body;           // evaluated at each (i, j); result = last
  bool has_reduction = false;
  OpKind reduce_op = OpKind::kSum;   // kSum kMax kMin kArgmax kArgmin
  int reduce_axis = 0;               // 0, 1 or kAllAxes
  std::vector<Instr> epilogue;       // evaluated at each output position; result = last

  // Structural identity: equal keys mean the same program. Backends cache
  // compiled code by it.
  std::string Key() const;
};

// A strided 2-D view of a device buffer, in elements.
struct TensorRef {
  Buffer* buffer = nullptr;
  int64_t offset = 0;
  int64_t row_stride = 0;   // 0 broadcasts along rows
  int64_t col_stride = 0;   // 0 broadcasts along columns
  DType dtype = DType::kFloat32;
};

// Runtime arguments of one FusedKernel launch. An input used by the epilogue
// is indexed at output positions (its stride on the reduced axis is 0).
struct KernelArgs {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<TensorRef> inputs;   // one per input slot
  TensorRef output;                // (rows, cols), or the reduced shape
  std::vector<double> params;      // num_params values
};

// Row-major matrix operand of a GEMM.
struct MatrixRef {
  Buffer* buffer = nullptr;
  int64_t offset = 0;        // elements
  int64_t ld = 0;            // leading dimension: elements between rows as stored
  bool trans = false;        // use the stored matrix transposed (never for C)
  int64_t batch_stride = 0;  // elements between consecutive matrices of a batch
};

// C = alpha op(A) op(B) + beta C, row-major, op(A) is m x k, op(B) is k x n.
struct GemmArgs {
  DType dtype = DType::kFloat32;   // float32 or float64, same for A, B and C
  int64_t m = 0, n = 0, k = 0;
  int64_t batch = 1;
  double alpha = 1.0;
  double beta = 0.0;
  MatrixRef a, b, c;
};

enum class Distribution : uint8_t {
  kUniform,    // a + (b - a) u, u in [0, 1) with 24 random bits
  kNormal,     // mean a, standard deviation b (Box-Muller in float64)
  kBernoulli,  // 1 with probability a, else 0
};

// Fill dst (rows x cols, strided) from the Philox4x32-10 stream of `seed`,
// element e taking stream position counter_offset + i * cols + j (see
// core/philox.h for how positions map to counters and bits).
struct RandomArgs {
  TensorRef dst;
  int64_t rows = 0;
  int64_t cols = 0;
  Distribution distribution = Distribution::kUniform;
  double a = 0.0;
  double b = 1.0;
  uint64_t seed = 0;
  uint64_t counter_offset = 0;
};

}  // namespace neon
