// What training needs from Python: initializers, costs and metrics,
// optimizers and schedules, ArrayIterator, callbacks (subclassable in Python)
// and Model. fit / eval run with the GIL released; Python layers and callbacks
// take it back for their own calls.
#include <pybind11/stl.h>

#include "core/error.h"
#include "layers/model.h"
#include "python/bindings.h"

namespace neon::python {
namespace {

// A Python subclass of Callback overrides any of the hooks.
class PyCallback : public Callback {
 public:
  void on_train_begin(Model& model, int epochs) override {
    PYBIND11_OVERRIDE(void, Callback, on_train_begin, std::ref(model), epochs);
  }
  void on_train_end(Model& model) override { PYBIND11_OVERRIDE(void, Callback, on_train_end, std::ref(model)); }
  void on_epoch_begin(Model& model, int epoch) override {
    PYBIND11_OVERRIDE(void, Callback, on_epoch_begin, std::ref(model), epoch);
  }
  void on_epoch_end(Model& model, int epoch) override {
    PYBIND11_OVERRIDE(void, Callback, on_epoch_end, std::ref(model), epoch);
  }
  void on_minibatch_begin(Model& model, int epoch, int64_t minibatch) override {
    PYBIND11_OVERRIDE(void, Callback, on_minibatch_begin, std::ref(model), epoch, minibatch);
  }
  void on_minibatch_end(Model& model, int epoch, int64_t minibatch) override {
    PYBIND11_OVERRIDE(void, Callback, on_minibatch_end, std::ref(model), epoch, minibatch);
  }
};

void BindInitializers(py::module_& m) {
  using Base = Initializer;
  py::class_<Constant, Base, std::shared_ptr<Constant>>(m, "Constant").def(py::init<double>(), py::arg("val") = 0.0);
  py::class_<Uniform, Base, std::shared_ptr<Uniform>>(m, "Uniform")
      .def(py::init<double, double>(), py::arg("low") = 0.0, py::arg("high") = 1.0);
  py::class_<Gaussian, Base, std::shared_ptr<Gaussian>>(m, "Gaussian")
      .def(py::init<double, double>(), py::arg("loc") = 0.0, py::arg("scale") = 1.0);
  py::class_<GlorotUniform, Base, std::shared_ptr<GlorotUniform>>(m, "GlorotUniform").def(py::init<>());
  py::class_<Xavier, Base, std::shared_ptr<Xavier>>(m, "Xavier").def(py::init<>());
  py::class_<Kaiming, Base, std::shared_ptr<Kaiming>>(m, "Kaiming").def(py::init<>());
}

void BindCosts(py::module_& m) {
  py::class_<CostFunction, std::shared_ptr<CostFunction>>(m, "CostFunction")
      .def("__call__", [](const CostFunction& c, const ExprArg& y, const ExprArg& t) { return c(y.value, t.value); })
      .def("bprop", [](const CostFunction& c, const ExprArg& y, const ExprArg& t) { return c.bprop(y.value, t.value); })
      .def("__repr__", &CostFunction::describe);
  py::class_<CrossEntropyMulti, CostFunction, std::shared_ptr<CrossEntropyMulti>>(m, "CrossEntropyMulti").def(py::init<>());
  py::class_<CrossEntropyBinary, CostFunction, std::shared_ptr<CrossEntropyBinary>>(m, "CrossEntropyBinary")
      .def(py::init<>());
  py::class_<SumSquared, CostFunction, std::shared_ptr<SumSquared>>(m, "SumSquared").def(py::init<>());
  py::class_<MeanSquared, CostFunction, std::shared_ptr<MeanSquared>>(m, "MeanSquared").def(py::init<>());
  py::class_<GeneralizedCost>(m, "GeneralizedCost")
      .def(py::init<std::shared_ptr<CostFunction>>(), py::arg("costfunc"))
      .def("get_cost", &GeneralizedCost::get_cost, py::call_guard<py::gil_scoped_release>())
      .def("get_errors", [](GeneralizedCost& cost, const Tensor& y, const Tensor& t) { return cost.get_errors(y, t); })
      .def_property_readonly("cost", &GeneralizedCost::cost_value)
      .def_property_readonly("costfunc", [](const GeneralizedCost& c) { return c.costfunc().describe(); });

  py::class_<Metric, std::shared_ptr<Metric>>(m, "Metric")
      .def("__call__", [](const Metric& metric, const ExprArg& y, const ExprArg& t) { return metric(y.value, t.value); })
      .def("__repr__", &Metric::describe);
  py::class_<Misclassification, Metric, std::shared_ptr<Misclassification>>(m, "Misclassification").def(py::init<>());
  py::class_<Accuracy, Metric, std::shared_ptr<Accuracy>>(m, "Accuracy").def(py::init<>());
  py::class_<TopKMisclassification, Metric, std::shared_ptr<TopKMisclassification>>(m, "TopKMisclassification")
      .def(py::init<int>(), py::arg("k"));
}

void BindOptimizers(py::module_& m) {
  py::class_<Schedule, std::shared_ptr<Schedule>>(m, "Schedule")
      .def(py::init<>())
      .def(py::init([](std::vector<int> step_config, double change) {
             return std::make_shared<StepChangeSchedule>(std::move(step_config), change);
           }),
           py::arg("step_config"), py::arg("change"))
      .def(py::init([](int step_every, double change) { return std::make_shared<StepChangeSchedule>(step_every, change); }),
           py::arg("step_config"), py::arg("change"))
      .def("get_learning_rate", &Schedule::get_learning_rate, py::arg("learning_rate"), py::arg("epoch"));
  py::class_<ExpSchedule, Schedule, std::shared_ptr<ExpSchedule>>(m, "ExpSchedule")
      .def(py::init<double>(), py::arg("decay"));
  py::class_<StepSchedule, Schedule, std::shared_ptr<StepSchedule>>(m, "StepSchedule")
      .def(py::init<std::vector<int>, std::vector<double>>(), py::arg("step_config"), py::arg("change"));

  auto clip = [](std::optional<double> norm, std::optional<double> value) { return ClipOptions{norm, value}; };
  py::class_<Optimizer>(m, "Optimizer")
      .def("optimize", &Optimizer::optimize, py::arg("params"), py::arg("epoch"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("step_count", &Optimizer::step_count)
      .def("__repr__", &Optimizer::describe);
  py::class_<GradientDescentMomentum, Optimizer>(m, "GradientDescentMomentum")
      .def(py::init([clip](double learning_rate, double momentum_coef, double wdecay, bool nesterov,
                           std::shared_ptr<Schedule> schedule, std::optional<double> gradient_clip_norm,
                           std::optional<double> gradient_clip_value) {
             GDMOptions options{momentum_coef, wdecay, nesterov, std::move(schedule),
                                clip(gradient_clip_norm, gradient_clip_value)};
             return std::make_unique<GradientDescentMomentum>(learning_rate, options);
           }),
           py::arg("learning_rate"), py::arg("momentum_coef") = 0.0, py::arg("wdecay") = 0.0,
           py::arg("nesterov") = false, py::arg("schedule") = nullptr, py::arg("gradient_clip_norm") = py::none(),
           py::arg("gradient_clip_value") = py::none());
  py::class_<Adam, Optimizer>(m, "Adam")
      .def(py::init([clip](double learning_rate, double beta_1, double beta_2, double epsilon,
                           std::optional<double> gradient_clip_norm, std::optional<double> gradient_clip_value) {
             return std::make_unique<Adam>(learning_rate, beta_1, beta_2, epsilon,
                                           clip(gradient_clip_norm, gradient_clip_value));
           }),
           py::arg("learning_rate") = 0.001, py::arg("beta_1") = 0.9, py::arg("beta_2") = 0.999,
           py::arg("epsilon") = 1e-8, py::arg("gradient_clip_norm") = py::none(),
           py::arg("gradient_clip_value") = py::none());
  py::class_<RMSProp, Optimizer>(m, "RMSProp")
      .def(py::init([clip](double learning_rate, double decay_rate, double epsilon, std::optional<double> norm,
                           std::optional<double> value) {
             return std::make_unique<RMSProp>(learning_rate, decay_rate, epsilon, clip(norm, value));
           }),
           py::arg("learning_rate") = 0.002, py::arg("decay_rate") = 0.95, py::arg("epsilon") = 1e-6,
           py::arg("gradient_clip_norm") = py::none(), py::arg("gradient_clip_value") = py::none());
  py::class_<Adagrad, Optimizer>(m, "Adagrad")
      .def(py::init([clip](double learning_rate, double epsilon, std::optional<double> norm, std::optional<double> value) {
             return std::make_unique<Adagrad>(learning_rate, epsilon, clip(norm, value));
           }),
           py::arg("learning_rate") = 0.01, py::arg("epsilon") = 1e-6, py::arg("gradient_clip_norm") = py::none(),
           py::arg("gradient_clip_value") = py::none());
  py::class_<Adadelta, Optimizer>(m, "Adadelta")
      .def(py::init([clip](double decay, double epsilon, std::optional<double> norm, std::optional<double> value) {
             return std::make_unique<Adadelta>(decay, epsilon, clip(norm, value));
           }),
           py::arg("decay") = 0.95, py::arg("epsilon") = 1e-6, py::arg("gradient_clip_norm") = py::none(),
           py::arg("gradient_clip_value") = py::none());
}

// Samples as rows: X (ndata, features...) -> (ndata, prod(features)) float32 values.
std::vector<float> Rows(const py::handle& X, int64_t& ndata) {
  HostArray values = ContiguousArray(X, DType::kFloat32);
  if (values.info.ndim < 1) throw ShapeError("ArrayIterator: X must be an array with samples as rows");
  ndata = values.info.shape[0];
  auto* data = static_cast<const float*>(values.info.ptr);
  return std::vector<float>(data, data + values.info.size);
}

void BindData(py::module_& m) {
  py::class_<DataIterator>(m, "DataIterator")
      .def_property_readonly("ndata", &DataIterator::ndata)
      .def_property_readonly("nbatches", &DataIterator::nbatches)
      .def_property_readonly("batch_size", &DataIterator::batch_size)
      .def_property_readonly("shape", [](const DataIterator& d) { return py::tuple(py::cast(d.feature_shape())); })
      .def("reset", &DataIterator::reset, py::arg("epoch") = 0);
  py::class_<ArrayIterator, DataIterator>(m, "ArrayIterator")
      .def(py::init([](Backend& be, const py::object& X, const py::object& y, int64_t nclass, const Shape& lshape,
                       int64_t batch_size, bool make_onehot, bool shuffle, uint64_t seed) {
             int64_t ndata = 0;
             std::vector<float> features = Rows(X, ndata);
             if (make_onehot) {
               HostArray labels = ContiguousArray(y, DType::kInt32);
               auto* data = static_cast<const int32_t*>(labels.info.ptr);
               std::vector<int32_t> values(data, data + labels.info.size);
               return std::make_unique<ArrayIterator>(be, std::move(features), std::move(values), nclass, lshape,
                                                      batch_size, shuffle, seed);
             }
             int64_t rows = 0;
             std::vector<float> targets = Rows(y, rows);
             int64_t target_rows = rows > 0 ? static_cast<int64_t>(targets.size()) / rows : 0;
             return std::make_unique<ArrayIterator>(be, std::move(features), std::move(targets), target_rows, lshape,
                                                    batch_size, shuffle, seed);
           }),
           py::arg("be"), py::arg("X"), py::arg("y"), py::arg("nclass"), py::arg("lshape"), py::arg("batch_size"),
           py::arg("make_onehot") = true, py::arg("shuffle") = false, py::arg("seed") = 0);
}

void BindModel(py::module_& m) {
  py::class_<Callback, PyCallback>(m, "Callback")
      .def(py::init<>())
      .def("on_train_begin", &Callback::on_train_begin)
      .def("on_train_end", &Callback::on_train_end)
      .def("on_epoch_begin", &Callback::on_epoch_begin)
      .def("on_epoch_end", &Callback::on_epoch_end)
      .def("on_minibatch_begin", &Callback::on_minibatch_begin)
      .def("on_minibatch_end", &Callback::on_minibatch_end);

  py::class_<Model>(m, "Model", py::dynamic_attr())
      // Layers stay alive while the model does: see neon/models.py, which keeps them.
      .def(py::init([](Backend& be, std::vector<std::shared_ptr<Layer>> layers, const py::object& dtype) {
             return std::make_unique<Model>(be, std::move(layers), ToDType(dtype));
           }),
           py::arg("be"), py::arg("layers"), py::arg("dtype") = py::none())
      .def("configure", &Model::configure, py::arg("in_shape"), py::arg("batch_size"))
      .def("allocate", &Model::allocate)
      .def("initialize", &Model::initialize, py::arg("dataset"))
      .def("fit", &Model::fit, py::arg("dataset"), py::arg("cost"), py::arg("optimizer"), py::arg("num_epochs"),
           py::arg("callbacks") = std::vector<Callback*>{}, py::arg("first_epoch") = 0,
           py::call_guard<py::gil_scoped_release>())
      .def("eval", &Model::eval, py::arg("dataset"), py::arg("metric"), py::call_guard<py::gil_scoped_release>())
      .def("get_outputs", [](Model& model, DataIterator& data) {
             std::vector<float> values;
             {
               py::gil_scoped_release release;
               values = model.get_outputs(data);
             }
             int64_t features = FeatureSize(model.out_shape());
             HostArray out = EmptyArray({static_cast<int64_t>(values.size()) / features, features}, DType::kFloat32);
             std::copy(values.begin(), values.end(), static_cast<float*>(out.info.ptr));
             return out.array;
           })
      .def("fprop", &Model::fprop, py::arg("x"), py::arg("inference") = false, py::call_guard<py::gil_scoped_release>())
      .def("bprop", &Model::bprop, py::arg("error"), py::call_guard<py::gil_scoped_release>())
      .def("params", &Model::params)
      .def("states", &Model::states)
      .def_property_readonly("layers", &Model::layers)
      .def_property_readonly("be", &Model::backend, py::return_value_policy::reference)
      .def_property_readonly("out_shape", [](const Model& model) { return py::tuple(py::cast(model.out_shape())); })
      .def_property_readonly("batch_size", &Model::batch_size)
      .def_property_readonly("current_cost", &Model::current_cost)
      .def_property_readonly("epoch_cost", &Model::epoch_cost)
      .def_property_readonly("minibatches_done", &Model::minibatches_done);
}

}  // namespace

void BindTraining(py::module_& m) {
  BindInitializers(m);
  BindCosts(m);
  BindOptimizers(m);
  BindData(m);
  BindModel(m);
}

}  // namespace neon::python
