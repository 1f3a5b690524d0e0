#!/usr/bin/env bash
# Set up Data-Juicer as a benchmark peer of `aisec clean` (bench/clean.py), in its own
# virtual env at .peers/data-juicer/ so that it never becomes a dependency of aisec.
#
# Idempotent: does nothing when the env already imports the pinned release.
# Needs only PyPI and the machine's local CPU wheel of PyTorch. Installs, with pip:
#  1. torch==2.13.0 first: the CPU build that lies on disk (pip's find-links). Data-Juicer's
#     op runner imports torch (CUDA checks) and, when it is missing, installs the newest
#     torch at run time with several GB of CUDA packages; pinning the CPU build avoids that.
#  2. py-data-juicer's core requirements (no extras: those pull torch==2.8.0, vllm, cudf
#     and other GB-sized packages), plus what it imports without declaring it or installs
#     at run time: aiohttp, and ray (data_juicer.core imports its Ray tracer even in
#     standalone mode); and what the text ops in bench/peers/data_juicer_run.py import:
#     ftfy (fix_unicode_mapper), selectolax (clean_html_mapper), scipy (minhash dedup).
#
# Usage: bash bench/peers/setup_data_juicer.sh   (from anywhere)
set -euo pipefail

DJ_VERSION="${DJ_VERSION:-1.6.1}"
TORCH_VERSION="2.13.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENV="$ROOT/.peers/data-juicer"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

if [ -x "$ENV/bin/python" ] &&
    "$ENV/bin/python" -c "import importlib.metadata as m, sys; \
sys.exit(m.version('py-data-juicer') != '$DJ_VERSION')" 2>/dev/null &&
    "$ENV/bin/python" -c "import data_juicer, ray, ftfy, selectolax, scipy, torch" 2>/dev/null; then
    echo "Data-Juicer $DJ_VERSION already set up in $ENV"
    exit 0
fi

start=$(date +%s)
mkdir -p "$ROOT/.peers"
[ -x "$ENV/bin/python" ] || "$PY" -m venv "$ENV"
PIP=("$ENV/bin/python" -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" "torch==$TORCH_VERSION"
"${PIP[@]}" "py-data-juicer==$DJ_VERSION" "torch==$TORCH_VERSION" aiohttp ray ftfy selectolax scipy
"$ENV/bin/python" -c "import data_juicer, ray, ftfy, selectolax, scipy, torch"
echo "Data-Juicer $DJ_VERSION set up in $ENV ($(($(date +%s) - start)) s, $(du -sh "$ENV" | cut -f1))"
