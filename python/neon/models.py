"""neon.models: Model."""
import neon
from neon import _neon


def _flatten(layers):
    flat = []
    for layer in layers:
        if isinstance(layer, (list, tuple)):
            flat.extend(_flatten(layer))
        else:
            flat.append(layer)
    return flat


class Model(_neon.Model):
    """A list of layers (nested lists, e.g. from Affine, are spliced) on one backend.

    The model holds its layers' Python objects, so a layer defined in Python lives as
    long as the model even when nothing else refers to it.
    """

    def __init__(self, layers, be=None, dtype=None):
        flat = _flatten(layers if isinstance(layers, (list, tuple)) else [layers])
        be = be or neon.current_backend()
        super().__init__(be, flat, dtype or getattr(be, "default_dtype", None))
        self._python_layers = flat

    def fit(self, dataset, cost, optimizer, num_epochs, callbacks=None):
        super().fit(dataset, cost, optimizer, num_epochs, list(callbacks or []))
