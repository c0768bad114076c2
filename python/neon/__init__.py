"""neon-cpp from Python: the seed's neon API over the C++ runtime.

    from neon.backends import gen_backend, Autodiff
    be = gen_backend(backend='cpu', rng_seed=0)
    x = be.zeros((10, 10), name='x')
    f = 1 / (1 + be.exp(-1 * x))
    fval = be.empty((10, 10)); fval[:] = f      # one fused kernel

Errors are neon.Error subclasses: ShapeError and ArgumentError are also
ValueErrors, IoError an OSError, BackendError a RuntimeError.
"""
from neon._neon import (ArgumentError, BackendError, Error, IoError,  # noqa: F401
                        OpTree, ShapeError, Tensor)

_current_backend = None


def current_backend():
    """The backend gen_backend made last (neon's NervanaObject.be); ArgumentError when none."""
    if _current_backend is None:
        raise ArgumentError("no backend yet: call neon.backends.gen_backend(...) first")
    return _current_backend
