#!/usr/bin/env bash
# Set up a virtualenv with the project and its test tools, then run the whole suite.
# Each database test runs on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e packages/fake-telegram -e '.[test]'
exec .venv/bin/python -m pytest -n 3 -q "$@"
