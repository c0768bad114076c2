// Model files on `reference`: the safetensors layout byte by byte, a round trip that
// predicts identically, a resumed run that gives the uninterrupted run's losses, and
// files that are not ours, truncated or of another shape: an IoError that changes nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "backends/reference/reference_backend.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "layers/model_file.h"
#include "layers/model_zoo.h"
#include "layers/prefetching_iterator.h"

namespace neon {
namespace {

Backend& Reference() {
  static ReferenceBackend* backend = new ReferenceBackend();
  return *backend;
}

std::string TempPath(const std::string& name) { return (std::filesystem::path(testing::TempDir()) / name).string(); }

template <typename Fn>
std::string IoErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const IoError& error) {
    return error.what();
  }
  return "(no IoError)";
}

// 64 samples of 8 x 8 in 4 classes: each class lights one row, plus noise.
struct TinyData {
  std::vector<float> X;
  std::vector<int32_t> labels;
  TinyData() {
    std::mt19937 rng(5);
    for (int i = 0; i < 64; ++i) {
      int label = i % 4;
      labels.push_back(label);
      for (int p = 0; p < 64; ++p) X.push_back(static_cast<float>(rng() % 100) / 200.0f + (p / 8 == 2 * label ? 0.5f : 0.0f));
    }
  }
  ArrayIterator Iterator(bool shuffle) const { return ArrayIterator(Reference(), X, labels, 4, {1, 8, 8}, 16, shuffle, 3); }
};

// Records each epoch's mean cost.
class EpochCosts : public Callback {
 public:
  void on_epoch_end(Model& model, int epoch) override { costs.push_back(model.epoch_cost()); }
  std::vector<double> costs;
};

ModelFile Describe(const std::string& zoo_name, int epoch) {
  ModelFile file;
  file.description = ModelZooDescription(zoo_name, {1, 8, 8}, 4);
  file.training = {{"optimizer", "sgd"}};
  file.epoch = epoch;
  return file;
}

std::unique_ptr<Model> NewModel(const std::string& zoo_name) {
  return std::make_unique<Model>(Reference(), BuildLayers(ModelZooDescription(zoo_name, {1, 8, 8}, 4)));
}

// A convnet trained one epoch and saved; returns its path.
std::string TrainedConvnetFile(const std::string& name) {
  SetSeed(Reference(), 11);
  TinyData data;
  ArrayIterator train = data.Iterator(true);
  auto model = NewModel("convnet");
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  GDMOptions momentum;
  momentum.momentum_coef = 0.9;
  GradientDescentMomentum sgd(0.05, momentum);
  model->fit(train, cost, sgd, 1);
  std::string path = TempPath(name);
  SaveModel(path, *model, &sgd, Describe("convnet", 1));
  return path;
}

TEST(SafetensorsTest, LayoutIsThePublishedOne) {
  SafetensorsFile file;
  file.metadata["format"] = "pt";
  file.tensors["b"] = {"F32", {2}, {1.0, -2.0}};
  file.tensors["a"] = {"F64", {1, 1}, {0.5}};
  std::string bytes = EncodeSafetensors(file);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(header_bytes % 8, 0u);
  std::string header = bytes.substr(8, header_bytes);
  EXPECT_EQ(header.rfind(R"({"__metadata__":{"format":"pt"},"a":{"data_offsets":[0,8],"dtype":"F64","shape":[1,1]},)"
                         R"("b":{"data_offsets":[8,16],"dtype":"F32","shape":[2]}})", 0),
            0u)
      << header;
  // float32 1.0 little-endian: 00 00 80 3f.
  EXPECT_EQ(bytes.substr(8 + header_bytes + 8, 4), std::string("\x00\x00\x80\x3f", 4));
  SafetensorsFile back = DecodeSafetensors(bytes, "mem");
  EXPECT_EQ(back.metadata, file.metadata);
  EXPECT_EQ(back.tensors["b"].values, (std::vector<double>{1.0, -2.0}));
  EXPECT_EQ(back.tensors["a"].shape, (std::vector<int64_t>{1, 1}));
}

TEST(SafetensorsTest, ReadsAFileWrittenByThePythonPackage) {
  // safetensors.numpy.save_file({"w": np.array([[1, 2], [3, 4]], np.float32), "z": np.zeros(0, np.float64)},
  // path, metadata={"k": "v"}) with safetensors 0.8.0: the header exactly as it wrote it (tensors by
  // alignment, an empty one at offset 0, one space of padding), then the data.
  const std::string header =
      R"({"__metadata__":{"k":"v"},"z":{"dtype":"F64","shape":[0],"data_offsets":[0,0]},)"
      R"("w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}} )";
  ASSERT_EQ(header.size(), 0x88u);
  std::string bytes = std::string("\x88\0\0\0\0\0\0\0", 8) + header +
                      std::string("\0\0\x80\x3f\0\0\0\x40\0\0\x40\x40\0\0\x80\x40", 16);
  SafetensorsFile file = DecodeSafetensors(bytes, "python.safetensors");
  EXPECT_EQ(file.metadata.at("k"), "v");
  EXPECT_EQ(file.tensors.at("w").values, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_TRUE(file.tensors.at("z").values.empty());
}

TEST(SafetensorsTest, HolesOverlapsAndBadOffsetsAreErrors) {
  auto decode = [](const std::string& header, size_t data_bytes) {
    std::string bytes(8, '\0');
    bytes[0] = static_cast<char>(header.size());
    return IoErrorOf([&] { DecodeSafetensors(bytes + header + std::string(data_bytes, '\0'), "f"); });
  };
  EXPECT_NE(decode(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8).find("hole"), std::string::npos);
  EXPECT_NE(decode(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8).find("belong to none"),
            std::string::npos);
  EXPECT_NE(decode(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4).find("need 8"), std::string::npos);
  EXPECT_NE(decode(R"({"w":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})", 1).find("dtype I8"), std::string::npos);
  EXPECT_NE(decode(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99]}})", 4).find("outside"), std::string::npos);
  EXPECT_NE(decode(R"(not json)", 0).find("not a JSON object"), std::string::npos);
}

TEST(ModelFileTest, RoundTripPredictsIdenticallyAndKeepsTheTrainingState) {
  std::string path = TrainedConvnetFile("round_trip.safetensors");
  ModelFile file = ReadModelFile(path);
  EXPECT_EQ(file.epoch, 1);
  EXPECT_EQ(file.rng_seed, 11u);
  EXPECT_GT(file.rng_position, 0u);
  EXPECT_EQ(file.optimizer_steps, 4);
  EXPECT_EQ(file.training["optimizer"], "sgd");
  EXPECT_TRUE(file.tensors.count("optimizer.Conv_0.W.velocity"));
  EXPECT_TRUE(file.tensors.count("BatchNorm_1.gmean"));

  TinyData data;
  ArrayIterator test = data.Iterator(false);
  auto first = BuildModel(file, Reference(), 16);
  auto second = BuildModel(ReadModelFile(path), Reference(), 16);
  std::vector<float> outputs = first->get_outputs(test);
  EXPECT_EQ(outputs, second->get_outputs(test));
  // The trained model is better than chance on what it saw.
  EXPECT_LT(first->eval(test, Misclassification()), 0.5);
}

TEST(ModelFileTest, ResumeGivesTheLossesOfAnUninterruptedRun) {
  TinyData data;
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  auto run = [&](Model& model, Optimizer& optimizer, int epochs, int first_epoch) {
    ArrayIterator train = data.Iterator(true);
    EpochCosts costs;
    model.fit(train, cost, optimizer, epochs, {&costs}, first_epoch);
    return costs.costs;
  };
  SetSeed(Reference(), 21);
  auto whole = NewModel("convnet");
  Adam adam(0.01);
  std::vector<double> uninterrupted = run(*whole, adam, 3, 0);

  SetSeed(Reference(), 21);
  auto part = NewModel("convnet");
  Adam adam_part(0.01);
  std::vector<double> resumed = run(*part, adam_part, 1, 0);
  std::string path = TempPath("resume.safetensors");
  SaveModel(path, *part, &adam_part, Describe("convnet", 1));
  SetSeed(Reference(), 999);  // a different stream position: the file must restore it

  ModelFile file = ReadModelFile(path);
  auto continued = BuildModel(file, Reference(), 16);
  Adam adam_continued(0.01);
  LoadOptimizerState(file, *continued, adam_continued);
  RestoreRandomStream(file, Reference());
  for (double value : run(*continued, adam_continued, 3, file.epoch)) resumed.push_back(value);
  ASSERT_EQ(resumed.size(), 3u);
  EXPECT_EQ(resumed, uninterrupted);  // bit for bit: the same backend does the same arithmetic
}

// What a callback throws to stop fit after a minibatch, as Ctrl-C stops neon train.
struct Stopped {};

// Records every minibatch's cost and each finished epoch's mean; throws Stopped after
// minibatch `stop_minibatch` - 1 of epoch `stop_epoch`.
class CostsUntilStop : public Callback {
 public:
  CostsUntilStop(int stop_epoch = -1, int64_t stop_minibatch = 0) : stop_epoch_(stop_epoch), stop_minibatch_(stop_minibatch) {}
  void on_minibatch_end(Model& model, int epoch, int64_t minibatch) override {
    minibatch_costs.push_back(model.current_cost());
    if (epoch == stop_epoch_ && minibatch + 1 == stop_minibatch_) throw Stopped{};
  }
  void on_epoch_end(Model& model, int epoch) override { epoch_costs.push_back(model.epoch_cost()); }
  std::vector<double> minibatch_costs, epoch_costs;

 private:
  int stop_epoch_;
  int64_t stop_minibatch_;
};

TEST(ModelFileTest, ResumeFromInsideAnEpochGivesTheLossesOfAnUninterruptedRun) {
  TinyData data;  // 4 minibatches per epoch
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  SetSeed(Reference(), 21);
  auto whole = NewModel("convnet");
  Adam adam(0.01);
  ArrayIterator whole_data = data.Iterator(true);
  CostsUntilStop uninterrupted;
  whole->fit(whole_data, cost, adam, 3, {&uninterrupted});
  ASSERT_EQ(uninterrupted.minibatch_costs.size(), 12u);

  // Stopped inside epochs 1 and 2, after the first minibatch, and after an epoch's last one.
  const std::vector<std::pair<int, int64_t>> stops = {{1, 2}, {0, 1}, {2, 4}};
  for (auto [epoch, minibatch] : stops) {
    SetSeed(Reference(), 21);
    auto part = NewModel("convnet");
    Adam adam_part(0.01);
    ArrayIterator part_data = data.Iterator(true);
    CostsUntilStop before(epoch, minibatch);
    EXPECT_THROW(part->fit(part_data, cost, adam_part, 3, {&before}), Stopped);
    ModelFile saved = Describe("convnet", epoch);
    saved.minibatch = minibatch;
    saved.epoch_cost_sum = part->epoch_cost_sum();
    std::string path = TempPath("inside_epoch.safetensors");
    SaveModel(path, *part, &adam_part, saved);
    SetSeed(Reference(), 999);  // a different stream position: the file must restore it

    ModelFile file = ReadModelFile(path);
    EXPECT_EQ(file.minibatch, minibatch);
    EXPECT_EQ(file.epoch_cost_sum, saved.epoch_cost_sum);
    auto continued = BuildModel(file, Reference(), 16);
    Adam adam_continued(0.01);
    LoadOptimizerState(file, *continued, adam_continued);
    RestoreRandomStream(file, Reference());
    // The resumed half reads through the prefetching iterator: the same batches.
    PrefetchingIterator continued_data(Reference(), HostBatches(data.X, OneHotTargets(data.labels, 4), 4, {1, 8, 8},
                                                                16, /*shuffle=*/true, 3));
    CostsUntilStop after;
    continued->fit_from(continued_data, cost, adam_continued, 3, {&after}, {file.epoch, file.minibatch, file.epoch_cost_sum});
    std::vector<double> minibatch_costs = before.minibatch_costs, epoch_costs = before.epoch_costs;
    minibatch_costs.insert(minibatch_costs.end(), after.minibatch_costs.begin(), after.minibatch_costs.end());
    epoch_costs.insert(epoch_costs.end(), after.epoch_costs.begin(), after.epoch_costs.end());
    // Bit for bit: the same backend does the same arithmetic.
    EXPECT_EQ(minibatch_costs, uninterrupted.minibatch_costs) << "stopped in epoch " << epoch << " after " << minibatch;
    EXPECT_EQ(epoch_costs, uninterrupted.epoch_costs) << "stopped in epoch " << epoch << " after " << minibatch;
  }
}

TEST(ModelFileTest, BadPositionInsideAnEpochIsAnError) {
  std::string path = TrainedConvnetFile("bad_position.safetensors");
  SafetensorsFile raw = DecodeSafetensors(ReadWholeFile(path), path);
  raw.metadata["minibatch"] = "3";
  raw.metadata["epoch_cost_sum"] = "nan";
  WriteFileAtomically(path, EncodeSafetensors(raw));
  EXPECT_NE(IoErrorOf([&] { ReadModelFile(path); }).find(path + ": metadata \"epoch_cost_sum\" must be a finite number, got 'nan'"),
            std::string::npos);
  raw.metadata["epoch_cost_sum"] = "1.5";
  raw.metadata["minibatch"] = "-3";
  WriteFileAtomically(path, EncodeSafetensors(raw));
  EXPECT_NE(IoErrorOf([&] { ReadModelFile(path); }).find("metadata \"minibatch\" must be a decimal count"),
            std::string::npos);
}

TEST(ModelFileTest, NotOursIsAnError) {
  std::string path = TempPath("not_ours");
  WriteFileAtomically(path, "GIF89a and then some bytes");
  EXPECT_NE(IoErrorOf([&] { ReadModelFile(path); }).find(path + ": not a valid safetensors file"), std::string::npos);
  SafetensorsFile foreign;
  foreign.metadata["format"] = "pt";
  foreign.tensors["w"] = {"F32", {1}, {1.0}};
  WriteFileAtomically(path, EncodeSafetensors(foreign));
  EXPECT_NE(IoErrorOf([&] { ReadModelFile(path); }).find("not a neon-cpp model"), std::string::npos);
  EXPECT_NE(IoErrorOf([&] { ReadModelFile(TempPath("no_such_file")); }).find("cannot open"), std::string::npos);
}

TEST(ModelFileTest, TruncatedAtAnyLengthIsAnError) {
  std::string bytes = ReadWholeFile(TrainedConvnetFile("whole.safetensors"));
  std::string path = TempPath("truncated.safetensors");
  for (size_t length = 0; length < bytes.size(); length += 1 + length / 16) {
    WriteFileAtomically(path, bytes.substr(0, length));
    std::string message = IoErrorOf([&] { ReadModelFile(path); });
    EXPECT_EQ(message.find(path + ": "), 0u) << length << ": " << message;
  }
}

TEST(ModelFileTest, ShapeMismatchIsAnErrorThatChangesNothing) {
  std::string path = TrainedConvnetFile("mismatch.safetensors");
  ModelFile file = ReadModelFile(path);
  file.tensors["Linear_13.W"].shape = {3, 128};  // the last layer of another model
  file.tensors["Linear_13.W"].values.resize(3 * 128);
  SetSeed(Reference(), 1);
  auto model = NewModel("convnet");
  model->configure({1, 8, 8}, 16);
  model->allocate();
  std::vector<std::vector<float>> before;
  for (const Param& param : model->params()) before.push_back(param.W.get<float>());
  std::string message = IoErrorOf([&] { LoadWeights(file, *model); });
  EXPECT_NE(message.find("tensor 'Linear_13.W' has shape (3, 128) but the model's is (4, 128)"), std::string::npos)
      << message;
  std::vector<std::vector<float>> after;
  for (const Param& param : model->params()) after.push_back(param.W.get<float>());
  EXPECT_EQ(before, after);
}

TEST(ModelFileTest, BadDescriptionsAreErrorsNamingTheFile) {
  std::string path = TrainedConvnetFile("bad_description.safetensors");
  ModelFile file = ReadModelFile(path);
  file.description["layers"][0]["kind"] = "Wormhole";
  std::string message = IoErrorOf([&] { BuildModel(file, Reference(), 16); });
  EXPECT_NE(message.find(path + ": layer description: unknown kind 'Wormhole' (known: Linear, "), std::string::npos)
      << message;
  file.description["layers"][0] = {{"kind", "Conv"}, {"r", 5}, {"s", 5}, {"k", "many"}, {"init", "Kaiming"}};
  message = IoErrorOf([&] { BuildModel(file, Reference(), 16); });
  EXPECT_NE(message.find("Conv: argument 'k' must be an integer"), std::string::npos) << message;
}

}  // namespace
}  // namespace neon
