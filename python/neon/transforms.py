"""neon.transforms: activations, costs and metrics."""
from neon._neon import (Accuracy, CostFunction, CrossEntropyBinary,  # noqa: F401
                        CrossEntropyMulti, Explin, GeneralizedCost, Identity, Logistic,
                        MeanSquared, Metric, Misclassification, Normalizer, Rectlin, Softmax,
                        SumSquared, Tanh, TopKMisclassification, Transform)
