#include "backends/validate.h"

#include <gtest/gtest.h>

#include "backends/reference/reference_backend.h"
#include "core/error.h"

namespace neon {
namespace {

TEST(Validate, ByteRange) {
  auto be = MakeReferenceBackend();
  auto buffer = be->allocate(16);
  EXPECT_NO_THROW(CheckByteRange(*buffer, 8, 8, "copy"));
  EXPECT_THROW(CheckByteRange(*buffer, 8, 9, "copy"), ArgumentError);
  EXPECT_THROW(CheckByteRange(*buffer, 17, 0, "copy"), ArgumentError);
}

TEST(Validate, ViewBoundsIncludingNegativeAndHugeStrides) {
  auto be = MakeReferenceBackend();
  auto buffer = be->allocate(12 * sizeof(float));  // 12 float32
  EXPECT_NO_THROW(CheckViewBounds(*buffer, DType::kFloat32, 0, {{3, 4}, {4, 1}}, "v"));
  EXPECT_NO_THROW(CheckViewBounds(*buffer, DType::kFloat32, 11, {{3, -4}, {4, -1}}, "v"));
  EXPECT_NO_THROW(CheckViewBounds(*buffer, DType::kFloat32, 100, {{0, 4}, {4, 1}}, "v"));  // empty
  EXPECT_THROW(CheckViewBounds(*buffer, DType::kFloat32, 1, {{3, 4}, {4, 1}}, "v"), ArgumentError);
  EXPECT_THROW(CheckViewBounds(*buffer, DType::kFloat64, 0, {{3, 4}, {4, 1}}, "v"), ArgumentError);
  // (2^62) * 4 wraps in 64 bits; the check must still see it is out of range.
  EXPECT_THROW(CheckViewBounds(*buffer, DType::kFloat32, 0, {{5, int64_t{1} << 62}, {1, 1}}, "v"), ArgumentError);
  try {
    CheckViewBounds(*buffer, DType::kFloat32, 1, {{3, 4}, {4, 1}}, "run output");
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_STREQ(error.what(),
                 "run output: a view of 3 (stride 4) x 4 (stride 1) at offset 1 touches elements 1..12, but the "
                 "buffer holds 12 float32 elements (48 bytes)");
  }
}

TEST(Validate, GemmOperand) {
  auto be = MakeReferenceBackend();
  auto buffer = be->allocate(6 * sizeof(float));
  MatrixRef a{buffer.get(), 0, 3, false, 0};
  EXPECT_NO_THROW(CheckGemmOperand(a, DType::kFloat32, 2, 3, 1, "A"));
  a.trans = true;  // op(A) 3 x 2 is stored as 2 x 3
  EXPECT_NO_THROW(CheckGemmOperand(a, DType::kFloat32, 3, 2, 1, "A"));
  EXPECT_THROW(CheckGemmOperand(a, DType::kFloat32, 2, 3, 1, "A"), ArgumentError);  // stored 3 x 2 with ld 3 reaches element 7
  a = {buffer.get(), 0, 2, false, 0};
  EXPECT_THROW(CheckGemmOperand(a, DType::kFloat32, 2, 3, 1, "A"), ArgumentError);  // ld below the columns
  a = {buffer.get(), 0, 3, false, 6};
  EXPECT_THROW(CheckGemmOperand(a, DType::kFloat32, 2, 3, 2, "A"), ArgumentError);  // second matrix outside
  EXPECT_NO_THROW(CheckGemmOperand(a, DType::kFloat32, 2, 0, 5, "A"));              // empty
}

TEST(Validate, KernelLaunch) {
  auto be = MakeReferenceBackend();
  auto buffer = be->allocate(6 * sizeof(float));
  FusedKernel kernel;
  kernel.input_dtypes = {DType::kFloat32, DType::kFloat32};
  kernel.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kExp, 0}};
  KernelArgs args;
  args.rows = 2;
  args.cols = 3;
  args.inputs = {{buffer.get(), 0, 3, 1, DType::kFloat32}, {nullptr, 0, 0, 0, DType::kFloat32}};
  args.output = {buffer.get(), 0, 3, 1, DType::kFloat32};
  EXPECT_NO_THROW(CheckKernelLaunch(kernel, args, *be));  // input 1 is never read: no buffer needed
  EXPECT_TRUE(UseOfInput(kernel, 0).body);
  EXPECT_FALSE(UseOfInput(kernel, 1).any());

  FusedKernel forward_register = kernel;
  forward_register.body[1].a = 1;
  EXPECT_THROW(CheckKernelLaunch(forward_register, args, *be), ArgumentError);
  FusedKernel reduced_in_body = kernel;
  reduced_in_body.body.push_back({OpKind::kReduced});
  EXPECT_THROW(CheckKernelLaunch(reduced_in_body, args, *be), ArgumentError);
  FusedKernel product = kernel;
  product.body.push_back({OpKind::kDot, 0, 1});
  EXPECT_THROW(CheckKernelLaunch(product, args, *be), BackendError);
  FusedKernel rand = kernel;
  rand.num_params = 3;
  rand.body.push_back({OpKind::kRand, -1, -1, 0});
  KernelArgs fractional = args;
  fractional.params = {1, 2, 0.5};
  EXPECT_THROW(CheckKernelLaunch(rand, fractional, *be), ArgumentError);
  fractional.params = {1, 2, 5};
  EXPECT_NO_THROW(CheckKernelLaunch(rand, fractional, *be));

  FusedKernel sum = kernel;
  sum.has_reduction = true;
  sum.reduce_op = OpKind::kSum;
  sum.reduce_axis = 1;
  sum.epilogue = {{OpKind::kReduced}};
  EXPECT_EQ(OutputExtent(sum, args).rows, 2);
  EXPECT_EQ(OutputExtent(sum, args).cols, 1);
  KernelArgs too_small = args;
  too_small.rows = 3;  // 3 x 3 reads past the 6 floats
  EXPECT_THROW(CheckKernelLaunch(sum, too_small, *be), ArgumentError);
}

TEST(Validate, OwnedBy) {
  auto be = MakeReferenceBackend();
  auto other = MakeReferenceBackend();
  auto buffer = other->allocate(4);
  EXPECT_THROW(CheckOwnedBy(buffer.get(), *be, "run"), ArgumentError);
  EXPECT_THROW(CheckOwnedBy(nullptr, *be, "run"), ArgumentError);
  EXPECT_NO_THROW(CheckOwnedBy(buffer.get(), *other, "run"));
}

}  // namespace
}  // namespace neon
