#!/usr/bin/env bash
# The Python tools the tests run (.ci/pip-requirements: moto's S3 server, uv, cyclonedx and
# spdx validators, hera, conda tooling) in a virtual environment of their own, made once per
# set of requirements and reused; prints its path. A virtual environment because Debian's
# python3 refuses `pip install` outside one (PEP 668), and so that the tests never depend on
# what happens to be installed on the machine. scripts/test.sh puts its bin first on PATH.
#
#   scripts/test-tools-venv.sh      # -> ~/.cache/thoth-analyzers/test-tools/<hash>
set -euo pipefail
cd "$(dirname "$0")/.."
req=.ci/pip-requirements
key="$(sha256sum "$req" | cut -c1-16)"
root="${THOTH_TEST_TOOLS_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/thoth-analyzers/test-tools}"
venv="$root/$key"
if [ -x "$venv/bin/python3" ] && [ -f "$venv/.complete" ]; then
  echo "$venv"
  exit 0
fi
py="${THOTH_TEST_TOOLS_PYTHON:-python3}"
rm -rf "$venv"
mkdir -p "$root"
if ! "$py" -m venv "$venv" >&2; then
  echo "cannot make a virtual environment with $py: install Debian's python3-venv (scripts/install-test-deps.sh does)" >&2
  exit 1
fi
"$venv/bin/python3" -m pip install -q --disable-pip-version-check --upgrade pip >&2
if ! "$venv/bin/python3" -m pip install -q --disable-pip-version-check -r "$req" >&2; then
  echo "pip install -r $req into $venv failed (the package index must be reachable; pip's configuration applies)" >&2
  exit 1
fi
touch "$venv/.complete"
echo "$venv"
