// Unit tests of the layer system on `reference`: lifecycle errors, optimizer
// updates against hand-computed values, schedules, metrics and the iterator.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "backends/reference/reference_backend.h"
#include "core/error.h"
#include "layers/model.h"

namespace neon {
namespace {

Backend& Reference() {
  static ReferenceBackend* backend = new ReferenceBackend();
  return *backend;
}

template <typename Fn>
std::string MessageOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

// ---- lifecycle errors ----

TEST(LayerErrorsTest, UsedBeforeConfigureIsAnArgumentError) {
  Linear linear(3, std::make_shared<Constant>(1.0), "fc");
  EXPECT_THROW(linear.be(), ArgumentError);
  EXPECT_NE(MessageOf([&] { linear.be(); }).find("'fc' (Linear): used before configure"), std::string::npos);
  Tensor x = zeros(Reference(), {4, 2});
  EXPECT_THROW(linear.fprop(x), ArgumentError);
}

TEST(LayerErrorsTest, ShapesThatDoNotFitNameTheLayerAndShapes) {
  Model model(Reference(), {std::make_shared<Linear>(5, std::make_shared<Constant>(1.0), "fc"),
                            std::make_shared<Reshape>(Shape{3, -1}, "split")});
  std::string message = MessageOf([&] { model.configure({4}, 2); });
  EXPECT_NE(message.find("'split'"), std::string::npos) << message;
  EXPECT_NE(message.find("(5)"), std::string::npos) << message;

  Model ok(Reference(), {std::make_shared<Linear>(5, std::make_shared<Constant>(1.0), "fc")});
  ok.configure({4}, 2);
  ok.allocate();
  message = MessageOf([&] { ok.fprop(zeros(Reference(), {3, 2})); });
  EXPECT_NE(message.find("'fc' (Linear): input of shape (3, 2) does not fit (4) features x batch 2"),
            std::string::npos)
      << message;
}

TEST(LayerErrorsTest, CostShapeMismatchIsAShapeError) {
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  cost.allocate(Reference(), 10, 4, DType::kFloat32);
  Tensor y = zeros(Reference(), {10, 4});
  Tensor t = zeros(Reference(), {9, 4});
  std::string message = MessageOf([&] { cost.get_cost(y, t); });
  EXPECT_NE(message.find("CrossEntropyMulti: outputs (10, 4) and targets (9, 4)"), std::string::npos) << message;
}

TEST(LayerErrorsTest, UnknownActivationListsTheKnownOnes) {
  std::string message = MessageOf([] { MakeTransform("relu6"); });
  EXPECT_NE(message.find("unknown activation 'relu6' (known: rectlin, logistic"), std::string::npos) << message;
  EXPECT_EQ(MakeTransform("Tanh")->describe(), "Tanh");
}

TEST(LayerErrorsTest, TargetsThatDoNotFitTheOutputAreAShapeError) {
  Model model(Reference(), {std::make_shared<Linear>(3, std::make_shared<Constant>(0.1), "fc")});
  ArrayIterator data(Reference(), std::vector<float>(8, 1.0f), std::vector<int32_t>{0, 1, 2, 3}, 4, {2}, 2);
  GeneralizedCost cost(std::make_shared<SumSquared>());
  GradientDescentMomentum sgd(0.1);
  std::string message = MessageOf([&] { model.fit(data, cost, sgd, 1); });
  EXPECT_NE(message.find("4 target rows but the last layer 'fc' outputs (3)"), std::string::npos) << message;
}

TEST(LayerErrorsTest, BadConvAndPoolingGeometryIsAShapeErrorWithTheNumbers) {
  auto conv = [](int64_t r, ConvOptions options) {
    Model model(Reference(), {std::make_shared<Conv>(r, r, 4, std::make_shared<Constant>(0.1), options, "c1")});
    return MessageOf([&] { model.configure({3, 8, 8}, 2); });
  };
  EXPECT_EQ(conv(3, ConvOptions::Square(1, 3)),
            "layer 'c1' (Conv): padding (3, 3) must be smaller than the filter (3, 3)");
  EXPECT_EQ(conv(9, ConvOptions::Square(1, 0)),
            "layer 'c1' (Conv): input (8, 8) with filter (9, 9), padding (0, 0), dilation (1, 1) gives output "
            "(0, 0) (must be at least 1)");
  EXPECT_EQ(conv(3, ConvOptions::Square(1, 0, 4)),
            "layer 'c1' (Conv): input (8, 8) with filter (3, 3), padding (0, 0), dilation (4, 4) gives output "
            "(0, 0) (must be at least 1)");
  EXPECT_EQ(conv(3, ConvOptions::Square(0)),
            "layer 'c1' (Conv): filter (3, 3), stride (0, 0), dilation (1, 1) must be >= 1 and padding >= 0");
  Model flat(Reference(), {std::make_shared<Conv>(3, 3, 4, std::make_shared<Constant>(0.1), ConvOptions{}, "c1")});
  EXPECT_THROW(flat.configure({8, 8}, 2), ShapeError);

  auto pool = [](ConvOptions options, Shape in) {
    Model model(Reference(), {std::make_shared<Pooling>(2, 2, "max", options, "p1")});
    return MessageOf([&] { model.configure(in, 2); });
  };
  EXPECT_EQ(pool(ConvOptions::Square(2, 2), {3, 8, 8}),
            "layer 'p1' (Pooling): padding (2, 2) must be smaller than the window (2, 2)");
  EXPECT_EQ(pool(ConvOptions::Square(2, 0, 2), {3, 8, 8}),
            "layer 'p1' (Pooling): dilation (2, 2) is not supported (must be 1)");
  EXPECT_EQ(pool({}, {3, 1, 8}),
            "layer 'p1' (Pooling): input (1, 8) with window (2, 2), padding (0, 0), dilation (1, 1) gives output "
            "(0, 7) (must be at least 1)");
}

TEST(LayerErrorsTest, ConvInputWithOtherChannelsIsAShapeError) {
  Model model(Reference(), {std::make_shared<Conv>(3, 3, 4, std::make_shared<Constant>(0.1), ConvOptions{}, "c1")});
  model.configure({3, 8, 8}, 2);
  model.allocate();
  std::string message = MessageOf([&] { model.fprop(zeros(Reference(), {2 * 8 * 8, 2})); });
  EXPECT_NE(message.find("'c1' (Conv)"), std::string::npos) << message;
  EXPECT_NE(message.find("(3, 8, 8)"), std::string::npos) << message;
}

// ---- optimizers: two steps with the constant gradient g = (0.5, 0.25) from W = (1, -2) ----

struct TwoSteps {
  std::vector<double> after_first, after_second;
};

TwoSteps RunTwoSteps(Optimizer& optimizer) {
  Tensor W = array(Reference(), std::vector<double>{1.0, -2.0}, {1, 2}, DType::kFloat64, "W");
  Tensor dW = array(Reference(), std::vector<double>{0.5, 0.25}, {1, 2}, DType::kFloat64, "dW");
  std::vector<Param> params = {{"p.W", W, dW}};
  TwoSteps steps;
  optimizer.optimize(params, 0);
  steps.after_first = W.get<double>();
  optimizer.optimize(params, 0);
  steps.after_second = W.get<double>();
  return steps;
}

void ExpectSteps(Optimizer& optimizer, std::vector<double> first, std::vector<double> second, double tolerance = 1e-9) {
  TwoSteps steps = RunTwoSteps(optimizer);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(steps.after_first[i], first[i], tolerance) << optimizer.describe() << " step 1, element " << i;
    EXPECT_NEAR(steps.after_second[i], second[i], tolerance) << optimizer.describe() << " step 2, element " << i;
  }
}

TEST(OptimizerTest, PlainGradientDescent) {
  GradientDescentMomentum sgd(0.1);
  ExpectSteps(sgd, {0.95, -2.025}, {0.9, -2.05});
}

TEST(OptimizerTest, Momentum) {
  GDMOptions options;
  options.momentum_coef = 0.9;
  GradientDescentMomentum sgd(0.1, options);
  // v1 = -0.1 g = (-0.05, -0.025); v2 = 0.9 v1 - 0.1 g = (-0.095, -0.0475).
  ExpectSteps(sgd, {0.95, -2.025}, {0.855, -2.0725});
  ASSERT_EQ(sgd.states().size(), 1u);
  EXPECT_EQ(sgd.states()[0].name, "p.W.velocity");
}

TEST(OptimizerTest, Nesterov) {
  GDMOptions options;
  options.momentum_coef = 0.9;
  options.nesterov = true;
  GradientDescentMomentum sgd(0.1, options);
  // W += 0.9 v - 0.1 g with the v above.
  ExpectSteps(sgd, {0.905, -2.0475}, {0.7695, -2.11525});
}

TEST(OptimizerTest, WeightDecay) {
  GDMOptions options;
  options.wdecay = 0.01;
  GradientDescentMomentum sgd(0.1, options);
  // W -= 0.1 (g + 0.01 W).
  ExpectSteps(sgd, {0.949, -2.023}, {0.898051, -2.045977});
}

TEST(OptimizerTest, ClipByGlobalNorm) {
  GDMOptions options;
  options.clip.gradient_clip_norm = 0.25;
  GradientDescentMomentum sgd(1.0, options);
  // |g| = sqrt(0.3125); g is scaled by 0.25 / |g| = 0.4472136.
  ExpectSteps(sgd, {0.7763932, -2.1118034}, {0.5527864, -2.2236068}, 1e-7);
}

TEST(OptimizerTest, ClipByValue) {
  GDMOptions options;
  options.clip.gradient_clip_value = 0.3;
  GradientDescentMomentum sgd(1.0, options);
  ExpectSteps(sgd, {0.7, -2.25}, {0.4, -2.5});
}

TEST(OptimizerTest, Adam) {
  Adam adam(0.1);
  // With a constant gradient each bias-corrected step is lr * m / sqrt(v) = 0.1 (eps aside).
  ExpectSteps(adam, {0.9, -2.1}, {0.8, -2.2}, 1e-6);
}

TEST(OptimizerTest, RMSProp) {
  RMSProp rmsprop(0.1, 0.9, 1e-6);
  // s1 = 0.1 g^2 = (0.025, 0.00625): step = 0.1 g / (sqrt(s1 + 1e-6) + 1e-6) = (0.3162194, 0.3161985).
  // s2 = 0.9 s1 + 0.1 g^2 = (0.0475, 0.011875): step = (0.2294123, 0.2294039).
  ExpectSteps(rmsprop, {0.6837806, -2.3161985}, {0.4543683, -2.5456024}, 1e-6);
}

TEST(OptimizerTest, Adagrad) {
  Adagrad adagrad(0.1, 1e-6);
  // s1 = g^2: step = 0.1 g / (|g| + 1e-6) ~ 0.1; s2 = 2 g^2: step ~ 0.1 / sqrt(2) = 0.0707107.
  ExpectSteps(adagrad, {0.9000002, -2.0999996}, {0.8292897, -2.1707096}, 1e-6);
}

TEST(OptimizerTest, Adadelta) {
  Adadelta adadelta(0.9, 1e-6);
  // s1 = 0.1 g^2 = (0.025, 0.00625); u1 = -sqrt(1e-6 / (s1 + 1e-6)) g = (-0.0031622, -0.0031618).
  // x1 = 0.1 u1^2; s2 = 0.19 g^2; u2 = -sqrt((x1 + 1e-6) / (s2 + 1e-6)) g = (-0.0032444, -0.0032442).
  ExpectSteps(adadelta, {0.9968378, -2.0031620}, {0.9935934, -2.0064062}, 1e-6);
}

TEST(OptimizerTest, StateOfAParameterWhoseShapeChangedIsAShapeError) {
  GDMOptions options;
  options.momentum_coef = 0.9;
  GradientDescentMomentum sgd(0.1, options);
  RunTwoSteps(sgd);
  Tensor W = zeros(Reference(), {2, 2}, DType::kFloat64);
  EXPECT_THROW(sgd.optimize({{"p.W", W, W}}, 0), ShapeError);
}

TEST(ScheduleTest, StepsExponentialAndLists) {
  StepChangeSchedule every_two(2, 0.5);
  EXPECT_DOUBLE_EQ(every_two.get_learning_rate(1.0, 1), 1.0);
  EXPECT_DOUBLE_EQ(every_two.get_learning_rate(1.0, 2), 0.5);
  EXPECT_DOUBLE_EQ(every_two.get_learning_rate(1.0, 5), 0.25);
  StepChangeSchedule at_epochs({1, 3}, 0.1);
  EXPECT_DOUBLE_EQ(at_epochs.get_learning_rate(1.0, 0), 1.0);
  EXPECT_DOUBLE_EQ(at_epochs.get_learning_rate(1.0, 2), 0.1);
  EXPECT_NEAR(at_epochs.get_learning_rate(1.0, 3), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ(ExpSchedule(0.5).get_learning_rate(1.0, 2), 0.5);
  StepSchedule list({2, 4}, {0.05, 0.01});
  EXPECT_DOUBLE_EQ(list.get_learning_rate(0.1, 1), 0.1);
  EXPECT_DOUBLE_EQ(list.get_learning_rate(0.1, 3), 0.05);
  EXPECT_DOUBLE_EQ(list.get_learning_rate(0.1, 9), 0.01);
  EXPECT_THROW(StepSchedule({1}, {0.1, 0.2}), ArgumentError);
}

TEST(ScheduleTest, GradientDescentFollowsItsSchedule) {
  GDMOptions options;
  options.schedule = std::make_shared<StepSchedule>(std::vector<int>{1}, std::vector<double>{1.0});
  GradientDescentMomentum sgd(0.1, options);
  Tensor W = array(Reference(), std::vector<double>{1.0}, {1, 1}, DType::kFloat64);
  Tensor dW = array(Reference(), std::vector<double>{0.5}, {1, 1}, DType::kFloat64);
  sgd.optimize({{"w", W, dW}}, 0);
  EXPECT_NEAR(W.get<double>()[0], 0.95, 1e-12);
  sgd.optimize({{"w", W, dW}}, 1);
  EXPECT_NEAR(W.get<double>()[0], 0.45, 1e-12);
}

// ---- metrics ----

TEST(MetricTest, MisclassificationAccuracyAndTopK) {
  // Three samples (columns) of four classes; targets 1, 2, 3.
  Tensor y = array(Reference(), std::vector<float>{0.1f, 0.5f, 0.1f,   //
                                                   0.6f, 0.2f, 0.2f,   //
                                                   0.2f, 0.2f, 0.3f,   //
                                                   0.1f, 0.1f, 0.4f},  //
                   {4, 3});
  Tensor t = array(Reference(), std::vector<float>{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, {4, 3});
  Tensor out = empty(Reference(), {1, 3}, DType::kFloat64);
  out.assign(Misclassification()(y, t));
  EXPECT_EQ(out.get<double>(), (std::vector<double>{0, 1, 0}));
  out.assign(Accuracy()(y, t));
  EXPECT_EQ(out.get<double>(), (std::vector<double>{1, 0, 1}));
  // Sample 1: the target class 2 scores 0.2; only class 0 (0.5) is strictly above.
  out.assign(TopKMisclassification(2)(y, t));
  EXPECT_EQ(out.get<double>(), (std::vector<double>{0, 0, 0}));
  out.assign(TopKMisclassification(1)(y, t));
  EXPECT_EQ(out.get<double>(), (std::vector<double>{0, 1, 0}));
}

// ---- the iterator ----

TEST(ArrayIteratorTest, LastPartialBatchWrapsAroundAndCountsValidSamples) {
  std::vector<float> X;
  std::vector<int32_t> labels;
  for (int i = 0; i < 10; ++i) {
    X.push_back(static_cast<float>(i));
    labels.push_back(i % 3);
  }
  ArrayIterator data(Reference(), X, labels, 3, {1}, 4);
  EXPECT_EQ(data.nbatches(), 3);
  Batch batch;
  std::vector<int64_t> valid;
  std::vector<float> last;
  while (data.next(batch)) {
    valid.push_back(batch.valid);
    last = batch.x.get<float>();
  }
  EXPECT_EQ(valid, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(last, (std::vector<float>{8, 9, 0, 1}));
  EXPECT_EQ(batch.t.get<float>(), (std::vector<float>{0, 1, 1, 0,  //
                                                      0, 0, 0, 1,  //
                                                      1, 0, 0, 0}));
}

TEST(ArrayIteratorTest, ShufflesEverySampleOncePerEpochFromTheSeed) {
  std::vector<float> X(20);
  for (int i = 0; i < 20; ++i) X[i] = static_cast<float>(i);
  auto epoch_order = [&](uint64_t seed, int epoch) {
    ArrayIterator data(Reference(), X, std::vector<float>(20, 0.0f), 1, {1}, 5, true, seed);
    data.reset(epoch);
    std::vector<float> order;
    Batch batch;
    while (data.next(batch)) {
      for (float v : batch.x.get<float>()) order.push_back(v);
    }
    return order;
  };
  std::vector<float> first = epoch_order(7, 0);
  EXPECT_EQ(std::set<float>(first.begin(), first.end()).size(), 20u);
  EXPECT_EQ(first, epoch_order(7, 0));
  EXPECT_NE(first, epoch_order(7, 1));
  EXPECT_NE(first, epoch_order(8, 0));
}

TEST(ArrayIteratorTest, BadInputIsATypedError) {
  EXPECT_THROW(ArrayIterator(Reference(), std::vector<float>(7), std::vector<int32_t>{0, 1}, 2, {3}, 2), ShapeError);
  EXPECT_THROW(ArrayIterator(Reference(), std::vector<float>(6), std::vector<int32_t>{0, 5}, 2, {3}, 2), ArgumentError);
  EXPECT_THROW(ArrayIterator(Reference(), std::vector<float>(6), std::vector<int32_t>{0, 1}, 2, {3}, 0), ArgumentError);
}

// ---- the model ----

TEST(ModelTest, EvalCountsEachSampleOnceAndKeepsTrainedWeights) {
  // A fixed Linear layer that copies feature 0 to class 0 and feature 1 to class 1.
  auto fc = std::make_shared<Linear>(2, std::make_shared<Constant>(0.0), "fc");
  Model model(Reference(), {fc});
  // 5 samples in batches of 2: the last batch has one real sample and one wrapped.
  std::vector<float> X = {1, 0, 0, 1, 1, 0, 0, 1, 1, 0};
  std::vector<int32_t> labels = {0, 1, 1, 1, 0};  // sample 2 is wrong under the identity
  ArrayIterator data(Reference(), X, labels, 2, {2}, 2);
  model.initialize(data);
  fc->W.set(std::vector<float>{1, 0, 0, 1});
  EXPECT_NEAR(model.eval(data, Misclassification()), 1.0 / 5.0, 1e-12);
  EXPECT_EQ(model.get_outputs(data).size(), 10u);
  ArrayIterator other_batch(Reference(), X, labels, 2, {2}, 5);
  EXPECT_THROW(model.eval(other_batch, Misclassification()), ShapeError);
  EXPECT_EQ(fc->W.get<float>(), (std::vector<float>{1, 0, 0, 1}));
}

TEST(ModelTest, NamesLayersAndListsParametersInOrder) {
  AffineOptions options;
  options.activation = std::make_shared<Rectlin>();
  std::vector<std::shared_ptr<Layer>> layers = Affine(4, std::make_shared<GlorotUniform>(), options);
  auto bn = std::make_shared<BatchNorm>();
  layers.push_back(bn);
  layers.push_back(std::make_shared<Linear>(2, std::make_shared<Kaiming>()));
  Model model(Reference(), layers);
  model.configure({3}, 2);
  model.allocate();
  std::vector<std::string> names;
  for (const Param& param : model.params()) names.push_back(param.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Linear_0.W", "Bias_1.W", "BatchNorm_3.beta", "BatchNorm_3.gamma",
                                             "Linear_4.W"}));
  std::vector<std::string> states;
  for (const Param& state : model.states()) states.push_back(state.name);
  EXPECT_EQ(states, (std::vector<std::string>{"BatchNorm_3.gmean", "BatchNorm_3.gvar"}));
}

}  // namespace
}  // namespace neon
