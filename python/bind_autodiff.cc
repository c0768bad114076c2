// Autodiff(op_tree, be, next_error=None) with the seed's three ways to get a
// gradient: get_grad_tensor, get_grad_asnumpyarray, back_prop_grad. Each takes
// one tensor or a list, and answers in kind.
#include <pybind11/stl.h>

#include "autodiff/autodiff.h"
#include "python/bindings.h"

namespace neon::python {
namespace {

// One tensor or a list of tensors, and whether it was a list.
std::pair<std::vector<Tensor>, bool> Tensors(const py::handle& tensors) {
  if (py::isinstance<Tensor>(tensors)) return {{tensors.cast<Tensor>()}, false};
  return {tensors.cast<std::vector<Tensor>>(), true};
}

py::object InKind(const py::list& values, bool as_list) { return as_list ? py::object(values) : values[0]; }

}  // namespace

void BindAutodiff(py::module_& m) {
  py::class_<Autodiff>(m, "Autodiff")
      .def(py::init([](const ExprArg& op_tree, Backend& be, const std::optional<ExprArg>& next_error) {
             std::optional<Expr> error;
             if (next_error) error = next_error->value;
             return std::make_unique<Autodiff>(op_tree.value, be, error);
           }),
           py::arg("op_tree"), py::arg("be"), py::arg("next_error") = py::none())
      .def("get_grad_op_tree", [](Autodiff& ad, const py::object& tensors) {
        auto [list, as_list] = Tensors(tensors);
        return InKind(py::cast(ad.get_grad_op_tree(list)), as_list);
      })
      .def("get_grad_tensor", [](Autodiff& ad, const py::object& tensors) {
        auto [list, as_list] = Tensors(tensors);
        std::vector<Tensor> grads;
        {
          py::gil_scoped_release release;
          grads = ad.get_grad_tensor(list);
        }
        return InKind(py::cast(grads), as_list);
      })
      .def("get_grad_asnumpyarray", [](Autodiff& ad, const py::object& tensors) {
        auto [list, as_list] = Tensors(tensors);
        std::vector<Tensor> grads;
        {
          py::gil_scoped_release release;
          grads = ad.get_grad_tensor(list);
        }
        py::list arrays;
        for (const Tensor& grad : grads) arrays.append(py::cast(grad).attr("get")());
        return InKind(arrays, as_list);
      })
      .def("back_prop_grad", [](Autodiff& ad, const py::object& tensors, const py::object& grads) {
        auto [list, as_list] = Tensors(tensors);
        std::vector<Tensor> outputs = Tensors(grads).first;
        py::gil_scoped_release release;
        ad.back_prop_grad(list, outputs);
      }, py::arg("tensors"), py::arg("grads"))
      .def_property_readonly("from_cache", &Autodiff::from_cache);
}

}  // namespace neon::python
