# The two commands a new user needs: `make run` and `make test`.
# Everything else here is what those two build on.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
# Rasa's command line with our extensions, after checking Rasa's version (shopbot/rasa_ext/):
# for whatever serves or tests a model as our servers run it.
RASA_EXT := $(BIN)/python -m shopbot.rasa_ext

# Ports and stores come from the environment; these are the defaults.
export RASA_PORT ?= 5005
export ACTIONS_PORT ?= 5055
export TRACKER_DB ?= var/trackers.db
export SHOP_DIR ?= shop
export DESK_PORT ?= 8000
# TensorFlow's start-up chatter hides the messages that matter.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
# Other libraries' deprecation notices are not ours to act on; our own warnings still show.
export PYTHONWARNINGS ?= ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::FutureWarning

# The internal ports' tokens (Rasa's API, the REST channel's trust in metadata.account, the
# action server): made once per checkout in var/tokens.env (scripts/make_tokens.sh); set
# RASA_TOKEN, CHANNEL_TOKEN and ACTIONS_TOKEN in the environment to use your own.
TOKENS_FILE := var/tokens.env
-include $(TOKENS_FILE)
export RASA_TOKEN CHANNEL_TOKEN ACTIONS_TOKEN
$(TOKENS_FILE):
	@scripts/make_tokens.sh $@

NLU_TEST ?= tests/nlu_test.yml
FOLDS ?= 3
NLU_MIN_MACRO_F1 ?= 0.95
# Written from the taxonomy alone by someone who never saw data/nlu: its errors are
# never printed, so nobody picks training examples by them.
NLU_BLIND ?= tests/nlu_blind.yml
NLU_BLIND_MIN_MACRO_F1 ?= 0.88
DEPS_STAMP := $(VENV)/.deps-installed

.PHONY: help setup system-deps train run run-cluster shell test pytest validate check-replies test-stories nlu-gate bench bench-nlu bench-train bench-thresholds bench-load bench-saturation bench-faults bench-sweep clean

help:
	@echo "make run    - set up, train if needed, start the assistant"
	@echo "make test   - set up, train if needed, run every test and the NLU gate"
	@echo "make shell  - chat with the assistant in this terminal"
	@echo "make bench  - benchmarks (bench-nlu, bench-train, bench-thresholds, bench-load, bench-saturation, bench-faults, bench-sweep; bench/README.md)"
	@echo "make run-cluster - the production topology as plain processes"

## setup: Debian packages, and the virtualenv with Rasa 3.6 and everything the
## project uses, from our pins.
setup: system-deps $(DEPS_STAMP)

system-deps:
	@scripts/install_system_deps.sh

$(DEPS_STAMP): requirements/lock.txt requirements/extra.txt pyproject.toml
	@scripts/check_python.sh $(PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --no-compile --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/pip install -qq --no-compile --disable-pip-version-check -c requirements/lock.txt -r requirements/extra.txt
	@# Rasa 3.6 declares Python <3.11 but runs on 3.11 with these pins (README).
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps --ignore-requires-python \
		rasa==3.6.21 rasa-sdk==3.6.2
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

## train: Rasa's fingerprinting decides whether anything changed.
train: setup
	@mkdir -p var models
	@scripts/quietly.sh var/log/train.log "Training the model if the data changed" \
		'Your Rasa model is trained|No training of components required|Nothing changed' -- \
		$(RASA) train --fixed-model-name shopbot --out models

run: train
	@scripts/run.sh

## run-cluster: the production topology as plain processes (nginx, 2 desks,
## 2 Rasa replicas, 1 action server, this machine's PostgreSQL and Redis).
run-cluster: train
	@scripts/run_cluster.sh

shell: train
	@scripts/run.sh --shell

## test: everything CI runs. The data is validated by `train` (Rasa's training runs the same
## checks as `make validate`, and fails on the same errors), so it is not validated twice.
test: train check-replies pytest test-stories nlu-gate

validate: setup
	@scripts/quietly.sh var/log/validate.log "Validating the training data and domain" '' -- \
		$(RASA) data validate --quiet

check-replies: setup
	$(BIN)/shopbot check-replies domain.yml

# The slowest tests are listed at the end: make test must stay under 15 minutes on
# 2 cores from a fresh clone (timings in bench/README.md), and this shows where to cut.
# The tests run in PYTEST_WORKERS processes; tests/conftest.py keeps together the tests
# that share a server or restart one.
PYTEST_WORKERS ?= 2
pytest: setup
	$(BIN)/python -m pytest -q --durations=15 -n $(PYTEST_WORKERS) --dist loadgroup

test-stories: train
	@scripts/quietly.sh var/log/test-stories.log "Playing the conversation stories" \
		'Evaluation Results on|Correct:' -- \
		$(RASA_EXT) test core --stories tests/stories --model models/shopbot.tar.gz \
		--fail-on-prediction-errors --out var/results-core --no-plot

nlu-gate: train
	$(BIN)/python -m bench.nlu --model models/shopbot.tar.gz --data $(NLU_TEST) $(NLU_BLIND) \
		--out var/results-nlu var/results-nlu-blind \
		--min-macro-f1 $(NLU_MIN_MACRO_F1) $(NLU_BLIND_MIN_MACRO_F1) --show-errors 40 0

## benchmarks print figures; they do not pass or fail on speed.
bench: bench-nlu bench-train bench-thresholds bench-load bench-saturation bench-faults bench-sweep

bench-nlu: train
	$(BIN)/python -m bench.nlu_shape data/nlu $(NLU_TEST) $(NLU_BLIND)
	$(BIN)/python -m bench.nlu --model models/shopbot.tar.gz \
		--data $(NLU_TEST) $(NLU_BLIND) bench/data/nlu_other_goods.yml \
		--out var/results-nlu var/results-nlu-blind var/results-nlu-other-goods --show-errors 40 0 40

bench-train: setup
	$(BIN)/python -m bench.train

## bench-thresholds: what the fallback thresholds trade, by cross-validation (trains FOLDS models).
bench-thresholds: setup
	$(BIN)/python -m bench.thresholds --folds $(FOLDS)

## bench-load / bench-saturation / bench-faults start the cluster themselves (bench/README.md).
bench-load: train
	$(BIN)/python -m bench.load

## bench-saturation: the highest rate the desks and bare Rasa each hold, stepped up (under 13 min).
bench-saturation: train
	$(BIN)/python -m bench.saturation

bench-faults: train
	$(BIN)/python -m bench.faults

bench-sweep: setup
	$(BIN)/python -m bench.sweep

clean:
	rm -rf models var results .pytest_cache
