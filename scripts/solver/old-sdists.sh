#!/usr/bin/env bash
# Real old sdists (PKG-INFO before Metadata-Version 2.2) read without building: downloads them
# with pip into a cache directory outside the repository (the index comes from pip's own
# configuration / PIP_INDEX_URL), serves them on a loopback index, and prints, per release,
# where `solver python` found its dependencies (metadata_source) or why it could not.
#
#   scripts/solver/old-sdists.sh [CACHE_DIR]      (default ~/.cache/thoth-solver-old-sdists)
#
# pip prepares metadata after saving each file, which fails for some old setup.py under a new
# interpreter: the file is saved first, so a failure after "Saved" is ignored.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${1:-$HOME/.cache/thoth-solver-old-sdists}"
mkdir -p "$cache"
python="${OLD_SDIST_PYTHON:-$HOME/.pyenv/versions/3.8.18/bin/python}"
releases=(
  MarkupSafe==1.0 iniconfig==1.0.0 requests==2.18.4 Flask==0.12 Jinja2==2.10 click==6.7
  Werkzeug==0.14.1 itsdangerous==0.24 idna==2.6 urllib3==1.22 chardet==3.0.4 six==1.11.0
  pytest==3.0.7 attrs==17.4.0 python-dateutil==2.6.1 pyparsing==2.2.0 packaging==16.8
)
for r in "${releases[@]}"; do
  name="${r%%==*}"; version="${r##*==}"
  if ! ls "$cache" | grep -qi "^${name//-/[-_]}-${version}\.\(tar\.gz\|zip\)$"; then
    "$python" -m pip download -q --no-binary :all: --no-deps --no-build-isolation -d "$cache" "$r" \
      >/dev/null 2>&1 || true
  fi
done
ls "$cache"
# SOLVER=path uses that binary instead of building one.
solver="${SOLVER:-}"
if [ -z "$solver" ]; then
  (cd "$repo" && cargo build -q -p solver)
  solver="${CARGO_TARGET_DIR:-$repo/target}/debug/solver"
fi
python3 - "$cache" "$solver" "${releases[@]}" <<'PY'
import http.server, json, os, pathlib, re, subprocess, sys, tempfile, threading
cache, solver, releases = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
def norm(n): return re.sub(r"[-_.]+", "-", n).lower()
files = {}
for f in sorted(cache.iterdir()):
    m = re.match(r"(.+)-([0-9][^-]*)\.(tar\.gz|zip)$", f.name)
    if m:
        files.setdefault(norm(m.group(1)), []).append(f)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[0] == "simple" and len(parts) == 2 and parts[1] in files:
            body = "".join(f'<a href="/files/{f.name}">{f.name}</a>\n' for f in files[parts[1]]).encode()
            kind = "text/html"
        elif parts[0] == "files" and (cache / parts[-1]).is_file():
            body, kind = (cache / parts[-1]).read_bytes(), "application/octet-stream"
        else:
            self.send_response(404); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=server.serve_forever, daemon=True).start()
index = f"http://127.0.0.1:{server.server_address[1]}/simple/"
present = [r for r in releases if norm(r.split("==")[0]) in files]
with tempfile.TemporaryDirectory() as home:
    out = subprocess.run([solver, "python", "-T", "-r", "\n".join(present), "-i", index,
                          "--python-version", "3.11", "--platform", "linux-x86_64"],
                         capture_output=True, text=True, env={"HOME": home, "PIP_CONFIG_FILE": "/dev/null"})
doc = json.loads(out.stdout)["result"]
known = 0
for e in doc["tree"]:
    known += 1
    print(f'{e["package_name"]} {e["package_version"]}: {e["metadata_source"]}, {len(e["dependencies"])} dependencies')
for e in doc["errors"]:
    print(f'{e["package_name"]} {e["package_version"]}: {e["type"] if "type" in e else e.get("kind")}: {e["details"]["message"][:160]}')
print(f"releases with dependencies known: {known} of {known + len(doc['errors'])} ({len(releases) - len(present)} not downloaded)")
PY
