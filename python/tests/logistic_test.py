"""The seed's auto-differentiation snippet, verbatim except imports and the asserts.

d/dx sig(x) at x = 0 is sig(0) (1 - sig(0)) = 0.25 for every element, by all three
methods (get_grad_tensor, get_grad_asnumpyarray, back_prop_grad).
"""
import os
import unittest

import numpy as np

from backend_arg import backend_name
from neon.backends import Autodiff, gen_backend

BACKEND = backend_name()


class LogisticSnippetTest(unittest.TestCase):

    def test_seed_snippet(self):
        be = gen_backend(backend=BACKEND, rng_seed=0)

        # --- the seed, as written ---
        myTensor = be.zeros((10, 10), name='myTensor')
        f = 1/(1+be.exp(-1*myTensor))

        fval = be.empty((10, 10))  # allocate space for output
        fval[:] = f  # execute the op-tree

        myAutodiff = Autodiff(op_tree=f, be=be)
        grads = myAutodiff.get_grad_tensor(myTensor)
        # --- end of the first part ---

        np.testing.assert_array_equal(fval.get(), np.full((10, 10), 0.5, np.float32))
        self.assertEqual(grads.shape, (10, 10))
        np.testing.assert_allclose(grads.get(), 0.25, rtol=1e-6)

        grads = myAutodiff.get_grad_asnumpyarray(myTensor)
        self.assertIsInstance(grads, np.ndarray)
        np.testing.assert_allclose(grads, 0.25, rtol=1e-6)

        grads = be.empty((10, 10))
        myAutodiff.back_prop_grad(myTensor, grads)
        np.testing.assert_allclose(grads.get(), 0.25, rtol=1e-6)

    def test_lists_answer_in_kind(self):
        be = gen_backend(backend=BACKEND)
        x = be.array(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), name='x')
        f = 1/(1+be.exp(-1*x))
        ad = Autodiff(op_tree=f, be=be)
        grads = ad.get_grad_asnumpyarray([x])
        self.assertEqual(len(grads), 1)
        s = 1 / (1 + np.exp(-x.get().astype(np.float64)))
        np.testing.assert_allclose(grads[0], s * (1 - s), rtol=1e-5)

    def test_gen_backend_reuses_the_device_and_restarts_its_stream(self):
        def draw(be):
            values = be.empty((3, 3))
            values[:] = be.rand()
            return values.get()

        first = gen_backend(backend=BACKEND, rng_seed=5)
        x = first.ones((2, 2))
        expected = draw(first)
        again = gen_backend(backend=BACKEND, rng_seed=5)
        self.assertIs(again, first)  # one device per spec, not one more context per call
        np.testing.assert_array_equal(draw(again), expected)
        np.testing.assert_array_equal(x.get(), np.ones((2, 2)))  # earlier tensors stay valid

    def test_neon_backend_variable_and_iobuf(self):
        os.environ["NEON_BACKEND"] = BACKEND
        try:
            be = gen_backend(batch_size=6)
        finally:
            del os.environ["NEON_BACKEND"]
        self.assertEqual(be.kind, BACKEND)
        buf = be.iobuf((3,), name="io")
        self.assertEqual((buf.shape, buf.name), ((3, 6), "io"))
        np.testing.assert_array_equal(buf.get(), np.zeros((3, 6), np.float32))


if __name__ == "__main__":
    unittest.main()
