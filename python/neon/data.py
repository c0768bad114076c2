"""neon.data: ArrayIterator over numpy arrays."""
import numpy as np

import neon
from neon import _neon


class ArrayIterator(_neon.ArrayIterator):
    """Minibatches of X (samples as rows) and y, as neon's ArrayIterator.

    make_onehot=True: y holds integer labels in [0, nclass). Otherwise y holds regression
    targets (samples as rows). lshape is the feature shape of one sample (default: X's row).
    """

    def __init__(self, X, y=None, nclass=None, lshape=None, make_onehot=True, be=None,
                 batch_size=None, shuffle=False, seed=0):
        be = be or neon.current_backend()
        X = np.asarray(X)
        if y is None:
            raise neon.ArgumentError("ArrayIterator: y (labels or targets) is required")
        y = np.asarray(y)
        if make_onehot and nclass is None:
            nclass = int(y.max()) + 1
        lshape = tuple(lshape) if lshape is not None else (int(np.prod(X.shape[1:])),)
        batch_size = batch_size or getattr(be, "bsz", 128)
        super().__init__(be, X, y, nclass or 0, lshape, batch_size, make_onehot, shuffle, seed)
