#!/usr/bin/env python3
"""Writes seed layers for the `layer` fuzz target into corpus/layer/: small plain tars (the
fuzzer mutates tar headers and file contents far better than compressed bytes), each holding
what one cataloger reads, from the shared corpus and this machine's files.

Usage (from fuzz-rpm/): python3 make_layer_seeds.py
"""
import glob
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")
OUT = os.path.join(HERE, "corpus", "layer")


def read(path):
    with open(path, "rb") as fh:
        return fh.read()


def layer(name, files, links=(), hardlinks=()):
    """files: {path: bytes}; links: (path, target) symlinks; hardlinks: (path, target)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755 if path.startswith(("bin/", "usr/bin/")) else 0o644
            tar.addfile(info, io.BytesIO(data))
        for kind, pairs in ((tarfile.SYMTYPE, links), (tarfile.LNKTYPE, hardlinks)):
            for path, target in pairs:
                info = tarfile.TarInfo(path)
                info.type = kind
                info.linkname = target
                tar.addfile(info)
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(raw.getvalue())


def main():
    os.makedirs(OUT, exist_ok=True)
    os_release = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
    dpkg = (
        b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\n"
        b"Version: 2.36-9+deb12u4\nDepends: libgcc-s1\nPre-Depends: debconf (>= 0.5)\n\n"
        b"Package: python3-six\nStatus: install ok installed\nArchitecture: all\nVersion: 1.16.0-4\n"
        b"Replaces: python-six\n\n"
    )
    layer("dpkg", {
        "etc/os-release": os_release,
        "var/lib/dpkg/status": dpkg,
        "var/lib/dpkg/status.d/base": b"Package: base-files\nVersion: 12.4\nArchitecture: amd64\n",
        "var/lib/dpkg/info/python3-six.list": b"/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n",
        "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO": b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
    }, links=[("lib", "usr/lib")])
    for path in sorted(glob.glob(os.path.join(CORPUS, "apk", "*")))[:4]:
        layer("apk-" + os.path.basename(path), {"lib/apk/db/installed": read(path)[:32768]})
    meta = {}
    for path in glob.glob(os.path.join(CORPUS, "python-metadata", "*", "*", "*")):
        if os.path.isfile(path) and os.path.getsize(path) < 16384:
            rel = os.path.relpath(path, os.path.join(CORPUS, "python-metadata"))
            meta["usr/lib/python3.11/site-packages/" + rel.split("/", 1)[1]] = read(path)
    meta["opt/venv/pyvenv.cfg"] = b"home = /usr/bin\nversion = 3.11.2\n"
    layer("python", meta, links=[("opt/venv/bin/python3", "/usr/bin/python3.11")],
          hardlinks=[("usr/bin/python3.11", "usr/lib/python3.11/site-packages/x.py")])
    rpm = os.path.join(REPO, "testdata", "package-extract", "rpm", "bdb-le-512", "Packages")
    layer("rpm-bdb", {"etc/os-release": b"ID=rhel\nVERSION_ID=8\n", "var/lib/rpm/Packages": read(rpm)[:65536]})
    layer("elf", {"usr/lib/x86_64-linux-gnu/libfoo.so.1": read("/bin/true"),
                  "etc/ld.so.conf": b"include /etc/ld.so.conf.d/*.conf\n",
                  "etc/ld.so.conf.d/x.conf": b"/opt/lib\n",
                  "usr/local/cuda/version.txt": b"CUDA Version 11.8.0\n"})
    layer("whiteouts", {"usr/lib/python3/dist-packages/.wh.six-1.16.0.egg-info": b"",
                        "opt/.wh..wh..opq": b"", "app/app.py": b"print(1)\n"})
    print(f"seeds in {OUT}: {len(os.listdir(OUT))}")


if __name__ == "__main__":
    main()
