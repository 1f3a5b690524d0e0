#!/usr/bin/env bash
# Installs LLM Guard (https://github.com/protectai/llm-guard) into its own virtual env,
# .peers/llm-guard/, for the peer row of bench/guard.py's check-latency measurement.
#
# LLM Guard is not an aisec dependency: nothing here touches the project env (.venv/).
# Idempotent: when the env already imports llm_guard's scanners, it does nothing.
#
# PyTorch: llm-guard asks for torch>=2.4.0; installed bare, that range takes the newest
# CUDA build (several GB). The CPU build 2.13.0 that lies on this machine's pip
# find-links is installed first, so that the range is already satisfied.
#
# The scanners that need a model (Anonymize, Sensitive, PromptInjection, ...) fetch it
# from the Hugging Face hub at run time; this machine reaches no hub, so the runner
# (bench/peers/llm_guard_check.py) runs with HF_HUB_OFFLINE=1 / TRANSFORMERS_OFFLINE=1
# and reports which scanners failed to load, and why.
#
# Run: bash bench/peers/setup_llm_guard.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENV_DIR="$ROOT/.peers/llm-guard"
LLM_GUARD_VERSION="${LLM_GUARD_VERSION:-0.3.16}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

works() {
    [ -x "$ENV_DIR/bin/python" ] &&
        "$ENV_DIR/bin/python" -c \
            'import llm_guard.input_scanners, llm_guard.output_scanners' >/dev/null 2>&1
}

if works; then
    echo "LLM Guard env already works: $ENV_DIR" \
        "(llm-guard $("$ENV_DIR/bin/python" -m pip show llm-guard 2>/dev/null |
            sed -n 's/^Version: //p'))"
    exit 0
fi

# llm-guard 0.3.16 wants Python >=3.10,<3.13
PYTHON=""
for candidate in python3.11 python3.12 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] < (3, 13))'; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "setup_llm_guard: no Python 3.10-3.12 found (llm-guard needs one)" >&2
    exit 1
fi

start=$(date +%s)
mkdir -p "$(dirname "$ENV_DIR")"
if [ ! -x "$ENV_DIR/bin/python" ]; then
    "$PYTHON" -m venv "$ENV_DIR"
fi
PIP=("$ENV_DIR/bin/python" -m pip install --quiet)
# torch first, pinned to the CPU build, so that llm-guard's torch>=2.4.0 takes nothing more
"${PIP[@]}" "torch==$TORCH_VERSION"
"${PIP[@]}" "llm-guard==$LLM_GUARD_VERSION"

if ! works; then
    echo "setup_llm_guard: llm_guard does not import in $ENV_DIR:" >&2
    "$ENV_DIR/bin/python" -c 'import llm_guard.input_scanners, llm_guard.output_scanners' >&2 ||
        true
    exit 1
fi
if "$ENV_DIR/bin/python" -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "setup_llm_guard: warning: CUDA packages were installed (torch is not the CPU build)" >&2
fi
echo "LLM Guard env ready: $ENV_DIR (llm-guard $LLM_GUARD_VERSION, torch $TORCH_VERSION," \
    "$(du -sh "$ENV_DIR" | cut -f1), $(($(date +%s) - start)) s)"
