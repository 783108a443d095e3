#!/usr/bin/env bash
# Build (once per machine) the Python 3.8 virtual environment that holds Thoth's own code:
# thoth-storages and thoth-solver, pinned in requirements.txt beside this script; inside it,
# solver-target/ is the environment thoth-solver installs solved packages into
# (solver-target-requirements.txt). Prints the venv's python.
#
# The venv lives outside the repository, keyed by the hash of both files, so a changed pin
# builds a new one and an unchanged pin costs nothing:
#   ${THOTH_INGEST_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/thoth-analyzers/thoth-ingest}/<hash>
# Indexes come from pip's own configuration (PIP_INDEX_URL, pip.conf), as for every pip call.
# Python 3.8 is found as $THOTH_INGEST_PYTHON, else `python3.8` on PATH (pyenv's shim).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/requirements.txt"
target_req="$here/solver-target-requirements.txt"
key="$(cat "$req" "$target_req" | sha256sum | cut -c1-16)"
root="${THOTH_INGEST_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/thoth-analyzers/thoth-ingest}"
venv="$root/$key"

if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi

# pyenv's shim only runs 3.8 when it is selected, so also try pyenv's install directory.
py=""
for candidate in ${THOTH_INGEST_PYTHON:-} python3.8 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.8*/bin/python3.8; do
  if [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = 3.8 ]; then
    py="$candidate"
    break
  fi
done
if [ -z "$py" ]; then
  echo "thoth-ingest: no Python 3.8 found (thoth-storages 0.74 needs 3.8): install it (pyenv install 3.8) or set THOTH_INGEST_PYTHON" >&2
  exit 1
fi

# ssdeep (a thoth-storages import) compiles against libfuzzy when pip installs it.
if [ ! -f /usr/include/fuzzy.h ]; then
  echo "thoth-ingest: libfuzzy's header is missing (pip builds ssdeep against it): install Debian's libfuzzy-dev (scripts/install-test-deps.sh does)" >&2
  exit 1
fi

mkdir -p "$root"
# One builder at a time: parallel test binaries may call this together.
exec 9>"$root/.lock"
flock 9
if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv.tmp"
"$py" -m venv "$venv.tmp" >&2
"$venv.tmp/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2
"$py" -m venv "$venv.tmp/solver-target" >&2
"$venv.tmp/solver-target/bin/python" -m pip install -q --disable-pip-version-check -r "$target_req" >&2
rm -rf "$venv"
mv "$venv.tmp" "$venv"
# A venv's scripts name their interpreter by absolute path: rewrite the tmp path.
grep -rlF "$venv.tmp" "$venv/bin" "$venv/solver-target/bin" "$venv/pyvenv.cfg" "$venv/solver-target/pyvenv.cfg" 2>/dev/null | xargs -r sed -i "s#$venv.tmp#$venv#g"
touch "$venv/.complete"
echo "$venv/bin/python"
