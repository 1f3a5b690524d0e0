"""LSH buckets → candidate pairs, and connected components (union-find) over verified pairs.

Both work on whole numpy arrays: one band's keys are sorted once, equal keys form a
bucket, and pairs are read off the sorted order; the union-find hooks roots and
compresses paths in vectorised passes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from aisec.arrays import unique_sorted

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: within a bucket, each member is paired with the next ``NEIGHBOURS`` members in index
#: order (all pairs for buckets of up to NEIGHBOURS + 1 members) and with the bucket's
#: first member; larger buckets are near-duplicate clusters whose chain stays connected
NEIGHBOURS = 8


def bucket_pairs(keys: U64, docs: I64 | None = None) -> I64:
    """Candidate pairs of one band as codes ``left * 2^32 + right`` (``left < right``):
    documents whose band keys are equal. ``docs[i]`` names the document of ``keys[i]``
    (default: ``i``)."""
    if keys.shape[0] < 2:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")  # stable: equal keys stay in document order
    sk = keys[order]
    same_next = sk[1:] == sk[:-1]
    del sk
    if not same_next.any():
        return np.zeros(0, dtype=np.int64)
    sd = order if docs is None else docs[order]
    del order
    # bucket number of each sorted position
    bucket = np.concatenate(([0], np.cumsum(~same_next)))
    out: list[I64] = []
    for d in range(1, NEIGHBOURS + 1):
        if d >= sd.shape[0]:
            break
        same = bucket[d:] == bucket[:-d]
        if not same.any():
            break
        out.append(_codes(sd[:-d][same], sd[d:][same]))
    if len(out) == NEIGHBOURS:  # some bucket is larger than NEIGHBOURS + 1: add the star
        first = np.flatnonzero(np.concatenate(([True], ~same_next)))
        pos = np.flatnonzero(np.arange(sd.shape[0]) - first[bucket] > NEIGHBOURS)
        out.append(_codes(sd[first[bucket[pos]]], sd[pos]))
    return unique_sorted(np.concatenate(out))


def _codes(a: I64, b: I64) -> I64:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return (lo << np.int64(32)) | hi


def split_codes(codes: I64) -> tuple[I64, I64]:
    """Pair codes back to ``(left, right)`` index arrays."""
    return codes >> np.int64(32), codes & np.int64(0xFFFFFFFF)


def components(left: I64, right: I64) -> tuple[I64, I64]:
    """Connected components of the graph with edges ``(left[i], right[i])``.

    Returns ``(nodes, root)``: every node that has an edge, and the smallest node index of
    its component. Vectorised union-find: hook each edge's larger root under the smaller,
    then compress paths until every node points at its root; repeat until no edge joins
    two roots. A root only ever moves to a smaller index, so it ends at the component's
    minimum.
    """
    nodes = unique_sorted(np.concatenate((left, right)))
    u = np.searchsorted(nodes, left)
    v = np.searchsorted(nodes, right)
    parent = np.arange(nodes.shape[0], dtype=np.int64)
    while True:
        pu, pv = parent[u], parent[v]
        lo, hi = np.minimum(pu, pv), np.maximum(pu, pv)
        joins = lo != hi
        if not joins.any():
            break
        np.minimum.at(parent, hi[joins], lo[joins])
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return nodes, nodes[parent]
