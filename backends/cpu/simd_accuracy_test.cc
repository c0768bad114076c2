// Measures the error, in float32 ULP, of every vectorised elementwise op
// against core/scalar_ops.h (float64, rounded to float32) over a sweep of
// float32 bit patterns (every sign and exponent, denormals, zeros, infinities,
// NaN), on every SIMD target this CPU runs, and asserts the bounds documented
// in docs/cpu_backend.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "backends/cpu/simd_kernels.h"
#include "core/scalar_ops.h"
#include "hwy/targets.h"

namespace neon::cpu {
namespace {

int64_t Ordered(float f) {
  int32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits < 0 ? -static_cast<int64_t>(bits & 0x7fffffff) : bits;
}

// ULP distance; NaN against NaN is 0, NaN against a number is "infinite".
int64_t UlpDistance(float got, float want) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got) ? 0 : std::numeric_limits<int64_t>::max();
  return std::llabs(Ordered(got) - Ordered(want));
}

// Every 4099th bit pattern (all signs and exponents), plus the special values.
std::vector<float> SweepInputs() {
  std::vector<float> v;
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 4099) {
    uint32_t b = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, 4);
    v.push_back(f);
  }
  for (int e = -149; e <= 127; ++e) {
    const float p = std::ldexp(1.0f, e);
    for (float f : {p, std::nextafter(p, 0.0f), std::nextafter(p, INFINITY)}) {
      v.push_back(f);
      v.push_back(-f);
    }
  }
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.72283f, 88.7228394f, 88.7229f, -87.33655f,
                            -103.9721f, -104.0f, -150.0f, 127.9999f, 128.0f, -149.0f, -150.0f, 0.5f, 1.5f, 2.5f,
                            -0.5f, 1e-45f, 1.17549435e-38f, 3.4028235e38f, 1.9287499e-22f, 1.92875e-22f, 18.714973f};
  v.insert(v.end(), std::begin(specials), std::end(specials));
  return v;
}

struct Measured {
  int64_t max_ulp = 0;
  float worst_input = 0;
};

Measured MeasureUnary(OpKind op, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  SimdUnary(op, x.data(), y.data(), x.size());
  Measured m;
  for (size_t k = 0; k < x.size(); ++k) {
    const float want = static_cast<float>(ApplyUnary(op, x[k]));
    const int64_t d = UlpDistance(y[k], want);
    if (d > m.max_ulp) {
      m.max_ulp = d;
      m.worst_input = x[k];
    }
  }
  return m;
}

// Documented bounds (docs/cpu_backend.md). Exact ops are 0.
const std::map<OpKind, int64_t> kUnaryBounds = {
    {OpKind::kFinite, 0}, {OpKind::kNeg, 0},  {OpKind::kAbs, 0},  {OpKind::kSgn, 0},     {OpKind::kSqrt, 0},
    {OpKind::kSqr, 0},    {OpKind::kExp, 1},  {OpKind::kLog, 1},  {OpKind::kExp2, 1},    {OpKind::kLog2, 2},
    {OpKind::kSig, 3},    {OpKind::kSig2, 1}, {OpKind::kTanh, 3}, {OpKind::kTanh2, 1},   {OpKind::kSafelog, 1},
    {OpKind::kRint, 0},   {OpKind::kBinarize, 0}};

// Runs `body` once per SIMD target this CPU supports, dispatching to that target.
template <typename Body>
void ForEachTarget(Body body) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    ASSERT_STREQ(SimdTargetName(), hwy::TargetName(target));
    std::printf("target %s\n", SimdTargetName());
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(SimdAccuracy, UnaryOpsWithinDocumentedUlp) {
  const std::vector<float> x = SweepInputs();
  ASSERT_GT(x.size(), 1000000u);
  ForEachTarget([&] {
    for (const auto& [op, bound] : kUnaryBounds) {
      const Measured m = MeasureUnary(op, x);
      std::printf("  %-10s max %lld ULP (at x = %.9g)\n", std::string(OpName(op)).c_str(),
                  static_cast<long long>(m.max_ulp), m.worst_input);
      EXPECT_LE(m.max_ulp, bound) << OpName(op) << " on " << SimdTargetName() << ", worst at x = " << m.worst_input;
    }
  });
}

const std::map<OpKind, int64_t> kBinaryBounds = {
    {OpKind::kAdd, 0}, {OpKind::kSub, 0}, {OpKind::kMul, 0}, {OpKind::kDiv, 0},     {OpKind::kEq, 0},
    {OpKind::kNe, 0},  {OpKind::kLt, 0},  {OpKind::kLe, 0},  {OpKind::kGt, 0},      {OpKind::kGe, 0},
    {OpKind::kPow, 1}, {OpKind::kMinimum, 0}, {OpKind::kMaximum, 0}, {OpKind::kShift, 0}};

TEST(SimdAccuracy, BinaryOpsWithinDocumentedUlp) {
  // x sweeps bit patterns more sparsely; y takes values that exercise each op's special cases.
  std::vector<float> xs;
  const std::vector<float> sweep = SweepInputs();
  for (size_t k = 0; k < sweep.size(); k += 7) xs.push_back(sweep[k]);
  const float ys[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, 3.0f, -3.0f, 0.5f, -0.5f, 2.5f, 10.0f, -10.0f, 1e-3f, 127.0f,
                      -149.0f, 200.0f, 1e-40f, 3.0e38f, INFINITY, -INFINITY, NAN, 0.3333333f, 7.25f, -2.75f};
  std::vector<float> a, b;
  for (float y : ys) {
    for (float x : xs) {
      a.push_back(x);
      b.push_back(y);
    }
  }
  for (size_t k = 0; k < xs.size(); ++k) {  // and y sweeping too, against x in a normal range
    a.push_back(1.0f + static_cast<float>(k % 1000) * 0.01f);
    b.push_back(xs[k]);
  }
  std::vector<float> out(a.size());
  ForEachTarget([&] {
    for (const auto& [op, bound] : kBinaryBounds) {
      SimdBinary(op, a.data(), b.data(), out.data(), a.size(), Broadcast::kNone);
      Measured m;
      float worst_y = 0;
      for (size_t k = 0; k < a.size(); ++k) {
        const int64_t d = UlpDistance(out[k], static_cast<float>(ApplyBinary(op, a[k], b[k])));
        if (d > m.max_ulp) {
          m.max_ulp = d;
          m.worst_input = a[k];
          worst_y = b[k];
        }
      }
      std::printf("  %-10s max %lld ULP (at x = %.9g, y = %.9g)\n", std::string(OpName(op)).c_str(),
                  static_cast<long long>(m.max_ulp), m.worst_input, worst_y);
      EXPECT_LE(m.max_ulp, bound) << OpName(op) << " on " << SimdTargetName() << ", worst at x = " << m.worst_input
                                  << ", y = " << worst_y;
    }
  });
}

TEST(SimdAccuracy, ReductionsPropagateNaN) {
  ForEachTarget([] {
  std::vector<float> v(100, 1.0f);
  v[37] = NAN;
  v[80] = NAN;
  EXPECT_TRUE(std::isnan(SimdMax(v.data(), v.size())));
  EXPECT_TRUE(std::isnan(SimdMin(v.data(), v.size())));
  EXPECT_EQ(SimdArgExtreme(true, v.data(), v.size()), 37u);
  EXPECT_EQ(SimdArgExtreme(false, v.data(), v.size()), 37u);
  v[37] = v[80] = 1.0f;
  v[50] = 5.0f;
  v[90] = 5.0f;
  v[95] = -3.0f;
  EXPECT_EQ(SimdMax(v.data(), v.size()), 5.0f);
  EXPECT_EQ(SimdArgExtreme(true, v.data(), v.size()), 50u);
  EXPECT_EQ(SimdArgExtreme(false, v.data(), v.size()), 95u);
  });
}

}  // namespace
}  // namespace neon::cpu
