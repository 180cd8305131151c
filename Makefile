# Two commands for a fresh machine: `make run` (set up, index corpus/, start the web UI) and
# `make test` (set up, run the whole suite: real model, real Chroma, real browser).
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMP := .venv/.installed

.PHONY: setup run test bench bench-scale load browser calibrate fit-grader clean

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	# torch first and pinned: this version is a CPU build on local disk; unpinned pulls several GB
	$(PIP) install -q torch==2.13.0
	# llm: the optional rephrasing's llama-index clients, so that tests/test_llm.py exercises them (loopback only)
	$(PIP) install -q -e '.[dev,llm]'
	touch $(STAMP)

setup: $(STAMP)

browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

run: setup
	HF_HUB_OFFLINE=1 .venv/bin/tutor ingest
	HF_HUB_OFFLINE=1 .venv/bin/tutor serve

test: setup browser
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

bench: setup
	HF_HUB_OFFLINE=1 $(PY) bench/bench.py

bench-scale: setup
	HF_HUB_OFFLINE=1 $(PY) bench/bench_scale.py

load: setup
	HF_HUB_OFFLINE=1 $(PY) bench/load.py

.PHONY: ui-bench
ui-bench: setup browser
	HF_HUB_OFFLINE=1 $(PY) bench/ui_latency.py

calibrate: setup
	HF_HUB_OFFLINE=1 $(PY) -m tutor.calibration eval/questions.jsonl

fit-grader: setup
	HF_HUB_OFFLINE=1 $(PY) -m tutor.grading_fit

clean:
	rm -rf .tutor tests/artifacts
