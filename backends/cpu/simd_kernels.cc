// Highway kernels for backends/cpu/simd_kernels.h. This file is compiled once
// per SIMD target (foreach_target.h) and the best target is chosen at run time.
#include "backends/cpu/simd_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#ifndef BACKENDS_CPU_SIMD_KERNELS_SHARED_
#define BACKENDS_CPU_SIMD_KERNELS_SHARED_
namespace neon::cpu {
namespace {

// The smallest float f with (double)f > exp(-50): safelog's float32 threshold,
// so `x >= threshold` in float32 decides exactly like the float64 spec.
float SafelogThreshold() {
  const double limit = std::exp(-50.0);
  float f = static_cast<float>(limit);
  while (static_cast<double>(f) <= limit) f = std::nextafter(f, 1.0f);
  while (static_cast<double>(std::nextafter(f, 0.0f)) > limit) f = std::nextafter(f, 0.0f);
  return f;
}

}  // namespace
}  // namespace neon::cpu
#endif  // BACKENDS_CPU_SIMD_KERNELS_SHARED_

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backends/cpu/simd_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace neon::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DD = hn::ScalableTag<double>;
using DFHalf = hn::Rebind<float, DD>;  // as many floats as DD has doubles

// ---- math with the spec's behaviour at NaN, infinities and zero ----

template <class D, class V>
HWY_INLINE V ExpSpec(D d, V x) {
  using T = hn::TFromD<D>;
  // Above this exp(x) rounds to infinity; hn::Exp does not saturate by itself.
  const T overflow = sizeof(T) == 4 ? static_cast<T>(88.72283935546875) : static_cast<T>(709.782712893384);
  V r = hn::Exp(d, x);
  r = hn::IfThenElse(hn::Ge(x, hn::Set(d, overflow)), hn::Set(d, std::numeric_limits<T>::infinity()), r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

// log or log2 with log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
template <bool kBase2, class D, class V>
HWY_INLINE V LogSpec(D d, V x) {
  using T = hn::TFromD<D>;
  V r = kBase2 ? hn::Log2(d, x) : hn::Log(d, x);
  const V inf = hn::Set(d, std::numeric_limits<T>::infinity());
  r = hn::IfThenElse(hn::Eq(x, hn::Zero(d)), hn::Neg(inf), r);
  r = hn::IfThenElse(hn::Eq(x, inf), inf, r);
  r = hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Set(d, std::numeric_limits<T>::quiet_NaN()), r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
HWY_INLINE V TanhSpec(D d, V x) {
  return hn::IfThenElse(hn::IsNaN(x), x, hn::Tanh(d, x));
}

// e^t for t <= 0 (float32), for the sigmoid: t = n ln2 + r with |r| <= ln2 / 2
// (n from the magic-number rounding), e^r by its Taylor series to degree 7
// (truncation 5e-9), then 2^n. When every lane has t >= -86 the result is
// normal and n is added to the exponent bits directly; otherwise t is clamped
// at -110 (e^-110 rounds to 0) and 2^n applied as 2^(n+64) * 2^-64, so results
// below 2^-126 round once, to the right denormal. NaN is not handled here.
template <class D, class V>
HWY_INLINE V ExpNonPositive(D d, V t) {
  const hn::RebindToSigned<D> di;
  const auto fast = hn::AllTrue(d, hn::Ge(t, hn::Set(d, -86.0f)));
  if (!fast) t = hn::Max(t, hn::Set(d, -110.0f));
  const V magic = hn::Set(d, 12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const V shifted = hn::MulAdd(t, hn::Set(d, 1.44269504088896341f), magic);
  const V n = hn::Sub(shifted, magic);
  V r = hn::NegMulAdd(n, hn::Set(d, 0.693145751953125f), t);  // ln2 split in a high part
  r = hn::NegMulAdd(n, hn::Set(d, 1.42860682030941723212e-6f), r);  // and the rest
  V p = hn::Set(d, 1.0f / 5040.0f);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  if (HWY_LIKELY(fast)) {
    // The low bits of `shifted` hold n (in [-124, 0]); shifted up they add n to p's exponent.
    return hn::BitCast(d, hn::Add(hn::BitCast(di, p), hn::ShiftLeft<23>(hn::BitCast(di, shifted))));
  }
  // 2^(n + 64) built in the exponent field (n + 64 is in [-95, 64]: a normal float).
  const auto bits = hn::ShiftLeft<23>(hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127 + 64)));
  return hn::Mul(hn::Mul(p, hn::BitCast(d, bits)), hn::Set(d, 5.42101086242752217e-20f));  // * 2^-64
}

// 1 / (1 + e^-x), as e^x / (1 + e^x) for x < 0 so tiny results keep their
// precision. The reciprocal of 1 + e in [1, 2] is the hardware estimate
// refined by Newton steps (cheaper than a division, within the bound).
template <class D, class V>
HWY_INLINE V SigSpec(D d, V x) {
  const V one = hn::Set(d, 1);
  const V two = hn::Set(d, 2);
  V e;
  if constexpr (sizeof(hn::TFromD<D>) == 4) {
    e = ExpNonPositive(d, hn::Or(x, hn::SignBit(d)));  // -|x|
  } else {
    e = hn::Exp(d, hn::Neg(hn::Abs(x)));
  }
  const V y = hn::Add(one, e);
  V s = hn::ApproximateReciprocal(y);
  s = hn::Mul(s, hn::NegMulAdd(y, s, two));
#if HWY_TARGET > HWY_AVX3
  s = hn::Mul(s, hn::NegMulAdd(y, s, two));  // a 12-bit estimate needs a second step; AVX-512's has 14 bits
#endif
  const V r = hn::IfThenElse(hn::Ge(x, hn::Zero(d)), s, hn::Mul(e, s));
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
HWY_INLINE V Exp2Spec(D d, V x) {  // float64 only: x * ln2 is exact enough there
  return ExpSpec(d, hn::Mul(x, hn::Set(d, 0.6931471805599453094)));
}

// 2^y for shift: exact (built from the exponent bits) for finite integral y,
// so x * 2^y rounds once, like the spec; exp2 otherwise. float64 only.
template <class D, class V>
HWY_INLINE V ShiftScale(D d, V y) {
  const hn::RebindToSigned<D> di;
  const auto integral = hn::And(hn::Eq(hn::Round(y), y),
                                hn::And(hn::Ge(y, hn::Set(d, -1022.0)), hn::Le(y, hn::Set(d, 1023.0))));
  const V clamped = hn::Min(hn::Max(y, hn::Set(d, -1022.0)), hn::Set(d, 1023.0));  // lanes not used stay valid
  const auto exponent = hn::Add(hn::ConvertTo(di, clamped), hn::Set(di, int64_t{1023}));
  const V exact = hn::BitCast(d, hn::ShiftLeft<52>(exponent));
  return hn::IfThenElse(integral, exact, Exp2Spec(d, y));
}

// ---- loops over tiles ----

// float32 memory as vectors of D's lanes (float32, or float64 by promotion) and back.
template <class D>
HWY_INLINE auto LoadFloats(D d, const float* p) {
  if constexpr (sizeof(hn::TFromD<D>) == 4) {
    return hn::LoadU(d, p);
  } else {
    return hn::PromoteTo(d, hn::LoadU(hn::Rebind<float, D>(), p));
  }
}

template <class D, class V>
HWY_INLINE void StoreFloats(D d, V v, float* p) {
  if constexpr (sizeof(hn::TFromD<D>) == 4) {
    hn::StoreU(v, d, p);
  } else {
    const hn::Rebind<float, D> df;
    hn::StoreU(hn::DemoteTo(df, v), df, p);
  }
}

// Loops read and write exactly n elements: full vectors, then the tail through
// a small padded copy (so tiles may live in tensors' own memory).
template <class D, class F>
HWY_INLINE void UnaryLoopD(const float* src, float* dst, size_t n, F f) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  const auto load = [&](const float* p) { return LoadFloats(d, p); };
  const auto store = [&](auto v, float* p) { StoreFloats(d, v, p); };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) store(f(d, load(src + i)), dst + i);
  if (i < n) {
    HWY_ALIGN float in[hn::MaxLanes(D())] = {}, out[hn::MaxLanes(D())];
    std::copy(src + i, src + n, in);
    store(f(d, load(in)), out);
    std::copy(out, out + (n - i), dst + i);
  }
}

template <class F>
HWY_INLINE void UnaryLoop(const float* src, float* dst, size_t n, F f) {
  UnaryLoopD<DF>(src, dst, n, f);
}

// Promotes to float64, applies f, rounds back: for ops whose float32 versions
// would lose accuracy (exp2, sig2, tanh2, pow, shift).
template <class F>
HWY_INLINE void UnaryLoopF64(const float* src, float* dst, size_t n, F f) {
  UnaryLoopD<DD>(src, dst, n, f);
}

template <class D, class F>
HWY_INLINE void BinaryLoopD(const float* a, const float* b, float* dst, size_t n, Broadcast bc, F f) {
  using T = hn::TFromD<D>;
  const D d;
  const size_t lanes = hn::Lanes(d);
  const auto load = [&](const float* p) { return LoadFloats(d, p); };
  const auto store = [&](auto v, float* p) { StoreFloats(d, v, p); };
  const auto va = hn::Set(d, static_cast<T>(a[0]));
  const auto vb = hn::Set(d, static_cast<T>(b[0]));
  size_t i = 0;
  switch (bc) {
    case Broadcast::kNone:
      for (; i + lanes <= n; i += lanes) store(f(d, load(a + i), load(b + i)), dst + i);
      break;
    case Broadcast::kA:
      for (; i + lanes <= n; i += lanes) store(f(d, va, load(b + i)), dst + i);
      break;
    case Broadcast::kB:
      for (; i + lanes <= n; i += lanes) store(f(d, load(a + i), vb), dst + i);
      break;
  }
  if (i < n) {
    HWY_ALIGN float ta[hn::MaxLanes(D())] = {}, tb[hn::MaxLanes(D())] = {}, out[hn::MaxLanes(D())];
    if (bc != Broadcast::kA) std::copy(a + i, a + n, ta);
    if (bc != Broadcast::kB) std::copy(b + i, b + n, tb);
    store(f(d, bc == Broadcast::kA ? va : load(ta), bc == Broadcast::kB ? vb : load(tb)), out);
    std::copy(out, out + (n - i), dst + i);
  }
}

template <class F>
HWY_INLINE void BinaryLoop(const float* a, const float* b, float* dst, size_t n, Broadcast bc, F f) {
  BinaryLoopD<DF>(a, b, dst, n, bc, f);
}

template <class F>
HWY_INLINE void BinaryLoopF64(const float* a, const float* b, float* dst, size_t n, Broadcast bc, F f) {
  BinaryLoopD<DD>(a, b, dst, n, bc, f);
}

template <class D, class M>
HWY_INLINE auto OneIf(D d, M mask) {
  return hn::IfThenElseZero(mask, hn::Set(d, 1));
}

void Unary(OpKind op, const float* src, float* dst, size_t n) {
  switch (op) {
    case OpKind::kFinite: return UnaryLoop(src, dst, n, [](auto d, auto x) { return OneIf(d, hn::IsFinite(x)); });
    case OpKind::kNeg: return UnaryLoop(src, dst, n, [](auto, auto x) { return hn::Neg(x); });
    case OpKind::kAbs: return UnaryLoop(src, dst, n, [](auto, auto x) { return hn::Abs(x); });
    case OpKind::kSgn:
      return UnaryLoop(src, dst, n, [](auto d, auto x) {
        const auto zero = hn::Zero(d);
        auto r = hn::IfThenElse(hn::Gt(x, zero), hn::Set(d, 1), hn::IfThenElseZero(hn::Lt(x, zero), hn::Set(d, -1)));
        return hn::IfThenElse(hn::IsNaN(x), x, r);
      });
    case OpKind::kSqrt: return UnaryLoop(src, dst, n, [](auto, auto x) { return hn::Sqrt(x); });
    case OpKind::kSqr: return UnaryLoop(src, dst, n, [](auto, auto x) { return hn::Mul(x, x); });
    case OpKind::kExp: return UnaryLoop(src, dst, n, [](auto d, auto x) { return ExpSpec(d, x); });
    case OpKind::kLog: return UnaryLoop(src, dst, n, [](auto d, auto x) { return LogSpec<false>(d, x); });
    case OpKind::kExp2: return UnaryLoopF64(src, dst, n, [](auto d, auto x) { return Exp2Spec(d, x); });
    case OpKind::kLog2: return UnaryLoop(src, dst, n, [](auto d, auto x) { return LogSpec<true>(d, x); });
    case OpKind::kSig: return UnaryLoop(src, dst, n, [](auto d, auto x) { return SigSpec(d, x); });
    case OpKind::kSig2:
      return UnaryLoopF64(src, dst, n, [](auto d, auto x) {
        const auto one = hn::Set(d, 1.0);
        return hn::Div(one, hn::Add(one, Exp2Spec(d, hn::Neg(x))));
      });
    case OpKind::kTanh: return UnaryLoop(src, dst, n, [](auto d, auto x) { return TanhSpec(d, x); });
    case OpKind::kTanh2:
      return UnaryLoopF64(src, dst, n, [](auto d, auto x) {
        return TanhSpec(d, hn::Mul(x, hn::Set(d, 0.6931471805599453094)));
      });
    case OpKind::kSafelog: {
      static const float kThreshold = SafelogThreshold();
      const float threshold = kThreshold;
      return UnaryLoop(src, dst, n, [threshold](auto d, auto x) {
        auto r = hn::IfThenElse(hn::Ge(x, hn::Set(d, threshold)), LogSpec<false>(d, x), hn::Set(d, -50.0f));
        return hn::IfThenElse(hn::IsNaN(x), x, r);
      });
    }
    case OpKind::kRint: return UnaryLoop(src, dst, n, [](auto, auto x) { return hn::Round(x); });
    case OpKind::kBinarize:
      return UnaryLoop(src, dst, n, [](auto d, auto x) {
        auto r = hn::IfThenElse(hn::Ge(x, hn::Zero(d)), hn::Set(d, 1), hn::Set(d, -1));
        return hn::IfThenElse(hn::IsNaN(x), x, r);
      });
    default: break;
  }
  // Unreachable: the plan validates ops before running (see fused.cc).
  for (size_t i = 0; i < n; ++i) dst[i] = std::numeric_limits<float>::quiet_NaN();
}

// pow in float64: e^(y log x) where x > 0 and both are finite; C pow for every
// other lane (negative bases, zeros, infinities, NaN), so the special cases are the spec's.
template <class D, class V>
HWY_INLINE V PowF64(D d, V x, V y) {
  const V inf = hn::Set(d, std::numeric_limits<double>::infinity());
  const auto ordinary = hn::And(hn::And(hn::Gt(x, hn::Zero(d)), hn::Lt(x, inf)), hn::IsFinite(y));
  V r = ExpSpec(d, hn::Mul(y, hn::Log(d, x)));
  if (!hn::AllTrue(d, ordinary)) {
    HWY_ALIGN double xs[hn::MaxLanes(D())], ys[hn::MaxLanes(D())], rs[hn::MaxLanes(D())];
    hn::Store(x, d, xs);
    hn::Store(y, d, ys);
    hn::Store(r, d, rs);
    for (size_t i = 0; i < hn::Lanes(d); ++i) {
      if (!(xs[i] > 0 && xs[i] < std::numeric_limits<double>::infinity() && std::isfinite(ys[i])))
        rs[i] = std::pow(xs[i], ys[i]);
    }
    r = hn::Load(d, rs);
  }
  return r;
}

void Binary(OpKind op, const float* a, const float* b, float* dst, size_t n, Broadcast bc) {
  switch (op) {
    case OpKind::kAdd: return BinaryLoop(a, b, dst, n, bc, [](auto, auto x, auto y) { return hn::Add(x, y); });
    case OpKind::kSub: return BinaryLoop(a, b, dst, n, bc, [](auto, auto x, auto y) { return hn::Sub(x, y); });
    case OpKind::kMul: return BinaryLoop(a, b, dst, n, bc, [](auto, auto x, auto y) { return hn::Mul(x, y); });
    case OpKind::kDiv: return BinaryLoop(a, b, dst, n, bc, [](auto, auto x, auto y) { return hn::Div(x, y); });
    case OpKind::kEq: return BinaryLoop(a, b, dst, n, bc, [](auto d, auto x, auto y) { return OneIf(d, hn::Eq(x, y)); });
    case OpKind::kNe: return BinaryLoop(a, b, dst, n, bc, [](auto d, auto x, auto y) { return OneIf(d, hn::Not(hn::Eq(x, y))); });
    case OpKind::kLt: return BinaryLoop(a, b, dst, n, bc, [](auto d, auto x, auto y) { return OneIf(d, hn::Lt(x, y)); });
    case OpKind::kLe: return BinaryLoop(a, b, dst, n, bc, [](auto d, auto x, auto y) { return OneIf(d, hn::Le(x, y)); });
    case OpKind::kGt: return BinaryLoop(a, b, dst, n, bc, [](auto d, auto x, auto y) { return OneIf(d, hn::Gt(x, y)); });
    case OpKind::kGe: return BinaryLoop(a, b, dst, n, bc, [](auto d, auto x, auto y) { return OneIf(d, hn::Ge(x, y)); });
    // The spec's `y < x ? y : x` (so minimum(+0, -0) is +0), NaN if either is NaN.
    case OpKind::kMinimum:
      return BinaryLoop(a, b, dst, n, bc, [](auto, auto x, auto y) {
        return hn::IfThenElse(hn::Or(hn::Lt(y, x), hn::IsNaN(y)), y, x);
      });
    case OpKind::kMaximum:
      return BinaryLoop(a, b, dst, n, bc, [](auto, auto x, auto y) {
        return hn::IfThenElse(hn::Or(hn::Gt(y, x), hn::IsNaN(y)), y, x);
      });
    case OpKind::kPow: return BinaryLoopF64(a, b, dst, n, bc, [](auto d, auto x, auto y) { return PowF64(d, x, y); });
    case OpKind::kShift:
      return BinaryLoopF64(a, b, dst, n, bc, [](auto d, auto x, auto y) { return hn::Mul(x, ShiftScale(d, y)); });
    default: break;
  }
  for (size_t i = 0; i < n; ++i) dst[i] = std::numeric_limits<float>::quiet_NaN();
}

// ---- reductions ----

double Sum(const float* src, size_t n) {
  // Accumulates in float64 lanes (sums that cancel keep their precision), four
  // independent chains so the adds' latency does not bound the speed.
  const DD dd;
  const DFHalf df;
  const size_t lanes = hn::Lanes(dd);
  auto acc0 = hn::Zero(dd), acc1 = hn::Zero(dd), acc2 = hn::Zero(dd), acc3 = hn::Zero(dd);
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    acc0 = hn::Add(acc0, hn::PromoteTo(dd, hn::LoadU(df, src + i)));
    acc1 = hn::Add(acc1, hn::PromoteTo(dd, hn::LoadU(df, src + i + lanes)));
    acc2 = hn::Add(acc2, hn::PromoteTo(dd, hn::LoadU(df, src + i + 2 * lanes)));
    acc3 = hn::Add(acc3, hn::PromoteTo(dd, hn::LoadU(df, src + i + 3 * lanes)));
  }
  double total = hn::GetLane(hn::SumOfLanes(dd, hn::Add(hn::Add(acc0, acc1), hn::Add(acc2, acc3))));
  for (; i < n; ++i) total += src[i];
  return total;
}

// max (is_max) or min of src[0..n), NaN if any value is NaN.
float Extreme(bool is_max, const float* src, size_t n) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const float start = is_max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  auto acc = hn::Set(d, start);
  auto nan = hn::Zero(d);
  size_t i = 0;
  if (is_max) {
    for (; i + lanes <= n; i += lanes) {
      const auto v = hn::LoadU(d, src + i);
      acc = hn::Max(acc, v);
      nan = hn::Or(nan, hn::VecFromMask(d, hn::IsNaN(v)));
    }
  } else {
    for (; i + lanes <= n; i += lanes) {
      const auto v = hn::LoadU(d, src + i);
      acc = hn::Min(acc, v);
      nan = hn::Or(nan, hn::VecFromMask(d, hn::IsNaN(v)));
    }
  }
  if (!hn::AllFalse(d, hn::MaskFromVec(nan))) return std::numeric_limits<float>::quiet_NaN();
  float result = is_max ? hn::GetLane(hn::MaxOfLanes(d, acc)) : hn::GetLane(hn::MinOfLanes(d, acc));
  for (; i < n; ++i) {
    if (std::isnan(src[i])) return src[i];
    result = is_max ? (src[i] > result ? src[i] : result) : (src[i] < result ? src[i] : result);
  }
  return result;
}

size_t ArgExtreme(bool is_max, const float* src, size_t n) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const float target = Extreme(is_max, src, n);
  const bool find_nan = std::isnan(target);
  const auto vt = hn::Set(d, target);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, src + i);
    const intptr_t hit = find_nan ? hn::FindFirstTrue(d, hn::IsNaN(v)) : hn::FindFirstTrue(d, hn::Eq(v, vt));
    if (hit >= 0) return i + static_cast<size_t>(hit);
  }
  for (; i < n; ++i) {
    if (find_nan ? std::isnan(src[i]) : src[i] == target) return i;
  }
  return 0;
}

void AccumulateSum(const float* src, double* acc, size_t n) {
  const DD dd;
  const DFHalf df;
  const size_t lanes = hn::Lanes(dd);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::Add(hn::LoadU(dd, acc + i), hn::PromoteTo(dd, hn::LoadU(df, src + i))), dd, acc + i);
  }
  for (; i < n; ++i) acc[i] += src[i];
}

void AccumulateRowsF32(const float* rows, int64_t ld, size_t nrows, float* acc, size_t n) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const float* r[8];
  for (size_t k = 0; k < 8; ++k) r[k] = rows + (k < nrows ? static_cast<int64_t>(k) * ld : 0);
  const auto sum_at = [&](size_t i) {
    auto v = hn::LoadU(d, r[0] + i);
    for (size_t k = 1; k < nrows; ++k) v = hn::Add(v, hn::LoadU(d, r[k] + i));
    return v;
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::Add(hn::LoadU(d, acc + i), sum_at(i)), d, acc + i);
  for (; i < n; ++i) {
    float v = r[0][i];
    for (size_t k = 1; k < nrows; ++k) v += r[k][i];
    acc[i] += v;
  }
}

void AccumulateExtreme(bool is_max, const float* src, float* acc, size_t n) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, src + i);
    const auto best = hn::LoadU(d, acc + i);
    const auto beats = is_max ? hn::Gt(v, best) : hn::Lt(v, best);
    hn::StoreU(hn::IfThenElse(hn::Or(beats, hn::IsNaN(v)), v, best), d, acc + i);
  }
  for (; i < n; ++i) {
    const float v = src[i];
    if ((is_max ? v > acc[i] : v < acc[i]) || std::isnan(v)) acc[i] = v;
  }
}

void AccumulateArg(bool is_max, const float* src, int32_t row, float* best, int32_t* index, size_t n) {
  const DF d;
  const hn::RebindToSigned<DF> di;
  const size_t lanes = hn::Lanes(d);
  const auto vrow = hn::Set(di, row);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, src + i);
    const auto b = hn::LoadU(d, best + i);
    const auto beats = hn::Or(is_max ? hn::Gt(v, b) : hn::Lt(v, b), hn::AndNot(hn::IsNaN(b), hn::IsNaN(v)));
    hn::StoreU(hn::IfThenElse(beats, v, b), d, best + i);
    hn::StoreU(hn::IfThenElse(hn::RebindMask(di, beats), vrow, hn::LoadU(di, index + i)), di, index + i);
  }
  for (; i < n; ++i) {
    const float v = src[i];
    if ((is_max ? v > best[i] : v < best[i]) || (std::isnan(v) && !std::isnan(best[i]))) {
      best[i] = v;
      index[i] = row;
    }
  }
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace neon::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace neon::cpu {

HWY_EXPORT(Unary);
HWY_EXPORT(Binary);
HWY_EXPORT(Sum);
HWY_EXPORT(Extreme);
HWY_EXPORT(ArgExtreme);
HWY_EXPORT(AccumulateSum);
HWY_EXPORT(AccumulateRowsF32);
HWY_EXPORT(AccumulateExtreme);
HWY_EXPORT(AccumulateArg);
HWY_EXPORT(TargetName);

void SimdUnary(OpKind op, const float* src, float* dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(Unary)(op, src, dst, n);
}
void SimdBinary(OpKind op, const float* a, const float* b, float* dst, size_t n, Broadcast broadcast) {
  HWY_DYNAMIC_DISPATCH(Binary)(op, a, b, dst, n, broadcast);
}
double SimdSum(const float* src, size_t n) { return HWY_DYNAMIC_DISPATCH(Sum)(src, n); }
float SimdMax(const float* src, size_t n) { return HWY_DYNAMIC_DISPATCH(Extreme)(true, src, n); }
float SimdMin(const float* src, size_t n) { return HWY_DYNAMIC_DISPATCH(Extreme)(false, src, n); }
size_t SimdArgExtreme(bool is_max, const float* src, size_t n) {
  return HWY_DYNAMIC_DISPATCH(ArgExtreme)(is_max, src, n);
}
void SimdAccumulateSum(const float* src, double* acc, size_t n) {
  HWY_DYNAMIC_DISPATCH(AccumulateSum)(src, acc, n);
}
void SimdAccumulateRowsF32(const float* rows, int64_t ld, size_t nrows, float* acc, size_t n) {
  HWY_DYNAMIC_DISPATCH(AccumulateRowsF32)(rows, ld, nrows, acc, n);
}
void SimdAccumulateExtreme(bool is_max, const float* src, float* acc, size_t n) {
  HWY_DYNAMIC_DISPATCH(AccumulateExtreme)(is_max, src, acc, n);
}
void SimdAccumulateArg(bool is_max, const float* src, int32_t row, float* best, int32_t* index,
                       size_t n) {
  HWY_DYNAMIC_DISPATCH(AccumulateArg)(is_max, src, row, best, index, n);
}
const char* SimdTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

}  // namespace neon::cpu
#endif  // HWY_ONCE
