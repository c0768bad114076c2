// The backend's functions as methods of Backend, named as neon's backend named
// them (be.exp, be.sig, be.dot, be.mean(x, axis=1), ...). Each builds an
// op-tree; with `out=` it is evaluated into `out` at once and `out` returned.
#include <pybind11/stl.h>

#include "core/error.h"
#include "python/bindings.h"

namespace neon::python {
namespace {

using A = const ExprArg&;
using OptionalOut = std::optional<Tensor>;

// The tree itself, or `out` after evaluating the tree into it.
py::object Finish(const Expr& tree, const OptionalOut& out) {
  if (!out) return py::cast(tree);
  Tensor destination = *out;
  {
    py::gil_scoped_release release;
    destination.assign(tree);
  }
  return py::cast(destination);
}

template <typename Function>
void Unary(py::class_<Backend, std::unique_ptr<Backend, py::nodelete>>& be, const char* name, Function f) {
  be.def(name, [f](Backend&, A x, const OptionalOut& out) { return Finish(f(x.value), out); }, py::arg("a"),
         py::arg("out") = py::none());
}

template <typename Function>
void Binary(py::class_<Backend, std::unique_ptr<Backend, py::nodelete>>& be, const char* name, Function f) {
  be.def(name, [f](Backend&, A x, A y, const OptionalOut& out) { return Finish(f(x.value, y.value), out); },
         py::arg("a"), py::arg("b"), py::arg("out") = py::none());
}

template <typename Function>
void Reduction(py::class_<Backend, std::unique_ptr<Backend, py::nodelete>>& be, const char* name, Function f) {
  be.def(name, [f](Backend&, A x, std::optional<int> axis, const OptionalOut& out) {
           return Finish(f(x.value, ToAxis(axis)), out);
         },
         py::arg("a"), py::arg("axis") = py::none(), py::arg("out") = py::none());
}

}  // namespace

void BindFunctions(py::module_& m) {
  auto be = py::reinterpret_borrow<py::class_<Backend, std::unique_ptr<Backend, py::nodelete>>>(m.attr("Backend"));
  // unary (neon's names first, then the IR's where they differ)
  Unary(be, "neg", [](const Expr& x) { return neg(x); });
  Unary(be, "absolute", [](const Expr& x) { return abs(x); });
  Unary(be, "fabs", [](const Expr& x) { return abs(x); });
  Unary(be, "sgn", [](const Expr& x) { return sgn(x); });
  Unary(be, "finite", [](const Expr& x) { return finite(x); });
  Unary(be, "sqrt", [](const Expr& x) { return sqrt(x); });
  Unary(be, "square", [](const Expr& x) { return sqr(x); });
  Unary(be, "sqr", [](const Expr& x) { return sqr(x); });
  Unary(be, "exp", [](const Expr& x) { return exp(x); });
  Unary(be, "log", [](const Expr& x) { return log(x); });
  Unary(be, "exp2", [](const Expr& x) { return exp2(x); });
  Unary(be, "log2", [](const Expr& x) { return log2(x); });
  Unary(be, "sig", [](const Expr& x) { return sig(x); });
  Unary(be, "sig2", [](const Expr& x) { return sig2(x); });
  Unary(be, "tanh", [](const Expr& x) { return tanh(x); });
  Unary(be, "tanh2", [](const Expr& x) { return tanh2(x); });
  Unary(be, "safelog", [](const Expr& x) { return safelog(x); });
  Unary(be, "rint", [](const Expr& x) { return rint(x); });
  Unary(be, "binarize", [](const Expr& x) { return binarize(x); });
  Unary(be, "transpose", [](const Expr& x) { return transpose(x); });
  // binary
  Binary(be, "add", [](const Expr& x, const Expr& y) { return x + y; });
  Binary(be, "subtract", [](const Expr& x, const Expr& y) { return x - y; });
  Binary(be, "multiply", [](const Expr& x, const Expr& y) { return x * y; });
  Binary(be, "divide", [](const Expr& x, const Expr& y) { return x / y; });
  Binary(be, "power", [](const Expr& x, const Expr& y) { return pow(x, y); });
  Binary(be, "equal", [](const Expr& x, const Expr& y) { return x == y; });
  Binary(be, "not_equal", [](const Expr& x, const Expr& y) { return x != y; });
  Binary(be, "less", [](const Expr& x, const Expr& y) { return x < y; });
  Binary(be, "less_equal", [](const Expr& x, const Expr& y) { return x <= y; });
  Binary(be, "greater", [](const Expr& x, const Expr& y) { return x > y; });
  Binary(be, "greater_equal", [](const Expr& x, const Expr& y) { return x >= y; });
  Binary(be, "minimum", [](const Expr& x, const Expr& y) { return minimum(x, y); });
  Binary(be, "maximum", [](const Expr& x, const Expr& y) { return maximum(x, y); });
  Binary(be, "shift", [](const Expr& x, const Expr& y) { return shift(x, y); });
  Binary(be, "dot", [](const Expr& x, const Expr& y) { return dot(x, y); });
  // reductions and composites along an axis (None: all)
  Reduction(be, "sum", [](const Expr& x, int axis) { return sum(x, axis); });
  Reduction(be, "max", [](const Expr& x, int axis) { return max(x, axis); });
  Reduction(be, "min", [](const Expr& x, int axis) { return min(x, axis); });
  Reduction(be, "argmax", [](const Expr& x, int axis) { return argmax(x, axis); });
  Reduction(be, "argmin", [](const Expr& x, int axis) { return argmin(x, axis); });
  Reduction(be, "mean", [](const Expr& x, int axis) { return mean(x, axis); });
  Reduction(be, "var", [](const Expr& x, int axis) { return var(x, axis); });
  Reduction(be, "std", [](const Expr& x, int axis) { return std_dev(x, axis); });
  // generators and the rest
  be.def("clip", [](Backend&, A x, A low, A high, const OptionalOut& out) {
    return Finish(clip(x.value, low.value, high.value), out);
  }, py::arg("a"), py::arg("a_min"), py::arg("a_max"), py::arg("out") = py::none());
  be.def("rand", [](Backend&, const OptionalOut& out) { return Finish(rand(), out); }, py::arg("out") = py::none());
  be.def("onehot", [](Backend&, A indices, int64_t count, int axis, const OptionalOut& out) {
    return Finish(onehot(indices.value, count, axis), out);
  }, py::arg("indices"), py::arg("count"), py::arg("axis") = 0, py::arg("out") = py::none());
}

}  // namespace neon::python
