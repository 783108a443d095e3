#!/usr/bin/env bash
# A 300-package Pipfile.lock checked against two indexes on loopback: a "public" static PEP 503
# tree (300 projects, 3 artifacts each) and a "private" one (60 of the same names, other
# artifacts; 30 packages pinned to it), both served by `python3 -m http.server`.
# Prints the requests made (the document's statistics.index_requests), the wall time and the
# peak memory (GNU time -v) of the release binary, and the findings by id.
#
# Usage: bench/provenance-checker/run.sh [PACKAGES]      (default 300)
# Needs: cargo, python3, /usr/bin/time (installed with apt if missing).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
packages=${1:-300}
work=${BENCH_DIR:-$(mktemp -d /tmp/provenance-bench.XXXXXX)}
mkdir -p "$work"
echo "work directory: $work" >&2

if [[ ! -x /usr/bin/time ]]; then
  apt-get update -qq && apt-get install -y -qq time
fi

echo "== building the release binary" >&2
(cd "$repo" && cargo build -q --release -p provenance-checker)
bin="$repo/target/release/provenance-checker"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

serve() { # DIR -> prints the port
  local log="$1.log"
  (cd "$1" && exec python3 -u -m http.server --bind 127.0.0.1 0 >"$log" 2>"$1.access.log") &
  pids+=($!)
  for _ in $(seq 50); do
    if grep -q "port" "$log" 2>/dev/null; then break; fi
    sleep 0.1
  done
  sed -n 's/.* port \([0-9]*\) .*/\1/p' "$log" | head -1
}

mkdir -p "$work/public" "$work/private"
public_port=$(serve "$work/public")
private_port=$(serve "$work/private")

python3 - "$work" "$packages" "$public_port" "$private_port" <<'PY'
import hashlib, json, os, sys
work, n, pub, priv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
public = f"http://127.0.0.1:{pub}/simple/"
private = f"http://127.0.0.1:{priv}/simple/"

def publish(root, name, version, tag):
    page = os.path.join(root, "simple", name)
    os.makedirs(page, exist_ok=True)
    os.makedirs(os.path.join(root, "files"), exist_ok=True)
    links, digests = [], []
    stem = name.replace("-", "_")
    for fn in (f"{stem}-{version}-py3-none-any.whl", f"{stem}-{version}-cp311-cp311-manylinux_2_17_x86_64.whl", f"{name}-{version}.tar.gz"):
        data = f"{tag} {fn}".encode()
        with open(os.path.join(root, "files", fn), "wb") as f:
            f.write(data)
        d = hashlib.sha256(data).hexdigest()
        digests.append(d)
        links.append(f'<a href="../../files/{fn}#sha256={d}" data-requires-python="&gt;=3.8">{fn}</a><br/>')
    with open(os.path.join(page, "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    return digests

pipfile = {"source": [{"name": "public", "url": public, "verify_ssl": True},
                      {"name": "private", "url": private, "verify_ssl": True}],
           "packages": {}, "dev-packages": {}, "requires": {"python_version": "3.11"}}
default = {}
for i in range(n):
    name, version = f"pkg-{i:04d}", f"1.{i % 7}.0"
    pub_digests = publish(os.path.join(work, "public"), name, version, "public")
    entry = {"version": f"=={version}", "hashes": [f"sha256:{d}" for d in pub_digests]}
    spec = "*"
    if i < n // 5:  # the first fifth also lives on the private index, with other artifacts
        priv_digests = publish(os.path.join(work, "private"), name, version, "private")
        if i % 2 == 0:  # half of those are meant for the private index
            entry = {"version": f"=={version}", "hashes": [f"sha256:{d}" for d in priv_digests], "index": "private"}
            spec = {"version": "*", "index": "private"}
    pipfile["packages"][name] = spec
    default[name] = entry

def toml_value(v):
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, dict): return "{" + ", ".join(f'{k} = {toml_value(x)}' for k, x in v.items()) + "}"
    return json.dumps(v)

with open(os.path.join(work, "Pipfile"), "w") as f:
    for s in pipfile["source"]:
        f.write("[[source]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in s.items()) + "\n")
    f.write("[packages]\n" + "".join(f'"{k}" = {toml_value(v)}\n' for k, v in pipfile["packages"].items()))
    f.write('\n[dev-packages]\n\n[requires]\npython_version = "3.11"\n')

# pipenv's _meta.hash
meta = {"_meta": {"sources": pipfile["source"], "requires": pipfile["requires"]},
        "default": pipfile["packages"], "develop": {}}
h = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
lock = {"_meta": {"hash": {"sha256": h}, "pipfile-spec": 6, "requires": pipfile["requires"],
                  "sources": pipfile["source"]}, "default": default, "develop": {}}
with open(os.path.join(work, "Pipfile.lock"), "w") as f:
    json.dump(lock, f, indent=4)
PY

echo "== checking $packages packages against two indexes" >&2
cd "$work"
/usr/bin/time -v "$bin" provenance -r Pipfile -l Pipfile.lock --fail-on never -o report.json 2>time.txt || {
  cat time.txt >&2; exit 1; }
python3 - "$work" <<'PY'
import collections, json, re, sys, os
work = sys.argv[1]
doc = json.load(open(os.path.join(work, "report.json")))
t = open(os.path.join(work, "time.txt")).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
served = sum(1 for name in ("public", "private")
             for line in open(os.path.join(work, f"{name}.access.log")) if '"GET ' in line)
stats = doc["result"]["statistics"]
ids = collections.Counter(f["id"] for f in doc["result"]["report"])
print("| packages | indexes | requests (checker) | requests (servers' logs) | wall | peak RSS |")
print("|---|---|---|---|---|---|")
print(f"| {stats['packages']} | 2 | {stats['index_requests']} | {served} | {wall} | {rss / 1024:.1f} MiB |")
print()
print("findings:", dict(sorted(ids.items())))
PY
