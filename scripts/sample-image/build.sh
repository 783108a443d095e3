#!/usr/bin/env bash
# Builds the sample image in testdata/package-extract/sample-image (an OCI layout, ~3 MB) from
# real packages: Debian's own .deb files and real wheels and sdists.
#
#   layer 0  os-release, dpkg status, info/*.list and files of real debs: python3.11-minimal (the
#            interpreter), python3-six (.egg-info dir), python3-yaml (.dist-info),
#            python3-certifi, python3-idna
#   layer 1  real wheels installed by pip into /usr/local/lib/python3.11/site-packages
#            (attrs, packaging, idna), a virtual environment in /opt/venv with its own
#            distribution (six wheel), a legacy .egg-info *file* (from six's sdist PKG-INFO),
#            a distroless-style /var/lib/dpkg/status.d/netbase entry with netbase's files
#   layer 2  deletes the idna distribution from /usr/local (whiteouts) and a file from layer 0
#
# Needs: umoci, dpkg-deb, apt-get (to download the debs), python3 with pip (to download and
# install the wheels). Run by hand; the result is committed and read by the tests.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/testdata/package-extract/sample-image"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

debs="python3.11-minimal python3-six python3-yaml python3-certifi python3-idna netbase"
(cd "$work" && apt-get download -q $debs >/dev/null 2>&1)
pip download -q --no-deps --only-binary :all: -d "$work/wheels" attrs==23.2.0 packaging==24.0 idna==3.7 six==1.16.0
pip download -q --no-deps --no-binary :all: -d "$work/sdist" six==1.16.0

rm -rf "$out"
umoci init --layout "$out"
umoci new --image "$out:latest"

layer() { # layer N: unpack, let the caller fill $work/bundle/rootfs, repack
  rm -rf "$work/bundle"
  umoci unpack --image "$out:latest" "$work/bundle" >/dev/null
}
repack() {
  umoci repack --history.created_by "$1" --image "$out:latest" "$work/bundle"
}

# Layer 0: a Debian-like base.
layer
root="$work/bundle/rootfs"
mkdir -p "$root/etc" "$root/usr/lib" "$root/var/lib/dpkg"
cp /usr/lib/os-release "$root/usr/lib/os-release"
ln -s ../usr/lib/os-release "$root/etc/os-release"
: > "$root/var/lib/dpkg/status"
for name in python3.11-minimal python3-six python3-yaml python3-certifi python3-idna; do
  deb=$(ls "$work"/${name}_*.deb)
  dpkg-deb -x "$deb" "$root"
  dpkg-deb -f "$deb" | sed '/^Package:/a Status: install ok installed' >> "$root/var/lib/dpkg/status"
  echo >> "$root/var/lib/dpkg/status"
  # dpkg records every path a package installed in info/<package>.list.
  mkdir -p "$root/var/lib/dpkg/info"
  dpkg-deb -c "$deb" | awk '{print $6}' | sed -e 's|^\./|/|' -e 's|/$||' -e 's|^$|/.|' > "$root/var/lib/dpkg/info/$name.list"
done
# A deinstalled package keeps a paragraph but is not installed.
printf 'Package: python3-removed\nStatus: deinstall ok config-files\nPriority: optional\nArchitecture: all\nVersion: 1.0-1\nDescription: removed earlier\n\n' >> "$root/var/lib/dpkg/status"
rm -rf "$root/usr/share/doc" "$root/usr/share/man"
ln -s python3.11 "$root/usr/bin/python3"
repack "base: debs"

# Layer 1: pip-installed wheels, a venv, an .egg-info file, a distroless status.d entry.
layer
root="$work/bundle/rootfs"
site="$root/usr/local/lib/python3.11/site-packages"
mkdir -p "$site"
PIP_CONFIG_FILE=/dev/null python3 -m pip install -q --no-deps --no-compile --target "$site" \
  "$work/wheels/attrs-23.2.0-py3-none-any.whl" "$work/wheels/packaging-24.0-py3-none-any.whl" \
  "$work/wheels/idna-3.7-py3-none-any.whl"
# A venv as `python3 -m venv` lays it out, pointing at the image's interpreter.
venv="$root/opt/venv"
mkdir -p "$venv/bin" "$venv/lib/python3.11/site-packages"
printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\nexecutable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv /opt/venv\n' > "$venv/pyvenv.cfg"
ln -s /usr/bin/python3.11 "$venv/bin/python3.11"
ln -s python3.11 "$venv/bin/python3"
ln -s python3 "$venv/bin/python"
PIP_CONFIG_FILE=/dev/null python3 -m pip install -q --no-deps --no-compile --target "$venv/lib/python3.11/site-packages" \
  "$work/wheels/six-1.16.0-py2.py3-none-any.whl"
# distutils' `setup.py install` wrote metadata as a single .egg-info file.
tar -xzf "$work"/sdist/six-1.16.0.tar.gz -C "$work" six-1.16.0/PKG-INFO
mkdir -p "$root/usr/lib/python3.11/site-packages"
cp "$work/six-1.16.0/PKG-INFO" "$root/usr/lib/python3.11/site-packages/six-1.16.0-py3.11.egg-info"
# Distroless images keep one control file per package in status.d, with no Status field.
mkdir -p "$root/var/lib/dpkg/status.d"
deb=$(ls "$work"/netbase_*.deb)
dpkg-deb -x "$deb" "$root"
dpkg-deb -f "$deb" > "$root/var/lib/dpkg/status.d/netbase"
rm -rf "$root/usr/share/doc"
repack "app: wheels, venv, egg-info file, status.d"

# Layer 2: remove idna from /usr/local, and a file of layer 0.
layer
root="$work/bundle/rootfs"
rm -rf "$root"/usr/local/lib/python3.11/site-packages/idna "$root"/usr/local/lib/python3.11/site-packages/idna-3.7.dist-info
rm -f "$root/usr/lib/python3/dist-packages/six.py"
repack "cleanup: pip uninstall idna"

umoci config --image "$out:latest" --config.env "THOTH_S2I_NAME=sample" --config.env "PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin" \
  --config.label "org.opencontainers.image.title=package-extract sample" --config.label "version=1.0" \
  --architecture amd64 --os linux --created 2023-11-14T22:13:20Z
umoci gc --layout "$out"
du -sh "$out"
