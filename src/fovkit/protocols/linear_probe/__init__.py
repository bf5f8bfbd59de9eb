"""Linear probe: multinomial logistic regression on frozen features, weight decay chosen on a validation split.

Layout: `estimator` (`LinearProbe`: checks, the decay path and the final fit, prediction), `split` (the seeded
validation split), `inputs` (validation of features, labels and groups), `standardise` (feature moments and
standardisation in chunks) and `solver` (the preconditioned L-BFGS with its line search).
"""

from fovkit.protocols.linear_probe.estimator import DEFAULT_WEIGHT_DECAYS, PRECISIONS, LinearProbe, sklearn_C
from fovkit.protocols.linear_probe.split import validation_split

__all__ = ["DEFAULT_WEIGHT_DECAYS", "PRECISIONS", "LinearProbe", "sklearn_C", "validation_split"]
