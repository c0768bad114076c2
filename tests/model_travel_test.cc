// Model files travel: the default convnet (small input) trained a few steps on the
// backend under test, saved, and loaded on `reference` (and the reverse) predicts the
// same class probabilities within float32 tolerance.
// The backend is $NEON_TEST_BACKEND (tests/build_defs.bzl fans the test out per backend).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "backends/registry.h"
#include "data/dataset.h"
#include "graph/random_stream.h"
#include "layers/model_file.h"
#include "layers/model_zoo.h"
#include "tests/backends_under_test.h"

namespace neon {
namespace {

constexpr int64_t kBatch = 16;

// Trains `zoo_name` on `trained_on` for one epoch of synthetic data, saves it, loads it on
// `loaded_on`, and returns both backends' predictions of the same samples.
std::pair<std::vector<float>, std::vector<float>> PredictBeforeAndAfterTravel(const std::string& zoo_name,
                                                                              Backend& trained_on,
                                                                              Backend& loaded_on) {
  Dataset data = SyntheticDataset(48, 12, 4, 7);
  ModelFile file;
  file.description = ModelZooDescription(zoo_name, data.feature_shape, data.nclass);
  file.epoch = 1;
  SetSeed(trained_on, 5);
  Model model(trained_on, BuildLayers(file.description));
  auto train = MakeIterator(trained_on, data, kBatch, /*shuffle=*/true, 1);
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  Adam adam(0.01);
  model.fit(*train, cost, adam, 1);
  std::string path = (std::filesystem::path(testing::TempDir()) / (zoo_name + ".safetensors")).string();
  SaveModel(path, model, &adam, file);
  auto test_here = MakeIterator(trained_on, data, kBatch, false, 0);
  std::vector<float> before = model.get_outputs(*test_here);
  auto loaded = BuildModel(ReadModelFile(path), loaded_on, kBatch);
  auto test_there = MakeIterator(loaded_on, data, kBatch, false, 0);
  return {before, loaded->get_outputs(*test_there)};
}

void ExpectSamePredictions(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  double max_difference = 0.0;
  for (size_t i = 0; i < a.size(); ++i) max_difference = std::max(max_difference, std::fabs(double{a[i]} - b[i]));
  // Probabilities in [0, 1] through a dozen float32 layers whose sums run in different orders.
  EXPECT_LT(max_difference, 1e-4);
}

class ModelTravelTest : public testing::TestWithParam<std::string> {};

TEST_P(ModelTravelTest, TrainedHereLoadsOnReference) {
  std::unique_ptr<Backend> here = CreateBackend(BackendUnderTest());
  std::unique_ptr<Backend> reference = CreateBackend("reference");
  auto [before, after] = PredictBeforeAndAfterTravel(GetParam(), *here, *reference);
  ExpectSamePredictions(before, after);
}

TEST_P(ModelTravelTest, TrainedOnReferenceLoadsHere) {
  std::unique_ptr<Backend> here = CreateBackend(BackendUnderTest());
  std::unique_ptr<Backend> reference = CreateBackend("reference");
  auto [before, after] = PredictBeforeAndAfterTravel(GetParam(), *reference, *here);
  ExpectSamePredictions(before, after);
}

INSTANTIATE_TEST_SUITE_P(Zoo, ModelTravelTest, testing::Values("mlp", "convnet"));

}  // namespace
}  // namespace neon
