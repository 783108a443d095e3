#!/usr/bin/env python3
"""Writes a static PEP 503 index of small, real packages for build-log fixtures.

Usage: make_index.py DIR [EXTRA_WHEEL...]

Each wheel is a valid zip with METADATA, WHEEL and RECORD, installable by every pip; each sdist
is a real source tree (setup.py, pyproject.toml, PKG-INFO) that pip builds. Some are made to fail
in one way each:

- demo-cext: a C extension including <nonexistent_header.h> (the compiler fails);
- demo-broken-setup: a setup.py that raises before any metadata exists;
- demo-left / demo-right: each pins a different demo-greeting (no resolution exists);
- demo-future: Requires-Python >=3.99, also announced on the index page (data-requires-python),
  as real indexes do;
- demo-future-unlisted: the same, but only in the wheel's metadata;
- demo-install-fails (sdist without pyproject.toml, depending on demo-greeting): builds a wheel,
  but its `setup.py install` raises, so the pips that install it the legacy way (before 23.1,
  without the `wheel` package) fail after installing demo-greeting.

EXTRA_WHEEL files (setuptools, for build isolation) are served under their projects, with the
Requires-Python of their metadata on the index page, so that an old interpreter's pip picks a
release that still supports it.
The index pages carry `#sha256=` fragments as real indexes do. Every archive is byte-for-byte
reproducible (fixed timestamps), so hashes in lock files stay valid between runs.
"""
import base64
import gzip
import hashlib
import html
import io
import os
import re
import shutil
import sys
import tarfile
import zipfile

WHEELS = [
    # (name, version, requires_dist, requires_python)
    ("demo-greeting", "1.2.0", [], ">=3.8"),
    ("demo-greeting", "1.3.0", [], ">=3.8"),
    ("demo-app", "0.4.0", ["demo-greeting>=1.2"], ">=3.8"),
    ("demo-left", "1.0.0", ["demo-greeting==1.2.0"], ">=3.8"),
    ("demo-right", "1.0.0", ["demo-greeting==1.3.0"], ">=3.8"),
    ("demo-future", "1.0.0", [], ">=3.99"),
    ("demo-future-unlisted", "1.0.0", [], ">=3.99"),
]

# Sdists without pyproject.toml: old pips install them with `setup.py install`.
LEGACY_SDISTS = {"demo-install-fails"}

# Projects whose index page does not announce Requires-Python.
UNLISTED_REQUIRES_PYTHON = {"demo-future-unlisted"}

PYPROJECT = b"""[build-system]
requires = ["setuptools>=40.8.0"]
build-backend = "setuptools.build_meta"
"""

SDISTS = {
    "demo-cext": {
        "setup.py": b"""from setuptools import Extension, setup

setup(
    name="demo-cext",
    version="1.0.0",
    ext_modules=[Extension("demo_cext", sources=["demo_cext.c"])],
)
""",
        "demo_cext.c": b"""#include <Python.h>
#include <nonexistent_header.h>

static struct PyModuleDef demo_cext = {PyModuleDef_HEAD_INIT, "demo_cext", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_demo_cext(void) { return PyModule_Create(&demo_cext); }
""",
    },
    "demo-install-fails": {
        "setup.py": b"""import sys

from setuptools import setup
from setuptools.command.install import install


class Install(install):
    # A wheel build runs `install` into its build directory: only a real install fails.
    def run(self):
        if "bdist_wheel" not in sys.argv:
            raise RuntimeError("demo-install-fails cannot install: DEMO_TARGET is read-only")
        install.run(self)


setup(
    name="demo-install-fails",
    version="1.0.0",
    install_requires=["demo-greeting>=1.2"],
    cmdclass={"install": Install},
)
""",
    },
    "demo-broken-setup": {
        "setup.py": b"""from setuptools import setup

raise RuntimeError("demo-broken-setup refuses to build: DEMO_FEATURE is not configured")

setup(name="demo-broken-setup", version="1.0.0")
""",
    },
}
SDIST_VERSION = "1.0.0"
EPOCH = (2020, 1, 1, 0, 0, 0)
EPOCH_SECONDS = 1577836800


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def metadata(name: str, version: str, requires: list, requires_python: str) -> bytes:
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
            "Summary: A tiny package for build-log fixtures", f"Requires-Python: {requires_python}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    return ("\n".join(meta) + "\n").encode()


def write_wheel(directory: str, name: str, version: str, requires: list, requires_python: str) -> str:
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist}/METADATA": metadata(name, version, requires, requires_python),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: make_index.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{p},{record_hash(d)},{len(d)}" for p, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as z:
        for path, data in files.items():
            z.writestr(zipfile.ZipInfo(path, date_time=EPOCH), data)
    return filename


def write_sdist(directory: str, name: str, sources: dict) -> str:
    base = f"{name.replace('-', '_')}-{SDIST_VERSION}"
    files = dict(sources)
    if name not in LEGACY_SDISTS:
        files["pyproject.toml"] = PYPROJECT
    files["PKG-INFO"] = metadata(name, SDIST_VERSION, [], ">=3.8")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(f"{base}/{path}")
            info.size, info.mtime, info.mode = len(data), EPOCH_SECONDS, 0o644
            tar.addfile(info, io.BytesIO(data))
    filename = f"{base}.tar.gz"
    with open(os.path.join(directory, filename), "wb") as fh:
        fh.write(gzip.compress(raw.getvalue(), mtime=0))
    return filename


def wheel_requires_python(path: str) -> str:
    with zipfile.ZipFile(path) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        for line in whl.read(name).decode("utf-8", "replace").splitlines():
            if not line:
                break
            if line.lower().startswith("requires-python:"):
                return line.split(":", 1)[1].strip()
    return ""


def project_of(wheel_filename: str) -> str:
    return re.sub(r"[-_.]+", "-", os.path.basename(wheel_filename).split("-")[0]).lower()


def main(root: str, extra: list) -> None:
    simple = os.path.join(root, "simple")
    projects = {}
    requires_python = {}

    def directory(name: str) -> str:
        d = os.path.join(simple, name)
        os.makedirs(d, exist_ok=True)
        return d

    for name, version, requires, python in WHEELS:
        f = write_wheel(directory(name), name, version, requires, python)
        projects.setdefault(name, []).append(f)
        if name not in UNLISTED_REQUIRES_PYTHON:
            requires_python[f] = python
    for name, sources in SDISTS.items():
        projects.setdefault(name, []).append(write_sdist(directory(name), name, sources))
    for path in extra:
        name = project_of(path)
        shutil.copy(path, directory(name))
        projects.setdefault(name, []).append(os.path.basename(path))
        python = wheel_requires_python(path)
        if python:
            requires_python[os.path.basename(path)] = python
    for name, files in projects.items():
        links = []
        for f in sorted(files):
            with open(os.path.join(simple, name, f), "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            attr = ""
            if f in requires_python:
                attr = f' data-requires-python="{html.escape(requires_python[f])}"'
            links.append(f'<a href="{f}#sha256={digest}"{attr}>{f}</a><br>')
        with open(os.path.join(simple, name, "index.html"), "w") as fh:
            fh.write("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    with open(os.path.join(simple, "index.html"), "w") as fh:
        fh.write("<!DOCTYPE html><html><body>\n")
        fh.write("\n".join(f'<a href="{n}/">{n}</a><br>' for n in sorted(projects)))
        fh.write("\n</body></html>\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
