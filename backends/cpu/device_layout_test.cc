// The cpu backend's own activation layout (ActivationLayout::kDevice, onednn_layout.h):
// conv, pooling and batch norm give the same values whichever side of an op is in it.
// The test lays data out in oneDNN's channel-blocked order itself (nChw{block}c), so it
// checks the layout the backend claims, not only that the backend agrees with itself.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"
#include "backends/test_buffers.h"
#include "core/conv_args.h"
#include "core/error.h"

namespace neon {
namespace {

constexpr ActivationLayout kNeon = ActivationLayout::kNeon;
constexpr ActivationLayout kDevice = ActivationLayout::kDevice;

struct Dims {
  int64_t c, h, w, n;
  size_t count() const { return static_cast<size_t>(c * h * w * n); }
};

// Moves (C, H, W, N) values into (N, C / block, H, W, block), or back.
std::vector<float> Relayout(const std::vector<float>& values, Dims d, int64_t block, bool to_blocked) {
  std::vector<float> out(values.size());
  for (int64_t c = 0; c < d.c; ++c)
    for (int64_t h = 0; h < d.h; ++h)
      for (int64_t w = 0; w < d.w; ++w)
        for (int64_t n = 0; n < d.n; ++n) {
          auto neon = static_cast<size_t>(((c * d.h + h) * d.w + w) * d.n + n);
          auto blocked = static_cast<size_t>((((n * (d.c / block) + c / block) * d.h + h) * d.w + w) * block + c % block);
          if (to_blocked) {
            out[blocked] = values[neon];
          } else {
            out[neon] = values[blocked];
          }
        }
  return out;
}

std::vector<float> Random(size_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = uniform(engine);
  return values;
}

// An activation on the backend in a chosen layout, read back in neon's.
class Activation {
 public:
  Activation(Backend& be, Dims dims, ActivationLayout layout, const std::vector<float>& neon_values)
      : be_(be), dims_(dims), layout_(layout), buffer_(be.allocate(dims.count() * 4)) {
    std::vector<float> stored = layout == kDevice ? Relayout(neon_values, dims, Block(), true) : neon_values;
    be.copy_in(*buffer_, 0, stored.data(), stored.size() * 4);
  }
  std::vector<float> Neon() const {
    std::vector<float> stored(dims_.count());
    be_.copy_out(*buffer_, 0, stored.data(), stored.size() * 4);
    return layout_ == kDevice ? Relayout(stored, dims_, Block(), false) : stored;
  }
  BufferRef ref() const { return {buffer_.get(), 0}; }
  ActivationLayout layout() const { return layout_; }

 private:
  int64_t Block() const { return be_.device_layout_block(DType::kFloat32); }
  Backend& be_;
  Dims dims_;
  ActivationLayout layout_;
  std::shared_ptr<Buffer> buffer_;
};

using test::Download;
using test::Upload;

void ExpectSameBits(const std::vector<float>& actual, const std::vector<float>& expected, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(std::memcmp(&actual[i], &expected[i], 4), 0) << what << " element " << i << ": " << actual[i] << " vs "
                                                           << expected[i];
  }
}

const ActivationLayout kBothLayouts[] = {kNeon, kDevice};

class DeviceLayoutTest : public ::testing::Test {
 protected:
  CpuBackend be{2};
  int64_t block = be.device_layout_block(DType::kFloat32);
};

TEST_F(DeviceLayoutTest, OfferedForFloat32Only) {
  EXPECT_TRUE(block == 16 || block == 8) << block;
  EXPECT_EQ(be.device_layout_block(DType::kFloat64), 0);
}

// Every pass in every mix of layouts gives the bits of the all-neon pass: the same
// primitive runs, only exact reorders differ.
TEST_F(DeviceLayoutTest, ConvolutionPassesAgreeInEveryLayoutMix) {
  struct Case {
    int64_t c, k, h, w, n, r, stride, pad;
  };
  for (const Case& t : {Case{block, 2 * block, 9, 7, 3, 3, 1, 1}, Case{2 * block, block, 8, 8, 2, 3, 2, 1},
                        Case{block, block, 5, 6, 5, 1, 1, 0}}) {
    ConvGeometry g;
    g.n = t.n, g.c = t.c, g.h = t.h, g.w = t.w, g.k = t.k, g.r = g.s = t.r;
    g.stride_h = g.stride_w = t.stride;
    g.pad_h = g.pad_w = t.pad;
    g.p = ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, 1);
    g.q = ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, 1);
    Dims in{g.c, g.h, g.w, g.n}, out{g.k, g.p, g.q, g.n};
    std::vector<float> x = Random(in.count(), 1), e = Random(out.count(), 2);
    std::vector<float> filter = Random(static_cast<size_t>(g.k * g.c * g.r * g.s), 3);
    std::shared_ptr<Buffer> filter_buffer = Upload(be, filter);
    std::shared_ptr<Buffer> grad_buffer = be.allocate(filter.size() * 4);
    std::vector<float> expected_y, expected_dx, expected_dw;
    for (ActivationLayout src_layout : kBothLayouts) {
      for (ActivationLayout dst_layout : kBothLayouts) {
        std::string what = "conv c " + std::to_string(g.c) + " src " + (src_layout == kDevice ? "device" : "neon") +
                           " dst " + (dst_layout == kDevice ? "device" : "neon");
        Activation src(be, in, src_layout, x), dst(be, out, dst_layout, std::vector<float>(out.count(), -5.0f));
        Activation error(be, out, dst_layout, e), dx(be, in, src_layout, std::vector<float>(in.count(), -5.0f));
        ConvArgs args;
        args.geometry = g;
        args.src = src.ref();
        args.filter = {filter_buffer.get(), 0};
        args.dst = dst.ref();
        args.src_layout = src_layout;
        args.dst_layout = dst_layout;
        be.conv_fprop(args);
        ConvArgs filter_args = args, data_args = args;
        filter_args.dst = error.ref();
        filter_args.filter = {grad_buffer.get(), 0};
        data_args.src = dx.ref();
        data_args.dst = error.ref();
        be.conv_bprop(filter_args, data_args);
        std::vector<float> y = dst.Neon(), dxs = dx.Neon(), dw = Download<float>(be, *grad_buffer);
        if (expected_y.empty()) {
          expected_y = y, expected_dx = dxs, expected_dw = dw;
          continue;
        }
        ExpectSameBits(y, expected_y, what + " fprop");
        ExpectSameBits(dxs, expected_dx, what + " bprop data");
        ExpectSameBits(dw, expected_dw, what + " bprop filter");
      }
    }
  }
}

TEST_F(DeviceLayoutTest, PoolingPassesAgreeInEveryLayoutMix) {
  struct Case {
    PoolOp op;
    int64_t window, stride, pad;
  };
  for (const Case& t : {Case{PoolOp::kMax, 2, 2, 0}, Case{PoolOp::kMax, 3, 2, 1}, Case{PoolOp::kAvg, 3, 1, 1},
                        Case{PoolOp::kAvg, 2, 2, 0}}) {
    PoolGeometry g;
    g.n = 3, g.c = 2 * block, g.h = 7, g.w = 6, g.r = g.s = t.window;
    g.stride_h = g.stride_w = t.stride;
    g.pad_h = g.pad_w = t.pad;
    g.p = ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, 1);
    g.q = ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, 1);
    Dims in{g.c, g.h, g.w, g.n}, out{g.c, g.p, g.q, g.n};
    std::vector<float> x = Random(in.count(), 4), e = Random(out.count(), 5);
    std::vector<float> expected_y, expected_dx;
    for (ActivationLayout src_layout : kBothLayouts) {
      for (ActivationLayout dst_layout : kBothLayouts) {
        std::string what = std::string(t.op == PoolOp::kMax ? "max" : "avg") + " window " +
                           std::to_string(t.window) + " src " + (src_layout == kDevice ? "device" : "neon") +
                           " dst " + (dst_layout == kDevice ? "device" : "neon");
        Activation src(be, in, src_layout, x), dst(be, out, dst_layout, std::vector<float>(out.count(), -5.0f));
        std::shared_ptr<Buffer> argmax = be.allocate(out.count() * 4);
        PoolArgs args;
        args.op = t.op;
        args.geometry = g;
        args.src = src.ref();
        args.dst = dst.ref();
        args.argmax = {argmax.get(), 0};
        args.src_layout = src_layout;
        args.dst_layout = dst_layout;
        be.pool_fprop(args);
        Activation error(be, out, dst_layout, e), dx(be, in, src_layout, std::vector<float>(in.count(), -5.0f));
        args.src = dx.ref();
        args.dst = error.ref();
        be.pool_bprop(args);
        std::vector<float> y = dst.Neon(), dxs = dx.Neon();
        if (expected_y.empty()) {
          expected_y = y, expected_dx = dxs;
          continue;
        }
        ExpectSameBits(y, expected_y, what + " fprop");
        ExpectSameBits(dxs, expected_dx, what + " bprop");
      }
    }
  }
}

// Batch norm in the device layout against neon's: oneDNN runs another kernel, whose sums
// over a channel's 288 elements take another order (float32 rounding, ~1e-7 relative).
TEST_F(DeviceLayoutTest, BatchNormAgreesWithNeonLayout) {
  Dims d{2 * block, 4, 6, 12};
  const size_t c = static_cast<size_t>(d.c);
  std::vector<float> x = Random(d.count(), 6), e = Random(d.count(), 7);
  for (float& v : x) v = 3.0f * v + 2.0f;
  std::vector<float> gamma = Random(c, 8), beta = Random(c, 9);
  struct Result {
    std::vector<float> y, mean, var, dx, dgamma, dbeta;
  };
  auto run = [&](ActivationLayout layout) {
    Activation src(be, d, layout, x), dst(be, d, layout, std::vector<float>(d.count())), diff(be, d, layout, e);
    std::shared_ptr<Buffer> g = Upload(be, gamma), b = Upload(be, beta);
    std::shared_ptr<Buffer> mean = be.allocate(c * 4), var = be.allocate(c * 4);
    std::shared_ptr<Buffer> dgamma = be.allocate(c * 4), dbeta = be.allocate(c * 4);
    BatchNormArgs args;
    args.channels = d.c;
    args.elements = d.h * d.w * d.n;
    args.epsilon = 1e-5;
    args.layout = layout;
    args.batch = d.n;
    args.src = src.ref(), args.dst = dst.ref(), args.gamma = {g.get(), 0}, args.beta = {b.get(), 0};
    args.mean = {mean.get(), 0}, args.var = {var.get(), 0};
    be.batch_norm_fprop(args);
    args.diff_dst = diff.ref(), args.diff_src = diff.ref();  // in place, as the layer runs it
    args.diff_gamma = {dgamma.get(), 0}, args.diff_beta = {dbeta.get(), 0};
    be.batch_norm_bprop(args);
    return Result{dst.Neon(),           Download<float>(be, *mean),   Download<float>(be, *var), diff.Neon(),
                  Download<float>(be, *dgamma), Download<float>(be, *dbeta)};
  };
  Result neon = run(kNeon), device = run(kDevice);
  auto expect_close = [](const std::vector<float>& a, const std::vector<float>& b, const char* what) {
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_NEAR(a[i], b[i], 1e-5 * (1.0 + std::fabs(b[i]))) << what << " " << i;
    }
  };
  expect_close(device.y, neon.y, "y");
  expect_close(device.mean, neon.mean, "mean");
  expect_close(device.var, neon.var, "var");
  expect_close(device.dx, neon.dx, "dx");
  expect_close(device.dgamma, neon.dgamma, "dgamma");
  expect_close(device.dbeta, neon.dbeta, "dbeta");
}

TEST_F(DeviceLayoutTest, BadUsesAreArgumentErrors) {
  ConvGeometry g;
  g.n = 2, g.c = 3, g.h = g.w = 4, g.k = block, g.r = g.s = 1, g.p = g.q = 4;
  std::shared_ptr<Buffer> src = be.allocate(3 * 16 * 2 * 4), filter = be.allocate(block * 3 * 4),
                          dst = be.allocate(block * 16 * 2 * 4);
  ConvArgs args;
  args.geometry = g;
  args.src = {src.get(), 0}, args.filter = {filter.get(), 0}, args.dst = {dst.get(), 0};
  args.src_layout = kDevice;  // 3 channels: not a multiple of the block
  EXPECT_THROW(be.conv_fprop(args), ArgumentError);
  args.src_layout = kNeon;
  args.dst_layout = kDevice;  // block channels: fine
  EXPECT_NO_THROW(be.conv_fprop(args));
  args.dtype = DType::kFloat64;  // no device layout for float64
  std::shared_ptr<Buffer> src64 = be.allocate(3 * 16 * 2 * 8), filter64 = be.allocate(block * 3 * 8),
                          dst64 = be.allocate(block * 16 * 2 * 8);
  args.src = {src64.get(), 0}, args.filter = {filter64.get(), 0}, args.dst = {dst64.get(), 0};
  EXPECT_THROW(be.conv_fprop(args), ArgumentError);

  ReferenceBackend reference;  // has no device layout: its host loops read neon's
  std::shared_ptr<Buffer> rsrc = reference.allocate(3 * 16 * 2 * 4), rfilter = reference.allocate(block * 3 * 4),
                          rdst = reference.allocate(block * 16 * 2 * 4);
  args.dtype = DType::kFloat32;
  args.src = {rsrc.get(), 0}, args.filter = {rfilter.get(), 0}, args.dst = {rdst.get(), 0};
  EXPECT_THROW(reference.conv_fprop(args), ArgumentError);

  BatchNormArgs bn;
  bn.channels = block;
  bn.elements = 10;
  bn.layout = kDevice;
  bn.batch = 3;  // does not divide 10
  std::shared_ptr<Buffer> data = be.allocate(block * 10 * 4), channel = be.allocate(block * 4);
  bn.src = bn.dst = {data.get(), 0};
  bn.gamma = bn.beta = bn.mean = bn.var = {channel.get(), 0};
  EXPECT_THROW(be.batch_norm_fprop(bn), ArgumentError);
}

}  // namespace
}  // namespace neon
