#!/usr/bin/env bash
# Produces real build logs by running real installers against a local index on loopback, and
# keeps each as a golden case under testdata/buildlog-parser/<case>/ with its ground truth:
#   input.log      the installer's combined output (loopback ports and temporary paths made stable)
#   cmd            the buildlog-parser arguments for the golden test
#   truth.json     {command, exit_code, tool}: what ran and how it ended
#   freeze.txt     `pip freeze` of the environment afterwards (it started empty)
#   expect-errors  the failure the case was built to produce, one error a line
#                  ("KIND key=value ..."), checked by buildlog-parser/tests/golden.rs
#   project/       the requirements file, Pipfile and Pipfile.lock the installer read, if any
#
# Usage: scripts/buildlogs/generate.sh
#        ONLY='^uv-' scripts/buildlogs/generate.sh      (only the cases whose name matches)
#   then: UPDATE_GOLDEN=1 cargo test -p buildlog-parser --test golden, and review the diff.
#
# The TOOLS (pip releases, setuptools and wheel for build isolation, micropipenv, pipenv, uv) are
# fetched with this machine's own pip configuration, so this script needs the package index it
# names. The packages UNDER TEST all come from the loopback index that make_index.py writes; the
# runs under test see no pip configuration at all. See README.md beside this file for what could
# not run here and why.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/scripts/buildlogs"
out="$repo/testdata/buildlog-parser"
work=$(mktemp -d /tmp/buildlogs.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ONLY=${ONLY:-}

# pip releases that run on this interpreter, and those that cannot (kept as a crash log each).
PIP_VERSIONS=(19.3.1 20.3.4 21.3.1 22.3.1 23.3.2 24.3.1)
OLD_PIPS=(9.0.3 10.0.1 18.1)

echo "== tools (this machine's pip configuration and index)"
newest=${NEWEST_PIP:-$(python3 -m pip index versions pip 2>/dev/null | sed -n 's/^pip (\(.*\))$/\1/p')}
[[ -n $newest ]] || { echo "cannot tell the newest pip" >&2; exit 1; }
PIP_VERSIONS+=("$newest")
mkdir -p "$work/pips" "$work/wheels" "$work/micropipenv"
for v in "${OLD_PIPS[@]}" "${PIP_VERSIONS[@]}"; do
  python3 -m pip download -q --no-deps --only-binary :all: -d "$work/pips" "pip==$v"
done
python3 -m pip download -q --no-deps --only-binary :all: -d "$work/wheels" setuptools
# and the newest setuptools that still runs on the old pips' CPython 3.9.
python3 -m pip download -q --no-deps --only-binary :all: --python-version 3.9 -d "$work/wheels" setuptools
python3 -m pip download -q --no-deps --only-binary :all: -d "$work/micropipenv" micropipenv
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q pipenv uv
# poetry and pdm each in a throwaway venv of its own (their dependencies differ from pipenv's).
python3 -m venv "$work/poetry" && "$work/poetry/bin/python" -m pip install -q poetry
# pdm 2.29 breaks with hishel 2 (its bound is only >=1.4); its `locked` extra pins what it was tested with.
python3 -m venv "$work/pdm" && "$work/pdm/bin/python" -m pip install -q 'pdm[locked]'

poetry_version=$("$work/poetry/bin/python" -c 'import importlib.metadata as m; print(m.version("poetry"))')
pdm_version=$("$work/pdm/bin/python" -c 'import importlib.metadata as m; print(m.version("pdm"))')
uv_version=$("$work/tools/bin/uv" --version | awk '{print $2}')
pipenv_version=$("$work/tools/bin/python" -c 'import pipenv; print(pipenv.__version__)')
micropipenv_version=$(ls "$work/micropipenv" | sed -n 's/^micropipenv-\([^-]*\)-.*/\1/p')

# From here on, nothing of the machine's configuration may reach the runs under test (it would
# add e.g. "Looking in links: /opt/wheels" to every log).
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CERT PIP_DEFAULT_TIMEOUT
unset UV_INDEX_URL UV_EXTRA_INDEX_URL UV_INDEX UV_DEFAULT_INDEX UV_FIND_LINKS
unset SSL_CERT_FILE REQUESTS_CA_BUNDLE PIPENV_PYPI_MIRROR
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
export UV_NO_CONFIG=1 UV_NO_CACHE=1 UV_PYTHON_DOWNLOADS=never NO_COLOR=1
export PIPENV_NOSPIN=1
# poetry and pdm install into the active venv (VIRTUAL_ENV) and keep their caches per run.
export POETRY_VIRTUALENVS_CREATE=false POETRY_NO_INTERACTION=1 PDM_CHECK_UPDATE=false

echo "== loopback indexes"
python3 "$here/make_index.py" "$work/index" "$work"/wheels/*.whl
# The fixed ports when free, so that logs and lock files are the same on every run.
free_port() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}
port=$(free_port 8080)
(cd "$work/index" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
pids+=($!)
closed=$(free_port 8081) # nothing listens there: an unreachable index
tls_port=$(free_port 8443)
# A server certificate (not a CA) for localhost, signed by nobody the installers trust. The host is
# a name, not 127.0.0.1: pip 22.2+ with truststore crashes on an IP address before verifying
# anything ("check_hostname requires server_hostname"), which is a different failure.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -addext basicConstraints=critical,CA:FALSE -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
python3 "$here/tls_server.py" "$work/index" "$tls_port" "$work/tls.crt" "$work/tls.key" >/dev/null 2>&1 &
pids+=($!)
index="http://127.0.0.1:$port/simple/"
unreachable="http://127.0.0.1:$closed/simple/"
tls_index="https://localhost:$tls_port/simple/"
for _ in $(seq 50); do
  curl -fsS "$index" >/dev/null 2>&1 && curl -ksfS "$tls_index" >/dev/null 2>&1 && break
  sleep 0.1
done

# Makes a kept file the same on every run: loopback ports, this run's temporary directory, and
# the random parts of pip's and uv's temporary directories.
stabilize() {
  sed -E -i \
    -e "s#127\\.0\\.0\\.1:$port\\b#127.0.0.1:8080#g" \
    -e "s#127\\.0\\.0\\.1:$closed\\b#127.0.0.1:8081#g" -e "s#port=$closed\\b#port=8081#g" \
    -e "s#localhost:$tls_port\\b#localhost:8443#g" -e "s#port=$tls_port\\b#port=8443#g" \
    -e "s#$work#/tmp/buildlogs#g" \
    -e 's#/tmp/(pip-[a-z-]+-)[a-z0-9_]{8}\b#/tmp/\1XXXXXXXX#g' \
    -e 's#(/tmp/pip-[a-z-]+-XXXXXXXX/[A-Za-z0-9._-]+)_[0-9a-f]{32}#\1_XXXXXXXX#g' \
    -e 's#/\.tmp[A-Za-z0-9]{6}\b#/.tmpXXXXXX#g' \
    -e 's#/tmp/pip-[a-z0-9_]{8}-([a-z]+)\b#/tmp/pip-XXXXXXXX-\1#g' \
    -e 's#\b(object at 0x)[0-9a-f]{8,16}\b#\1XXXXXXXXXXXX#g' \
    -e 's#\b(pipenv-)[a-z0-9_]{8}-#\1XXXXXXXX-#g' \
    -e 's#/tmp/tmp[a-z0-9_]{8}\b#/tmp/tmpXXXXXXXX#g' \
    -e 's#\b(pdm-[a-z]+-)[a-z0-9_]{8}\.log\b#\1XXXXXXXX.log#g' \
    "$@"
}

# Project files a case reads, written into its working directory ($1).
requirements_bad_hash() {
  printf 'demo-greeting==1.3.0 --hash=sha256:%s\n' "$(printf '0%.0s' $(seq 64))" > "$1/requirements.txt"
}
lock_app() { python3 "$here/make_lock.py" "$work/index" "$index" "$1" demo-app==0.4.0 demo-greeting==1.3.0; }
lock_cext() { python3 "$here/make_lock.py" "$work/index" "$index" "$1" demo-cext==1.0.0; }
lock_bad_hash() {
  python3 "$here/make_lock.py" "$work/index" "$index" "$1" --bad-hash demo-greeting demo-app==0.4.0 demo-greeting==1.3.0
}

# A Pipfile naming the loopback index only (pipenv install adds the package to it).
pipfile_empty() {
  printf '[[source]]\nurl = "%s"\nverify_ssl = false\nname = "loopback"\n\n[packages]\n\n[requires]\npython_version = "%s"\n' \
    "$index" "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" >"$1/Pipfile"
}
# pyproject.toml for poetry (no package of its own) and pdm (distribution = false), depending on
# $DEPS (a TOML list body) from the loopback index only.
pyproject_poetry() {
  cat >"$1/pyproject.toml" <<EOF2
[project]
name = "demo-project"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [$DEPS]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "loopback"
url = "$index"
priority = "primary"
EOF2
}
pyproject_pdm() {
  cat >"$1/pyproject.toml" <<EOF2
[project]
name = "demo-project"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [$DEPS]

[tool.pdm]
distribution = false

[[tool.pdm.source]]
name = "pypi"
url = "$index"
verify_ssl = false
EOF2
}

# [SETUP=function] [EXTRA=micropipenv] [QUIET=reason] [ROOT=dir] run_case NAME PIP EXPECT TOOL -- COMMAND...
# Runs COMMAND in a fresh venv (with pip PIP, or the venv's own for "bundled"), from a fresh
# working directory that SETUP fills, and keeps the log and its ground truth. QUIET says why the
# log cannot name everything that was installed (kept in installed-not-in-log). EXPECT lists the
# errors the log shows, ';' between errors. With ROOT, the venv is made by that root filesystem's
# python3 and COMMAND runs chrooted into it (same network, so the loopback indexes answer); its
# paths are the same /tmp/buildlogs/... that stabilize writes for the host's runs.
run_case() {
  local name=$1 pip=$2 expect=$3 tool=$4
  shift 5
  if [[ -n $ONLY && ! $name =~ $ONLY ]]; then return 0; fi
  local root=${ROOT:-} inside="$work" dir="$out/$name" rc
  [[ -z $root ]] || inside=/tmp/buildlogs
  local venv="$inside/venvs/$name" proj="$inside/projects/$name"
  local host_venv="$root$venv" host_proj="$root$proj" pips="$work/pips"
  local -a python vpython
  if [[ -n $root ]]; then
    python=(chroot "$root" /usr/bin/python3)
    pips=/tmp/buildlogs/pips
    mkdir -p "$root$pips" && cp -n "$work"/pips/*.whl "$root$pips/"
  else
    python=(python3)
  fi
  "${python[@]}" -m venv "$venv"
  vpython=("$venv/bin/python")
  [[ -z $root ]] || vpython=(chroot "$root" "$venv/bin/python")
  if [[ $pip != bundled ]]; then
    "${vpython[@]}" -m pip install -q --no-index --find-links "$pips" "pip==$pip"
  fi
  if [[ ${EXTRA:-} == micropipenv ]]; then
    "${vpython[@]}" -m pip install -q --no-index --find-links "$work/micropipenv" micropipenv
  fi
  mkdir -p "$host_proj"
  if [[ -n ${SETUP:-} ]]; then "$SETUP" "$host_proj"; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  set +e
  if [[ -n $root ]]; then
    # Each case its own pip cache: pip before 19 reads PIP_NO_CACHE_DIR=1 as a cache path.
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH="$venv/bin:/usr/bin:/bin" VIRTUAL_ENV="$venv" \
      PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 XDG_CACHE_HOME="$inside/cache/$name" \
      /bin/sh -c 'cd "$1" && shift && exec timeout 600 "$@"' sh "$proj" "$@" >"$dir/input.log" 2>&1
  else
    (cd "$proj" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$work/tools/bin:$PATH" \
      POETRY_CACHE_DIR="$work/cache/$name" PDM_CACHE_DIR="$work/cache/$name" PDM_HOME="$work/cache/$name-home" \
      timeout 600 "$@") >"$dir/input.log" 2>&1
  fi
  rc=$?
  set -e
  python3 -m pip freeze --path "$(echo "$host_venv"/lib/python3.*/site-packages)" --all \
    --exclude pip --exclude setuptools --exclude micropipenv --exclude pkg-resources >"$dir/freeze.txt"
  python3 -c 'import json, sys; print(json.dumps({"command": " ".join(sys.argv[3:]), "exit_code": int(sys.argv[1]), "tool": sys.argv[2]}, sort_keys=True))' \
    "$rc" "$tool" "$@" >"$dir/truth.json"
  printf '%s' "$expect" | tr ';' '\n' | sed 's/^ *//; s/ *$//; /^$/d' >"$dir/expect-errors"
  printf 'parse\n-i\ninput.log\n' >"$dir/cmd"
  if [[ -n ${QUIET:-} ]]; then printf '%s\n' "$QUIET" >"$dir/installed-not-in-log"; fi
  local kept=("$dir/input.log" "$dir/truth.json")
  if [[ -n $(ls -A "$host_proj") ]]; then
    mkdir -p "$dir/project"
    cp "$host_proj"/* "$dir/project/"
    kept+=("$dir"/project/*)
  fi
  stabilize "${kept[@]}"
  echo "$name: exit $rc, $(wc -l <"$dir/freeze.txt") packages installed, $(wc -l <"$dir/input.log") lines"
}

if [[ -z $ONLY ]]; then
  # Every generated case is made again; hand-written cases (no truth.json) stay.
  for d in "$out"/*/; do [[ -f $d/truth.json ]] && rm -rf "$d"; done
fi

echo "== cases"
# The first two cases use the pip the interpreter bundles in every venv.
run_case pip-install-success bundled "" "pip (bundled)" -- pip install --index-url "$index" demo-app
run_case pip-no-matching-distribution bundled "no-matching-distribution package=demo-greeting" "pip (bundled)" -- \
  pip install --index-url "$index" demo-greeting==2.0

# Releases too old for Python 3.11: what they print there is a real log too.
for v in "${OLD_PIPS[@]}"; do
  run_case "pip-$v-crash-on-python3.11" "$v" "other" "pip $v" -- pip install --index-url "$index" demo-app
done

# pip_cases VERSION TOOL: every failure mode, and a success, with that pip.
pip_cases() {
  local v=$1 tool=$2 p="pip-$1" listed
  # From 20.3 pip's resolver names both culprits and the package they disagree about; 10 to
  # 20.2 name the one requirement broken after the fact.
  local conflict="resolution-impossible package=demo-greeting culprits=demo-left,demo-right"
  local user_conflict="resolution-impossible package=demo-greeting culprits=demo-greeting,demo-left"
  case $v in
    1[0-9].* | 20.[0-2].*)
      conflict="resolution-impossible package=demo-right culprits=demo-right"
      user_conflict="resolution-impossible package=demo-left culprits=demo-left"
      ;;
  esac
  # pip before 22 says nothing at its default verbosity about releases the index marks as
  # needing another Python: it only finds "no matching distribution".
  case $v in
    9.* | 1[0-9].* | 2[01].*) listed="no-matching-distribution package=demo-future" ;;
    *) listed="requires-python package=demo-future" ;;
  esac
  # Before the 2020 resolver, pip installs the first pin it meets and goes on: pip 10 to 20.2
  # print the broken requirement afterwards, pip 9 says nothing at all.
  [[ $v != 9.* ]] || { conflict=""; user_conflict=""; }
  run_case "$p-success" "$v" "" "$tool" -- pip install --index-url "$index" demo-app
  run_case "$p-no-matching-distribution" "$v" "no-matching-distribution package=demo-greeting" "$tool" -- \
    pip install --index-url "$index" demo-greeting==2.0
  run_case "$p-missing-header" "$v" "build-failure package=demo-cext missing=nonexistent_header.h" "$tool" -- \
    pip install --index-url "$index" demo-cext
  run_case "$p-setup-raises" "$v" "metadata-generation-failed package=demo-broken-setup" "$tool" -- \
    pip install --index-url "$index" demo-broken-setup
  SETUP=requirements_bad_hash run_case "$p-hash-mismatch" "$v" "hash-mismatch package=demo-greeting" "$tool" -- \
    pip install --index-url "$index" -r requirements.txt
  run_case "$p-resolution-impossible" "$v" "$conflict" "$tool" -- \
    pip install --index-url "$index" demo-left demo-right
  run_case "$p-requires-python" "$v" "$listed" "$tool" -- pip install --index-url "$index" demo-future
  run_case "$p-requires-python-metadata" "$v" "requires-python package=demo-future-unlisted" "$tool" -- \
    pip install --index-url "$index" demo-future-unlisted
  run_case "$p-unreachable-index" "$v" "network package=demo-app" "$tool" -- \
    pip install --index-url "$unreachable" demo-app
  run_case "$p-tls-untrusted" "$v" "tls-verification package=demo-app" "$tool" -- \
    pip install --index-url "$tls_index" demo-app
  # The user's own pin against a dependency's: "The user requested ..." in the conflict block.
  run_case "$p-user-conflict" "$v" "$user_conflict" "$tool" -- \
    pip install --index-url "$index" demo-left demo-greeting==1.3.0
  # demo-greeting installs, then demo-install-fails' `setup.py install` raises: pip before 23.1
  # (legacy install, no `wheel` package) leaves demo-greeting installed. pip 23 builds a wheel
  # instead, with the legacy backend's build requirements setuptools and wheel; the index does
  # not serve wheel, so it fails before installing anything. pip 24 asks for setuptools only,
  # builds the wheel, and installs both.
  local partial="build-failure package=demo-install-fails"
  case $v in
    23.*) partial="other package=demo-install-fails;no-matching-distribution package=wheel" ;;
    2[4-9].* | [3-9][0-9].*) partial="" ;;
  esac
  run_case "$p-partial-install" "$v" "$partial" "$tool" -- \
    pip install --index-url "$index" demo-install-fails
}

for v in "${PIP_VERSIONS[@]}"; do
  pip_cases "$v" "pip $v"
done

# The old releases run on Debian 11's CPython 3.9, in a root filesystem that debootstrap makes
# (OLD_PYTHON_ROOT reuses one made before). It has a compiler and Python's headers, as the host.
old_cases=$(for v in "${OLD_PIPS[@]}"; do
  printf "pip-$v-%s\n" success no-matching-distribution missing-header setup-raises hash-mismatch \
    resolution-impossible requires-python requires-python-metadata unreachable-index tls-untrusted
done)
if [[ -z $ONLY || -n $(grep -E -- "$ONLY" <<<"$old_cases") ]]; then
  old_root=${OLD_PYTHON_ROOT:-$work/bullseye}
  if [[ ! -x $old_root/usr/bin/python3 ]]; then
    # The Debian mirror this machine's apt uses (MIRROR overrides it).
    mirror=${MIRROR:-$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
      awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit} /^deb / && $2 ~ /\/debian\/?$/ {print $2; exit}')}
    [[ -n $mirror ]] || { echo "no Debian mirror in apt's sources: set MIRROR" >&2; exit 1; }
    debootstrap --variant=minbase --include=python3,python3-venv,python3-dev,gcc,libc6-dev \
      bullseye "$old_root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail "$work/debootstrap.log" >&2; exit 1; }
  fi
  grep -q localhost "$old_root/etc/hosts" 2>/dev/null || printf '127.0.0.1 localhost\n' >>"$old_root/etc/hosts"
  old_python=$(chroot "$old_root" /usr/bin/python3 -c 'import platform; print(platform.python_version())')
  for v in "${OLD_PIPS[@]}"; do
    ROOT=$old_root pip_cases "$v" "pip $v (CPython $old_python, Debian 11)"
  done
  rm -rf "$old_root/tmp/buildlogs"
fi

# micropipenv, as Thoth's s2i images run it: installed beside the application, reading
# Pipfile.lock; through its console script and as a module.
mp="micropipenv-$micropipenv_version"
SETUP=lock_app EXTRA=micropipenv run_case "$mp-console-success" "$newest" "" "$mp, pip $newest" -- \
  micropipenv install --deploy
SETUP=lock_app EXTRA=micropipenv run_case "$mp-module-success" "$newest" "" "$mp, pip $newest" -- \
  python -m micropipenv install --deploy
SETUP=lock_cext EXTRA=micropipenv run_case "$mp-module-missing-header" "$newest" \
  "build-failure package=demo-cext missing=nonexistent_header.h" "$mp, pip $newest" -- python -m micropipenv install --deploy
SETUP=lock_bad_hash EXTRA=micropipenv run_case "$mp-console-hash-mismatch" "$newest" \
  "hash-mismatch package=demo-greeting" "$mp, pip $newest" -- micropipenv install --deploy

# pipenv installs into the active virtual environment.
pe="pipenv-$pipenv_version"
quiet="pipenv shows pip's output only when pip fails"
SETUP=lock_app QUIET=$quiet run_case "$pe-deploy-success" "$newest" "" "$pe" -- pipenv install --deploy
SETUP=lock_cext QUIET=$quiet run_case "$pe-deploy-missing-header" "$newest" \
  "build-failure package=demo-cext missing=nonexistent_header.h" "$pe" -- pipenv install --deploy
SETUP=lock_bad_hash QUIET=$quiet run_case "$pe-sync-hash-mismatch" "$newest" "hash-mismatch package=demo-greeting" "$pe" -- pipenv sync

# pipenv install NAME: pipenv installs the package, then locks and installs the lock.
SETUP=pipfile_empty QUIET=$quiet run_case "$pe-install-success" "$newest" "" "$pe" -- pipenv install demo-app==0.4.0
SETUP=pipfile_empty QUIET=$quiet run_case "$pe-install-no-matching-distribution" "$newest" \
  "no-matching-distribution package=demo-greeting" "$pe" -- pipenv install demo-greeting==2.0

# poetry and pdm, each from its own throwaway venv, installing into the case's venv.
po="poetry-$poetry_version"
DEPS='"demo-app"' SETUP=pyproject_poetry run_case "$po-install-success" bundled "" "$po" -- \
  "$work/poetry/bin/poetry" install
DEPS='"demo-left", "demo-right"' SETUP=pyproject_poetry run_case "$po-lock-conflict" bundled \
  "resolution-impossible package=demo-greeting culprits=demo-left,demo-right" "$po" -- "$work/poetry/bin/poetry" lock
DEPS='"demo-cext"' SETUP=pyproject_poetry run_case "$po-install-missing-header" bundled \
  "build-failure package=demo-cext missing=nonexistent_header.h" "$po" -- "$work/poetry/bin/poetry" install
pd="pdm-$pdm_version"
DEPS='"demo-app"' SETUP=pyproject_pdm run_case "$pd-install-success" bundled "" "$pd" -- \
  "$work/pdm/bin/pdm" install
DEPS='"demo-left", "demo-right"' SETUP=pyproject_pdm run_case "$pd-lock-conflict" bundled \
  "resolution-impossible package=demo-greeting culprits=demo-left,demo-right" "$pd" -- "$work/pdm/bin/pdm" lock

# uv pip install, into the active virtual environment.
u="uv-$uv_version"
run_case "$u-success" bundled "" "$u" -- uv pip install --index-url "$index" demo-app
run_case "$u-no-matching-distribution" bundled "no-matching-distribution package=demo-greeting" "$u" -- \
  uv pip install --index-url "$index" demo-greeting==2.0
run_case "$u-missing-header" bundled "build-failure package=demo-cext missing=nonexistent_header.h" "$u" -- \
  uv pip install --index-url "$index" demo-cext
run_case "$u-setup-raises" bundled "metadata-generation-failed package=demo-broken-setup" "$u" -- \
  uv pip install --index-url "$index" demo-broken-setup
SETUP=requirements_bad_hash run_case "$u-hash-mismatch" bundled "hash-mismatch package=demo-greeting" "$u" -- \
  uv pip install --index-url "$index" -r requirements.txt
run_case "$u-resolution-impossible" bundled "resolution-impossible package=demo-greeting culprits=demo-left,demo-right" "$u" -- \
  uv pip install --index-url "$index" demo-left demo-right
run_case "$u-user-conflict" bundled "resolution-impossible package=demo-greeting culprits=demo-greeting,demo-left" "$u" -- \
  uv pip install --index-url "$index" demo-left demo-greeting==1.3.0
run_case "$u-requires-python" bundled "requires-python package=demo-future" "$u" -- \
  uv pip install --index-url "$index" demo-future
run_case "$u-unreachable-index" bundled "network package=demo-app" "$u" -- \
  uv pip install --index-url "$unreachable" demo-app
run_case "$u-tls-untrusted" bundled "tls-verification package=demo-app" "$u" -- \
  uv pip install --index-url "$tls_index" demo-app

# A container build (buildah, vfs storage, chroot isolation) whose RUN step is pip. The base image
# is made here: this machine's CPython (standard library only) and the shared libraries it loads,
# as no registry is reachable for a ready one. It has no compiler, so demo-cext fails otherwise
# than on the host: gcc is missing.
buildah_case() {
  local name=$1 expect=$2 package=$3
  if [[ -n $ONLY && ! $name =~ $ONLY ]]; then return 0; fi
  local dir="$out/$name" ctx="$work/buildah-$name" rc img="localhost/buildlogs-$name:latest"
  mkdir -p "$ctx"
  cat >"$ctx/Containerfile" <<EOF2
FROM localhost/buildlogs-python:3.11
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN $py_prefix/bin/python3.11 -m venv /opt/app-root
RUN /opt/app-root/bin/pip install --index-url $index $package
EOF2
  rm -rf "$dir"
  mkdir -p "$dir/project"
  set +e
  "${buildah[@]}" bud --isolation chroot --network host --layers=false -t "$img" -f "$ctx/Containerfile" "$ctx" \
    >"$dir/input.log" 2>&1
  rc=$?
  set -e
  : >"$dir/freeze.txt"
  if [[ $rc -eq 0 ]]; then
    local ctr
    ctr=$("${buildah[@]}" from "$img")
    "${buildah[@]}" run --isolation chroot "$ctr" -- /opt/app-root/bin/python -m pip freeze --all \
      --exclude pip --exclude setuptools >"$dir/freeze.txt"
    "${buildah[@]}" rm "$ctr" >/dev/null
    "${buildah[@]}" rmi "$img" >/dev/null
  fi
  cp "$ctx/Containerfile" "$dir/project/"
  python3 -c 'import json, sys; print(json.dumps({"command": sys.argv[3], "exit_code": int(sys.argv[1]), "tool": sys.argv[2]}, sort_keys=True))' \
    "$rc" "$("${buildah[@]}" --version), pip (bundled)" "buildah bud --isolation chroot -f Containerfile ." >"$dir/truth.json"
  printf '%s\n' "$expect" | sed '/^$/d' >"$dir/expect-errors"
  printf 'parse\n-i\ninput.log\n' >"$dir/cmd"
  # Image and layer digests change with every build.
  sed -E -i -e 's/\b[0-9a-f]{64}\b/<digest>/g' -e 's/^(--> |COMMIT |Getting image source signatures|Copying (blob|config) )[0-9a-f]{6,}\b/\1<id>/' "$dir/input.log"
  stabilize "$dir/input.log" "$dir/truth.json" "$dir/project/Containerfile"
  echo "$name: exit $rc, $(wc -l <"$dir/freeze.txt") packages installed, $(wc -l <"$dir/input.log") lines"
}

if command -v buildah >/dev/null && [[ -z $ONLY || buildah =~ $ONLY ]]; then
  buildah=(buildah --storage-driver vfs --root "$work/containers" --runroot "$work/containers-run")
  py_prefix=$(python3 -c 'import sys; print(sys.base_prefix)')
  root="$work/rootfs"
  mkdir -p "$root/tmp" "$root/bin" "$root/etc"
  tar -C / -cf - --exclude="${py_prefix#/}/lib/python3.11/site-packages/*" --exclude='*/test' \
    --exclude='*/idlelib' --exclude='*/tkinter' "${py_prefix#/}/bin/python3.11" \
    "${py_prefix#/}/lib/libpython3.11.so.1.0" "${py_prefix#/}/lib/python3.11" | tar -C "$root" -xf -
  cp -L /bin/sh "$root/bin/sh"
  for lib in $(ldd /bin/sh "$py_prefix/bin/python3.11" "$py_prefix"/lib/python3.11/lib-dynload/*.so 2>/dev/null |
    awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*[^:]$/ {print $1}' | sort -u); do
    [[ -e $root$lib ]] || cp -L --parents "$lib" "$root"
  done
  tar -C "$root" -cf "$work/rootfs.tar" .
  base=$("${buildah[@]}" from scratch)
  "${buildah[@]}" add "$base" "$work/rootfs.tar" / >/dev/null
  "${buildah[@]}" commit -q "$base" localhost/buildlogs-python:3.11 >/dev/null
  "${buildah[@]}" rm "$base" >/dev/null
  buildah_case buildah-pip-success "" demo-app
  buildah_case buildah-pip-no-compiler "build-failure package=demo-cext missing=gcc" demo-cext
elif ! command -v buildah >/dev/null; then
  echo "buildah is not installed (apt-get install buildah): skipping the container build cases" >&2
fi

echo "== done: review with UPDATE_GOLDEN=1 cargo test -p buildlog-parser --test golden; git diff"
