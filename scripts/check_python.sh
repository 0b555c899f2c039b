#!/usr/bin/env bash
# Rasa 3.6 runs on Python 3.10 and (with our pins) 3.11; say so plainly otherwise.
python=${1:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: '$python' not found. Install Python 3.11 (or 3.10) or run: make PYTHON=/path/to/python3.11 setup" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 10), (3, 11)) else 1)'; then
  echo "error: $("$python" --version 2>&1) is not supported: Rasa 3.6 needs Python 3.10 or 3.11." >&2
  echo "       Point the Makefile at one: make PYTHON=/path/to/python3.11 setup" >&2
  exit 1
fi
