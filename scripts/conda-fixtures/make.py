#!/usr/bin/env python3
"""Builds an OCI image with two conda environments, offline, with real conda tooling.

    python3 scripts/conda-fixtures/make.py OUT

1. Four small packages are bundled as `.conda` archives by conda-package-handling (`cph create`):
   `python` (a stand-in interpreter, linux-64), `libdemo` (a shared library, licence MIT),
   `demo-tool` (linux-64, depends on both, with a `.dist-info` its files list) and `demo-py`
   (noarch: python, a pure-Python distribution with INSTALLER `conda`).
2. The local channel `OUT/demo-channel` is indexed by rattler's indexer (`rattler.index.index_fs`
   of py-rattler). conda-index cannot run here: it imports `conda` itself
   (`conda.models.version`), and conda is not published on the Python package index.
3. py-rattler solves and installs them, as pixi and mamba do, into two prefixes of a root
   filesystem: `/opt/conda` (python, libdemo, demo-tool) and `/opt/conda/envs/ml` (python,
   demo-py). The `conda-meta/*.json` records rattler writes are the ground truth.
4. umoci packs `OUT/layout` (tag `latest`): layer 0 the base environment, layer 1 `envs/ml`.

The root filesystem stays in `OUT/rootfs` so tests can read the records. Needs: py-rattler,
conda-package-handling (pinned in .ci/pip-requirements) and umoci.
"""

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import rattler
import rattler.index

SOURCE_DATE_EPOCH = 1700000000
TIMESTAMP_MS = SOURCE_DATE_EPOCH * 1000


def bundle(channel: Path, work: Path, index: dict, files: dict[str, bytes], about: dict) -> None:
    """A package directory (info/ and files) bundled by `cph create`."""
    name = f"{index['name']}-{index['version']}-{index['build']}"
    root = work / name
    shutil.rmtree(root, ignore_errors=True)
    (root / "info").mkdir(parents=True)
    paths = []
    for rel, data in sorted(files.items()):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        paths.append(
            {
                "_path": rel,
                "path_type": "hardlink",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size_in_bytes": len(data),
            }
        )
    index = {"timestamp": TIMESTAMP_MS, "depends": [], **index}
    (root / "info" / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True))
    (root / "info" / "paths.json").write_text(json.dumps({"paths": paths, "paths_version": 1}, indent=2))
    (root / "info" / "files").write_text("".join(f"{p['_path']}\n" for p in paths))
    (root / "info" / "about.json").write_text(json.dumps(about, indent=2, sort_keys=True))
    subdir = channel / index["subdir"]
    subdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["cph", "create", str(root), f"{name}.conda", "--out-folder", str(subdir)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def dist_info(prefix: str, name: str, version: str) -> dict[str, bytes]:
    """A `.dist-info` as a wheel installed by conda leaves it."""
    d = f"{prefix}{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\nLicense: MIT\n"
    return {
        f"{d}/METADATA": metadata.encode(),
        f"{d}/INSTALLER": b"conda\n",
        f"{d}/RECORD": f"{d}/METADATA,,\n{d}/INSTALLER,,\n{d}/RECORD,,\n".encode(),
    }


def make_channel(channel: Path, work: Path) -> None:
    bundle(
        channel,
        work,
        {"name": "python", "version": "3.12.0", "build": "h0_0", "build_number": 0,
         "subdir": "linux-64", "platform": "linux", "arch": "x86_64", "license": "PSF-2.0"},
        {"bin/python3.12": b"#!stand-in interpreter\n", "lib/python3.12/site-packages/README.txt": b"site\n"},
        {"license": "PSF-2.0", "summary": "stand-in interpreter"},
    )
    bundle(
        channel,
        work,
        {"name": "libdemo", "version": "1.2.3", "build": "h0_1", "build_number": 1,
         "subdir": "linux-64", "platform": "linux", "arch": "x86_64", "license": "MIT"},
        {"lib/libdemo.so.1": b"not really ELF\n"},
        {"license": "MIT", "summary": "a library"},
    )
    bundle(
        channel,
        work,
        {"name": "demo-tool", "version": "0.4", "build": "py312_0", "build_number": 0,
         "subdir": "linux-64", "platform": "linux", "arch": "x86_64", "license": "Apache-2.0",
         "depends": ["libdemo >=1.2", "python >=3.12,<3.13"]},
        {"bin/demo-tool": b"#!/opt/conda/bin/python3.12\n",
         **dist_info("lib/python3.12/site-packages/", "demo_tool", "0.4")},
        {"license": "Apache-2.0", "summary": "a tool"},
    )
    bundle(
        channel,
        work,
        {"name": "demo-py", "version": "2.0", "build": "pyhd8ed1ab_0", "build_number": 0,
         "subdir": "noarch", "noarch": "python", "license": "BSD-3-Clause",
         "depends": ["python >=3.8"]},
        {"site-packages/demo_py/__init__.py": b"VERSION = '2.0'\n",
         **dist_info("site-packages/", "demo_py", "2.0")},
        {"license": "BSD-3-Clause", "summary": "a pure-Python package"},
    )
    asyncio.run(rattler.index.index_fs(channel, force=True))
    # A noarch subdirectory must exist even when empty; both have packages here.
    for subdir in ("linux-64", "noarch"):
        if not (channel / subdir / "repodata.json").exists():
            sys.exit(f"rattler's indexer wrote no {subdir}/repodata.json")


async def install(channel: Path, prefix: Path, specs: list[str], cache: Path) -> None:
    records = await rattler.solve(
        sources=[rattler.Channel(channel.as_uri())],
        specs=specs,
        platforms=["linux-64", "noarch"],
        virtual_packages=[],
    )
    await rattler.install(
        records,
        target_prefix=prefix,
        cache_dir=cache,
        platform=rattler.Platform("linux-64"),
        execute_link_scripts=False,
        show_progress=False,
    )


def umoci(*args: str) -> None:
    subprocess.run(["umoci", *args], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1]).resolve()
    shutil.rmtree(out, ignore_errors=True)
    work = out / "work"
    channel = out / "demo-channel"
    rootfs = out / "rootfs"
    work.mkdir(parents=True)
    make_channel(channel, work / "packages")
    base = rootfs / "opt" / "conda"
    ml = base / "envs" / "ml"
    asyncio.run(install(channel, base, ["demo-tool", "python 3.12.*"], work / "cache"))
    asyncio.run(install(channel, ml, ["demo-py", "python 3.12.*"], work / "cache"))
    for prefix in (base, ml):
        if not list((prefix / "conda-meta").glob("*.json")):
            sys.exit(f"py-rattler wrote no conda-meta records in {prefix}")

    layout = out / "layout"
    os.environ["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    umoci("init", "--layout", str(layout))
    umoci("new", "--image", f"{layout}:latest")
    for n, (what, src, dst) in enumerate(
        [("base environment", base, "opt/conda"), ("envs/ml", ml, "opt/conda/envs/ml")]
    ):
        bundle_dir = work / f"bundle{n}"
        umoci("unpack", "--rootless", "--image", f"{layout}:latest", str(bundle_dir))
        target = bundle_dir / "rootfs" / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        ignore = shutil.ignore_patterns("envs") if n == 0 else None
        shutil.copytree(src, target, symlinks=True, ignore=ignore)
        umoci("repack", "--history.created_by", what, "--image", f"{layout}:latest", str(bundle_dir))
    shutil.rmtree(work)
    print(layout)


if __name__ == "__main__":
    main()
