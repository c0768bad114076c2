"""The seed's layers written in Python, inside a C++ Model, on one backend.

MultiplyByTwo (a Layer) and BatchNormAutodiff (a BatchNorm) are the seed's code
verbatim except imports, with one change the C++ port documents too
(examples/batchnorm_autodiff.h): BatchNorm.allocate() already made the
parameters, so the op-tree is built whenever it is missing rather than only when
allparams is None.
"""
import gc
import unittest
import weakref

import numpy as np

from backend_arg import backend_name
import neon
from neon.backends import Autodiff, gen_backend
from neon.data import ArrayIterator
from neon.initializers import Constant, Gaussian
from neon.layers import BatchNorm, Layer, ParameterLayer
from neon.models import Model
from neon.optimizers import GradientDescentMomentum
from neon.transforms import GeneralizedCost, SumSquared

BACKEND = backend_name()


class MultiplyByTwo(Layer):
    " A layer that multiples the input by two. "

    # constructor and initialize buffers
    def __init__(self, name=None):
        super(MultiplyByTwo, self).__init__(name)

    # configure the layer input and output shapes
    def configure(self, in_obj):
        super(MultiplyByTwo, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    # compute the fprop
    def fprop(self, inputs, inference=False):
        self.outputs = inputs
        self.outputs[:] = inputs*2
        return self.outputs

    # backprop the gradients
    def bprop(self, error):
        error[:] = 2*error
        return error


class BatchNormAutodiff(BatchNorm):

    def __init__(self, rho=0.99, eps=1e-6, name=None):
        super(BatchNormAutodiff, self).__init__(rho, eps, name)

    def get_forward_optree(self):
        """
        Initialize the fprop optree for batchnorm.
        """
        # get fprop op-tree
        xvar = self.be.var(self.x, axis=1)
        xmean = self.be.mean(self.x, axis=1)
        xhat = (self.x - xmean) / self.be.sqrt(xvar + self.eps)
        return xhat * self.gamma + self.beta

    def fprop(self, inputs, inference=False):
        """
        Compute the actual fprop from op-tree, update the global estimations
        """
        if inference:
            return self._fprop_inference(inputs)
        self.init_buffers(inputs)
        if self.allparams is None:
            self.init_params(self.nfm)
        if self.fprop_op_tree is None:  # (see the module docstring)
            self.fprop_op_tree = self.get_forward_optree()

        # the actual f-prop
        self.y[:] = self.fprop_op_tree

        # for inference
        self.gmean[:] = (self.gmean * self.rho + (1.0 - self.rho) * self.be.mean(self.x, axis=1))
        self.gvar[:] = (self.gvar * self.rho + (1.0 - self.rho) * self.be.var(self.x, axis=1))

        return self.outputs

    def bprop(self, error):
        """
        Use Autodiff.back_prop_grad to back propagate gradients for the
        corresponding tensors.
        """
        if not self.deltas:
            self.deltas = error.reshape((self.nfm, -1))

        # autodiff will automatically cache and reuse the object
        # if we know the `error` buffer at init, we can also create the autodiff
        # object at layer's init
        ad = Autodiff(self.fprop_op_tree, self.be, next_error=self.deltas)

        # back propagate
        ad.back_prop_grad([self.x, self.gamma, self.beta],
                          [self.deltas, self.grad_gamma, self.grad_beta])

        return error


class Scale(ParameterLayer):
    """y = W * x with one weight per feature: a ParameterLayer written in Python."""

    def __init__(self, init, name=None):
        super().__init__(init, name)

    def configure(self, in_obj):
        super().configure(in_obj)
        self.out_shape = self.in_shape
        self.weight_shape = (self.in_shape[0], 1)
        return self

    def fprop(self, inputs, inference=False):
        self.inputs = inputs
        self.outputs[:] = self.W * inputs
        return self.outputs

    def bprop(self, error):
        self.dW[:] = self.be.sum(error * self.inputs, axis=1)
        error[:] = self.W * error
        return error


class SeedLayersTest(unittest.TestCase):

    def setUp(self):
        self.be = gen_backend(backend=BACKEND, rng_seed=7)

    def test_multiply_by_two_in_a_model(self):
        layer = MultiplyByTwo(name="times_two")
        model = Model([layer])
        model.configure((3,), 4)
        model.allocate()
        values = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
        y = model.fprop(self.be.array(values))
        self.assertEqual(layer.in_shape, (3,))
        self.assertEqual(layer.out_shape, (3,))
        np.testing.assert_array_equal(y.get(), 2 * values)
        np.testing.assert_array_equal(model.bprop(self.be.ones((3, 4))).get(), np.full((3, 4), 2.0, np.float32))
        self.assertEqual(model.layers[0].kind(), "MultiplyByTwo")

    def test_multiply_by_two_trains_with_fit(self):
        # Scale (weights) then MultiplyByTwo: W learns the targets' factor / 2.
        rng = np.random.default_rng(0)
        X = rng.standard_normal((16, 2)).astype(np.float32)
        train = ArrayIterator(X, 3.0 * X, make_onehot=False, batch_size=8)
        scale = Scale(Constant(1.0))
        model = Model([scale, MultiplyByTwo()])
        cost = GeneralizedCost(SumSquared())
        model.fit(train, cost, GradientDescentMomentum(0.05), num_epochs=60)
        np.testing.assert_allclose(scale.W.get(), 1.5, atol=1e-3)
        self.assertEqual([p.name for p in model.params()], [scale.name + ".W"])

    def test_batchnorm_autodiff_matches_batchnorm(self):
        x = self.be.empty((5, 8))
        x[:] = self.be.rand() * 4 - 1
        error = np.linspace(-1, 1, 40, dtype=np.float32).reshape(5, 8)
        bn_autodiff = BatchNormAutodiff(0.9, 1e-3, name="bn_autodiff")
        bn_native = BatchNorm(0.9, 1e-3, name="bn_native")
        results = []
        for bn in (bn_autodiff, bn_native):
            model = Model([bn])
            model.configure((5,), 8)
            model.allocate()
            y = model.fprop(x).get()
            dx = model.bprop(self.be.array(error)).get()
            results.append([y, dx, bn.grad_gamma.get(), bn.grad_beta.get(), bn.gmean.get(), bn.gvar.get()])
        self.assertIsNotNone(bn_autodiff.fprop_op_tree)
        self.assertEqual((bn_autodiff.kind(), bn_native.kind()), ("BatchNormAutodiff", "BatchNorm"))
        names = ["y", "dx", "grad_gamma", "grad_beta", "gmean", "gvar"]
        for name, a, b in zip(names, *results):
            # float32 with reductions over 8 samples, summed in another order: a few ulps.
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
        self.assertGreater(np.abs(results[1][1]).max(), 0.01)  # the gradient is not trivially zero

    def test_layer_held_only_by_the_model_survives_gc(self):
        model = Model([MultiplyByTwo()])
        probe = weakref.ref(model.layers[0])
        gc.collect()
        self.assertIsNotNone(probe())
        model.configure((2,), 3)
        model.allocate()
        np.testing.assert_array_equal(model.fprop(self.be.ones((2, 3))).get(), np.full((2, 3), 2.0, np.float32))
        del model
        gc.collect()
        self.assertIsNone(probe())  # and it goes with the model

    def test_python_errors_cross_the_model(self):
        class Broken(Layer):
            def configure(self, in_obj):
                super().configure(in_obj)
                self.out_shape = self.in_shape
                return self

            def fprop(self, inputs, inference=False):
                raise KeyError("from python")

            def bprop(self, error):
                return error

        model = Model([Broken()])
        model.configure((2,), 3)
        model.allocate()
        with self.assertRaises(KeyError):
            model.fprop(self.be.ones((2, 3)))

    def test_a_layer_without_fprop_is_an_argument_error(self):
        class Empty(Layer):
            def configure(self, in_obj):
                super().configure(in_obj)
                self.out_shape = self.in_shape
                return self

        model = Model([Empty(name="empty")])
        model.configure((2,), 3)
        model.allocate()
        with self.assertRaisesRegex(neon.ArgumentError, "empty.*defines no fprop"):
            model.fprop(self.be.ones((2, 3)))

    def test_errors_are_typed(self):
        x = self.be.ones((3, 4))
        with self.assertRaises(neon.ShapeError) as raised:
            x[:] = self.be.ones((2, 5))
        self.assertIsInstance(raised.exception, ValueError)
        self.assertIn("(2, 5)", str(raised.exception))
        with self.assertRaises(ValueError):
            self.be.zeros((2, 2), dtype="int8")
        with self.assertRaises(neon.ArgumentError):
            gen_backend(backend="no-such-device")
        with self.assertRaises(neon.ShapeError):
            self.be.dot(self.be.ones((2, 3)), self.be.ones((2, 3)))
        with self.assertRaises(neon.Error):
            BatchNorm(rho=2.0)


if __name__ == "__main__":
    unittest.main()
