// The pieces of the `neon._neon` extension module, one Bind function per file,
// and the conversions they share: Python shapes, dtypes, axes, and ExprArg, the
// one argument type every operator and backend function takes (an op-tree, a
// tensor or a number), converted in one place.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>

#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon::python {

namespace py = pybind11;

// An op-tree operand as Python passes it: OpTree, Tensor, or a number.
struct ExprArg {
  Expr value = Expr(0.0);
};

// "float32", numpy.float32, numpy.dtype('float64'), None (float32), ... -> DType.
DType ToDType(const py::handle& dtype);
// numpy is reached only through its Python API and the buffer protocol, never its
// compiled C API, so the module works with whichever numpy the interpreter has.
// numpy.dtype of a DType.
py::object ToNumpyDType(DType dtype);
// A numpy array and its buffer (pointer, element count, shape).
struct HostArray {
  py::object array;
  py::buffer_info info;
};
// `values` (any array-like) as a C-ordered numpy array of `dtype`, copied only if needed.
HostArray ContiguousArray(const py::handle& values, DType dtype);
// A new C-ordered numpy array.
HostArray EmptyArray(const Shape& shape, DType dtype);
// Python's axis (None = all axes) -> the IR's axis.
int ToAxis(const std::optional<int>& axis);

void BindErrors(py::module_& m);
void BindTensors(py::module_& m);   // Backend, Tensor, OpTree, operators, numpy interop
void BindFunctions(py::module_& m); // the backend's functions: be.exp, be.dot, be.mean, ...
void BindAutodiff(py::module_& m);
void BindLayers(py::module_& m);    // Layer, ParameterLayer, the zoo, BatchNorm, transforms
void BindTraining(py::module_& m);  // initializers, costs, metrics, optimizers, iterators, Model

}  // namespace neon::python

namespace pybind11::detail {

template <>
struct type_caster<neon::python::ExprArg> {
  PYBIND11_TYPE_CASTER(neon::python::ExprArg, const_name("OpTree | Tensor | float"));

  bool load(handle src, bool convert) {
    if (isinstance<neon::Expr>(src)) {
      value.value = src.cast<const neon::Expr&>();
      return true;
    }
    if (isinstance<neon::Tensor>(src)) {
      value.value = neon::Expr(src.cast<const neon::Tensor&>());
      return true;
    }
    // Python numbers always; numpy scalars and other numbers only in the converting pass.
    if (PyFloat_Check(src.ptr()) || PyLong_Check(src.ptr()) || (convert && PyNumber_Check(src.ptr()))) {
      double number = PyFloat_AsDouble(src.ptr());
      if (number == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return false;
      }
      value.value = neon::Expr(number);
      return true;
    }
    return false;
  }
};

}  // namespace pybind11::detail
