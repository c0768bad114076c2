#include "layers/initializers.h"

#include <cmath>

#include "core/error.h"
#include "layers/format.h"

namespace neon {

Fans FansOf(const Shape& weight_shape) {
  Fans fans;
  if (weight_shape.empty()) return fans;
  fans.out = weight_shape[0];
  fans.in = 1;
  for (size_t i = 1; i < weight_shape.size(); ++i) fans.in *= weight_shape[i];
  if (fans.in < 1 || fans.out < 1) {
    throw ShapeError("initializer: weight shape " + ShapeString(weight_shape) + " has no fan-in or fan-out");
  }
  return fans;
}

void Constant::fill(Tensor& W) const { W.fill(val_); }
std::string Constant::describe() const { return "Constant(" + FormatNumber(val_) + ")"; }

void Uniform::fill(Tensor& W) const { W.fill_random(Distribution::kUniform, low_, high_); }
std::string Uniform::describe() const { return "Uniform(" + FormatNumber(low_) + ", " + FormatNumber(high_) + ")"; }

void Gaussian::fill(Tensor& W) const { W.fill_random(Distribution::kNormal, loc_, scale_); }
std::string Gaussian::describe() const { return "Gaussian(" + FormatNumber(loc_) + ", " + FormatNumber(scale_) + ")"; }

void GlorotUniform::fill(Tensor& W) const {
  Fans fans = FansOf(W.shape());
  double scale = std::sqrt(6.0 / static_cast<double>(fans.in + fans.out));
  W.fill_random(Distribution::kUniform, -scale, scale);
}

void Xavier::fill(Tensor& W) const {
  double scale = std::sqrt(3.0 / static_cast<double>(FansOf(W.shape()).in));
  W.fill_random(Distribution::kUniform, -scale, scale);
}

void Kaiming::fill(Tensor& W) const {
  double scale = std::sqrt(2.0 / static_cast<double>(FansOf(W.shape()).in));
  W.fill_random(Distribution::kNormal, 0.0, scale);
}

}  // namespace neon
