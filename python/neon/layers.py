"""neon.layers: Layer, ParameterLayer and BatchNorm (subclass them in Python), the zoo.

A Python subclass calls super().__init__(...) first, then overrides configure /
allocate / fprop / bprop (and params / states for its own tensors).
"""
from neon import _neon
from neon._neon import (Activation, Affine, Bias, Dropout, Flatten, Linear,  # noqa: F401
                        Param, Reshape, Sequential)


class _KindIsClassName:
    """kind() (model descriptions, default layer names) is the Python class's name."""

    def kind(self):
        return type(self).__name__


class Layer(_KindIsClassName, _neon.Layer):
    pass


class ParameterLayer(_KindIsClassName, _neon.ParameterLayer):
    pass


class BatchNorm(_KindIsClassName, _neon.BatchNorm):
    pass
