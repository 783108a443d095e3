#!/usr/bin/env bash
# The Python tools the tests run (.ci/pip-requirements: moto's S3 server, uv, cyclonedx and
# spdx validators, hera, conda tooling) in a virtual environment of their own, made once per
# set of requirements and reused; prints its path. A virtual environment because Debian's
# python3 refuses `pip install` outside one (PEP 668), and so that the tests never depend on
# what happens to be installed on the machine. scripts/test.sh puts its bin first on PATH.
#
#   scripts/test-tools-venv.sh      # -> ~/.cache/thoth-analyzers/test-tools/<hash>
#
# THOTH_TEST_TOOLS_ROOT moves the cache, THOTH_TEST_TOOLS_PYTHON names the interpreter (python3).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/cached-venv.sh
req=.ci/pip-requirements
py="${THOTH_TEST_TOOLS_PYTHON:-python3}"
if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "$py cannot make a virtual environment: install Debian's python3-venv (scripts/install-test-deps.sh does)" >&2
  exit 1
fi

install_tools() { # DIR PYTHON
  "$1/bin/python3" -m pip install -q --disable-pip-version-check --upgrade pip
  if ! "$1/bin/python3" -m pip install -q --disable-pip-version-check -r "$req"; then
    echo "pip install -r $req failed (the package index must be reachable; pip's configuration applies)" >&2
    return 1
  fi
}

cached_venv "${THOTH_TEST_TOOLS_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/thoth-analyzers/test-tools}" \
  "$py" install_tools "$req"
