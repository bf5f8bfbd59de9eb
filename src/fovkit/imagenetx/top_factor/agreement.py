"""Agreement of selected top factors with the shipped top-factor file, overall, per factor and against baselines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fovkit.errors import InputError, preview
from fovkit.imagenetx.annotations import FACTORS
from fovkit.tables import FactorTable


@dataclass(frozen=True, eq=False)
class TopFactorAgreement:
    """Agreement of selected top factors with the shipped ones.

    Attributes:
        agreement: Fraction of compared images whose selected top factor equals the shipped one (NaN if none).
        n_compared: Images with a selected and a shipped top factor.
        per_factor: One row per factor (FACTORS order): `n_shipped`, `n_selected`, `n_agree`, `agreement`
            (n_agree / n_shipped, recall of the shipped factor) and `precision` (n_agree / n_selected).
        confusion: Counts of compared images, shipped factor (rows) x selected factor (columns).

    """

    agreement: float
    n_compared: int
    per_factor: pd.DataFrame
    confusion: pd.DataFrame


def top_factor_agreement(selected: pd.DataFrame, shipped: FactorTable | pd.DataFrame) -> TopFactorAgreement:
    """Compare selected top factors with shipped ones (one-hot factor columns, at most one per image).

    Args:
        selected: Output of `select_top_factors` (index `sample_id`, column `selected_top_factor`).
        shipped: The shipped top-factor annotations, as a FactorTable or a frame with `sample_id` and the 16 factor
            columns. It must cover every selected sample; extra samples are ignored.

    Returns:
        Agreement over the images that have both a selected and a shipped top factor.

    """
    frame = shipped.frame if isinstance(shipped, FactorTable) else shipped
    shipped_factor = shipped_top_factors(frame)
    if "selected_top_factor" not in selected.columns:
        raise InputError(f"expected a 'selected_top_factor' column, got {list(selected.columns)}", field="selected")
    if selected.index.has_duplicates:
        duplicated = selected.index[selected.index.duplicated()]
        raise InputError(f"duplicate selected sample ids {preview(duplicated.tolist())}", field="sample_id")
    absent = selected.index[shipped_factor.index.get_indexer(selected.index) < 0]
    if len(absent):
        raise InputError(
            f"{len(absent)} selected samples are not in the shipped table: {preview(absent.tolist())}",
            field="sample_id",
        )
    unknown = selected["selected_top_factor"].dropna()
    unknown = unknown[~unknown.isin(FACTORS)]
    if len(unknown):
        raise InputError(f"unknown selected factors {preview(unknown.unique().tolist())}; known {list(FACTORS)}")
    pairs = pd.DataFrame(
        {"shipped": shipped_factor.reindex(selected.index).to_numpy(), "selected": selected["selected_top_factor"]}
    ).dropna()
    codes = {name: position for position, name in enumerate(FACTORS)}
    confusion = np.zeros((len(FACTORS), len(FACTORS)), dtype=np.int64)
    np.add.at(confusion, (pairs["shipped"].map(codes).to_numpy(int), pairs["selected"].map(codes).to_numpy(int)), 1)
    n_agree = np.diag(confusion)
    n_shipped, n_selected = confusion.sum(axis=1), confusion.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_factor = pd.DataFrame(
            {
                "n_shipped": n_shipped,
                "n_selected": n_selected,
                "n_agree": n_agree,
                "agreement": np.where(n_shipped > 0, n_agree / n_shipped, np.nan),
                "precision": np.where(n_selected > 0, n_agree / n_selected, np.nan),
            },
            index=pd.Index(FACTORS, name="factor"),
        )
    n_compared = len(pairs)
    return TopFactorAgreement(
        agreement=float(n_agree.sum() / n_compared) if n_compared else float("nan"),
        n_compared=n_compared,
        per_factor=per_factor,
        confusion=pd.DataFrame(
            confusion, index=pd.Index(FACTORS, name="shipped"), columns=pd.Index(FACTORS, name="selected")
        ),
    )


def shipped_top_factors(frame: pd.DataFrame) -> pd.Series:
    """Shipped top factor of each sample (None where no factor is set) from one-hot factor columns."""
    missing = [column for column in ("sample_id", *FACTORS) if column not in frame.columns]
    if missing:
        raise InputError(f"the shipped top-factor table lacks columns {missing}; present {list(frame.columns)}")
    duplicated = frame["sample_id"][frame["sample_id"].duplicated()]
    if len(duplicated):
        raise InputError(f"duplicate shipped sample ids {preview(duplicated.tolist())}", field="sample_id")
    values = frame[list(FACTORS)].to_numpy()
    counts = (values != 0).sum(axis=1)
    several = frame["sample_id"][counts > 1]
    if len(several):
        raise InputError(
            f"{len(several)} samples have several shipped top factors, expected at most one: "
            f"{preview(several.tolist())}; pass the which_factor='top' table",
            field="sample_id",
        )
    names = np.asarray(FACTORS, dtype=object)[np.argmax(values != 0, axis=1)]
    names[counts == 0] = None
    return pd.Series(names, index=pd.Index(frame["sample_id"].to_numpy(), name="sample_id"), name="shipped_top_factor")


def baselines(multi: pd.DataFrame, shipped_factor: pd.Series) -> dict[str, float | None]:
    """Agreement of two text-free rules on images with several selected factors: first and last in FACTORS order."""
    values = multi[list(FACTORS)].to_numpy() != 0
    several = (values.sum(axis=1) > 1) & shipped_factor.notna().to_numpy()
    if not several.any():
        return {"first_selected_on_multi": None, "last_selected_on_multi": None}
    names = np.asarray(FACTORS, dtype=object)
    first = names[np.argmax(values[several], axis=1)]
    last = names[len(FACTORS) - 1 - np.argmax(values[several][:, ::-1], axis=1)]
    shipped = shipped_factor.to_numpy()[several]
    return {
        "first_selected_on_multi": float(np.mean(first == shipped)),
        "last_selected_on_multi": float(np.mean(last == shipped)),
    }
