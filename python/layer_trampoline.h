// PyLayer<Base>: lets a Python class derived from Layer, ParameterLayer or
// BatchNorm override the lifecycle (configure, allocate, fprop, bprop, params,
// states, kind). Each call into Python takes the GIL, since Model.fit runs with
// it released. A method Python does not define falls back to Base's; a pure one
// raises an ArgumentError naming the layer.
#pragma once

#include <pybind11/stl.h>

#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "layers/layer.h"
#include "python/bindings.h"

namespace neon::python {

template <typename Base>
class PyLayer : public Base {
 public:
  using Base::Base;

  Layer& configure(const Shape& in_obj) override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("configure")) {
      override(py::tuple(py::cast(in_obj)));  // returns self, as neon's configure does
      return *this;
    }
    return Base::configure(in_obj);
  }

  void allocate() override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("allocate")) {
      override();
      return;
    }
    Base::allocate();
  }

  Tensor fprop(Tensor inputs, bool inference) override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("fprop")) return Returned(override(inputs, inference), "fprop");
    if constexpr (std::is_abstract_v<Base>) {
      throw ArgumentError(Missing("fprop"));
    } else {
      return Base::fprop(inputs, inference);
    }
  }

  Tensor bprop(Tensor error) override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("bprop")) return Returned(override(error), "bprop");
    if constexpr (std::is_abstract_v<Base>) {
      throw ArgumentError(Missing("bprop"));
    } else {
      return Base::bprop(error);
    }
  }

  std::vector<Param> params() override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("params")) return override().template cast<std::vector<Param>>();
    return Base::params();
  }

  std::vector<Param> states() override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("states")) return override().template cast<std::vector<Param>>();
    return Base::states();
  }

  std::string kind() const override {
    py::gil_scoped_acquire gil;
    if (py::function override = Override("kind")) return override().template cast<std::string>();
    return Base::kind();
  }

 private:
  py::function Override(const char* method) const { return py::get_override(static_cast<const Base*>(this), method); }

  std::string Missing(const char* method) const {
    return "layer '" + this->name + "' (" + Base::kind() + "): the Python class defines no " + method + "()";
  }

  Tensor Returned(const py::object& result, const char* method) const {
    if (!py::isinstance<Tensor>(result)) {
      throw ArgumentError("layer '" + this->name + "': " + method + "() must return a Tensor, got " +
                          std::string(py::str(py::type::of(result).attr("__name__"))));
    }
    return result.cast<Tensor>();
  }
};

}  // namespace neon::python
