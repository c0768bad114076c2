// OpenCLBackend::gemm (CLBlast) against double loops: transposes, offsets,
// leading dimensions, alpha/beta, strided batches, k = 0, beta = 0 over NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends/opencl/opencl_test_util.h"
#include "core/error.h"

namespace neon {
namespace {

using opencl_test::DownloadAs;
using opencl_test::ExpectClose;
using opencl_test::MakeOperand;
using opencl_test::Operand;
using opencl_test::RandomValues;
using opencl_test::SharedBackend;

constexpr double kNmse = 1e-7;

void Gemm(Backend& be, DType dtype, int64_t m, int64_t n, int64_t k, bool ta, bool tb, int64_t batch, double alpha,
          double beta, bool nan_c, bool shared_a = false) {
  const int64_t pad = 3;
  const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
  const int64_t lda = a_cols + pad, ldb = b_cols + 1, ldc = n + 2;
  // shared_a: every batch entry uses the same A (batch stride 0).
  const int64_t sa = shared_a ? 0 : a_rows * lda + 5, sb = b_rows * ldb, sc = m * ldc + 1;
  std::vector<double> a = RandomValues(7 + std::max<int64_t>(batch * sa, a_rows * lda), -1, 1, 20), b = RandomValues(2 + batch * sb, -1, 1, 21);
  std::vector<double> c = RandomValues(1 + batch * sc, -1, 1, 22);
  if (nan_c) std::fill(c.begin(), c.end(), NAN);
  Operand da = MakeOperand(be, a, dtype, 0, 0, 0), db = MakeOperand(be, b, dtype, 0, 0, 0),
          dc = MakeOperand(be, c, dtype, 0, 0, 0);
  GemmArgs args;
  args.dtype = dtype;
  args.m = m, args.n = n, args.k = k, args.batch = batch, args.alpha = alpha, args.beta = beta;
  args.a = {da.buffer.get(), 7, lda, ta, sa};
  args.b = {db.buffer.get(), 2, ldb, tb, sb};
  args.c = {dc.buffer.get(), 1, ldc, false, sc};
  be.gemm(args);
  std::vector<double> got = DownloadAs(be, *dc.buffer, dtype), want = dc.host.values;
  const std::vector<double>& ha = da.host.values;
  const std::vector<double>& hb = db.host.values;
  for (int64_t e = 0; e < batch; ++e) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          double av = ha[7 + e * sa + (ta ? p * lda + i : i * lda + p)];
          double bv = hb[2 + e * sb + (tb ? j * ldb + p : p * ldb + j)];
          sum += av * bv;
        }
        double& cv = want[1 + e * sc + i * ldc + j];
        cv = alpha * sum + (beta == 0 ? 0.0 : beta * cv);
      }
    }
  }
  ExpectClose(got, opencl_test::AsStored(want, dtype), dtype == DType::kFloat32 ? kNmse : 1e-24,
              "gemm " + std::string(DTypeName(dtype)) + " " + std::to_string(m) + "x" + std::to_string(n) + "x" +
                  std::to_string(k) + (ta ? " ta" : "") + (tb ? " tb" : "") + " batch " + std::to_string(batch));
}

TEST(OpenCLGemm, TransposesOffsetsLdAlphaBeta) {
  Backend& be = SharedBackend();
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) Gemm(be, DType::kFloat32, 17, 23, 31, ta, tb, 1, 1.5, -0.5, false);
  }
  Gemm(be, DType::kFloat64, 19, 13, 11, true, false, 1, 0.75, 2.0, false);
  Gemm(be, DType::kFloat32, 9, 12, 7, false, true, 3, 1.0, 0.5, false);   // strided batch
  Gemm(be, DType::kFloat32, 9, 12, 7, true, false, 4, 2.0, 0.0, false, true);   // A shared across the batch
  Gemm(be, DType::kFloat32, 21, 5, 0, false, false, 2, 1.0, 3.0, false);  // k = 0: C = beta C
}

TEST(OpenCLGemm, BetaZeroIgnoresNaNInC) {
  Backend& be = SharedBackend();
  Gemm(be, DType::kFloat32, 20, 24, 16, false, false, 1, 1.0, 0.0, true);
  // m n k above CLBlast's XGEMM_MIN_INDIRECT_SIZE^3 (896^3 on PoCL): the
  // indirect path (pad/transpose kernels + xgemm).
  Gemm(be, DType::kFloat32, 912, 904, 900, false, true, 1, 1.0, 0.0, true);
  Gemm(be, DType::kFloat32, 6, 8, 0, false, false, 1, 1.0, 0.0, true);
}

TEST(OpenCLGemm, RejectsBadArguments) {
  Backend& be = SharedBackend();
  std::shared_ptr<Buffer> small = be.allocate(16 * sizeof(float));
  GemmArgs args;
  args.m = args.n = args.k = 4;
  args.a = {small.get(), 0, 4, false, 0};
  args.b = {small.get(), 0, 4, false, 0};
  args.c = {small.get(), 1, 4, false, 0};   // one element past the end
  EXPECT_THROW(be.gemm(args), ArgumentError);
  args.c.offset = 0;
  args.b.ld = 3;   // ld below the column count
  EXPECT_THROW(be.gemm(args), ArgumentError);
  args.b.ld = 4;
  args.dtype = DType::kInt32;
  EXPECT_THROW(be.gemm(args), ArgumentError);
}

}  // namespace
}  // namespace neon
