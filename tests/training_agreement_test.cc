// Training agrees across devices: a tiny network (Linear-Rectlin-Linear-Softmax,
// CrossEntropyMulti, GradientDescentMomentum with momentum) trained for 20 steps
// from one seed on synthetic data gives the same loss sequence on the backend
// under test as on `reference`, and bit-identical losses when run twice on the
// same backend, and with the prefetching iterator. Initializers give bit-identical
// weights on every backend.
// The backend is $NEON_TEST_BACKEND (tests/build_defs.bzl fans the test out per backend).
#include <gtest/gtest.h>

#include <cmath>

#include "graph/random_stream.h"
#include "layers/model.h"
#include "layers/prefetching_iterator.h"
#include "tests/backends_under_test.h"
#include "tests/conformance.h"

namespace neon {
namespace {

const std::string kBackend = BackendUnderTest();

constexpr int kSteps = 20;
constexpr int64_t kClasses = 3, kSamples = 96, kBatch = 16;

using Layers = std::vector<std::shared_ptr<Layer>>;

// Three overlapping blobs made with a fixed LCG, so the data is the same everywhere.
HostBatches SyntheticData(const Shape& feature_shape) {
  int64_t features = FeatureSize(feature_shape);
  std::vector<float> X;
  std::vector<int32_t> labels;
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int64_t i = 0; i < kSamples; ++i) {
    int32_t label = static_cast<int32_t>(i % kClasses);
    labels.push_back(label);
    for (int64_t f = 0; f < features; ++f) {
      double center = (f % kClasses == label) ? 1.5 : -0.5;
      X.push_back(static_cast<float>(center + 4.0 * (next() - 0.5)));
    }
  }
  return HostBatches(X, OneHotTargets(labels, kClasses), kClasses, feature_shape, kBatch, /*shuffle=*/true, /*seed=*/3);
}

// Records the loss of every minibatch.
class LossRecorder : public Callback {
 public:
  void on_minibatch_end(Model& model, int epoch, int64_t minibatch) override { losses.push_back(model.current_cost()); }
  std::vector<double> losses;
};

Layers Mlp() {
  AffineOptions hidden;
  hidden.activation = std::make_shared<Rectlin>();
  AffineOptions output;
  output.activation = std::make_shared<Softmax>();
  Layers layers = Affine(16, std::make_shared<GlorotUniform>(), hidden);
  for (auto& layer : Affine(kClasses, std::make_shared<GlorotUniform>(), output)) layers.push_back(layer);
  return layers;
}

// conv(-batchnorm)-rectlin-pool blocks with these filter counts, then a softmax affine.
Layers ConvBlocks(std::vector<int64_t> filters, bool batch_norm) {
  Layers layers;
  for (int64_t k : filters) {
    layers.push_back(std::make_shared<Conv>(3, 3, k, std::make_shared<Kaiming>(), ConvOptions::Square(1, 1)));
    if (batch_norm) layers.push_back(std::make_shared<BatchNorm>());
    layers.push_back(std::make_shared<Activation>(std::make_shared<Rectlin>()));
    layers.push_back(std::make_shared<Pooling>(2, 2, "max"));
  }
  AffineOptions output;
  output.activation = std::make_shared<Softmax>();
  for (auto& layer : Affine(kClasses, std::make_shared<GlorotUniform>(), output)) layers.push_back(layer);
  return layers;
}

// conv-pool-conv-pool-affine on (1, 8, 8) images.
Layers Convnet() { return ConvBlocks({4, 4}, false); }

// With batch norm and 16 and 32 channels: on a backend with its own activation layout
// (cpu) the chain from the first conv to the last pooling keeps it.
Layers BlockedConvnet() { return ConvBlocks({16, 32}, true); }

struct Network {
  const char* name;
  Layers (*make)();
  Shape feature_shape;
  double learning_rate;
};
void PrintTo(const Network& network, std::ostream* out) { *out << network.name; }
const Network kMlp{"mlp", Mlp, {8}, 0.05};
const Network kConvnet{"convnet", Convnet, {1, 8, 8}, 0.1};
const Network kBlockedConvnet{"blocked_convnet", BlockedConvnet, {1, 8, 8}, 0.05};

// With `prefetch`, a loader thread copies the next batch while the model computes.
// device_layout: whether the model may keep activations in the backend's own layout.
std::vector<double> TrainTinyNetwork(Backend& be, const Network& network, bool prefetch = false,
                                     bool device_layout = true) {
  SetSeed(be, 2026);
  Model model(be, network.make());
  model.set_device_layout(device_layout);
  std::unique_ptr<DataIterator> data;
  if (prefetch) {
    data = std::make_unique<PrefetchingIterator>(be, SyntheticData(network.feature_shape));
  } else {
    data = std::make_unique<ArrayIterator>(be, SyntheticData(network.feature_shape));
  }
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  GDMOptions options;
  options.momentum_coef = 0.9;
  GradientDescentMomentum sgd(network.learning_rate, options);
  LossRecorder recorder;
  model.fit(*data, cost, sgd, kSteps / static_cast<int>(data->nbatches()) + 1, {&recorder});
  recorder.losses.resize(kSteps);
  return recorder.losses;
}

class TrainingAgreementTest : public ::testing::TestWithParam<Network> {};

TEST_P(TrainingAgreementTest, TwentyStepsMatchReference) {
  const Network& network = GetParam();
  std::vector<double> expected = TrainTinyNetwork(conformance::SharedBackend("reference"), network);
  std::vector<double> actual = TrainTinyNetwork(conformance::SharedBackend(kBackend), network);
  ASSERT_EQ(actual.size(), expected.size());
  EXPECT_LT(expected.back(), 0.6 * expected.front()) << network.name << " should learn the blobs";
  double worst = 0.0;
  for (int i = 0; i < kSteps; ++i) {
    double relative = std::fabs(actual[i] - expected[i]) / std::fabs(expected[i]);
    worst = std::max(worst, relative);
    // float32 GEMMs and reductions sum in another order on each device (relative error
    // ~1e-7 per step); 20 steps of momentum SGD amplify it (measured: 5e-7), not past 1e-5.
    EXPECT_LT(relative, 1e-5) << kBackend << " step " << i << ": " << actual[i] << " vs reference " << expected[i];
  }
  std::printf("%s %s: 20 losses from %.6f to %.6f, worst relative difference to reference %.2e\n", kBackend.c_str(),
              network.name, actual.front(), actual.back(), worst);
}

TEST_P(TrainingAgreementTest, SecondRunIsBitIdentical) {
  Backend& be = conformance::SharedBackend(kBackend);
  std::vector<double> first = TrainTinyNetwork(be, GetParam());
  std::vector<double> second = TrainTinyNetwork(be, GetParam());
  for (int i = 0; i < kSteps; ++i) EXPECT_EQ(first[i], second[i]) << kBackend << " step " << i;
}

TEST_P(TrainingAgreementTest, PrefetchingGivesTheSameLossesBitForBit) {
  Backend& be = conformance::SharedBackend(kBackend);
  std::vector<double> inline_copies = TrainTinyNetwork(be, GetParam());
  std::vector<double> prefetched = TrainTinyNetwork(be, GetParam(), /*prefetch=*/true);
  for (int i = 0; i < kSteps; ++i) EXPECT_EQ(prefetched[i], inline_copies[i]) << kBackend << " step " << i;
}

// The same training with every activation in neon's layout: the device layout changes
// only the order of the batch-norm sums (float32 rounding), not the training.
TEST_P(TrainingAgreementTest, DeviceLayoutMatchesNeonLayout) {
  Backend& be = conformance::SharedBackend(kBackend);
  std::vector<double> neon = TrainTinyNetwork(be, GetParam(), false, /*device_layout=*/false);
  std::vector<double> device = TrainTinyNetwork(be, GetParam());
  for (int i = 0; i < kSteps; ++i) {
    EXPECT_LT(std::fabs(device[i] - neon[i]) / std::fabs(neon[i]), 1e-5) << kBackend << " step " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Networks, TrainingAgreementTest, ::testing::Values(kMlp, kConvnet, kBlockedConvnet),
                         [](const ::testing::TestParamInfo<Network>& info) { return std::string(info.param.name); });

TEST(InitializerBitsTest, EveryInitializerGivesReferenceBits) {
  std::vector<std::shared_ptr<Initializer>> initializers = {
      std::make_shared<Constant>(0.25), std::make_shared<Uniform>(-0.5, 2.0), std::make_shared<Gaussian>(1.0, 3.0),
      std::make_shared<GlorotUniform>(), std::make_shared<Xavier>(), std::make_shared<Kaiming>()};
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (const auto& init : initializers) {
      std::vector<std::vector<double>> bits;
      for (const std::string& spec : {std::string("reference"), kBackend}) {
        Backend& be = conformance::SharedBackend(spec);
        SetSeed(be, 77);
        ReserveRandom(be, 1000);  // a nonzero stream position
        Tensor W = empty(be, {33, 17}, dtype);
        init->fill(W);
        bits.push_back(W.get<double>());
      }
      for (size_t i = 0; i < bits[0].size(); ++i) {
        ASSERT_EQ(bits[0][i], bits[1][i]) << init->describe() << " " << DTypeName(dtype) << " element " << i;
      }
    }
  }
}

TEST(InitializerBitsTest, DropoutMaskIsTheSameOnEveryBackend) {
  std::vector<std::vector<double>> masks;
  for (const std::string& spec : {std::string("reference"), kBackend}) {
    Backend& be = conformance::SharedBackend(spec);
    auto dropout = std::make_shared<Dropout>(0.7, "drop");
    Model model(be, {dropout});
    model.configure({13}, 9);
    model.allocate();
    SetSeed(be, 5);
    model.fprop(ones(be, {13, 9}));
    masks.push_back(dropout->keep_mask().get<double>());
  }
  EXPECT_EQ(masks[0], masks[1]);
}

}  // namespace
}  // namespace neon
