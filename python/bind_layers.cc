// Layers for Python: Layer, ParameterLayer and BatchNorm can be subclassed in
// Python (see layer_trampoline.h); the zoo and the activation transforms are
// the C++ classes. Attributes carry neon's names (in_shape, out_shape,
// outputs, deltas, be, W, dW, and BatchNorm's x, y, gamma, beta, ...); an
// unset tensor reads as None, a shape as a tuple.
#include <pybind11/stl.h>

#include "layers/basic_layers.h"
#include "layers/batch_norm.h"
#include "layers/transforms.h"
#include "python/bindings.h"
#include "python/layer_trampoline.h"

namespace neon::python {
namespace {

py::object TensorOrNone(const Tensor& tensor) { return tensor.defined() ? py::cast(tensor) : py::none(); }
Tensor TensorFrom(const py::object& value) { return value.is_none() ? Tensor() : value.cast<Tensor>(); }

// A tensor member of `Class` exposed read-write, None when unset.
template <typename Class, typename PyClass>
void TensorField(PyClass& cls, const char* name, Tensor Class::*member) {
  cls.def_property(name, [member](const Class& self) { return TensorOrNone(self.*member); },
                   [member](Class& self, const py::object& value) { self.*member = TensorFrom(value); });
}

template <typename Class, typename PyClass>
void ShapeField(PyClass& cls, const char* name, Shape Class::*member) {
  cls.def_property(name, [member](const Class& self) { return py::tuple(py::cast(self.*member)); },
                   [member](Class& self, const Shape& value) { self.*member = value; });
}

using LayerClass = py::class_<Layer, PyLayer<Layer>, std::shared_ptr<Layer>>;

void BindLayerBase(py::module_& m) {
  py::class_<Param>(m, "Param")
      .def(py::init([](std::string name, Tensor W, Tensor dW) { return Param{std::move(name), W, dW}; }),
           py::arg("name"), py::arg("W"), py::arg("dW"))
      .def_readwrite("name", &Param::name)
      .def_readwrite("W", &Param::W)
      .def_readwrite("dW", &Param::dW);

  LayerClass layer(m, "Layer");
  layer.def(py::init([](const std::optional<std::string>& name) {
                return std::make_shared<PyLayer<Layer>>(name.value_or(""));
              }),
              py::arg("name") = py::none())
      // Virtual: a Python override's super().configure(...) reaches the C++ base (pybind11's
      // get_override skips the override that is running), any other call the most derived.
      .def("configure", py::overload_cast<const Shape&>(&Layer::configure), py::return_value_policy::reference)
      .def("allocate", &Layer::allocate)
      .def("fprop", &Layer::fprop, py::arg("inputs"), py::arg("inference") = false)
      .def("bprop", &Layer::bprop, py::arg("error"))
      .def("params", &Layer::params)
      .def("states", &Layer::states)
      .def("kind", &Layer::kind)
      .def_readwrite("name", &Layer::name)
      .def_property_readonly("be", &Layer::be, py::return_value_policy::reference)
      .def_property_readonly("batch_size", &Layer::batch_size)
      .def_property_readonly("dtype", [](const Layer& self) { return ToNumpyDType(self.dtype()); })
      .def_property("compute_deltas", &Layer::compute_deltas, &Layer::set_compute_deltas)
      .def("__repr__", [](const Layer& self) { return "<neon " + self.kind() + " '" + self.name + "'>"; });
  ShapeField(layer, "in_shape", &Layer::in_shape);
  ShapeField(layer, "out_shape", &Layer::out_shape);
  TensorField(layer, "outputs", &Layer::outputs);
  TensorField(layer, "deltas", &Layer::deltas);

  py::class_<ParameterLayer, Layer, PyLayer<ParameterLayer>, std::shared_ptr<ParameterLayer>> parameter_layer(
      m, "ParameterLayer");
  parameter_layer
      .def(py::init([](std::shared_ptr<Initializer> init, const std::optional<std::string>& name) {
             return std::make_shared<PyLayer<ParameterLayer>>(std::move(init), name.value_or(""));
           }),
           py::arg("init") = nullptr, py::arg("name") = py::none())
      .def_readwrite("init", &ParameterLayer::init);
  TensorField(parameter_layer, "W", &ParameterLayer::W);
  TensorField(parameter_layer, "dW", &ParameterLayer::dW);
  ShapeField(parameter_layer, "weight_shape", &ParameterLayer::weight_shape);
}

void BindBatchNorm(py::module_& m) {
  py::class_<BatchNorm, Layer, PyLayer<BatchNorm>, std::shared_ptr<BatchNorm>> batch_norm(m, "BatchNorm");
  batch_norm
      .def(py::init([](double rho, double eps, const std::optional<std::string>& name) {
             return std::make_shared<PyLayer<BatchNorm>>(rho, eps, name.value_or(""));
           }),
           py::arg("rho") = 0.9, py::arg("eps") = 1e-3, py::arg("name") = py::none())
      .def("init_buffers", &BatchNorm::init_buffers)
      .def("init_params", &BatchNorm::init_params)
      .def("fprop_inference", &BatchNorm::fprop_inference)
      .def("_fprop_inference", &BatchNorm::fprop_inference)  // neon's spelling
      .def_readwrite("rho", &BatchNorm::rho)
      .def_readwrite("eps", &BatchNorm::eps)
      .def_readwrite("nfm", &BatchNorm::nfm)
      .def_property("allparams",
                    [](const BatchNorm& self) {  // None before init_params, as neon's
                      return self.allparams.empty() ? py::object(py::none()) : py::object(py::cast(self.allparams));
                    },
                    [](BatchNorm& self, const py::object& value) {
                      self.allparams = value.is_none() ? std::vector<Tensor>{} : value.cast<std::vector<Tensor>>();
                    })
      .def_property("fprop_op_tree",
                    [](const BatchNorm& self) {
                      return self.fprop_op_tree ? py::cast(*self.fprop_op_tree) : py::object(py::none());
                    },
                    [](BatchNorm& self, const std::optional<ExprArg>& tree) {
                      self.fprop_op_tree.reset();
                      if (tree) self.fprop_op_tree = tree->value;
                    });
  for (auto [name, member] : {std::pair{"x", &BatchNorm::x}, {"y", &BatchNorm::y}, {"gamma", &BatchNorm::gamma},
                              {"beta", &BatchNorm::beta}, {"grad_gamma", &BatchNorm::grad_gamma},
                              {"grad_beta", &BatchNorm::grad_beta}, {"gmean", &BatchNorm::gmean},
                              {"gvar", &BatchNorm::gvar}}) {
    TensorField(batch_norm, name, member);
  }
}

void BindZoo(py::module_& m) {
  auto name_arg = py::arg("name") = py::none();
  auto named = [](const std::optional<std::string>& name) { return name.value_or(""); };
  py::class_<Linear, ParameterLayer, std::shared_ptr<Linear>>(m, "Linear")
      .def(py::init([named](int64_t nout, std::shared_ptr<Initializer> init, const std::optional<std::string>& name) {
             return std::make_shared<Linear>(nout, std::move(init), named(name));
           }),
           py::arg("nout"), py::arg("init"), name_arg)
      .def_property_readonly("nout", &Linear::nout);
  py::class_<Bias, ParameterLayer, std::shared_ptr<Bias>>(m, "Bias")
      .def(py::init([named](std::shared_ptr<Initializer> init, const std::optional<std::string>& name) {
             return std::make_shared<Bias>(init ? init : std::make_shared<Constant>(0.0), named(name));
           }),
           py::arg("init") = nullptr, name_arg);
  py::class_<Activation, Layer, std::shared_ptr<Activation>>(m, "Activation")
      .def(py::init([named](std::shared_ptr<Transform> transform, const std::optional<std::string>& name) {
             return std::make_shared<Activation>(std::move(transform), named(name));
           }),
           py::arg("transform"), name_arg);
  py::class_<Dropout, Layer, std::shared_ptr<Dropout>>(m, "Dropout")
      .def(py::init([named](double keep, const std::optional<std::string>& name) {
             return std::make_shared<Dropout>(keep, named(name));
           }),
           py::arg("keep") = 0.5, name_arg);
  py::class_<Reshape, Layer, std::shared_ptr<Reshape>>(m, "Reshape")
      .def(py::init([named](const Shape& reshape, const std::optional<std::string>& name) {
             return std::make_shared<Reshape>(reshape, named(name));
           }),
           py::arg("reshape"), name_arg);
  py::class_<Flatten, Reshape, std::shared_ptr<Flatten>>(m, "Flatten")
      .def(py::init([named](const std::optional<std::string>& name) { return std::make_shared<Flatten>(named(name)); }),
           name_arg);
  py::class_<Sequential, Layer, std::shared_ptr<Sequential>>(m, "Sequential")
      .def(py::init([named](std::vector<std::shared_ptr<Layer>> layers, const std::optional<std::string>& name) {
             return std::make_shared<Sequential>(std::move(layers), named(name));
           }),
           py::arg("layers"), name_arg, py::keep_alive<1, 2>())
      .def_property_readonly("layers", &Sequential::layers);
  m.def("Affine",
        [named](int64_t nout, std::shared_ptr<Initializer> init, bool bias, bool batch_norm,
                std::shared_ptr<Transform> activation, const std::optional<std::string>& name) {
          return Affine(nout, std::move(init), AffineOptions{bias, batch_norm, std::move(activation), named(name)});
        },
        py::arg("nout"), py::arg("init"), py::arg("bias") = true, py::arg("batch_norm") = false,
        py::arg("activation") = nullptr, name_arg, "neon's Affine: a list of Linear, Bias or BatchNorm, Activation.");
}

void BindTransforms(py::module_& m) {
  py::class_<Transform, std::shared_ptr<Transform>>(m, "Transform")
      .def("__call__", [](const Transform& f, const ExprArg& x) { return f(x.value); })
      .def("bprop", [](const Transform& f, const ExprArg& y, const ExprArg& error) { return f.bprop(y.value, error.value); })
      .def("__repr__", &Transform::describe);
  py::class_<Rectlin, Transform, std::shared_ptr<Rectlin>>(m, "Rectlin").def(py::init<double>(), py::arg("slope") = 0.0);
  py::class_<Logistic, Transform, std::shared_ptr<Logistic>>(m, "Logistic").def(py::init<>());
  py::class_<Tanh, Transform, std::shared_ptr<Tanh>>(m, "Tanh").def(py::init<>());
  py::class_<Softmax, Transform, std::shared_ptr<Softmax>>(m, "Softmax").def(py::init<>());
  py::class_<Identity, Transform, std::shared_ptr<Identity>>(m, "Identity").def(py::init<>());
  py::class_<Explin, Transform, std::shared_ptr<Explin>>(m, "Explin").def(py::init<double>(), py::arg("alpha") = 1.0);
  py::class_<Normalizer, Transform, std::shared_ptr<Normalizer>>(m, "Normalizer")
      .def(py::init<double>(), py::arg("divisor") = 128.0);
}

}  // namespace

void BindLayers(py::module_& m) {
  BindTransforms(m);
  py::class_<Initializer, std::shared_ptr<Initializer>>(m, "Initializer")
      .def("fill", [](const Initializer& init, Tensor W) {
        py::gil_scoped_release release;
        init.fill(W);
      })
      .def("__repr__", &Initializer::describe);
  BindLayerBase(m);
  BindBatchNorm(m);
  BindZoo(m);
}

}  // namespace neon::python
