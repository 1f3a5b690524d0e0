"""Where `NearDedup` keeps signatures and band keys: in memory up to a budget, then in
``.npy`` runs on disk that are read back by memory map.

Each run is two files written atomically (temporary name, fsync, rename): the signatures
``uint32[n, K]`` (row-major: verification reads whole rows) and the band keys
``uint64[bands, n]`` (band-major: the bucketing pass reads one band of every run).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aisec.io.atomic import atomic_binary

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def save_npy_atomic(path: Path, array: npt.NDArray[np.generic]) -> None:
    """Write ``array`` to ``path`` as ``.npy``; the file appears whole or not at all."""
    with atomic_binary(path) as fh:
        np.save(fh, array, allow_pickle=False)


class SignatureStore:
    """Append-only rows of (signature, band keys), spilled to disk past ``budget_bytes``."""

    def __init__(self, num_perm: int, bands: int, budget_bytes: int, workdir: Path | None) -> None:
        self.num_perm = num_perm
        self.bands = bands
        self.budget_bytes = budget_bytes
        self._workdir = workdir
        self._dir: Path | None = None
        self._mem_sigs: list[U32] = []
        self._mem_keys: list[U64] = []
        self._mem_bytes = 0
        self._runs: list[tuple[int, Path, Path]] = []  # (first row, signatures, band keys)
        self._flushed_rows = 0
        self.rows = 0

    @property
    def spilled(self) -> bool:
        """True once any run was written to disk."""
        return bool(self._runs)

    @property
    def directory(self) -> Path | None:
        """The spill directory (created on the first spill)."""
        return self._dir

    def append(self, sig: U32, keys: U64) -> None:
        """Add rows; spill the in-memory part when it passes the budget."""
        self._mem_sigs.append(sig)
        self._mem_keys.append(keys)
        self._mem_bytes += sig.nbytes + keys.nbytes
        self.rows += sig.shape[0]
        if self._mem_bytes > self.budget_bytes:
            self.flush()

    def flush(self) -> None:
        """Write the in-memory rows as one run."""
        if not self._mem_sigs:
            return
        if self._dir is None:
            base = self._workdir
            if base is not None:
                base.mkdir(parents=True, exist_ok=True)
            self._dir = Path(tempfile.mkdtemp(prefix="near_dedup-", dir=base))
        idx = len(self._runs)
        sig = np.concatenate(self._mem_sigs)
        keys = np.concatenate(self._mem_keys, axis=1)
        sig_path, keys_path = (
            self._dir / f"run-{idx:05d}.sig.npy",
            self._dir / f"run-{idx:05d}.keys.npy",
        )
        save_npy_atomic(sig_path, sig)
        save_npy_atomic(keys_path, keys)
        self._runs.append((self._flushed_rows, sig_path, keys_path))
        self._flushed_rows += sig.shape[0]
        self._mem_sigs, self._mem_keys, self._mem_bytes = [], [], 0

    def _consolidate(self) -> tuple[int, U32, U64] | None:
        """The in-memory rows as one block (concatenated once, so gathers stay cheap)."""
        if not self._mem_sigs:
            return None
        if len(self._mem_sigs) > 1:
            self._mem_sigs = [np.concatenate(self._mem_sigs)]
            self._mem_keys = [np.concatenate(self._mem_keys, axis=1)]
        return self._flushed_rows, self._mem_sigs[0], self._mem_keys[0]

    def band(self, b: int) -> U64:
        """The keys of band ``b`` for all rows, in row order.

        Runs are mapped only while one band is copied out, so their pages do not stay
        resident (and counted) after the pass."""
        out = np.empty(self.rows, dtype=np.uint64)
        for first, _, keys_path in self._runs:
            mm = np.load(keys_path, mmap_mode="r", allow_pickle=False)
            out[first : first + mm.shape[1]] = mm[b]
            del mm
        mem = self._consolidate()
        if mem is not None:
            out[mem[0] :] = mem[2][b]
        return out

    def gather(self, rows: I64) -> U32:
        """The signatures of ``rows`` (any order)."""
        out = np.empty((rows.shape[0], self.num_perm), dtype=np.uint32)
        mem = self._consolidate()
        ends = [first for first, _, _ in self._runs[1:]] + [self._flushed_rows]
        blocks: list[tuple[int, int, Path | U32]] = [
            (first, end, path) for (first, path, _), end in zip(self._runs, ends, strict=False)
        ]
        if mem is not None:
            blocks.append((mem[0], mem[0] + mem[1].shape[0], mem[1]))
        for first, end, src in blocks:
            mask = (rows >= first) & (rows < end)
            if not mask.any():
                continue
            if isinstance(src, Path):
                mm = np.load(src, mmap_mode="r", allow_pickle=False)
                out[mask] = mm[rows[mask] - first]
                del mm
            else:
                out[mask] = src[rows[mask] - first]
        return out

    def close(self) -> None:
        """Drop the runs and remove the spill directory."""
        self._runs = []
        self._mem_sigs, self._mem_keys = [], []
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
