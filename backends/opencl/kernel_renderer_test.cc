// The renderer without a device: the source depends only on the kernel's key,
// packing, parameter kinds, the float64 decision, malformed programs.
#include "backends/opencl/kernel_renderer.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace neon::opencl {
namespace {

FusedKernel Sigmoid(DType dtype) {
  FusedKernel k;
  k.input_dtypes = {dtype};
  k.compute_dtype = dtype == DType::kFloat32 ? DType::kFloat32 : DType::kFloat64;
  k.output_dtype = dtype;
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kSig, 0}};
  return k;
}

TEST(KernelRenderer, SourceDependsOnlyOnTheKey) {
  FusedKernel a = Sigmoid(DType::kFloat32), b = Sigmoid(DType::kFloat32);
  EXPECT_EQ(RenderFusedKernel(a, false).source, RenderFusedKernel(b, false).source);
  b.body[1].op = OpKind::kTanh;
  EXPECT_NE(RenderFusedKernel(a, false).source, RenderFusedKernel(b, false).source);
  FusedKernel c = Sigmoid(DType::kFloat64);
  EXPECT_NE(RenderFusedKernel(a, false).source, RenderFusedKernel(c, false).source);
  // Sizes and strides are arguments, not constants.
  std::string source = RenderFusedKernel(a, false).source;
  EXPECT_NE(source.find("const long rows"), std::string::npos);
  EXPECT_NE(source.find("const long src0_rs"), std::string::npos);
  EXPECT_NE(source.find("#pragma OPENCL FP_CONTRACT OFF"), std::string::npos);
  EXPECT_EQ(source.find("cl_khr_fp64"), std::string::npos);
  EXPECT_NE(RenderFusedKernel(c, false).source.find("cl_khr_fp64 : enable"), std::string::npos);
}

TEST(KernelRenderer, PackedArgumentsComeFromBuffers) {
  FusedKernel k = Sigmoid(DType::kFloat32);
  k.num_params = 4;
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1},
            {OpKind::kRand, -1, -1, 1}, {OpKind::kAdd, 2, 3}};
  RenderedKernel packed = RenderFusedKernel(k, true);
  EXPECT_TRUE(packed.packed);
  EXPECT_EQ(packed.source.find("const long rows,"), std::string::npos);
  EXPECT_NE(packed.source.find("const long rows = meta[0];"), std::string::npos);
  EXPECT_NE(packed.source.find("const float p0 = reals[0];"), std::string::npos);
  EXPECT_NE(packed.source.find("const ulong p1 = (ulong)meta["), std::string::npos);
  EXPECT_EQ(packed.param_kinds,
            (std::vector<ParamKind>{ParamKind::kReal, ParamKind::kU64, ParamKind::kU64, ParamKind::kU64}));
}

TEST(KernelRenderer, ArgumentBytesGrowWithInputsAndParams) {
  FusedKernel k = Sigmoid(DType::kFloat32);
  size_t one = UnpackedArgumentBytes(k);
  k.input_dtypes.push_back(DType::kFloat32);
  EXPECT_EQ(UnpackedArgumentBytes(k), one + 32);
  k.num_params = 3;
  EXPECT_EQ(UnpackedArgumentBytes(k), one + 32 + 24);
}

TEST(KernelRenderer, Float64Decision) {
  EXPECT_FALSE(NeedsFloat64(Sigmoid(DType::kFloat32)));
  EXPECT_TRUE(NeedsFloat64(Sigmoid(DType::kFloat64)));
  FusedKernel mixed = Sigmoid(DType::kFloat32);
  mixed.output_dtype = DType::kFloat64;
  EXPECT_TRUE(NeedsFloat64(mixed));
  FusedKernel ints = Sigmoid(DType::kInt32);   // int32 computes in float64
  EXPECT_TRUE(NeedsFloat64(ints));

  EXPECT_NO_THROW(CheckFloat64Support(Sigmoid(DType::kFloat32), false, "tiny-gpu"));
  EXPECT_NO_THROW(CheckFloat64Support(Sigmoid(DType::kFloat64), true, "big-gpu"));
  try {
    CheckFloat64Support(Sigmoid(DType::kFloat64), false, "tiny-gpu");
    FAIL() << "expected BackendError";
  } catch (const BackendError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("tiny-gpu"), std::string::npos) << message;
    EXPECT_NE(message.find("cl_khr_fp64"), std::string::npos) << message;
    EXPECT_NE(message.find(Sigmoid(DType::kFloat64).Key()), std::string::npos) << message;
  }
}

TEST(KernelRenderer, ReductionsUseLocalMemoryTrees) {
  FusedKernel k = Sigmoid(DType::kFloat32);
  k.has_reduction = true;
  k.reduce_op = OpKind::kArgmax;
  k.reduce_axis = 0;
  std::string source = RenderFusedKernel(k, false).source;
  EXPECT_NE(source.find("__local float* scratch_v"), std::string::npos);
  EXPECT_NE(source.find("__local long* scratch_i"), std::string::npos);
  EXPECT_NE(source.find("barrier(CLK_LOCAL_MEM_FENCE)"), std::string::npos);
  // The serial (CPU) kernels come in the same program.
  EXPECT_NE(source.find(std::string("__kernel void ") + RenderedKernel::kSerialName + "("), std::string::npos);
  EXPECT_EQ(source.find(RenderedKernel::kFinalName), std::string::npos);
  k.reduce_op = OpKind::kSum;
  EXPECT_EQ(RenderFusedKernel(k, false).source.find("scratch_i"), std::string::npos);
  k.reduce_axis = kAllAxes;
  source = RenderFusedKernel(k, false).source;
  EXPECT_NE(source.find(std::string("__kernel void ") + RenderedKernel::kFinalName + "("), std::string::npos);
  EXPECT_NE(source.find(std::string("__kernel void ") + RenderedKernel::kSerialFinalName + "("), std::string::npos);
  EXPECT_NE(source.find("__global float* part_v"), std::string::npos);
}

TEST(KernelRenderer, RejectsMalformedPrograms) {
  FusedKernel k = Sigmoid(DType::kFloat32);
  k.body[1].a = 1;   // reads itself
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
  k = Sigmoid(DType::kFloat32);
  k.body[0].slot = 3;   // no such input
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
  k = Sigmoid(DType::kFloat32);
  k.body.push_back({OpKind::kReduced});
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
  k = Sigmoid(DType::kFloat32);
  k.body.push_back({OpKind::kDot, 0, 1});
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
  k = Sigmoid(DType::kFloat32);
  k.has_reduction = true;
  k.reduce_axis = 2;
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
  k = Sigmoid(DType::kFloat32);
  k.epilogue = {{OpKind::kReduced}};
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
  k = Sigmoid(DType::kFloat32);
  k.body.clear();
  EXPECT_THROW(RenderFusedKernel(k, false), ArgumentError);
}

}  // namespace
}  // namespace neon::opencl
