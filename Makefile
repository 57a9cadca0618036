# Linli: `make run` runs the whole assistant; `make test` runs every test. Both set up what is
# missing first (Debian packages, two virtualenvs, the trained model) and are safe to repeat.

SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

RASA := .venvs/rasa/bin/rasa
RASA_PY := .venvs/rasa/bin/python
APP_PY := .venvs/app/bin/python
MODEL := models/linli.tar.gz
TRAINING_FILES := config.yml $(wildcard bot/domain/*.yml bot/data/*/*.yml nlu_data/*.yml bot/jieba/* bot/lexicons/*.yml bot/components/*.py)
RASA_DATA := --domain bot/domain --data nlu_data bot/data --config config.yml

.PHONY: run test setup train validate lint test-api test-actions test-nlu test-e2e bench-nlu lock clean
.PHONY: voice-models test-voice bench-voice

# umask 077: every file the processes write under var/ (databases, outbox, recordings) is the
# owner's alone.
run: setup $(MODEL)
	@$(APP_PY) scripts/make-env.py
	@echo "==> starting backend :8000, action server :5055, Rasa REST channel and HTTP API :5005 (Ctrl-C stops all)"
	umask 077 && .venvs/app/bin/honcho --procfile Procfile --env var/linli.env start

# The scaled profile (issue 15): PostgreSQL, Redis, HAProxy in front of two Rasa servers and two
# action servers, the backend with several workers, under supervisord (scripts/scaled.py).
.PHONY: run-scaled
run-scaled: setup $(MODEL)
	@$(APP_PY) scripts/make-env.py
	umask 077 && $(APP_PY) scripts/scaled.py run

test: setup $(MODEL) validate lint test-api fuzz-api test-actions test-nlu test-e2e test-voice test-telegram test-wechat test-console test-telephony test-security test-faults
	@echo "==> all tests passed"

setup: .venvs/rasa/.installed .venvs/app/.installed voice-models

# Voice: speech models under var/voice/models and the prompt cache (both skip what is there).
voice-models: .venvs/app/.installed
	@$(APP_PY) scripts/setup-voice-models.py
	@.venvs/app/bin/linli-voice-prompts

.venvs/rasa/.installed .venvs/app/.installed &: requirements/rasa.lock requirements/app.lock pyproject.toml
	@scripts/setup-system.sh
	@scripts/setup-venvs.sh

train: $(MODEL)

$(MODEL): $(TRAINING_FILES) | setup
	@echo "==> training the Rasa model (data changed or no model yet)"
	# Deterministic TensorFlow ops: the same data trains the same model, so the README's figures
	# are the ones a fresh clone gets and a data change is measured apart from chance.
	TF_DETERMINISTIC_OPS=1 $(RASA) train $(RASA_DATA) --out models --fixed-model-name linli
	@touch $@

validate: setup
	@echo "==> rasa data validate"
	$(RASA) data validate $(RASA_DATA) --fail-on-warnings

lint: setup
	@echo "==> ruff, mypy and the import contracts"
	.venvs/app/bin/ruff check .
	.venvs/app/bin/ruff format --check .
	.venvs/app/bin/mypy api
	.venvs/app/bin/mypy voice
	.venvs/app/bin/mypy channels common
	.venvs/app/bin/lint-imports
	.venvs/app/bin/mypy --python-executable $(RASA_PY) actions
	.venvs/app/bin/mypy --python-executable $(RASA_PY) bot/components bot/rest_channel.py bot/tracker_store.py bot/lock_store.py bot/serve.py

# Backend tests run on SQLite and on a throwaway PostgreSQL cluster (when Debian's postgresql
# is installed; scripts/setup-system.sh installs it), stopped and deleted afterwards.
.PHONY: fuzz-api
test-api: setup
	@echo "==> backend tests (SQLite and PostgreSQL)"
	@cluster="$$(scripts/postgres-test-cluster.sh start)" && eval "$$cluster" && \
	  trap 'scripts/postgres-test-cluster.sh stop' EXIT; \
	  $(APP_PY) -m pytest -p no:cacheprovider tests/api

# Schemathesis against the OpenAPI schema of a throwaway backend: no 5xx (about 2 minutes).
fuzz-api: setup
	@echo "==> schemathesis fuzzing of the backend API"
	$(APP_PY) scripts/fuzz-api.py

test-actions: setup
	@echo "==> action tests (real backend, CollectingDispatcher, real trackers)"
	$(RASA_PY) -m pytest -p no:cacheprovider tests/actions

test-nlu: setup $(MODEL)
	@echo "==> test stories for every flow, and NLU on held-out lines"
	$(RASA) test core --model $(MODEL) --stories tests/stories --out results/stories --fail-on-prediction-errors --no-plot
	$(RASA_PY) -m pytest -p no:cacheprovider tests/nlu tests/common tests/bot

bench-nlu: setup $(MODEL)
	$(RASA_PY) -m bench.nlu.evaluate --set independent --errors
	$(RASA_PY) -m bench.nlu.evaluate --set fresh
	$(RASA_PY) -m bench.nlu.evaluate --set sealed
	$(RASA_PY) -m bench.nlu.evaluate --set heldout
	$(APP_PY) -m bench.nlu.lexicons

test-e2e: setup $(MODEL)
	@echo "==> end-to-end tests (real backend, action server and Rasa server over HTTP)"
	$(APP_PY) -m pytest tests/e2e

# Re-pin both environments from the *.in files (needs the package index).
lock:
	rm -rf .venvs/lock-rasa .venvs/lock-app
	python3 -m venv .venvs/lock-rasa && .venvs/lock-rasa/bin/pip install -q pip==24.2
	MPLSETUPCFG=$$PWD/requirements/mplsetup.cfg .venvs/lock-rasa/bin/pip install -q --ignore-requires-python -c requirements/rasa-constraints.txt -r requirements/rasa.in
	.venvs/lock-rasa/bin/pip install -q dask==2022.10.2
	{ head -2 requirements/rasa.lock; .venvs/lock-rasa/bin/pip freeze; } > requirements/rasa.lock.new && mv requirements/rasa.lock.new requirements/rasa.lock
	python3 -m venv .venvs/lock-app && .venvs/lock-app/bin/pip install -q pip==24.2 -r requirements/app.in
	{ head -1 requirements/app.lock; .venvs/lock-app/bin/pip freeze; } > requirements/app.lock.new && mv requirements/app.lock.new requirements/app.lock
	rm -rf .venvs/lock-rasa .venvs/lock-app

clean:
	rm -rf models .rasa var/outbox.db

test-voice: setup $(MODEL)
	@echo "==> voice tests (real Mandarin audio from ../shared/audio, Whisper, the real stack)"
	$(APP_PY) -m pytest tests/voice --ignore=tests/voice/transports

# Concurrent simulated calls per recognizer, then Whisper on its own (bench-asr); about half an
# hour, run by hand.
bench-voice: setup $(MODEL)
	$(APP_PY) -m bench.voice.run
	$(MAKE) --no-print-directory bench-asr

# Whisper's window against character errors and decode time on ../shared/audio, batched
# against one-by-one decoding, and intent accuracy through speech: the caller turns of
# bench/voice/caller_turns (written apart from the training data) synthesised, put through a
# telephone line, recognised, corrected, then the NLU; the same turns typed, for comparison.
.PHONY: bench-asr
bench-asr: setup $(MODEL)
	$(APP_PY) -m bench.voice.asr windows --before
	$(APP_PY) -m bench.voice.asr batches
	$(APP_PY) -m bench.voice.asr speech-turns --out var/bench/caller-turns
	@echo "==> caller turns as typed"
	$(RASA_PY) -m bench.nlu.evaluate --set independent --dir bench/voice/caller_turns
	@echo "==> caller turns as Whisper heard them"
	$(RASA_PY) -m bench.nlu.evaluate --set independent --dir var/bench/caller-turns/heard

# Telephony (issue 6): AudioSocket and WebSocket media streams over the wire into a real
# linli-voice-serve and the real stack, SIP calls from baresip through Kamailio (in a network
# namespace the tests make: needs root), the wire-format tests and a bounded hypothesis fuzz
# of both frame parsers (about 5 minutes, most of it Rasa starting and real-time calls).
.PHONY: test-telephony bench-telephony
test-telephony: setup $(MODEL)
	@echo "==> telephony tests (AudioSocket, WebSocket media streams, SIP via Kamailio and baresip, parser fuzzing)"
	$(APP_PY) -m pytest -p no:cacheprovider tests/voice/transports

# N concurrent calls per transport from a separate process (a few minutes; run by hand).
bench-telephony: setup $(MODEL)
	$(APP_PY) -m bench.telephony.run

# Chat load test (issue 15): Locust residents holding whole conversations against the embedded
# stack started here, at 8, 32 and 64 residents; trackers checked afterwards (a few minutes).
.PHONY: bench-chat
bench-chat: setup $(MODEL)
	$(APP_PY) -m bench.chat.run

# The same against the scaled profile (PostgreSQL, Redis, HAProxy), with 1 and then 2 Rasa
# replicas, each stack started here (about 12 minutes).
.PHONY: bench-chat-scaled
bench-chat-scaled: setup $(MODEL)
	$(APP_PY) -m bench.chat.run --profile scaled --replicas 1 2 --residents 8 32

# Faults and ordering (issue 15): the embedded stack stopped and started mid-form, and the scaled
# profile (scripts/scaled.py) with a Rasa replica, an action server, Redis, PostgreSQL and the
# backend killed or stopped mid-conversation; two replicas taking one resident's messages at
# once (about 8 minutes, most of it Rasa loading its model).
.PHONY: test-faults
test-faults: setup $(MODEL)
	@echo "==> fault and ordering tests (embedded restart; scaled profile: PostgreSQL, Redis, HAProxy, 2+2 replicas)"
	$(APP_PY) -m pytest -p no:cacheprovider tests/faults

# Telegram front: the bot against a stand-in Bot API server and the real Rasa stack (~2 min).
.PHONY: test-telegram
test-telegram: setup $(MODEL)
	@echo "==> Telegram front tests (stand-in Bot API, real Rasa stack, Whisper for voice notes)"
	$(APP_PY) -m pytest -p no:cacheprovider tests/channels/telegram

# WeChat front (issue 17): signed and encrypted callbacks against stand-ins of the WeChat and WeCom
# APIs and the real Rasa stack, Whisper for voice messages (~2 min).
.PHONY: test-wechat bench-wechat
test-wechat: setup $(MODEL)
	@echo "==> WeChat front tests (stand-in WeChat and WeCom APIs, real Rasa stack)"
	$(APP_PY) -m pytest -p no:cacheprovider tests/channels/wechat

# Message-to-reply time through the WeChat front: passive reply vs customer-service path.
bench-wechat: setup $(MODEL)
	$(APP_PY) -m bench.wechat.run

# Web consoles (issue 8): worker and host consoles in Debian's headless Chromium against the
# real stack, with an axe-core audit of every page (about 3 minutes, most of it Rasa starting).
.PHONY: test-console screenshots
test-console: setup $(MODEL)
	@echo "==> console browser tests (headless Chromium, real backend and Rasa, axe-core)"
	$(APP_PY) -m pytest -p no:cacheprovider tests/console

# A PNG of every console page with sample data, for the README (docs/screenshots/).
screenshots: setup $(MODEL)
	$(APP_PY) -m tests.console.screenshots

# Security (issue 14): every finding of the review reproduced against the real stack: tokens,
# per-front keys, cross-resident reads, idempotency replays, redacted trackers, logs and outbox,
# CSRF, login throttling, telephony origins (a few minutes, most of it Rasa starting).
.PHONY: test-security
test-security: setup $(MODEL)
	@echo "==> security tests (real backend, action server and Rasa server)"
	$(APP_PY) -m pytest -p no:cacheprovider tests/security
