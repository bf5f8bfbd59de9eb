"""ImageNet-X top-factor selection from the annotators' free text (paper Sec. 3.1) and its agreement with the file.

`texts`: the factor texts embedded; `selection`: the per-image choice; `agreement`: comparison with the shipped
top-factor annotations. The job that runs them and writes a run folder is `fovkit.jobs.topfactor`.
"""

from fovkit.imagenetx.top_factor.agreement import TopFactorAgreement, shipped_top_factors, top_factor_agreement
from fovkit.imagenetx.top_factor.selection import FALLBACK_RULE, METHODS, choose_subset, select_top_factors
from fovkit.imagenetx.top_factor.texts import FACTOR_DEFINITIONS, read_factor_texts, validate_factor_texts

__all__ = [
    "FACTOR_DEFINITIONS",
    "FALLBACK_RULE",
    "METHODS",
    "TopFactorAgreement",
    "choose_subset",
    "read_factor_texts",
    "select_top_factors",
    "shipped_top_factors",
    "top_factor_agreement",
    "validate_factor_texts",
]
