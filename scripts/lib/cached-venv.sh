# Sourced by the scripts that keep a Python virtual environment outside the repository
# (scripts/test-tools-venv.sh, scripts/thoth-ingest/venv.sh).
#
# cached_venv ROOT PYTHON BUILD FILE...
#   Prints the path of the virtual environment ROOT/<hash of the FILEs' contents>, made once:
#   under a lock (test binaries running in parallel may ask together), in a temporary directory
#   renamed into place when `BUILD DIR PYTHON` (a shell function that installs into DIR) has
#   succeeded. A changed pin makes a new one; an unchanged pin costs nothing.
cached_venv() {
  local root=$1 py=$2 build=$3
  shift 3
  local key venv
  key="$(cat "$@" | sha256sum | cut -c1-16)"
  venv="$root/$key"
  if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
    echo "$venv"
    return 0
  fi
  mkdir -p "$root"
  exec 9>"$root/.lock"
  flock 9
  if ! { [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; }; then
    rm -rf "$venv.tmp"
    "$py" -m venv "$venv.tmp" >&2
    "$build" "$venv.tmp" "$py" >&2
    rm -rf "$venv"
    mv "$venv.tmp" "$venv"
    # A venv's scripts name their interpreter by absolute path: rewrite the temporary one.
    # (grep exits 1 when nothing names it, 2 for the nested venvs a caller did not make.)
    { grep -rlF "$venv.tmp" "$venv"/bin "$venv"/pyvenv.cfg "$venv"/*/bin "$venv"/*/pyvenv.cfg 2>/dev/null || true; } |
      xargs -r sed -i "s#$venv.tmp#$venv#g"
    touch "$venv/.complete"
  fi
  flock -u 9
  echo "$venv"
}
