// Backend, Tensor and OpTree for Python: gen_backend, the tensor factories,
// views by slicing, `fval[:] = f`, operators (with their reflected forms) and
// numpy interop. Host-memory tensors (reference, cpu) expose their storage
// through the buffer protocol without a copy; device tensors are copied once.
// The GIL is released while a tree runs or memory moves.
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/host_buffer.h"
#include "backends/registry.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "python/bindings.h"

namespace neon::python {
namespace {

// The backend for a spec, made on first use and kept until the process exits: every
// tensor keeps a raw reference to its device, and a Python tensor may outlive any
// variable naming the backend. One per spec, so repeated gen_backend calls (neon's
// way to start over) reuse the device instead of piling up OpenCL contexts. Leaked
// on purpose: no destructor runs after the interpreter has gone.
Backend& GenBackend(const std::optional<std::string>& backend, std::optional<uint64_t> rng_seed) {
  // Guarded by the GIL, which this function holds throughout.
  static auto* backends = new std::map<std::string, std::unique_ptr<Backend>>();
  std::string spec = backend.value_or(DefaultBackendSpec());
  std::unique_ptr<Backend>& slot = (*backends)[spec];
  if (!slot) {
    std::unique_ptr<Backend> made = CreateBackend(spec);  // may throw: the slot stays empty
    slot = std::move(made);
  }
  // A new backend's random stream, as if made anew: the seed given, else 0.
  SetSeed(*slot, rng_seed.value_or(0));
  return *slot;
}

bool IsHostTensor(const Tensor& tensor) {
  return dynamic_cast<HostBuffer*>(tensor.buffer().get()) != nullptr;
}

// Whether the tensor's elements are one dense block in row-major order.
bool IsDense(const Tensor& tensor) { return tensor.is_contiguous(); }

// Copies `values` (any array-like of the tensor's size) into the tensor.
void SetFromArray(Tensor& tensor, const py::handle& values) {
  HostArray host = ContiguousArray(values, tensor.dtype());
  if (host.info.size != tensor.size()) {
    throw ShapeError("set: an array of " + std::to_string(host.info.size) + " elements does not fit tensor '" +
                     tensor.name() + "' of shape " + ShapeString(tensor.shape()));
  }
  if (!IsDense(tensor)) {
    // A strided view: stage it through a dense tensor on the device.
    Tensor dense = empty(tensor.backend(), tensor.shape(), tensor.dtype());
    SetFromArray(dense, host.array);
    py::gil_scoped_release release;
    tensor.assign(dense);
    return;
  }
  const void* data = host.info.ptr;
  size_t bytes = static_cast<size_t>(tensor.size()) * SizeOf(tensor.dtype());
  py::gil_scoped_release release;
  tensor.backend().copy_in(*tensor.buffer(), tensor.offset() * SizeOf(tensor.dtype()), data, bytes);
}

// A new numpy array holding the tensor's values: one device -> host copy.
py::object GetArray(const Tensor& tensor) {
  if (!IsDense(tensor)) {
    Tensor dense = empty(tensor.backend(), tensor.shape(), tensor.dtype());
    {
      py::gil_scoped_release release;
      dense.assign(tensor);
    }
    return GetArray(dense);
  }
  HostArray host = EmptyArray(tensor.shape(), tensor.dtype());
  void* data = host.info.ptr;
  size_t bytes = static_cast<size_t>(tensor.size()) * SizeOf(tensor.dtype());
  {
    py::gil_scoped_release release;
    tensor.backend().copy_out(*tensor.buffer(), tensor.offset() * SizeOf(tensor.dtype()), data, bytes);
  }
  return host.array;
}

Shape ShapeOf(const py::buffer_info& info) {
  Shape shape(info.shape.begin(), info.shape.end());
  // Tensors are at least 2-D, as neon's: a vector is a column, a number (1, 1).
  while (shape.size() < 2) shape.push_back(1);
  return shape;
}

Tensor ArrayToTensor(Backend& backend, const py::handle& values, const py::handle& dtype, const std::string& name) {
  DType type = ToDType(dtype);  // None: float32, neon's default whatever the array holds
  HostArray host = ContiguousArray(values, type);
  Tensor tensor = empty(backend, ShapeOf(host.info), type, name);
  SetFromArray(tensor, host.array);
  return tensor;
}

// [begin, end) of a slice over `length` elements; steps other than 1 are not views.
std::pair<int64_t, int64_t> SliceRange(const py::slice& slice, int64_t length, const Tensor& tensor) {
  size_t start, stop, step, count;
  if (!slice.compute(static_cast<size_t>(length), &start, &stop, &step, &count)) throw py::error_already_set();
  if (step != 1) {
    throw ArgumentError("tensor '" + tensor.name() + "' of shape " + ShapeString(tensor.shape()) +
                        ": slices with a step are not views (use step 1)");
  }
  return {static_cast<int64_t>(start), static_cast<int64_t>(start + count)};
}

bool IsFullSlice(const py::handle& key) {
  if (!py::isinstance<py::slice>(key)) return false;
  auto* slice = reinterpret_cast<PySliceObject*>(key.ptr());
  return slice->start == Py_None && slice->stop == Py_None && slice->step == Py_None;
}

// The view `tensor[key]` for x[:], x[a:b] (rows) and x[:, a:b] / x[a:b, c:d] (columns).
Tensor View(const Tensor& tensor, const py::handle& key) {
  if (IsFullSlice(key)) return tensor;
  auto rows = [&](const py::handle& k) {
    if (IsFullSlice(k)) return tensor;
    if (!py::isinstance<py::slice>(k)) throw ArgumentError("tensor index: only slices make views, e.g. x[a:b], x[:, a:b]");
    auto [begin, end] = SliceRange(py::reinterpret_borrow<py::slice>(k), tensor.shape()[0], tensor);
    return tensor.rows(begin, end);
  };
  if (py::isinstance<py::tuple>(key)) {
    auto parts = py::reinterpret_borrow<py::tuple>(key);
    if (parts.size() != 2) {
      throw ArgumentError("tensor of shape " + ShapeString(tensor.shape()) + ": index with one or two slices, got " +
                          std::to_string(parts.size()));
    }
    Tensor view = rows(parts[0]);
    if (IsFullSlice(parts[1])) return view;
    if (!py::isinstance<py::slice>(parts[1])) throw ArgumentError("tensor index: only slices make views, e.g. x[:, a:b]");
    auto [begin, end] = SliceRange(py::reinterpret_borrow<py::slice>(parts[1]), tensor.shape()[1], tensor);
    return view.cols(begin, end);
  }
  return rows(key);
}

// tensor[key] = value: an op-tree, tensor or number is evaluated (one fused kernel);
// anything else is taken as an array of values.
void SetItem(const Tensor& tensor, const py::handle& key, const py::handle& value) {
  Tensor view = View(tensor, key);
  py::detail::make_caster<ExprArg> expr;
  if (expr.load(value, false)) {
    const Expr& tree = static_cast<ExprArg&>(expr).value;
    py::gil_scoped_release release;
    view.assign(tree);
    return;
  }
  SetFromArray(view, value);
}

// The Python buffer protocol for host-memory tensors, written out because pybind11's
// def_buffer cannot refuse a tensor (a device tensor must raise BufferError, not abort).
struct BufferView {
  std::vector<Py_ssize_t> shape, strides;
  std::string format;
  Tensor tensor;  // keeps the storage alive while the buffer is exported
};

int ExportTensorBuffer(PyObject* object, Py_buffer* view, int flags) {
  py::detail::make_caster<Tensor> caster;
  if (!caster.load(object, false)) {
    PyErr_SetString(PyExc_BufferError, "neon.Tensor: not a tensor");
    return -1;
  }
  const Tensor& tensor = static_cast<Tensor&>(caster);
  if (!tensor.defined() || !IsHostTensor(tensor)) {
    std::string where = tensor.defined() ? tensor.backend().info().name : "no device";
    PyErr_SetString(PyExc_BufferError, ("neon.Tensor '" + tensor.name() + "' lives on " + where +
                                        ", not in host memory: use .get() for a numpy copy").c_str());
    return -1;
  }
  tensor.backend().synchronize();
  auto info = std::make_unique<BufferView>(BufferView{{}, {}, py::format_descriptor<float>::format(), tensor});
  if (tensor.dtype() == DType::kFloat64) info->format = py::format_descriptor<double>::format();
  if (tensor.dtype() == DType::kInt32) info->format = py::format_descriptor<int32_t>::format();
  size_t item = SizeOf(tensor.dtype());
  for (int i = 0; i < tensor.ndim(); ++i) {
    info->shape.push_back(tensor.shape()[i]);
    info->strides.push_back(tensor.strides()[i] * static_cast<Py_ssize_t>(item));
  }
  bool dense = IsDense(tensor);
  if (!dense && (flags & PyBUF_STRIDES) != PyBUF_STRIDES) {
    PyErr_SetString(PyExc_BufferError, "neon.Tensor: a strided view needs a strided buffer request");
    return -1;
  }
  view->obj = object;
  Py_INCREF(object);
  view->buf = HostBuffer::Data(tensor.buffer().get()) + tensor.offset() * item;
  view->len = tensor.size() * static_cast<Py_ssize_t>(item);
  view->itemsize = static_cast<Py_ssize_t>(item);
  view->readonly = 0;
  view->ndim = tensor.ndim();
  view->format = (flags & PyBUF_FORMAT) == PyBUF_FORMAT ? info->format.data() : nullptr;
  view->shape = (flags & PyBUF_ND) == PyBUF_ND ? info->shape.data() : nullptr;
  view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? info->strides.data() : nullptr;
  view->suboffsets = nullptr;
  view->internal = info.release();
  return 0;
}

// CPython calls this from C: no C++ exception may leave it.
int GetTensorBuffer(PyObject* object, Py_buffer* view, int flags) {
  try {
    return ExportTensorBuffer(object, view, flags);
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_BufferError, error.what());
    return -1;
  }
}

void ReleaseTensorBuffer(PyObject*, Py_buffer* view) { delete static_cast<BufferView*>(view->internal); }

template <typename Class>
void DefineOperators(Class& cls) {
  using A = const ExprArg&;
  auto op = py::is_operator();
  cls.def("__add__", [](A a, A b) { return a.value + b.value; }, op)
      .def("__radd__", [](A a, A b) { return b.value + a.value; }, op)
      .def("__sub__", [](A a, A b) { return a.value - b.value; }, op)
      .def("__rsub__", [](A a, A b) { return b.value - a.value; }, op)
      .def("__mul__", [](A a, A b) { return a.value * b.value; }, op)
      .def("__rmul__", [](A a, A b) { return b.value * a.value; }, op)
      .def("__truediv__", [](A a, A b) { return a.value / b.value; }, op)
      .def("__rtruediv__", [](A a, A b) { return b.value / a.value; }, op)
      .def("__pow__", [](A a, A b) { return pow(a.value, b.value); }, op)
      .def("__rpow__", [](A a, A b) { return pow(b.value, a.value); }, op)
      .def("__eq__", [](A a, A b) { return a.value == b.value; }, op)
      .def("__ne__", [](A a, A b) { return a.value != b.value; }, op)
      .def("__lt__", [](A a, A b) { return a.value < b.value; }, op)
      .def("__le__", [](A a, A b) { return a.value <= b.value; }, op)
      .def("__gt__", [](A a, A b) { return a.value > b.value; }, op)
      .def("__ge__", [](A a, A b) { return a.value >= b.value; }, op)
      .def("__neg__", [](A a) { return -a.value; })
      .def("__abs__", [](A a) { return abs(a.value); })
      // == builds a tree, so tensors and trees hash by identity.
      .def("__hash__", [](const py::object& self) { return reinterpret_cast<intptr_t>(self.ptr()); });
}

}  // namespace

DType ToDType(const py::handle& dtype) {
  if (dtype.is_none()) return DType::kFloat32;
  std::string name = py::str(py::module_::import("numpy").attr("dtype")(dtype).attr("name"));
  if (name == "float32") return DType::kFloat32;
  if (name == "float64") return DType::kFloat64;
  if (name == "int32") return DType::kInt32;
  throw ArgumentError("dtype " + name + " is not supported (expected float32, float64 or int32)");
}

py::object ToNumpyDType(DType dtype) {
  return py::module_::import("numpy").attr("dtype")(std::string(DTypeName(dtype)));
}

HostArray ContiguousArray(const py::handle& values, DType dtype) {
  py::object array = py::module_::import("numpy").attr("ascontiguousarray")(values, ToNumpyDType(dtype));
  py::buffer_info info = py::reinterpret_borrow<py::buffer>(array).request();
  return {std::move(array), std::move(info)};
}

HostArray EmptyArray(const Shape& shape, DType dtype) {
  py::object array = py::module_::import("numpy").attr("empty")(py::tuple(py::cast(shape)), ToNumpyDType(dtype));
  py::buffer_info info = py::reinterpret_borrow<py::buffer>(array).request(true);
  return {std::move(array), std::move(info)};
}

int ToAxis(const std::optional<int>& axis) {
  if (!axis) return kAllAxes;
  if (*axis != 0 && *axis != 1) throw ArgumentError("axis must be 0, 1 or None, got " + std::to_string(*axis));
  return *axis;
}

void BindTensors(py::module_& m) {
  py::class_<Backend, std::unique_ptr<Backend, py::nodelete>> backend(m, "Backend", py::dynamic_attr());
  backend.def_property_readonly("name", [](const Backend& be) { return be.info().name; })
      .def_property_readonly("kind", [](const Backend& be) { return be.info().kind; })
      .def_property_readonly("description", [](const Backend& be) { return be.info().description; })
      .def_property_readonly("rng_seed", [](const Backend& be) { return GetSeed(be); })
      .def("set_seed", [](Backend& be, uint64_t seed) { SetSeed(be, seed); })
      .def("synchronize", [](Backend& be) {
        py::gil_scoped_release release;
        be.synchronize();
      })
      .def("__repr__", [](const Backend& be) { return "<neon backend " + be.info().name + ">"; });

  auto factory = [&](const char* name, auto make) {
    backend.def(
        name,
        [make](Backend& be, const Shape& shape, const py::object& dtype, const std::optional<std::string>& name) {
          return make(be, shape, ToDType(dtype), name.value_or(""));
        },
        py::arg("shape"), py::arg("dtype") = py::none(), py::arg("name") = py::none());
  };
  factory("empty", [](Backend& be, const Shape& s, DType t, std::string n) { return empty(be, s, t, n); });
  factory("zeros", [](Backend& be, const Shape& s, DType t, std::string n) { return zeros(be, s, t, n); });
  factory("ones", [](Backend& be, const Shape& s, DType t, std::string n) { return ones(be, s, t, n); });
  backend.def(
      "array",
      [](Backend& be, const py::object& values, const py::object& dtype, const std::optional<std::string>& name) {
        return ArrayToTensor(be, values, dtype, name.value_or(""));
      },
      py::arg("ary"), py::arg("dtype") = py::none(), py::arg("name") = py::none());

  m.def("gen_backend", &GenBackend, py::arg("backend") = py::none(), py::arg("rng_seed") = py::none(),
        py::return_value_policy::reference, "A backend by name (reference, cpu, opencl[:N], auto); $NEON_BACKEND when None.");
  m.def("available_backends", &AvailableBackends);

  py::class_<Tensor> tensor(m, "Tensor", py::buffer_protocol());
  auto* heap = reinterpret_cast<PyHeapTypeObject*>(tensor.ptr());
  heap->as_buffer.bf_getbuffer = GetTensorBuffer;
  heap->as_buffer.bf_releasebuffer = ReleaseTensorBuffer;
  tensor.def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("strides", [](const Tensor& t) { return py::tuple(py::cast(t.strides())); })
      .def_property_readonly("dtype", [](const Tensor& t) { return ToNumpyDType(t.dtype()); })
      .def_property_readonly("size", &Tensor::size)
      .def_property_readonly("name", &Tensor::name)
      .def_property_readonly("backend", &Tensor::backend, py::return_value_policy::reference)
      .def_property_readonly("is_contiguous", &Tensor::is_contiguous)
      .def_property_readonly("T", &Tensor::T)
      .def("reshape", [](const Tensor& t, const Shape& shape) { return t.reshape(shape); })
      .def("reshape", [](const Tensor& t, const py::args& dims) { return t.reshape(dims.cast<Shape>()); })
      .def("named", &Tensor::named)
      .def("get", &GetArray, "A numpy copy of the values (one device -> host copy).")
      .def("set", [](Tensor& t, const py::object& values) { SetFromArray(t, values); return t; })
      .def("fill", [](Tensor& t, double value) {
        py::gil_scoped_release release;
        return t.fill(value);
      })
      .def("__array__", [](const Tensor& t, const py::object& dtype) {
        // Host tensors: a view through the buffer protocol; device tensors: one copy.
        py::object values = IsHostTensor(t) ? py::module_::import("numpy").attr("asarray")(py::cast(t)) : GetArray(t);
        return dtype.is_none() ? values : values.attr("astype")(dtype);
      }, py::arg("dtype") = py::none())
      .def("__getitem__", &View)
      .def("__setitem__", &SetItem)
      .def("__bool__", &Tensor::defined)
      .def("__len__", [](const Tensor& t) { return t.shape().empty() ? 0 : t.shape()[0]; })
      .def("__repr__", [](const Tensor& t) {
        if (!t.defined()) return std::string("<neon.Tensor null>");
        return "<neon.Tensor '" + t.name() + "' " + ShapeString(t.shape()) + " " + std::string(DTypeName(t.dtype())) +
               " on " + t.backend().info().name + ">";
      });
  DefineOperators(tensor);

  py::class_<Expr> optree(m, "OpTree");
  optree.def_property_readonly("shape", [](const Expr& e) { return py::tuple(py::cast(e.shape())); })
      .def_property_readonly("T", [](const Expr& e) { return transpose(e); })
      .def_property_readonly("op", [](const Expr& e) { return std::string(OpName(e.op())); })
      .def("__repr__", &Expr::ToString);
  DefineOperators(optree);
}

}  // namespace neon::python
