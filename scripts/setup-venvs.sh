#!/usr/bin/env bash
# Builds the two virtualenvs from the lock files, each only when its lock file changed.
#   .venvs/rasa  Rasa 3.6 + action server (pydantic 1, SQLAlchemy 1.4, TensorFlow)
#   .venvs/app   backend, Telegram front, voice bridge and tests (pydantic 2, SQLAlchemy 2)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PIP_VERSION=24.2

needs_install() {  # venv dir, inputs...: true when the venv is missing or older than an input
  local stamp="$1/.installed"
  shift
  [ -f "$stamp" ] || return 0
  for input in "$@"; do [ "$input" -nt "$stamp" ] && return 0; done
  return 1
}

if needs_install .venvs/rasa requirements/rasa.lock; then
  echo "==> building .venvs/rasa (Rasa 3.6 on $($PYTHON --version); takes a few minutes)"
  [ -x .venvs/rasa/bin/python ] || "$PYTHON" -m venv .venvs/rasa
  .venvs/rasa/bin/pip install -q "pip==$PIP_VERSION"
  # Rasa 3.6.21 declares Python <3.11 but runs on 3.11 with these pins; matplotlib is built
  # from source against Debian's freetype and qhull.
  MPLSETUPCFG="$PWD/requirements/mplsetup.cfg" .venvs/rasa/bin/pip install -q \
    --ignore-requires-python --no-deps -r requirements/rasa.lock
  touch .venvs/rasa/.installed
fi

if needs_install .venvs/app requirements/app.lock pyproject.toml; then
  echo "==> building .venvs/app"
  [ -x .venvs/app/bin/python ] || "$PYTHON" -m venv .venvs/app
  .venvs/app/bin/pip install -q "pip==$PIP_VERSION"
  .venvs/app/bin/pip install -q --no-deps -r requirements/app.lock
  .venvs/app/bin/pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
    || .venvs/app/bin/pip install -q --no-deps -e .
  touch .venvs/app/.installed
fi
