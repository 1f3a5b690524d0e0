# aisec — set-up, run, test, bench. Everything installs itself on a fresh machine
# (Python 3.11 + make): uv lives in .tools/, the project's environment in .venv/.
PY      ?= $(shell command -v python3.11 || command -v python3)
# the interpreter itself, not a launcher such as a pyenv shim: uv compares it with the one
# .venv was made with, and rebuilds .venv from scratch when the paths differ
PYEXE   := $(shell $(PY) -c 'import sys; print(sys.executable)')
TOOLS   := .tools
UV      := $(TOOLS)/bin/uv
VENV    := .venv
BIN     := $(VENV)/bin
UV_ENV  := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON=$(PYEXE) UV_PYTHON_DOWNLOADS=never
SYNCED  := $(VENV)/.synced

.PHONY: run test lint bench peers setup sysdeps clean

$(UV):
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# the compiled parts' sources: a change to one rebuilds the project
CSOURCES := $(wildcard src/aisec/*/*.c src/aisec/*/*/*.c src/aisec/*/*/*.h)

$(SYNCED): $(UV) pyproject.toml uv.lock $(CSOURCES)
	sh scripts/sysdeps.sh build
	$(UV_ENV) $(UV) sync --frozen --inexact --quiet
	@touch $@

setup: $(SYNCED)

## sysdeps: Debian packages the media tools and their tests run against, and the C
## compiler and Hyperscan library the build needs (apt-get, only if missing)
sysdeps:
	sh scripts/sysdeps.sh

## run: scan and redact the bundled examples; label and verify generated media; clean a generated corpus
run: $(SYNCED)
	@mkdir -p out
	$(BIN)/aisec scan examples/data --redact out/redacted --policy examples/policy.yaml --format table; \
	  rc=$$?; if [ $$rc -gt 1 ]; then exit $$rc; fi
	@echo "Redacted copies written to out/redacted/"
	@echo
	@echo "== Labelling AI-generated media (GB 45438): generate examples, sign, add, verify =="
	$(BIN)/python scripts/example_media.py out/media
	$(BIN)/aisec label keygen --algorithm sm2 --out out/label-key --force
	$(BIN)/aisec label add out/media --producer 001191110108MA01KP2T5U00000 \
	  --produce-id 'demo-{stem}' --sign out/label-key.key
	$(BIN)/aisec label verify out/media --key out/label-key.pub
	@echo
	@echo "== Cleaning a corpus: generated zh/en example with duplicates, PII, harmful and poisoned records =="
	$(BIN)/python scripts/make_clean_example.py examples/clean/corpus
	rm -rf out/clean-example
	$(BIN)/aisec clean run examples/clean/recipe.yaml
	$(BIN)/aisec clean verify out/clean-example
	@echo "Cleaning report: out/clean-example/report.html"

lint: $(SYNCED)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy src

# AISEC_REQUIRE_NATIVE: the suite fails, not skips, where a compiled part is missing
test: lint sysdeps
	AISEC_REQUIRE_NATIVE=1 $(BIN)/pytest -n 2

## peers: the tools the benchmarks compare against that cannot share .venv (LLM Guard,
## Data-Juicer: each in its own env under .peers/, with the CPU build of PyTorch)
peers:
	bash bench/peers/setup_llm_guard.sh
	bash bench/peers/setup_data_juicer.sh

bench: $(SYNCED) sysdeps peers
	$(UV_ENV) $(UV) sync --frozen --inexact --quiet --group bench
	$(BIN)/python bench/pii.py
	$(BIN)/python bench/lexicon.py
	$(BIN)/python bench/label.py
	$(BIN)/python bench/near_dup.py
	$(BIN)/python bench/attack.py
	$(BIN)/python bench/risk.py
	$(BIN)/python bench/guard.py --load
	$(BIN)/python bench/clean.py
	$(BIN)/python bench/adversarial.py
	@touch $(SYNCED)

clean:
	rm -rf $(VENV) $(TOOLS) .peers out .mypy_cache .ruff_cache .pytest_cache
