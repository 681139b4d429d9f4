# mmteach — every target does its own set-up; a fresh clone needs only `make lab` or `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.mmteach-setup
TORCH_VERSION := 2.13.0
# tinysoundfont's only dependency (pyaudio) serves live playback and does not build here;
# musicnn pins TensorFlow and numpy<1.17 but we only need its checkpoint files.
NODEPS := musicnn==0.1.0 tinysoundfont==0.3.7
# Some machines' pip configuration names local package mirrors that lack most packages; pip then
# prints one harmless line per package. Keep the log readable (pip's exit status still counts).
QUIET := 2>&1 | (grep -v "is ignored: it is neither a file nor a directory" || true)

.PHONY: setup lab test test-fast release solutions bench clean-workspace help

help:
	@echo "make lab      set up, then open the course in JupyterLab (prints the URL; works headless)"
	@echo "make test     set up, then run the whole test suite (what CI runs)"
	@echo "make release  rebuild solutions/ from course/src and lessons/ from solutions/"
	@echo "make bench    run the benchmark scripts in bench/"

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "torch==$(TORCH_VERSION)" $(QUIET)
	$(PIP) install -q -c <(echo "torch==$$($(PY) -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null)") -e ".[test]" $(QUIET)
	$(PIP) install -q --no-deps $(NODEPS) $(QUIET)
	$(PY) -m mmteach.setup_env
	@# The browser test drives Debian's Chromium; install it where we may (root with apt), else it is skipped with a reason.
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v chromium >/dev/null; then \
	  echo "installing chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed; the browser test will be skipped"; fi
	@touch $(STAMP)

lab: setup
	@$(PY) -c "import mmteach.data as d; print('Preparing the offline data sets (first time only: a minute or two)...', flush=True); d.dance_set(); d.tag_set()"
	$(VENV)/bin/mmteach lab

test: setup
	$(PY) -m pytest -n 2 --dist loadgroup -q

test-fast: setup
	$(PY) -m pytest -q -m "not notebook"

release: setup
	$(VENV)/bin/mmteach release

bench: setup
	@for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean-workspace:
	@echo "Your workspace holds your own notebooks; remove workspace/ by hand if you really mean it."
