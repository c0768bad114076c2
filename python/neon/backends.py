"""neon.backends: gen_backend and Autodiff."""
import os

import neon
from neon import _neon
from neon._neon import Autodiff, Backend  # noqa: F401


def _iobuf(be, dim0, dtype=None, name=None):
    """A (dim0..., batch_size) activation buffer, as neon's be.iobuf."""
    shape = tuple(dim0) if isinstance(dim0, (tuple, list)) else (dim0,)
    return be.zeros(shape + (be.bsz,), dtype=dtype, name=name)


Backend.iobuf = _iobuf


def gen_backend(backend=None, rng_seed=None, batch_size=128, datatype=None, device_id=None):
    """The backend named `backend` (reference, cpu, opencl, opencl:N, auto); $NEON_BACKEND when None.

    Like neon's, it becomes the default backend of models and iterators made after it.
    """
    spec = backend or os.environ.get("NEON_BACKEND") or "auto"
    if device_id is not None and ":" not in spec:
        spec = "%s:%d" % (spec, device_id)
    be = _neon.gen_backend(spec, rng_seed)
    be.bsz = batch_size
    be.default_dtype = datatype
    neon._current_backend = be
    return be
