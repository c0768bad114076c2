"""neon.callbacks: subclass Callback and override any hook."""
from neon._neon import Callback  # noqa: F401
