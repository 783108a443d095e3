#!/usr/bin/env bash
# Produces real build logs by running real installers against a local index on loopback, and
# keeps each as a golden case under testdata/buildlog-parser/<case>/ with its ground truth
# (the installer's exit code and `pip freeze` afterwards).
#
# Usage: scripts/buildlogs/generate.sh        (then: UPDATE_GOLDEN=1 cargo test -p buildlog-parser)
# Needs: python3 with venv. Runs offline: the index is served from a temporary directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/testdata/buildlog-parser"
work=$(mktemp -d)
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 "$repo/scripts/buildlogs/make_index.py" "$work/index"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work/index" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server_pid=$!
index="http://127.0.0.1:$port/simple/"
for _ in $(seq 50); do curl -fsS "$index" >/dev/null 2>&1 && break; sleep 0.1; done

# The machine's own pip configuration must not leak into the logs.
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CERT
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1

# case NAME -- COMMAND...: runs COMMAND in a fresh venv, keeps its combined output and truth.
case_run() {
  local name=$1; shift; shift
  local venv="$work/venv-$name" dir="$out/$name"
  python3 -m venv "$venv"
  mkdir -p "$dir"
  set +e
  (cd "$work" && PATH="$venv/bin:$PATH" "$@") > "$dir/input.log" 2>&1
  local rc=$?
  set -e
  # Loopback ports differ per run; the golden documents must not.
  sed -i "s#127.0.0.1:$port#127.0.0.1:8080#g" "$dir/input.log"
  "$venv/bin/python" -m pip freeze --all --exclude pip --exclude setuptools > "$dir/freeze.txt"
  printf '{"command": "%s", "exit_code": %d}\n' "$*" "$rc" | sed "s#127.0.0.1:$port#127.0.0.1:8080#g" > "$dir/truth.json"
  printf 'parse\n-i\ninput.log\n' > "$dir/cmd"
  echo "$name: exit $rc, $(wc -l < "$dir/freeze.txt") packages installed"
}

case_run pip-install-success -- pip install --index-url "$index" demo-app
case_run pip-no-matching-distribution -- pip install --index-url "$index" demo-greeting==2.0
