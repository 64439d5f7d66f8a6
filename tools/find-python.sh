#!/usr/bin/env bash
# Prints a Python 3 interpreter that has pytest and PyYAML. `python3` on PATH may be a pyenv
# build without them; Debian's python3-pytest and python3-yaml install for /usr/bin/python3.
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import pytest, yaml' >/dev/null 2>&1; then
    command -v "$p"
    exit 0
  fi
done
echo "find-python: no python3 with pytest and PyYAML (run tools/setup-deps.sh)" >&2
exit 1
