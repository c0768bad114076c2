// OpenCLBackend conv_fprop / conv_bprop_data / conv_bprop_filter (im2col /
// col2im + CLBlast) and pool_fprop / pool_bprop against the reference loops of
// backends/host_ops.h, in float32 and float64, with operands at offsets inside
// buffers whose other elements are sentinels that must stay untouched. The
// backend's workspace is 4 KiB, so larger cases run in many column chunks.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "backends/host_ops.h"
#include "backends/opencl/opencl_test_util.h"
#include "core/error.h"

namespace neon {
namespace {

using opencl_test::DownloadAs;
using opencl_test::ExpectClose;
using opencl_test::RandomValues;
using opencl_test::UploadAs;

constexpr int64_t kOffset = 3;       // elements before each operand
constexpr double kSentinel = 1234.5;

OpenCLBackend& SmallWorkspaceBackend() {
  static OpenCLBackend* backend = [] {
    OpenCLOptions options;
    options.cache_dir = opencl_test::TempDir("neon-opencl-conv-cache");
    options.conv_workspace_bytes = 4096;
    return new OpenCLBackend(options);
  }();
  return *backend;
}

std::vector<DType> DTypes() {
  std::vector<DType> dtypes = {DType::kFloat32};
  if (SmallWorkspaceBackend().info().supports_float64) dtypes.push_back(DType::kFloat64);
  return dtypes;
}

// An operand of `count` elements at kOffset in a buffer padded with sentinels; `host`
// holds the values as stored (rounded to dtype).
struct Placed {
  std::vector<double> host;
  std::shared_ptr<Buffer> buffer;
};

Placed Place(Backend& be, const std::vector<double>& values, DType dtype) {
  std::vector<double> padded(kOffset, kSentinel);
  padded.insert(padded.end(), values.begin(), values.end());
  padded.insert(padded.end(), 5, kSentinel);
  Placed placed{{}, UploadAs(be, padded, dtype)};
  std::vector<double> stored = DownloadAs(be, *placed.buffer, dtype);
  placed.host.assign(stored.begin() + kOffset, stored.begin() + kOffset + static_cast<int64_t>(values.size()));
  return placed;
}

// The operand back from the device; fails when a sentinel changed.
std::vector<double> Fetch(Backend& be, const Placed& placed, DType dtype, const std::string& what) {
  std::vector<double> all = DownloadAs(be, *placed.buffer, dtype);
  const double sentinel = opencl_test::AsStored({kSentinel}, dtype)[0];
  const size_t count = placed.host.size();
  for (size_t e = 0; e < all.size(); ++e) {
    if (e < kOffset || e >= kOffset + count) {
      EXPECT_EQ(all[e], sentinel) << what << ": wrote outside, element " << e;
    }
  }
  return {all.begin() + kOffset, all.begin() + kOffset + static_cast<int64_t>(count)};
}

double Limit(DType dtype) { return dtype == DType::kFloat32 ? 1e-7 : 1e-24; }

struct ConvCase {
  int64_t c, h, w, n, k, r, s, stride, pad, dilation;
};

ConvGeometry Geometry(const ConvCase& t) {
  ConvGeometry g;
  g.n = t.n, g.c = t.c, g.h = t.h, g.w = t.w, g.k = t.k, g.r = t.r, g.s = t.s;
  g.stride_h = g.stride_w = t.stride;
  g.pad_h = g.pad_w = t.pad;
  g.dilation_h = g.dilation_w = t.dilation;
  g.p = ConvOutputSize(t.h, t.r, t.pad, t.stride, t.dilation);
  g.q = ConvOutputSize(t.w, t.s, t.pad, t.stride, t.dilation);
  return g;
}

std::string Name(const ConvCase& t, DType dtype) {
  return "c" + std::to_string(t.c) + " " + std::to_string(t.h) + "x" + std::to_string(t.w) + " n" +
         std::to_string(t.n) + " k" + std::to_string(t.k) + " " + std::to_string(t.r) + "x" + std::to_string(t.s) +
         " stride " + std::to_string(t.stride) + " pad " + std::to_string(t.pad) + " dilation " +
         std::to_string(t.dilation) + " " + std::string(DTypeName(dtype));
}

void CheckConvPasses(const ConvCase& t) {
  OpenCLBackend& be = SmallWorkspaceBackend();
  const ConvGeometry g = Geometry(t);
  const size_t src_count = t.c * t.h * t.w * t.n, filter_count = t.k * t.c * t.r * t.s;
  const size_t dst_count = static_cast<size_t>(t.k * g.p * g.q * t.n);
  for (DType dtype : DTypes()) {
    const std::string name = Name(t, dtype);
    Placed src = Place(be, RandomValues(src_count, -1, 1, 1), dtype);
    Placed filter = Place(be, RandomValues(filter_count, -1, 1, 2), dtype);
    Placed dst = Place(be, RandomValues(dst_count, -1, 1, 3), dtype);
    ConvArgs args{dtype, g, {src.buffer.get(), kOffset}, {filter.buffer.get(), kOffset}, {dst.buffer.get(), kOffset}};

    // bprop_filter reads src and dst, writes filter.
    std::vector<double> want(filter_count);
    host_ops::ConvBpropFilter(g, src.host.data(), dst.host.data(), want.data());
    be.conv_bprop_filter(args);
    ExpectClose(Fetch(be, filter, dtype, name), want, Limit(dtype), "conv_bprop_filter " + name);

    // bprop_data reads dst and the (new) filter, writes src.
    filter.host = Fetch(be, filter, dtype, name);
    want.assign(src_count, 0.0);
    host_ops::ConvBpropData(g, dst.host.data(), filter.host.data(), want.data());
    be.conv_bprop_data(args);
    ExpectClose(Fetch(be, src, dtype, name), want, Limit(dtype), "conv_bprop_data " + name);

    // fprop reads the (new) src and filter, writes dst.
    src.host = Fetch(be, src, dtype, name);
    want.assign(dst_count, 0.0);
    host_ops::ConvFprop(g, src.host.data(), filter.host.data(), want.data());
    be.conv_fprop(args);
    ExpectClose(Fetch(be, dst, dtype, name), want, Limit(dtype), "conv_fprop " + name);
  }
}

TEST(OpenCLConv, SupportsNamesTheNativeOps) {
  OpenCLBackend& be = SmallWorkspaceBackend();
  for (const char* op : {"conv_fprop", "conv_bprop_data", "conv_bprop_filter", "pool_fprop", "pool_bprop"}) {
    EXPECT_TRUE(be.supports(op)) << op;
  }
  EXPECT_FALSE(be.supports("batchnorm_fprop"));
}

TEST(OpenCLConv, OneChunk) {
  CheckConvPasses({1, 4, 5, 2, 2, 3, 3, 1, 1, 1});
  CheckConvPasses({2, 3, 3, 1, 3, 1, 1, 1, 0, 1});   // 1x1: GEMM straight on src
}

TEST(OpenCLConv, ManyChunks) {
  CheckConvPasses({3, 8, 7, 5, 4, 3, 3, 2, 1, 1});
  CheckConvPasses({17, 5, 5, 1, 3, 3, 3, 1, 0, 1});
  CheckConvPasses({2, 9, 9, 3, 3, 5, 5, 1, 2, 1});
  CheckConvPasses({1, 10, 10, 2, 2, 3, 3, 1, 2, 2});   // dilation 2
  CheckConvPasses({3, 9, 8, 2, 2, 7, 7, 2, 2, 1});
  CheckConvPasses({4, 12, 12, 8, 5, 1, 1, 1, 0, 1});   // 1x1 bigger than the workspace
  CheckConvPasses({2, 7, 9, 3, 4, 1, 1, 2, 1, 1});     // 1x1 with stride and padding: im2col
}

// Threads sharing the backend (and its one workspace), each with its own operands, in
// float32: every result still matches.
TEST(OpenCLConv, ThreadsShareTheWorkspace) {
  OpenCLBackend& be = SmallWorkspaceBackend();
  const ConvGeometry g = Geometry({3, 8, 8, 4, 5, 3, 3, 1, 1, 1});
  const size_t src_count = 3 * 8 * 8 * 4, filter_count = 5 * 3 * 3 * 3, dst_count = 5 * 8 * 8 * 4;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Placed src = Place(be, RandomValues(src_count, -1, 1, 10 + t), DType::kFloat32);
      Placed filter = Place(be, RandomValues(filter_count, -1, 1, 20 + t), DType::kFloat32);
      Placed dst = Place(be, std::vector<double>(dst_count), DType::kFloat32);
      ConvArgs args{DType::kFloat32, g, {src.buffer.get(), kOffset}, {filter.buffer.get(), kOffset},
                    {dst.buffer.get(), kOffset}};
      std::vector<double> want(dst_count);
      host_ops::ConvFprop(g, src.host.data(), filter.host.data(), want.data());
      for (int round = 0; round < 5; ++round) {
        be.conv_fprop(args);
        ExpectClose(Fetch(be, dst, DType::kFloat32, "thread"), want, 1e-7,
                    "conv_fprop in thread " + std::to_string(t) + " round " + std::to_string(round));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

struct PoolCase {
  int64_t c, h, w, n, r, s, stride, pad;
};

void CheckPoolPasses(const PoolCase& t) {
  OpenCLBackend& be = SmallWorkspaceBackend();
  PoolGeometry g;
  g.n = t.n, g.c = t.c, g.h = t.h, g.w = t.w, g.r = t.r, g.s = t.s;
  g.stride_h = g.stride_w = t.stride;
  g.pad_h = g.pad_w = t.pad;
  g.p = ConvOutputSize(t.h, t.r, t.pad, t.stride, 1);
  g.q = ConvOutputSize(t.w, t.s, t.pad, t.stride, 1);
  const size_t src_count = t.c * t.h * t.w * t.n, dst_count = static_cast<size_t>(t.c * g.p * g.q * t.n);
  for (DType dtype : DTypes()) {
    for (PoolOp op : {PoolOp::kMax, PoolOp::kAvg}) {
      const std::string name = std::string(op == PoolOp::kMax ? "max" : "avg") + " c" + std::to_string(t.c) + " " +
                               std::to_string(t.h) + "x" + std::to_string(t.w) + " window " + std::to_string(t.r) +
                               "x" + std::to_string(t.s) + " stride " + std::to_string(t.stride) + " pad " +
                               std::to_string(t.pad) + " " + std::string(DTypeName(dtype));
      Placed src = Place(be, RandomValues(src_count, -2, 2, 4), dtype);
      Placed dst = Place(be, RandomValues(dst_count, -1, 1, 5), dtype);
      Placed argmax = Place(be, std::vector<double>(dst_count, -7), DType::kInt32);
      PoolArgs args{dtype, op, g, {src.buffer.get(), kOffset}, {dst.buffer.get(), kOffset},
                    {argmax.buffer.get(), kOffset}};
      std::vector<double> want(dst_count);
      std::vector<int32_t> want_argmax(dst_count);
      host_ops::PoolFprop(op, g, src.host.data(), want.data(), want_argmax.data());
      be.pool_fprop(args);
      ExpectClose(Fetch(be, dst, dtype, name), want, Limit(dtype), "pool_fprop " + name);
      if (op == PoolOp::kMax) {
        std::vector<double> got_argmax = Fetch(be, argmax, DType::kInt32, name);
        EXPECT_EQ(got_argmax, std::vector<double>(want_argmax.begin(), want_argmax.end())) << "argmax " << name;
      }
      // bprop: the incoming gradient is the dst buffer's (new) values.
      std::vector<double> gradient = Fetch(be, dst, dtype, name);
      want.assign(src_count, 0.0);
      host_ops::PoolBprop(op, g, gradient.data(), want_argmax.data(), want.data());
      be.pool_bprop(args);
      ExpectClose(Fetch(be, src, dtype, name), want, Limit(dtype), "pool_bprop " + name);
    }
  }
}

TEST(OpenCLPool, MaxAndAvg) {
  CheckPoolPasses({3, 6, 6, 2, 2, 2, 2, 0});
  CheckPoolPasses({2, 7, 7, 5, 3, 3, 2, 1});   // overlapping windows, padding
  CheckPoolPasses({1, 5, 6, 1, 3, 3, 1, 1});
  CheckPoolPasses({2, 4, 4, 3, 3, 3, 3, 2});   // windows mostly of padding
}

TEST(OpenCLConv, RejectsBadArguments) {
  OpenCLBackend& be = SmallWorkspaceBackend();
  const ConvGeometry g = Geometry({1, 4, 4, 1, 1, 3, 3, 1, 1, 1});
  Placed src = Place(be, std::vector<double>(16), DType::kFloat32);
  Placed filter = Place(be, std::vector<double>(9), DType::kFloat32);
  Placed dst = Place(be, std::vector<double>(16), DType::kFloat32);
  ConvArgs args{DType::kFloat32, g, {src.buffer.get(), kOffset}, {filter.buffer.get(), kOffset},
                {dst.buffer.get(), kOffset}};
  ConvArgs wrong_output = args;
  wrong_output.geometry.p = 3;
  EXPECT_THROW(be.conv_fprop(wrong_output), ArgumentError);
  ConvArgs too_small = args;
  too_small.dst.offset = 9;   // 16 elements from offset 9 overrun the 24-element buffer
  EXPECT_THROW(be.conv_bprop_filter(too_small), ArgumentError);
  ConvArgs int32 = args;
  int32.dtype = DType::kInt32;
  EXPECT_THROW(be.conv_bprop_data(int32), ArgumentError);
  // A buffer of another backend.
  OpenCLBackend& other = opencl_test::SharedBackend();
  std::shared_ptr<Buffer> foreign = other.allocate(64 * sizeof(float));
  ConvArgs mixed = args;
  mixed.filter = {foreign.get(), 0};
  EXPECT_THROW(be.conv_fprop(mixed), ArgumentError);
  PoolArgs pool{DType::kFloat32, PoolOp::kMax, {}, {src.buffer.get(), kOffset}, {dst.buffer.get(), kOffset},
                {foreign.get(), 0}};
  pool.geometry.h = pool.geometry.w = pool.geometry.p = pool.geometry.q = 4;
  EXPECT_THROW(be.pool_fprop(pool), ArgumentError);
}

}  // namespace
}  // namespace neon
