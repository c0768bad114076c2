#include "autodiff/finite_differences.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace neon {

namespace {

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

}  // namespace

std::vector<double> FiniteDifferences(Tensor tensor, const std::function<double()>& loss, double step,
                                      size_t stride) {
  std::vector<double> values = tensor.get<double>();
  std::vector<double> grad;
  for (size_t i = 0; i < values.size(); i += std::max<size_t>(stride, 1)) {
    double original = values[i];
    double h = step * std::max(1.0, std::fabs(original));
    values[i] = original + h;
    tensor.set(values);
    double up = loss();
    values[i] = original - h;
    tensor.set(values);
    double down = loss();
    values[i] = original;
    grad.push_back((up - down) / (2 * h));
  }
  tensor.set(values);
  return grad;
}

std::vector<std::vector<double>> FiniteDifferenceGradients(const Expr& tree, const std::vector<Tensor>& wrt,
                                                           const std::optional<Tensor>& next_error, double step) {
  Tensor loss(wrt.at(0).backend(), {1, 1}, DType::kFloat64, "loss");
  Expr objective = next_error ? sum(tree * *next_error) : sum(tree);
  auto evaluate = [&] { return loss.assign(objective).get<double>()[0]; };
  std::vector<std::vector<double>> grads;
  for (const Tensor& tensor : wrt) grads.push_back(FiniteDifferences(tensor, evaluate, step));
  return grads;
}

std::string CompareGradients(const std::vector<std::vector<double>>& autodiff,
                             const std::vector<std::vector<double>>& finite_differences, double tolerance) {
  if (autodiff.size() != finite_differences.size()) return "different numbers of gradients";
  std::string report;
  int mismatches = 0;
  for (size_t t = 0; t < autodiff.size(); ++t) {
    if (autodiff[t].size() != finite_differences[t].size()) return "gradient " + std::to_string(t) + " has the wrong size";
    for (size_t i = 0; i < autodiff[t].size(); ++i) {
      double ad = autodiff[t][i];
      double fd = finite_differences[t][i];
      bool close = std::fabs(ad - fd) <= tolerance * (1.0 + std::fabs(fd));
      if (!close && ++mismatches <= 5) {
        report += "tensor " + std::to_string(t) + " element " + std::to_string(i) + ": autodiff " + Number(ad) +
                  " vs finite differences " + Number(fd) + "\n";
      }
    }
  }
  if (mismatches > 5) report += std::to_string(mismatches - 5) + " more mismatches\n";
  return report;
}

}  // namespace neon
