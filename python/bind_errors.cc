// neon::Error and its subclasses as Python exceptions with the same one-line
// messages. Each is also the built-in exception a Python user would catch:
// ShapeError and ArgumentError are ValueErrors, IoError an OSError,
// BackendError a RuntimeError.
#include "core/error.h"
#include "python/bindings.h"

namespace neon::python {

void BindErrors(py::module_& m) {
  // pybind11 tries translators newest first: the base class is registered first.
  py::exception<Error>& error = py::register_exception<Error>(m, "Error");
  // PyErr_NewException takes a tuple of bases: (neon.Error, the built-in).
  auto bases = [&](PyObject* builtin) { return py::make_tuple(error, py::handle(builtin)); };
  py::register_exception<ShapeError>(m, "ShapeError", bases(PyExc_ValueError));
  py::register_exception<ArgumentError>(m, "ArgumentError", bases(PyExc_ValueError));
  py::register_exception<IoError>(m, "IoError", bases(PyExc_OSError));
  py::register_exception<BackendError>(m, "BackendError", bases(PyExc_RuntimeError));
}

}  // namespace neon::python
