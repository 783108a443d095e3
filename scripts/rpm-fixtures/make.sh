#!/usr/bin/env bash
# Builds the rpm database fixtures of package-extract with the real tools:
#   1. small RPMs built with rpmbuild (package `rpm`): one noarch with an epoch, requires with
#      versions and a modularity label; one signed with a throwaway OpenPGP key (rpmsign, gpg);
#      one with 400 files, whose header is far larger than a 4096-byte page;
#   2. installed with `rpm --root ROOT -i --nodeps --justdb` into a SQLite rpmdb;
#   3. the same header blobs (read from the SQLite `Packages` table) written as Berkeley DB
#      hash databases with db5.3_load (package `db5.3-util`): key = header number, 4 bytes
#      little-endian, value = the blob; in both byte orders and with 4096- and 512-byte pages;
#   4. each database read back with `rpm -qa` (`--define '_db_backend bdb_ro'` for BDB).
#
# Output: testdata/package-extract/rpm/{sqlite,bdb-le-4096,bdb-be-4096,bdb-le-512}/ and
# expected-qa.txt (what rpm -qa printed). Run from anywhere; needs rpm, rpmbuild, rpmsign, gpg,
# db5.3-util, sqlite3.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/testdata/package-extract/rpm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

top="$work/rpmbuild"
mkdir -p "$top"/{SPECS,SOURCES,BUILD,RPMS,SRPMS} "$work/gnupg"
chmod 700 "$work/gnupg"
export GNUPGHOME="$work/gnupg"
# Fixed times so reruns differ as little as possible.
export SOURCE_DATE_EPOCH=1700000000

cat >"$top/SPECS/small.spec" <<'EOF'
Name:           fixture-small
Epoch:          2
Version:        1.0
Release:        3.fx
Summary:        A small fixture package
License:        MIT
Vendor:         Thoth fixtures
BuildArch:      noarch
Requires:       /bin/sh
Requires:       bash >= 4.0
Requires:       coreutils < 99
Requires:       glibc = 2.36
Requires(post): /sbin/ldconfig
Requires(postun): /sbin/ldconfig

%description
Small.

%install
mkdir -p %{buildroot}/usr/share/fixture-small
echo hello > %{buildroot}/usr/share/fixture-small/hello.txt

%files
%dir /usr/share/fixture-small
/usr/share/fixture-small/hello.txt
EOF

cat >"$top/SPECS/signed.spec" <<'EOF'
Name:           fixture-signed
Version:        0.1
Release:        1
Summary:        A signed fixture package
License:        Apache-2.0
Requires:       fixture-small

%description
Signed.

%install
mkdir -p %{buildroot}/etc
echo signed > %{buildroot}/etc/fixture-signed.conf

%files
%config /etc/fixture-signed.conf
EOF

cat >"$top/SPECS/big.spec" <<'EOF'
Name:           fixture-big
Version:        4.2
Release:        1.fx
Summary:        A fixture package whose header spans many pages
License:        GPL-2.0-or-later
URL:            https://example.invalid/fixture-big

%description
Four hundred files with long names, so that the header is larger than a Berkeley DB page and
is stored on overflow pages.

%install
mkdir -p %{buildroot}/usr/share/fixture-big/a-directory-with-a-rather-long-name
for i in $(seq 1 400); do
  echo "$i" > %{buildroot}/usr/share/fixture-big/a-directory-with-a-rather-long-name/file-number-$i-with-a-long-name.txt
done

%files
/usr/share/fixture-big
EOF

build() {
  rpmbuild --quiet --define "_topdir $top" --define "_build_id_links none" "$@"
}
build --define 'modularitylabel fixture:1:20231114:abcdef01' -bb "$top/SPECS/small.spec"
build -bb "$top/SPECS/signed.spec"
build -bb "$top/SPECS/big.spec"

gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'Fixture Signer <fixture@example.invalid>' rsa2048 sign never
keyid="$(gpg --batch --list-keys --with-colons | awk -F: '/^pub/ {print $5; exit}')"
rpmsign --define "__gpg $(command -v gpg)" --define "_gpg_name $keyid" --addsign "$top"/RPMS/*/fixture-signed-*.rpm >/dev/null

root="$work/root"
mkdir -p "$root"
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' --initdb
gpg --batch --armor --export "$keyid" >"$work/key.asc"
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' --import "$work/key.asc"
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' \
  -i --nodeps --justdb "$top"/RPMS/*/*.rpm

rm -rf "$out"
mkdir -p "$out/sqlite"
# A clean copy without WAL or shm files.
sqlite3 "$root/var/lib/rpm/rpmdb.sqlite" ".backup '$out/sqlite/rpmdb.sqlite'"
sqlite3 "$out/sqlite/rpmdb.sqlite" 'PRAGMA journal_mode=DELETE; VACUUM;' >/dev/null

# db_dump's "bytevalue" format: key and value lines, hex, each after one space.
dump="$work/packages.dump"
{
  printf 'VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n'
  sqlite3 "$out/sqlite/rpmdb.sqlite" \
    "SELECT ' ' || lower(hex(char(hnum & 255, (hnum >> 8) & 255, (hnum >> 16) & 255, (hnum >> 24) & 255))) || char(10) || ' ' || lower(hex(blob)) FROM Packages ORDER BY hnum"
  printf 'DATA=END\n'
} >"$dump"
# char() yields UTF-8 for code points above 127; header numbers here are small.
make_bdb() { # dir lorder pagesize
  mkdir -p "$out/$1"
  db5.3_load -c "db_lorder=$2" -c "db_pagesize=$3" -f "$dump" "$out/$1/Packages"
}
make_bdb bdb-le-4096 1234 4096
make_bdb bdb-be-4096 4321 4096
make_bdb bdb-le-512 1234 512

qf='%{NEVRA}\n'
rpm --dbpath "$out/sqlite" -qa --qf "$qf" | sort >"$out/expected-qa.txt"
for d in bdb-le-4096 bdb-be-4096 bdb-le-512; do
  got="$(rpm --dbpath "$out/$d" --define '_db_backend bdb_ro' -qa --qf "$qf" 2>/dev/null | sort)"
  if [ "$got" != "$(cat "$out/expected-qa.txt")" ]; then
    echo "rpm reads $d differently:" >&2
    echo "$got" >&2
    exit 1
  fi
done
# The big header must not fit a page.
big="$(sqlite3 "$out/sqlite/rpmdb.sqlite" "SELECT max(length(blob)) FROM Packages")"
[ "$big" -gt 4096 ] || { echo "largest header is only $big bytes" >&2; exit 1; }
echo "fixtures in $out (largest header $big bytes):"
cat "$out/expected-qa.txt"
