#!/usr/bin/env python3
"""CPU of the solver on a project page with many versions (issue 13: the cost grew with the
square of the versions; 2k/4k/8k versions took 0.17/0.49/2.08 s and 10^6 never finished).

Serves, on loopback, a PEP 503 HTML page of N wheels `x-<i>.0-py3-none-any.whl` (the newest
with a PEP 658 metadata file), then times `solver resolve -r x` and `solver python -r x==<newest>
-T` against it with each solver binary given, N by N. Nothing is downloaded but the page and
one metadata file.

    python3 bench/solver/many_versions.py --solver before=/path/to/old/solver \\
        --solver after=target/release/solver --versions 2000,4000,8000,1000000

Prints one line per (binary, command, N): wall seconds, user+sys CPU seconds, peak RSS (MiB),
exit code. A run is stopped after --limit seconds (reported as such). THOTH_INDEX_* variables
are passed on (a 10^6-version page needs THOTH_INDEX_MAX_PAGE_BYTES=256MiB).
"""

import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading


def page(n: int) -> bytes:
    rows = ['<!DOCTYPE html><html><body>']
    for i in range(1, n + 1):
        meta = ' data-dist-info-metadata="true"' if i == n else ""
        rows.append(f'<a href="../../files/x-{i}.0-py3-none-any.whl"{meta}>x-{i}.0-py3-none-any.whl</a><br/>')
    rows.append("</body></html>")
    return "\n".join(rows).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    pages: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        kind = "text/html" if self.path.endswith("/") else "application/octet-stream"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(cmd, limit):
    """Runs `cmd` under /usr/bin/time: (wall s, CPU s, peak RSS MiB, exit code)."""
    with tempfile.TemporaryDirectory() as home:
        env = {"HOME": home, "PIP_CONFIG_FILE": "/dev/null", "PATH": os.environ.get("PATH", "")}
        # The caps and budgets (THOTH_INDEX_MAX_PAGE_BYTES: a 10^6-version page is ~110 MB).
        env.update({k: v for k, v in os.environ.items() if k.startswith("THOTH_INDEX_")})
        timed = ["/usr/bin/time", "-f", "TIME %e %U %S %M", *cmd]
        try:
            proc = subprocess.run(timed, env=env, capture_output=True, timeout=limit, text=True)
        except subprocess.TimeoutExpired:
            return limit, float("nan"), float("nan"), "killed"
    line = [l for l in proc.stderr.splitlines() if l.startswith("TIME ")][-1].split()
    wall, user, system, rss_kib = float(line[1]), float(line[2]), float(line[3]), int(line[4])
    code = proc.returncode
    if code not in (0, "killed"):
        said = [
            l
            for l in proc.stderr.splitlines()
            if l.strip() and not l.startswith(("TIME ", "Command exited"))
        ]
        print(f"  exit {code}: " + " | ".join(said[-4:]), file=sys.stderr)
    return wall, user + system, rss_kib / 1024, code


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--solver", action="append", required=True, help="LABEL=PATH of a solver binary")
    ap.add_argument("--versions", default="2000,4000,8000", help="comma-separated page sizes")
    ap.add_argument("--limit", type=float, default=120, help="seconds before a run is stopped")
    args = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    print("binary\tcommand\tversions\twall_s\tcpu_s\tpeak_rss_mib\texit")
    for n in [int(x) for x in args.versions.split(",")]:
        Handler.pages = {
            "/simple/x/": page(n),
            f"/files/x-{n}.0-py3-none-any.whl.metadata": f"Metadata-Version: 2.1\nName: x\nVersion: {n}.0\n".encode(),
        }
        target = ["--python-version", "3.11", "--platform", "linux-x86_64"]
        for label, path in (s.split("=", 1) for s in args.solver):
            for name, cmd in [
                ("resolve", [path, "resolve", "-r", "x", "-i", index, *target]),
                ("python", [path, "python", "-r", f"x=={n}.0", "-T", "-i", index, *target]),
            ]:
                wall, cpu, rss, code = run(cmd, args.limit)
                print(f"{label}\t{name}\t{n}\t{wall:.2f}\t{cpu:.2f}\t{rss:.0f}\t{code}", flush=True)
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
