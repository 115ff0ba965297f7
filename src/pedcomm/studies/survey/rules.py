"""Domain rules of the survey study (Mack et al. 2021): how a relationship's challenge flag derives
from the item responses, and which instrument each respondent answers.

The one implementation of the challenge rule: the validator (CHALLENGE_FLAG_MISMATCH), the generator
and the REDCap import reach it through the study's record (``STUDY.rules()``), never by importing
the checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a rule runs: the validator's registration needs only INSTRUMENT_OF
    import numpy as np
    import pandas as pd

#: The instrument each respondent answers.
INSTRUMENT_OF = {"parent": "rcs_p", "clinician": "rcs_c"}


def _take(values: np.ndarray, idx: np.ndarray, fill=float("nan")) -> np.ndarray:
    """values[idx], with ``fill`` where idx is -1 (no such item)."""
    import numpy as np

    out = values[np.clip(idx, 0, None)] if len(values) else np.full(len(idx), fill)
    return np.where(idx >= 0, out, fill)


def _num(series: pd.Series) -> np.ndarray:
    import numpy as np
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def item_flags(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Per response: answered (not missing) and at-or-beyond the item's challenge cutoff.

    The one implementation of the challenge rule; the validator, the generator and the analyses
    all call it (through derive_challenge).
    """
    import numpy as np
    import pandas as pd

    from ...validation import arrowops

    iid = arrowops.index_in(responses["item_id"], items["item_id"])
    cut = _take(_num(items["challenge_cutoff"]), iid)
    worse = _take(arrowops.equals(items["direction"], "higher_is_worse"), iid, False).astype(bool)
    r = _num(responses["response"])
    answered = ~np.isnan(r) & ~np.isnan(cut)
    with np.errstate(invalid="ignore"):
        hit = answered & np.where(worse, r >= cut, r <= cut)
    return pd.DataFrame({"answered": answered, "challenging": hit}, index=responses.index)


def derive_challenge(responses: pd.DataFrame, items: pd.DataFrame, respondent: str,
                     relationship_ids=None) -> pd.Series:
    """Challenge flag per relationship for one respondent: True/False, NA when nothing answered.

    Indexed by ``relationship_ids`` when given (aligned with them), else by the relationships
    that have responses.
    """
    import numpy as np
    import pandas as pd

    from ...validation import arrowops

    flags = item_flags(responses, items)
    mine = arrowops.equals(responses["respondent"], respondent)
    if relationship_ids is None:
        relationship_ids = pd.unique(responses.loc[mine, "relationship_id"])
    ids = pd.Index(relationship_ids)
    rid = arrowops.index_in(responses["relationship_id"], pd.Series(ids))
    sel = mine & (rid >= 0)
    n = len(ids)
    any_hit = np.bincount(rid[sel & flags["challenging"].to_numpy()], minlength=n) > 0
    any_answered = np.bincount(rid[sel & flags["answered"].to_numpy()], minlength=n) > 0
    out = pd.array(any_hit, dtype="boolean")
    out[~any_answered] = pd.NA
    return pd.Series(out, index=ids)
