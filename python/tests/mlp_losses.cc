// The MLP of mlp_test.py built in C++: trains a few steps on a backend and prints
// each minibatch's cost (%.17g), so the Python model's costs can be compared bit for bit.
// Run: mlp_losses [--backend=NAME]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "layers/model.h"

namespace {

class PrintCost : public neon::Callback {
 public:
  void on_minibatch_end(neon::Model& model, int epoch, int64_t minibatch) override {
    std::printf("%.17g\n", model.current_cost());
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string spec = "cpu";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--backend=", 10) == 0) spec = argv[i] + 10;
  }
  try {
    std::unique_ptr<neon::Backend> be = neon::CreateBackend(spec);
    neon::SetSeed(*be, 1);
    // 64 samples of 8 features, 3 classes; mlp_test.py makes the same numbers.
    constexpr int64_t kSamples = 64, kFeatures = 8, kClasses = 3;
    std::vector<float> X;
    std::vector<int32_t> labels;
    for (int64_t i = 0; i < kSamples; ++i) {
      for (int64_t j = 0; j < kFeatures; ++j) X.push_back(static_cast<float>(std::sin(0.37 * i + 0.11 * j * j)));
      labels.push_back(static_cast<int32_t>(i % kClasses));
    }
    neon::ArrayIterator train(*be, X, labels, kClasses, {kFeatures}, 16);
    std::vector<std::shared_ptr<neon::Layer>> layers;
    auto init = std::make_shared<neon::Gaussian>(0.0, 0.1);
    neon::AffineOptions hidden, output;
    hidden.activation = std::make_shared<neon::Rectlin>();
    output.activation = std::make_shared<neon::Softmax>();
    for (auto& layer : neon::Affine(16, init, hidden)) layers.push_back(layer);
    for (auto& layer : neon::Affine(kClasses, init, output)) layers.push_back(layer);
    neon::Model model(*be, layers);
    neon::GeneralizedCost cost(std::make_shared<neon::CrossEntropyMulti>());
    neon::GDMOptions momentum;
    momentum.momentum_coef = 0.9;
    neon::GradientDescentMomentum optimizer(0.1, momentum);
    PrintCost print_cost;
    model.fit(train, cost, optimizer, 2, {&print_cost});
    return 0;
  } catch (const neon::Error& error) {
    std::fprintf(stderr, "mlp_losses: %s\n", error.what());
    return 2;
  }
}
