#!/usr/bin/env bash
# Installs what the tests need, idempotently: the Debian packages in .ci/apt-packages (real tools
# make the fixtures and act as peers: a registry, skopeo, umoci, podman, rpm, ...) and the pinned
# Python packages in .ci/pip-requirements (uv, moto, the SBOM validators, ...) in their own
# virtual environment (scripts/test-tools-venv.sh), and the Python 3.8
# environment with Thoth's own ingestion code (scripts/thoth-ingest/venv.sh). Packages already
# present are left alone, so a second run installs nothing.
#
#   scripts/install-test-deps.sh          # as root, or as a user who may run sudo
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n=== %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "installing Debian packages needs root: run as root or install sudo, then run $0 again" >&2
    echo "missing: ${missing[*]}" >&2
    exit 1
  fi
}

missing=()
for p in $(grep -v '^#' .ci/apt-packages); do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "the tests need these Debian packages and this machine has no apt-get: ${missing[*]}" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The pinned Python tools go into a virtual environment of their own, made once per set of
# requirements (scripts/test-tools-venv.sh; scripts/test.sh puts it first on PATH).
log "Python test tools: $(scripts/test-tools-venv.sh)"

# Thoth's own ingestion code (thoth-storages, thoth-solver) for the thoth_ingest tests: a Python
# 3.8 virtual environment built once per machine, cached outside the repository.
scripts/thoth-ingest/venv.sh >/dev/null

if [ ! -d ../shared/corpus ]; then
  echo "../shared/corpus is missing: the tests read the shared corpus beside the repository" >&2
  exit 1
fi
