"""A Python-defined MLP trained a few steps gives the same costs, bit for bit, as the
same model built in C++ (tests/mlp_losses.cc): the same kernels run underneath."""
import os
import subprocess
import sys
import unittest

import numpy as np

from backend_arg import backend_name
from neon.backends import gen_backend
from neon.callbacks import Callback
from neon.data import ArrayIterator
from neon.initializers import Gaussian
from neon.layers import Affine
from neon.models import Model
from neon.optimizers import GradientDescentMomentum
from neon.transforms import CrossEntropyMulti, GeneralizedCost, Misclassification, Rectlin, Softmax

BACKEND = backend_name("cpu")


class RecordCost(Callback):
    def __init__(self):
        super().__init__()
        self.costs = []

    def on_minibatch_end(self, model, epoch, minibatch):
        self.costs.append(model.current_cost)


def cxx_costs():
    binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp_losses")
    out = subprocess.run([binary, "--backend=" + BACKEND], check=True, capture_output=True, text=True).stdout
    return [float(line) for line in out.split()]


class MlpTest(unittest.TestCase):

    def test_costs_equal_the_cxx_model(self):
        be = gen_backend(backend=BACKEND, rng_seed=1)
        i, j = np.meshgrid(np.arange(64), np.arange(8), indexing="ij")
        X = np.sin(0.37 * i + 0.11 * j * j).astype(np.float32)
        y = np.arange(64) % 3
        train = ArrayIterator(X, y, nclass=3, batch_size=16)
        init = Gaussian(0.0, 0.1)
        layers = [Affine(16, init, activation=Rectlin()), Affine(3, init, activation=Softmax())]
        model = Model(layers)
        record = RecordCost()
        model.fit(train, GeneralizedCost(CrossEntropyMulti()), GradientDescentMomentum(0.1, momentum_coef=0.9),
                  num_epochs=2, callbacks=[record])
        self.assertEqual(len(record.costs), 8)
        self.assertEqual(record.costs, cxx_costs())
        self.assertLess(record.costs[-1], record.costs[0])  # it learns
        error = model.eval(train, Misclassification())
        self.assertTrue(0.0 <= error <= 1.0)
        self.assertEqual(model.get_outputs(train).shape, (64, 3))


if __name__ == "__main__":
    unittest.main()
