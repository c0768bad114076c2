// The one list of op kinds. The enum, names, arity, kind and properties are
// all generated from NEON_OP_LIST; adding an op is one line here, one rule in
// each backend's evaluator, one gradient rule and one conformance case.
#pragma once

#include <cstdint>
#include <string_view>

namespace neon {

// How an op relates its operands to its result.
enum class OpClass : uint8_t {
  kLeaf,         // a tensor or a scalar constant
  kGenerator,    // values made from nothing but the output position (rand, onehot)
  kUnary,        // elementwise, one operand
  kBinary,       // elementwise, two operands, numpy broadcasting
  kReduction,    // along axis 0, axis 1, or all (kAllAxes)
  kMatmul,       // dot: (m, k) x (k, n) -> (m, n)
  kMovement,     // transpose
  kInternal,     // made by lowering only: row/column index, the reduced value
};

// Flags combined in the table's last column.
inline constexpr uint8_t kDifferentiable = 1;
inline constexpr uint8_t kCommutative = 2;

// V(enum name, user-facing name, operand count, class, flags)
#define NEON_OP_LIST(V)                                                    \
  V(kTensor, "tensor", 0, kLeaf, 0)                                         \
  V(kScalar, "scalar", 0, kLeaf, 0)                                         \
  V(kRand, "rand", 0, kGenerator, 0)                                        \
  V(kOnehot, "onehot", 1, kGenerator, 0)                                    \
  V(kFinite, "finite", 1, kUnary, 0)                                        \
  V(kNeg, "neg", 1, kUnary, kDifferentiable)                                \
  V(kAbs, "abs", 1, kUnary, kDifferentiable)                                \
  V(kSgn, "sgn", 1, kUnary, 0)                                              \
  V(kSqrt, "sqrt", 1, kUnary, kDifferentiable)                              \
  V(kSqr, "sqr", 1, kUnary, kDifferentiable)                                \
  V(kExp, "exp", 1, kUnary, kDifferentiable)                                \
  V(kLog, "log", 1, kUnary, kDifferentiable)                                \
  V(kExp2, "exp2", 1, kUnary, kDifferentiable)                              \
  V(kLog2, "log2", 1, kUnary, kDifferentiable)                              \
  V(kSig, "sig", 1, kUnary, kDifferentiable)                                \
  V(kSig2, "sig2", 1, kUnary, kDifferentiable)                              \
  V(kTanh, "tanh", 1, kUnary, kDifferentiable)                              \
  V(kTanh2, "tanh2", 1, kUnary, kDifferentiable)                            \
  V(kSafelog, "safelog", 1, kUnary, kDifferentiable)                        \
  V(kRint, "rint", 1, kUnary, 0)                                            \
  V(kBinarize, "binarize", 1, kUnary, 0)                                    \
  V(kTranspose, "transpose", 1, kMovement, kDifferentiable)                 \
  V(kAdd, "add", 2, kBinary, kDifferentiable | kCommutative)                \
  V(kSub, "sub", 2, kBinary, kDifferentiable)                               \
  V(kMul, "mul", 2, kBinary, kDifferentiable | kCommutative)                \
  V(kDiv, "div", 2, kBinary, kDifferentiable)                               \
  V(kEq, "eq", 2, kBinary, kCommutative)                                    \
  V(kNe, "ne", 2, kBinary, kCommutative)                                    \
  V(kLt, "lt", 2, kBinary, 0)                                               \
  V(kLe, "le", 2, kBinary, 0)                                               \
  V(kGt, "gt", 2, kBinary, 0)                                               \
  V(kGe, "ge", 2, kBinary, 0)                                               \
  V(kPow, "pow", 2, kBinary, kDifferentiable)                               \
  V(kMinimum, "minimum", 2, kBinary, kDifferentiable | kCommutative)        \
  V(kMaximum, "maximum", 2, kBinary, kDifferentiable | kCommutative)        \
  V(kShift, "shift", 2, kBinary, kDifferentiable)                           \
  V(kDot, "dot", 2, kMatmul, kDifferentiable)                               \
  V(kSum, "sum", 1, kReduction, kDifferentiable)                            \
  V(kMax, "max", 1, kReduction, kDifferentiable)                            \
  V(kMin, "min", 1, kReduction, kDifferentiable)                            \
  V(kArgmax, "argmax", 1, kReduction, 0)                                    \
  V(kArgmin, "argmin", 1, kReduction, 0)                                    \
  V(kRowIndex, "row_index", 0, kInternal, 0)                                \
  V(kColIndex, "col_index", 0, kInternal, 0)                              \
  V(kReduced, "reduced", 0, kInternal, 0)

enum class OpKind : uint8_t {
#define NEON_OP_ENUM(name, str, arity, cls, flags) name,
  NEON_OP_LIST(NEON_OP_ENUM)
#undef NEON_OP_ENUM
};

inline constexpr int kNumOpKinds = 0
#define NEON_OP_COUNT(name, str, arity, cls, flags) +1
    NEON_OP_LIST(NEON_OP_COUNT)
#undef NEON_OP_COUNT
    ;
static_assert(kNumOpKinds == 45, "update the count when the op list changes");

struct OpInfo {
  std::string_view name;
  int arity;
  OpClass op_class;
  uint8_t flags;
};

inline constexpr OpInfo kOpInfo[kNumOpKinds] = {
#define NEON_OP_INFO(name, str, arity, cls, flags) {str, arity, OpClass::cls, flags},
    NEON_OP_LIST(NEON_OP_INFO)
#undef NEON_OP_INFO
};

constexpr const OpInfo& Info(OpKind op) { return kOpInfo[static_cast<int>(op)]; }
constexpr std::string_view OpName(OpKind op) { return Info(op).name; }
constexpr OpClass ClassOf(OpKind op) { return Info(op).op_class; }
constexpr bool IsElementwise(OpKind op) {
  return ClassOf(op) == OpClass::kUnary || ClassOf(op) == OpClass::kBinary;
}
constexpr bool IsReduction(OpKind op) { return ClassOf(op) == OpClass::kReduction; }

// Reduction axis meaning "over every element"; the result is (1, 1).
inline constexpr int kAllAxes = -1;

}  // namespace neon
