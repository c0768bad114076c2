"""neon.layers: Layer and ParameterLayer (subclass them in Python), the zoo, BatchNorm.

A Python subclass calls super().__init__(...) first, then overrides configure /
allocate / fprop / bprop (and params / states for its own weights).
"""
from neon import _neon
from neon._neon import (Activation, Affine, BatchNorm, Bias, Dropout, Flatten,  # noqa: F401
                        Linear, Param, ParameterLayer, Reshape, Sequential)


class Layer(_neon.Layer):
    """Base of Python layers; kind() is the class name."""

    def kind(self):
        return type(self).__name__
