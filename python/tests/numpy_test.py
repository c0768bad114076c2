"""numpy interop: host-memory backends (reference, cpu) share a tensor's storage through
the buffer protocol; device backends refuse it (BufferError) and copy once instead."""
import unittest

import numpy as np

from backend_arg import backend_name
from neon.backends import gen_backend

BACKEND = backend_name()


class NumpyTest(unittest.TestCase):

    def setUp(self):
        self.be = gen_backend(backend=BACKEND)
        self.x = self.be.array(np.arange(12, dtype=np.float32).reshape(3, 4))
        self.host = self.be.kind in ("reference", "cpu")

    def test_buffer_protocol_shares_host_memory(self):
        if not self.host:
            with self.assertRaisesRegex(BufferError, "not in host memory"):
                memoryview(self.x)
            return
        view = np.asarray(self.x)
        self.assertFalse(view.flags["OWNDATA"])
        view[0, 0] = 42                    # numpy writes into the tensor
        self.assertEqual(self.x.get()[0, 0], 42)
        self.x[:] = self.x * 2             # and sees what the device wrote
        self.assertEqual(view[0, 0], 84)
        columns = np.asarray(self.x[:, 1:3])  # a strided view stays a view
        self.assertEqual(columns.shape, (3, 2))
        self.assertEqual(columns.strides, (16, 4))
        np.testing.assert_array_equal(columns, self.x.get()[:, 1:3])
        transposed = memoryview(self.x.T)
        self.assertEqual((transposed.shape, transposed.strides), ((4, 3), (4, 16)))

    def test_get_is_an_independent_copy(self):
        values = self.x.get()
        self.assertTrue(values.flags["OWNDATA"])
        values[0, 0] = -1
        self.assertEqual(self.x.get()[0, 0], 0)
        np.testing.assert_array_equal(np.asarray(self.x), np.arange(12).reshape(3, 4))
        np.testing.assert_array_equal(self.x[:, 1:3].get(), np.arange(12).reshape(3, 4)[:, 1:3])

    def test_array_takes_any_layout(self):
        source = np.arange(20, dtype=np.float64).reshape(4, 5).T  # Fortran order, float64
        t = self.be.array(source)
        np.testing.assert_array_equal(t.get(), source.astype(np.float32))
        column = self.be.zeros((5, 4))
        column[:, 1:2] = np.ones((5, 1))
        np.testing.assert_array_equal(column.get()[:, 1], np.ones(5))


if __name__ == "__main__":
    unittest.main()
