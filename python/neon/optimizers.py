"""neon.optimizers: optimizers and learning-rate schedules."""
from neon._neon import (Adadelta, Adagrad, Adam, ExpSchedule,  # noqa: F401
                        GradientDescentMomentum, Optimizer, RMSProp, Schedule, StepSchedule)
