"""Every op from Python against numpy (float64) on one backend, view semantics, and
errors for bad shapes. Values are float32 on the device: the tolerance is float32's
rounding of a few operations (rtol 1e-5), wider only where an op says why."""
import unittest

import numpy as np

from backend_arg import backend_name
import neon
from neon.backends import gen_backend

BACKEND = backend_name()
RNG = np.random.default_rng(3)
A = RNG.uniform(-2, 2, (4, 5)).astype(np.float32)
B = RNG.uniform(0.5, 2, (4, 5)).astype(np.float32)   # positive: log, sqrt, pow, division
COL = RNG.uniform(-1, 1, (4, 1)).astype(np.float32)  # broadcasts along the batch


def sig(x):
    return 1 / (1 + np.exp(-x))


class OpsTest(unittest.TestCase):

    def setUp(self):
        self.be = gen_backend(backend=BACKEND, rng_seed=0)
        self.a, self.b, self.col = self.be.array(A), self.be.array(B), self.be.array(COL)

    def value(self, tree, shape=None):
        out = self.be.empty(shape or tuple(tree.shape) if hasattr(tree, "shape") else (1, 1))
        out[:] = tree
        return out.get()

    def check(self, tree, expected, rtol=1e-5, atol=1e-6):
        expected = np.asarray(expected, np.float64)
        np.testing.assert_allclose(self.value(tree, expected.shape if expected.ndim == 2 else None), expected,
                                   rtol=rtol, atol=atol, err_msg=repr(tree))

    def test_operators_and_reflected_forms(self):
        a, b, A64, B64 = self.a, self.b, A.astype(np.float64), B.astype(np.float64)
        cases = [
            (a + b, A64 + B64), (a - b, A64 - B64), (a * b, A64 * B64), (a / b, A64 / B64),
            (b ** 2, B64 ** 2), (2 ** a, 2 ** A64), (b ** a, B64 ** A64),
            (1 + a, 1 + A64), (1 - a, 1 - A64), (3 * a, 3 * A64), (1 / b, 1 / B64),
            (a + 1.5, A64 + 1.5), (a - 1, A64 - 1), (a * 0.5, A64 * 0.5), (a / 4, A64 / 4),
            (-a, -A64), (abs(a), np.abs(A64)),
            (a == a, np.ones_like(A64)), (a != b, (A64 != B64)), (a < b, A64 < B64), (a <= b, A64 <= B64),
            (a > b, A64 > B64), (a >= b, A64 >= B64), (a > 0, A64 > 0),
            (a + self.col, A64 + COL), (1 / (1 + self.be.exp(-1 * a)), sig(A64)),
            ((a + b) * (a - b) / b, (A64 + B64) * (A64 - B64) / B64),
        ]
        for tree, expected in cases:
            self.check(tree, expected)

    def test_backend_functions(self):
        be, a, b, A64, B64 = self.be, self.a, self.b, A.astype(np.float64), B.astype(np.float64)
        unary = [
            (be.neg(a), -A64), (be.absolute(a), np.abs(A64)), (be.fabs(a), np.abs(A64)), (be.sgn(a), np.sign(A64)),
            (be.finite(a / 0), np.zeros_like(A64)), (be.finite(a), np.ones_like(A64)),
            (be.sqrt(b), np.sqrt(B64)), (be.square(a), A64 ** 2), (be.sqr(a), A64 ** 2),
            (be.exp(a), np.exp(A64)), (be.log(b), np.log(B64)), (be.exp2(a), np.exp2(A64)), (be.log2(b), np.log2(B64)),
            (be.sig(a), sig(A64)), (be.sig2(a), 1 / (1 + np.exp2(-A64))), (be.tanh(a), np.tanh(A64)),
            (be.tanh2(a), (np.exp2(2 * A64) - 1) / (np.exp2(2 * A64) + 1)), (be.safelog(b), np.log(B64)),
            (be.safelog(a * 0), np.full_like(A64, -50.0)), (be.rint(a * 3), np.rint(3 * A64)),
            (be.binarize(a), np.where(A64 >= 0, 1.0, -1.0)),
        ]
        binary = [
            (be.add(a, b), A64 + B64), (be.subtract(a, b), A64 - B64), (be.multiply(a, b), A64 * B64),
            (be.divide(a, b), A64 / B64), (be.power(b, a), B64 ** A64), (be.equal(a, a), np.ones_like(A64)),
            (be.not_equal(a, b), A64 != B64), (be.less(a, b), A64 < B64), (be.less_equal(a, b), A64 <= B64),
            (be.greater(a, b), A64 > B64), (be.greater_equal(a, b), A64 >= B64),
            (be.minimum(a, b), np.minimum(A64, B64)), (be.maximum(a, b), np.maximum(A64, B64)),
            (be.shift(a, 2), A64 * 4), (be.clip(a, -0.5, 0.5), np.clip(A64, -0.5, 0.5)),
        ]
        for tree, expected in unary + binary:
            self.check(tree, expected)

    def test_reductions_and_dot(self):
        be, a, A64 = self.be, self.a, A.astype(np.float64)
        for axis in (0, 1):
            keep = dict(axis=axis, keepdims=True)
            self.check(be.sum(a, axis=axis), A64.sum(**keep))
            self.check(be.max(a, axis=axis), A64.max(**keep))
            self.check(be.min(a, axis=axis), A64.min(**keep))
            self.check(be.argmax(a, axis=axis), A64.argmax(axis=axis).reshape(A64.max(**keep).shape))
            self.check(be.argmin(a, axis=axis), A64.argmin(axis=axis).reshape(A64.max(**keep).shape))
            self.check(be.mean(a, axis=axis), A64.mean(**keep))
            self.check(be.var(a, axis=axis), A64.var(**keep), rtol=1e-4)  # E[x^2] - E[x]^2 in float32
            self.check(be.std(a, axis=axis), A64.std(**keep), rtol=1e-4)
        self.check(be.sum(a), [[A64.sum()]])
        self.check(be.max(a), [[A64.max()]])
        self.check(be.dot(a, self.b.T), A64 @ B.T.astype(np.float64))
        self.check(be.dot(a.T, self.b), A64.T @ B.astype(np.float64))
        self.check(be.transpose(a), A64.T)
        idx = self.be.array(np.array([[2, 0, 1]], np.float32))
        self.check(be.onehot(idx, 3, axis=0), np.eye(3)[:, [2, 0, 1]])

    def test_out_argument_and_rand(self):
        out = self.be.empty((4, 1))
        result = self.be.sum(self.a, axis=1, out=out)
        np.testing.assert_allclose(result.get(), A.sum(axis=1, keepdims=True), rtol=1e-5)
        np.testing.assert_allclose(out.get(), A.sum(axis=1, keepdims=True), rtol=1e-5)
        r = self.be.empty((50, 40))
        r[:] = self.be.rand()
        values = r.get()
        self.assertTrue(((values >= 0) & (values < 1)).all())
        self.assertAlmostEqual(values.mean(), 0.5, delta=0.05)

    def test_views_write_into_their_parent(self):
        x = self.be.array(np.arange(20, dtype=np.float32).reshape(4, 5))
        expected = np.arange(20, dtype=np.float32).reshape(4, 5)
        x[1:3] = x[1:3] * 10
        expected[1:3] *= 10
        x[:, 2:4] = -1
        expected[:, 2:4] = -1
        x[0:1, 0:2] = np.array([[7, 8]], np.float32)
        expected[0:1, 0:2] = [[7, 8]]
        np.testing.assert_array_equal(x.get(), expected)
        np.testing.assert_array_equal(x[:, 1:3].get(), expected[:, 1:3])
        np.testing.assert_array_equal(x.T.get(), expected.T)
        column = x.reshape((20, 1))
        column[:] = column + 1
        np.testing.assert_array_equal(x.get(), expected + 1)
        self.assertEqual(x[2:4].shape, (2, 5))
        self.assertEqual(x[:, 1:2].shape, (4, 1))

    def test_tensor_attributes_and_numpy(self):
        x = self.be.zeros((3, 2), name="x")
        self.assertEqual((x.shape, x.name, x.dtype, x.size), ((3, 2), "x", np.dtype(np.float32), 6))
        x.set(np.ones((3, 2)))
        np.testing.assert_array_equal(np.asarray(x.get()), np.ones((3, 2)))
        d = self.be.array(np.arange(6).reshape(2, 3), dtype=np.float64)
        self.assertEqual(d.get().dtype, np.float64)
        self.assertEqual(self.be.array(np.arange(4)).shape, (4, 1))  # a vector is a column, as neon's
        ones = self.be.ones((2, 2))
        self.assertTrue(bool(ones))
        fval = self.be.empty((2, 2))
        fval[:] = 3
        np.testing.assert_array_equal(fval.get(), np.full((2, 2), 3.0, np.float32))

    def test_bad_shapes_and_indices(self):
        with self.assertRaisesRegex(neon.ShapeError, r"\(4, 5\).*\(5, 4\)|\(5, 4\).*\(4, 5\)"):
            self.a + self.be.ones((5, 4))
        with self.assertRaises(ValueError):
            out = self.be.empty((2, 2))
            out[:] = self.a
        with self.assertRaises(neon.ArgumentError):
            self.a[::2]
        with self.assertRaises(neon.ShapeError):
            self.a.set(np.ones(7))
        with self.assertRaises(neon.ArgumentError):
            self.be.sum(self.a, axis=2)


if __name__ == "__main__":
    unittest.main()
