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
. "$here/../lib/cached-venv.sh"
req="$here/requirements.txt"
target_req="$here/solver-target-requirements.txt"
root="${THOTH_INGEST_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/thoth-analyzers/thoth-ingest}"
key="$(cat "$req" "$target_req" | sha256sum | cut -c1-16)"
if [ -x "$root/$key/bin/python" ] && [ -f "$root/$key/.complete" ]; then
  echo "$root/$key/bin/python"
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

install_thoth() { # DIR PYTHON
  "$1/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  "$2" -m venv "$1/solver-target"
  "$1/solver-target/bin/python" -m pip install -q --disable-pip-version-check -r "$target_req"
}

echo "$(cached_venv "$root" "$py" install_thoth "$req" "$target_req")/bin/python"
