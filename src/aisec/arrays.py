"""Small numpy helpers shared by the detectors and the cleaning engine."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

_A = TypeVar("_A", bound=npt.NDArray[np.generic])


def unique_sorted(values: _A) -> _A:
    """The distinct values of a 1-d array, ascending: ``np.unique(values)``.

    numpy 2.3 and later compute ``np.unique`` through a hash table, which on integer
    arrays is 10–100× slower than sorting (measured with numpy 2.4: 12 s against 0.09 s
    for 12 million int64, 107 µs against 7.5 µs for 2,000); a sort and a comparison with
    the neighbour give the same array.
    """
    if values.shape[0] < 2:
        return values.copy()
    ordered = np.sort(values)
    keep = np.empty(ordered.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]  # type: ignore[return-value]
