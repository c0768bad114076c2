"""neon.initializers: weights from the backend's Philox stream (the same bits on every backend)."""
from neon._neon import (Constant, Gaussian, GlorotUniform, Initializer, Kaiming,  # noqa: F401
                        Uniform, Xavier)
