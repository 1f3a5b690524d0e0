"""`aisec.arrays.unique_sorted` is `np.unique` for 1-d arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from aisec.arrays import unique_sorted


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=200))
def test_same_as_numpy_unique(values: list[int]) -> None:
    a = np.asarray(values, dtype=np.int64)
    got = unique_sorted(a)
    assert got.dtype == a.dtype and np.array_equal(got, np.unique(a))


def test_empty_and_single_are_copies() -> None:
    one = np.asarray([7], dtype=np.uint64)
    out = unique_sorted(one)
    out[0] = 1
    assert one[0] == 7 and unique_sorted(np.zeros(0, np.int64)).shape == (0,)
