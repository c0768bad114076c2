#include "layers/transforms.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <utility>

#include "core/error.h"
#include "layers/format.h"

namespace neon {

Expr Rectlin::operator()(const Expr& x) const {
  if (slope_ == 0.0) return maximum(x, 0.0);
  return maximum(x, 0.0) + slope_ * minimum(x, 0.0);
}

// y > 0 exactly where x > 0 (slope >= 0), so the derivative reads y.
Expr Rectlin::bprop(const Expr& y, const Expr& error) const {
  if (slope_ == 0.0) return error * (y > 0.0);
  return error * ((y > 0.0) + slope_ * (y <= 0.0));
}

std::string Rectlin::describe() const { return slope_ == 0.0 ? "Rectlin" : "Rectlin(slope=" + FormatNumber(slope_) + ")"; }

Expr Logistic::operator()(const Expr& x) const { return sig(x); }
Expr Logistic::bprop(const Expr& y, const Expr& error) const { return error * y * (1.0 - y); }

Expr Tanh::operator()(const Expr& x) const { return tanh(x); }
Expr Tanh::bprop(const Expr& y, const Expr& error) const { return error * (1.0 - sqr(y)); }

Expr Softmax::operator()(const Expr& x) const {
  Expr shifted = exp(x - max(x, 0));
  return shifted / sum(shifted, 0);
}

// The Jacobian of softmax applied to the error: y * (e - sum(e * y)).
Expr Softmax::bprop(const Expr& y, const Expr& error) const { return y * (error - sum(error * y, 0)); }

// For x <= 0, alpha * exp(x) = y + alpha.
Expr Explin::operator()(const Expr& x) const { return maximum(x, 0.0) + alpha_ * (exp(minimum(x, 0.0)) - 1.0); }
Expr Explin::bprop(const Expr& y, const Expr& error) const { return error * ((y > 0.0) + (y + alpha_) * (y <= 0.0)); }
std::string Explin::describe() const { return "Explin(alpha=" + FormatNumber(alpha_) + ")"; }

Normalizer::Normalizer(double divisor) : divisor_(divisor) {
  if (divisor == 0.0) throw ArgumentError("Normalizer: divisor must not be 0");
}
std::string Normalizer::describe() const { return "Normalizer(divisor=" + FormatNumber(divisor_) + ")"; }

namespace {

const std::vector<std::pair<std::string, std::function<std::shared_ptr<Transform>()>>>& TransformTable() {
  static const auto* table = new std::vector<std::pair<std::string, std::function<std::shared_ptr<Transform>()>>>{
      {"rectlin", [] { return std::make_shared<Rectlin>(); }},
      {"logistic", [] { return std::make_shared<Logistic>(); }},
      {"tanh", [] { return std::make_shared<Tanh>(); }},
      {"softmax", [] { return std::make_shared<Softmax>(); }},
      {"identity", [] { return std::make_shared<Identity>(); }},
      {"explin", [] { return std::make_shared<Explin>(); }},
      {"normalizer", [] { return std::make_shared<Normalizer>(); }},
  };
  return *table;
}

}  // namespace

std::vector<std::string> TransformNames() {
  std::vector<std::string> names;
  for (const auto& [name, make] : TransformTable()) names.push_back(name);
  return names;
}

std::shared_ptr<Transform> MakeTransform(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [known, make] : TransformTable()) {
    if (known == lower) return make();
  }
  std::string list;
  for (const std::string& known : TransformNames()) list += (list.empty() ? "" : ", ") + known;
  throw ArgumentError("unknown activation '" + std::string(name) + "' (known: " + list + ")");
}

}  // namespace neon
