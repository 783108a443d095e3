#!/usr/bin/env bash
# The README's test command: installs what the tests need (scripts/install-test-deps.sh, a no-op
# once done), then runs every test of the workspace. Extra arguments go to `cargo test`.
#
#   scripts/test.sh
#   scripts/test.sh -p solver --test agreement
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
# The Python tools (moto, uv, the validators) come first on PATH, from their own environment.
PATH="$(scripts/test-tools-venv.sh)/bin:$PATH"
export PATH
if [ "$#" -eq 0 ]; then
  exec cargo test --workspace --all-features
fi
exec cargo test --all-features "$@"
