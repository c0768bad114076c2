// The extension module `neon._neon`: the whole runtime (backends, op-trees,
// Autodiff, layers, Model) linked into one shared object, bound with pybind11.
// The pure-Python package `neon` around it lays the names out as neon's were.
#include "python/bindings.h"

PYBIND11_MODULE(_neon, m) {
  m.doc() = "neon-cpp runtime: backends, tensors, op-trees, Autodiff, layers and models";
  neon::python::BindErrors(m);
  neon::python::BindTensors(m);
  neon::python::BindFunctions(m);
  neon::python::BindAutodiff(m);
  neon::python::BindLayers(m);
  neon::python::BindTraining(m);
}
