#include "backends/cpu/gemm.h"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cpu/host_access.h"
#include "backends/validate.h"
#include "core/error.h"

namespace neon::cpu {

namespace {

// Below this many multiply-adds per matrix, a batch runs one matrix per thread.
constexpr int64_t kSmallGemm = int64_t{1} << 21;


void Validate(const GemmArgs& g) {
  if (g.dtype != DType::kFloat32 && g.dtype != DType::kFloat64)
    throw ArgumentError("gemm: dtype " + std::string(DTypeName(g.dtype)) + ", expected float32 or float64");
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0)
    throw ArgumentError("gemm: negative size m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) +
                        " k=" + std::to_string(g.k) + " batch=" + std::to_string(g.batch));
  if (g.c.trans) throw ArgumentError("gemm: C cannot be transposed (expected c.trans == false)");
  CheckGemmOperand(g.a, g.dtype, g.m, g.k, g.batch, "gemm operand A");
  CheckGemmOperand(g.b, g.dtype, g.k, g.n, g.batch, "gemm operand B");
  CheckGemmOperand(g.c, g.dtype, g.m, g.n, g.batch, "gemm operand C");
}

template <typename T>
T* Matrix(const MatrixRef& ref, int64_t index) {
  return reinterpret_cast<T*>(HostBuffer::Data(ref.buffer)) + ref.offset + index * ref.batch_stride;
}

// C = beta C, with beta == 0 writing zeros whatever C held (NaN included).
template <typename T>
void ScaleC(T* c, int64_t ldc, int64_t m, int64_t n, T beta) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// Returns the oneDNN status; callers throw outside any OpenMP region (an exception
// escaping a parallel region terminates the process).
dnnl_status_t SgemmOne(const GemmArgs& g, int64_t index) {
  const float* a = Matrix<float>(g.a, index);
  const float* b = Matrix<float>(g.b, index);
  float* c = Matrix<float>(g.c, index);
  if (g.k == 0) {
    ScaleC(c, g.c.ld, g.m, g.n, static_cast<float>(g.beta));
    return dnnl_success;
  }
  return dnnl_sgemm(g.a.trans ? 'T' : 'N', g.b.trans ? 'T' : 'N', g.m, g.n, g.k, static_cast<float>(g.alpha), a,
                    g.a.ld, b, g.b.ld, static_cast<float>(g.beta), c, g.c.ld);
}

void ThrowIfFailed(dnnl_status_t status, const GemmArgs& g) {
  if (status != dnnl_success) {
    throw BackendError("gemm: dnnl_sgemm failed with status " + std::to_string(static_cast<int>(status)) +
                       " for m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k));
  }
}

// float64: rows of C in parallel; each element sums over k in order, so the
// result does not depend on the thread count.
void DgemmOne(const GemmArgs& g, int64_t index, int threads) {
  const double* a = Matrix<double>(g.a, index);
  const double* b = Matrix<double>(g.b, index);
  double* c = Matrix<double>(g.c, index);
  const int64_t m = g.m, n = g.n, k = g.k;
  // op(B) as a row-major k x n block.
  std::vector<double> packed;
  const double* bk = b;
  int64_t ldb = g.b.ld;
  if (g.b.trans) {
    packed.resize(static_cast<size_t>(k * n));
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) packed[p * n + j] = b[j * g.b.ld + p];
    bk = packed.data();
    ldb = n;
  }
  const bool parallel = threads > 1 && m > 1 && m * n * k >= (int64_t{1} << 16);
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int64_t i = 0; i < m; ++i) {
    double* row = c + i * g.c.ld;
    ScaleC(row, 0, 1, n, g.beta);
    for (int64_t p = 0; p < k; ++p) {
      const double av = g.alpha * (g.a.trans ? a[p * g.a.ld + i] : a[i * g.a.ld + p]);
      const double* brow = bk + p * ldb;
      for (int64_t j = 0; j < n; ++j) row[j] += av * brow[j];
    }
  }
}

}  // namespace

OmpThreadsScope::OmpThreadsScope(int num_threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(num_threads);
}
OmpThreadsScope::~OmpThreadsScope() { omp_set_num_threads(saved_); }

void Gemm(const GemmArgs& g, int num_threads) {
  Validate(g);
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  const bool small = g.m * g.n * g.k < kSmallGemm;
  if (g.dtype == DType::kFloat32) {
    if (g.batch > 1 && small && num_threads > 1) {
      // One matrix per thread; oneDNN runs single-threaded inside a parallel region.
      int failure = dnnl_success;
#pragma omp parallel for num_threads(num_threads) schedule(static) reduction(max : failure)
      for (int64_t index = 0; index < g.batch; ++index) {
        dnnl_status_t status = SgemmOne(g, index);
        if (status != dnnl_success) failure = std::max(failure, static_cast<int>(status));
      }
      ThrowIfFailed(static_cast<dnnl_status_t>(failure), g);
    } else {
      OmpThreadsScope scope(num_threads);
      for (int64_t index = 0; index < g.batch; ++index) ThrowIfFailed(SgemmOne(g, index), g);
    }
  } else {
    if (g.batch > 1 && small && num_threads > 1) {
#pragma omp parallel for num_threads(num_threads) schedule(static)
      for (int64_t index = 0; index < g.batch; ++index) DgemmOne(g, index, 1);
    } else {
      for (int64_t index = 0; index < g.batch; ++index) DgemmOne(g, index, num_threads);
    }
  }
}

}  // namespace neon::cpu
