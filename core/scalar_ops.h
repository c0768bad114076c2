// The meaning of every elementwise op on one value, in float64. This is the
// specification every backend matches (the reference backend calls it).
#pragma once

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/op_table.h"

namespace neon {

namespace scalar {

inline double Sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double Sgn(double x) { return std::isnan(x) ? x : (x > 0) - (x < 0); }
// log clamped below at -50 (neon): safelog(0) = -50, no -inf.
inline double Safelog(double x) { return x > std::exp(-50.0) ? std::log(x) : (std::isnan(x) ? x : -50.0); }
// NaN-propagating minimum and maximum (numpy's, not C's fmin/fmax).
inline double Minimum(double x, double y) { return std::isnan(x) || std::isnan(y) ? NAN : (y < x ? y : x); }
inline double Maximum(double x, double y) { return std::isnan(x) || std::isnan(y) ? NAN : (y > x ? y : x); }

}  // namespace scalar

inline double ApplyUnary(OpKind op, double x) {
  switch (op) {
    case OpKind::kFinite: return std::isfinite(x) ? 1.0 : 0.0;
    case OpKind::kNeg: return -x;
    case OpKind::kAbs: return std::fabs(x);
    case OpKind::kSgn: return scalar::Sgn(x);
    case OpKind::kSqrt: return std::sqrt(x);
    case OpKind::kSqr: return x * x;
    case OpKind::kExp: return std::exp(x);
    case OpKind::kLog: return std::log(x);
    case OpKind::kExp2: return std::exp2(x);
    case OpKind::kLog2: return std::log2(x);
    case OpKind::kSig: return scalar::Sig(x);
    case OpKind::kSig2: return 1.0 / (1.0 + std::exp2(-x));
    case OpKind::kTanh: return std::tanh(x);
    case OpKind::kTanh2: return std::tanh(x * M_LN2);  // (2^2x - 1) / (2^2x + 1)
    case OpKind::kSafelog: return scalar::Safelog(x);
    case OpKind::kRint: return std::nearbyint(x);       // halves to even
    case OpKind::kBinarize: return std::isnan(x) ? x : (x >= 0 ? 1.0 : -1.0);
    default: throw ArgumentError("ApplyUnary: '" + std::string(OpName(op)) + "' is not a unary elementwise op");
  }
}

inline double ApplyBinary(OpKind op, double x, double y) {
  switch (op) {
    case OpKind::kAdd: return x + y;
    case OpKind::kSub: return x - y;
    case OpKind::kMul: return x * y;
    case OpKind::kDiv: return x / y;
    case OpKind::kEq: return x == y ? 1.0 : 0.0;
    case OpKind::kNe: return x != y ? 1.0 : 0.0;
    case OpKind::kLt: return x < y ? 1.0 : 0.0;
    case OpKind::kLe: return x <= y ? 1.0 : 0.0;
    case OpKind::kGt: return x > y ? 1.0 : 0.0;
    case OpKind::kGe: return x >= y ? 1.0 : 0.0;
    case OpKind::kPow: return std::pow(x, y);           // C pow: (-8)^(1/3) is NaN
    case OpKind::kMinimum: return scalar::Minimum(x, y);
    case OpKind::kMaximum: return scalar::Maximum(x, y);
    case OpKind::kShift: return x * std::exp2(y);       // x * 2^y
    default: throw ArgumentError("ApplyBinary: '" + std::string(OpName(op)) + "' is not a binary elementwise op");
  }
}

// Conversion of a computed value to int32 on store: round toward zero,
// saturate at the int32 range, NaN -> 0.
inline int32_t ToInt32(double x) {
  if (std::isnan(x)) return 0;
  if (x >= 2147483647.0) return std::numeric_limits<int32_t>::max();
  if (x <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x);
}

}  // namespace neon
