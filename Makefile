# Two commands for a newcomer:  `make demo`  and  `make test`.
# `make test-tf1` runs the same suite on Python 3.7 + TensorFlow 1.15.5; `make test-fast` the
# tests that train no model; `make lint` runs ruff with ruff.toml.
# Override the interpreter with PYTHON=..., e.g. `make test-tf1 PYTHON=/opt/py37/bin/python3.7`.

SHELL := /bin/bash
PYTHON ?=
# Python 3.7 for the TF 1.15 line: the first candidate that really runs 3.7 (a pyenv shim
# on PATH exists but fails unless 3.7 is the active pyenv version).
PYTHON37 := $(shell for py in $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.7*/bin/python3.7 2>/dev/null) \
	$$(command -v python3.7 2>/dev/null) /usr/local/bin/python3.7 /usr/bin/python3.7; do \
	"$$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 7))' 2>/dev/null && echo "$$py" && break; done)
PIP_FLAGS ?= -q --disable-pip-version-check
# One line, or nothing when requirements.txt serves this Python (energy/runtime.py says which do).
PYTHON_PROBLEM = $(subst error: ,,$(shell "$(or $(PYTHON),python3)" energy/runtime.py 2>&1))
# The Debian packages the ABC checker and renderer run (bach/check_abc.py).
ABC_TOOLS := abc2midi abc2abc abcm2ps rsvg-convert
ABC_PACKAGES := abcmidi abcm2ps librsvg2-bin
MISSING_ABC_TOOLS = $(strip $(foreach tool,$(ABC_TOOLS),$(if $(shell command -v $(tool)),,$(tool))))

.PHONY: help venv venv37 data demo test test-fast test-tf1 lint abc-tools clean

help:
	@echo "make demo      set up .venv, fetch the data, train both examples, sample music"
	@echo "make test      set up .venv (Python 3, TensorFlow 2.x) and run the tests"
	@echo "make test-tf1  set up .venv37 (Python 3.7, TensorFlow 1.15.5) and run the tests"
	@echo "make test-fast the tests that train no model (seconds; pytest -m 'not slow')"
	@echo "make lint      ruff check . (ruff.toml)"
	@echo "make data      fetch the data (DATA_MIRROR=DIR copies from a local mirror)"

.venv/.installed: requirements.txt requirements-test.txt
	$(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))
	@test -x .venv/bin/python || $(or $(PYTHON),python3) -m venv .venv
	.venv/bin/python -m pip install $(PIP_FLAGS) -r requirements-test.txt
	@touch $@

.venv37/.installed: requirements.txt requirements-test.txt
	@py="$(or $(PYTHON),$(PYTHON37))"; \
	if [ -z "$$py" ]; then echo "error: Python 3.7 not found; install it (e.g. 'pyenv install 3.7.16') or pass PYTHON=/path/to/python3.7" >&2; exit 2; fi; \
	test -x .venv37/bin/python || "$$py" -m venv .venv37
	.venv37/bin/python -m pip install $(PIP_FLAGS) "pip<24"
	.venv37/bin/python -m pip install $(PIP_FLAGS) -r requirements-test.txt
	@touch $@

venv: .venv/.installed
venv37: .venv37/.installed

data: .venv/.installed
	.venv/bin/python data/fetch.py

# Installs the ABC tools when they are missing and this is root (as in CI); otherwise stops
# with the one command to run.
abc-tools:
	$(if $(MISSING_ABC_TOOLS),$(if $(filter 0,$(shell id -u)),,$(error the ABC tools are missing ($(MISSING_ABC_TOOLS)); install them with: sudo apt-get install -y $(ABC_PACKAGES))))
	$(if $(MISSING_ABC_TOOLS),apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(ABC_PACKAGES) >/dev/null)

test: .venv/.installed abc-tools
	.venv/bin/python -m pytest

test-fast: .venv/.installed
	.venv/bin/python -m pytest -m "not slow"

test-tf1: .venv37/.installed abc-tools
	.venv37/bin/python -m pytest

lint: .venv/.installed
	.venv/bin/python -m ruff check .

# The main job. bach trains the chapter's model for BACH_EPOCHS epochs (the chapter's 5),
# about half a minute an epoch on 2 cores (`make demo BACH_EPOCHS=1` for a quicker look),
# then --preset best (bach/EXPERIMENTS.md), whose whole tunes come from the structured sampler
# (seed 249: the tune README.md shows, which a musician's review picked, bach/EXPERIMENTS.md).
BACH_EPOCHS ?= 5
demo: .venv/.installed abc-tools
	.venv/bin/python data/fetch.py
	.venv/bin/python energy/train.py
	.venv/bin/python bach/generate_dataset.py
	.venv/bin/python bach/train.py --num_epochs $(BACH_EPOCHS)
	.venv/bin/python bach/sample.py --output samples/sample.abc --render samples
	.venv/bin/python bach/train.py --preset best --save_dir save_best --log_dir logs_best
	.venv/bin/python bach/sample.py --save_dir save_best -n 1 --prime X: --seed 249 \
		--output samples/best/sample.abc --render samples/best
	@echo
	@echo "energy: plots and metrics.json in ops_logs/ (TensorBoard: tensorboard --logdir ops_logs)"
	@echo "bach:   checkpoints in save/, the chapter's sample in samples/sample.abc, scores and MIDI in samples/;"
	@echo "        a whole tune from --preset best (save_best/), structured sampler, checked and"
	@echo "        rendered on two staves: samples/best/tune_01.png and .mid"

clean:
	rm -rf ops_logs save save_best samples logs logs_best .pytest_cache
