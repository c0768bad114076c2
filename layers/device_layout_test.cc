// Which activations a Sequential keeps in the backend's own layout (layers/device_layout.h).
#include <gtest/gtest.h>

#include <string>

#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"
#include "examples/batchnorm_autodiff.h"
#include "layers/model.h"

namespace neon {
namespace {

using Layers = std::vector<std::shared_ptr<Layer>>;

std::shared_ptr<Layer> MakeConv(int64_t filters) {
  return std::make_shared<Conv>(3, 3, filters, std::make_shared<Kaiming>(), ConvOptions::Square(1, 1));
}
std::shared_ptr<Layer> MakeRectlin() { return std::make_shared<Activation>(std::make_shared<Rectlin>()); }
std::shared_ptr<Layer> MakePool() { return std::make_shared<Pooling>(2, 2, "max"); }
std::shared_ptr<Layer> MakeBn() { return std::make_shared<BatchNorm>(); }

// "d" where a boundary between two layers is in the device layout, "n" where it is neon's,
// after configuring and allocating `layers` on `be` for (channels, 8, 8) inputs.
std::string Boundaries(Backend& be, const Layers& layers, bool allowed = true, int64_t channels = 1) {
  Sequential net(layers, "net");
  net.set_device_layout(allowed);
  net.set_context({&be, 4, DType::kFloat32});
  net.configure({channels, 8, 8});
  net.allocate();
  std::string boundaries;
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    EXPECT_EQ(layers[i]->out_layout, layers[i + 1]->in_layout) << "boundary " << i;
    boundaries += layers[i]->out_layout == ActivationLayout::kDevice ? "d" : "n";
  }
  EXPECT_EQ(layers.front()->in_layout, ActivationLayout::kNeon);
  EXPECT_EQ(layers.back()->out_layout, ActivationLayout::kNeon);
  return boundaries;
}

class DeviceLayoutChainsTest : public ::testing::Test {
 protected:
  CpuBackend be{1};
  int64_t block = be.device_layout_block(DType::kFloat32);  // 16 or 8: channels below are multiples of 16
};

TEST_F(DeviceLayoutChainsTest, ConvBlocksFormOneChainEndingAtTheLastPooling) {
  Layers layers = {MakeConv(16), MakeBn(), MakeRectlin(), MakePool(), MakeConv(32), MakeBn(), MakeRectlin(),
                   MakePool(), std::make_shared<Reshape>(Shape{-1}), std::make_shared<Linear>(3, std::make_shared<Kaiming>())};
  EXPECT_EQ(Boundaries(be, layers), "dddddddnn");
  EXPECT_EQ(Boundaries(be, layers, /*allowed=*/false), "nnnnnnnnn");
}

TEST_F(DeviceLayoutChainsTest, ChainsEndAtConvOrPooling) {
  // Rectlin last: it cannot convert, so the chain ends at the conv before it.
  EXPECT_EQ(Boundaries(be, {MakeConv(16), MakeBn(), MakeRectlin()}), "nn");
  EXPECT_EQ(Boundaries(be, {MakeConv(16), MakeRectlin(), MakeConv(16), MakeRectlin()}), "ddn");
  // A lone conv has no inner boundary.
  EXPECT_EQ(Boundaries(be, {MakeConv(16)}), "");
}

TEST_F(DeviceLayoutChainsTest, ChainsBreakAtOtherLayersAndChannelCounts) {
  // 3 channels are not a multiple of the block: that boundary stays neon's.
  EXPECT_EQ(Boundaries(be, {MakeConv(3), MakeRectlin(), MakeConv(16), MakePool()}), "nnd");
  // Softmax over channels is not elementwise; Dropout draws its mask in element order.
  EXPECT_EQ(Boundaries(be, {MakeConv(16), std::make_shared<Activation>(std::make_shared<Softmax>()), MakeConv(16)}),
            "nn");
  EXPECT_EQ(Boundaries(be, {MakeConv(16), std::make_shared<Dropout>(0.5), MakeConv(16)}), "nn");
  // The seed's BatchNormAutodiff computes with op-trees on neon's layout.
  EXPECT_EQ(Boundaries(be, {MakeConv(16), std::make_shared<BatchNormAutodiff>(), MakePool()}), "nn");
  EXPECT_EQ(Boundaries(be, {MakeConv(16), MakeBn(), MakePool()}), "dd");
}

TEST_F(DeviceLayoutChainsTest, OffInAModelIsOffInNestedSequentials) {
  auto inner = std::make_shared<Sequential>(Layers{MakeConv(16), MakeBn(), MakePool()}, "inner");
  Layers outer = {MakeConv(16), inner};
  Model model(be, outer);
  model.set_device_layout(false);
  model.configure({1, 8, 8}, 4);
  model.allocate();
  for (const auto& layer : inner->layers()) {
    EXPECT_EQ(layer->in_layout, ActivationLayout::kNeon) << layer->name;
    EXPECT_EQ(layer->out_layout, ActivationLayout::kNeon) << layer->name;
  }
  model.set_device_layout(true);
  model.allocate();
  EXPECT_EQ(inner->layers()[0]->out_layout, ActivationLayout::kDevice);
}

// A subclass of Conv, Pooling or Activation may compute with op-trees: it stays out.
TEST_F(DeviceLayoutChainsTest, SubclassesStayOut) {
  class MyConv : public Conv {
   public:
    MyConv() : Conv(3, 3, 16, std::make_shared<Kaiming>(), ConvOptions::Square(1, 1)) {}
  };
  EXPECT_EQ(Boundaries(be, {MakeConv(16), std::make_shared<MyConv>(), MakePool()}), "nn");
}

// BatchNorm's deltas belong to one allocation: a model allocated again for another batch
// trains without tripping over the first one's buffer.
TEST_F(DeviceLayoutChainsTest, BatchNormDeltasFollowTheBatchSize) {
  Layers layers = {MakeConv(16), MakeBn(), MakeRectlin(), MakePool()};
  Model model(be, layers);
  for (int64_t batch : {4, 2, 6}) {
    model.configure({1, 8, 8}, batch);
    model.allocate();
    Tensor x = zeros(be, {1, 8, 8, batch});
    model.fprop(x);
    Tensor error = zeros(be, {16, 4, 4, batch});
    EXPECT_NO_THROW(model.bprop(error)) << "batch " << batch;
    EXPECT_EQ(layers[1]->deltas.shape(), (Shape{16, 8, 8, batch}));
  }
}

TEST_F(DeviceLayoutChainsTest, ABackendWithoutItsOwnLayoutKeepsNeonsEverywhere) {
  ReferenceBackend reference;
  EXPECT_EQ(reference.device_layout_block(DType::kFloat32), 0);
  EXPECT_EQ(Boundaries(reference, {MakeConv(16), MakeBn(), MakeRectlin(), MakePool()}), "nnn");
}

}  // namespace
}  // namespace neon
