#!/usr/bin/env python3
"""Writes a Pipfile and its Pipfile.lock for packages of the loopback index.

Usage: make_lock.py INDEX_DIR INDEX_URL OUT_DIR [--bad-hash NAME] NAME==VERSION...

The lock pins every NAME==VERSION with the sha256 of the file the index serves (or, for the one
given to --bad-hash, a digest that matches nothing), and `_meta.hash` is the Pipfile's hash by
pipenv's algorithm (plette's `Pipfile.get_hash`, which micropipenv recomputes), so both tools
accept the pair as current.
"""
import hashlib
import json
import os
import sys
import tomllib


def main(argv: list) -> None:
    index_dir, url, out = argv[:3]
    rest = argv[3:]
    bad = None
    if rest[:1] == ["--bad-hash"]:
        bad, rest = rest[1], rest[2:]
    pins = [p.split("==", 1) for p in rest]
    top = pins[0][0]
    pipfile_text = (
        "[[source]]\n"
        f'url = "{url}"\n'
        "verify_ssl = false\n"
        'name = "loopback"\n\n'
        "[packages]\n"
        f'{top} = "=={pins[0][1]}"\n\n'
        "[dev-packages]\n\n"
        "[requires]\n"
        'python_version = "3.11"\n'
    )
    pipfile = tomllib.loads(pipfile_text)
    data = {
        "_meta": {"requires": pipfile.get("requires", {}), "sources": pipfile["source"]},
        "default": pipfile.get("packages", {}),
        "develop": pipfile.get("dev-packages", {}),
    }
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    default = {}
    for name, version in pins:
        hashes = []
        directory = os.path.join(index_dir, "simple", name)
        for f in sorted(os.listdir(directory)):
            if f != "index.html" and f"-{version}" in f:
                with open(os.path.join(directory, f), "rb") as fh:
                    hashes.append("sha256:" + hashlib.sha256(fh.read()).hexdigest())
        if not hashes:
            sys.exit(f"no file of {name}=={version} in the index")
        if name == bad:
            hashes = ["sha256:" + "0" * 64]
        default[name] = {"hashes": hashes, "index": "loopback", "version": f"=={version}"}
    lock = {
        "_meta": {
            "hash": {"sha256": digest},
            "pipfile-spec": 6,
            "requires": {"python_version": "3.11"},
            "sources": pipfile["source"],
        },
        "default": default,
        "develop": {},
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "Pipfile"), "w") as fh:
        fh.write(pipfile_text)
    with open(os.path.join(out, "Pipfile.lock"), "w") as fh:
        json.dump(lock, fh, indent=4, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(sys.argv[1:])
