#!/usr/bin/env bash
# Builds the analyzers' container image with buildah from base images made on this machine,
# then runs package-extract from inside it against the sample image and against the built
# image itself.
#
#   scripts/container/build.sh [bases|image|check|all|clean]     (default: all)
#
#   bases  debootstrap a minimal Debian (the runtime base: ca-certificates, no compiler) and a
#          second one with gcc, and copy this machine's Rust toolchain into the second (the
#          build base): localhost/thoth-analyzers/debian-runtime and .../rust-build
#   image  vendor the crates (cargo vendor, from the local registry cache), lay out a build
#          context from the committed tree (git archive HEAD), and build the Containerfile:
#          localhost/thoth-analyzers:VERSION
#   check  run package-extract inside the image against testdata/package-extract/sample-image
#          and against the image itself (exported as an OCI layout); print a summary of each
#   clean  remove the built image (the bases stay, for the next build)
#
# The bases are made once: `all` and `bases` reuse them when buildah has them (REBUILD_BASES=1
# makes them again; the build base's tag names the Rust version copied into it). CI (.ci/run)
# runs `all` then `clean`.
#
# Needs: buildah, debootstrap, git, cargo, python3; root (buildah with the vfs driver and the
# chroot isolation works without a container runtime daemon). The Debian mirror is the one this
# machine's apt uses, or MIRROR=URL. Work files go to $WORK (default: a directory under /var/tmp;
# the root filesystems and the build context are removed once used); images stay in buildah's
# storage (vfs, under /var/lib/containers: about 1.5 GB for the three images).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
step=${1:-all}
suite=${SUITE:-bookworm}
WORK=${WORK:-/var/tmp/thoth-analyzers-container}
runtime_base=localhost/thoth-analyzers/debian-runtime:$suite
build_base=localhost/thoth-analyzers/rust-build:$suite-$(rustc --version | cut -d' ' -f2)
version=$(cd "$repo" && cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "common"))')
image=localhost/thoth-analyzers:$version
bh=(buildah --storage-driver vfs)
export BUILDAH_ISOLATION=chroot
mkdir -p "$WORK"

log() { printf '\n=== %s\n' "$*" >&2; }

mirror() {
  if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
  # deb822 sources (URIs: ...) or one-line sources (deb URL suite ...), whichever this machine has.
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2; exit}')
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2; exit}')
  [ -n "$m" ] || { echo "no Debian mirror found in apt's sources: set MIRROR" >&2; exit 1; }
  echo "$m"
}

# debootstrap ROOTFS PACKAGES...: a minbase Debian with the given packages, apt lists and caches
# removed.
bootstrap() {
  local root=$1; shift
  local include
  include=$(IFS=,; echo "$*")
  rm -rf "$root"
  debootstrap --variant=minbase --include="$include" "$suite" "$root" "$(mirror)" >"$root.log" 2>&1 ||
    { tail -20 "$root.log" >&2; exit 1; }
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
}

# commit_rootfs ROOTFS IMAGE [buildah config options...]
commit_rootfs() {
  local root=$1 name=$2; shift 2
  local ctr
  ctr=$("${bh[@]}" from scratch)
  "${bh[@]}" copy "$ctr" "$root" / >/dev/null
  "${bh[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" "$ctr"
  "${bh[@]}" commit --rm -q "$ctr" "$name" >/dev/null
  echo "$name" >&2
}

have_image() {
  "${bh[@]}" inspect --type image "$1" >/dev/null 2>&1
}

bases() {
  if [ -z "${REBUILD_BASES:-}" ] && have_image "$runtime_base" && have_image "$build_base"; then
    log "bases: $runtime_base and $build_base already made (REBUILD_BASES=1 remakes them)"
    return
  fi
  log "runtime base: debootstrap $suite (minbase + ca-certificates)"
  bootstrap "$WORK/runtime-rootfs" ca-certificates
  commit_rootfs "$WORK/runtime-rootfs" "$runtime_base"
  rm -rf "$WORK/runtime-rootfs"

  log "build base: debootstrap $suite (minbase + a C toolchain) + this machine's Rust toolchain"
  bootstrap "$WORK/build-rootfs" ca-certificates gcc g++ libc6-dev make cmake pkg-config perl
  local toolchain
  toolchain=$(rustc --print sysroot)
  mkdir -p "$WORK/build-rootfs/usr/local/rust/bin"
  cp -a "$toolchain/bin/cargo" "$toolchain/bin/rustc" "$WORK/build-rootfs/usr/local/rust/bin/"
  cp -a "$toolchain/lib" "$WORK/build-rootfs/usr/local/rust/"
  commit_rootfs "$WORK/build-rootfs" "$build_base" \
    --env PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env CARGO_HOME=/usr/local/cargo
  rm -rf "$WORK/build-rootfs"
  "${bh[@]}" run "$(${bh[@]} from "$build_base")" -- sh -c 'rustc --version && cargo --version && cc --version | head -1'
  "${bh[@]}" rm -a >/dev/null
}

image() {
  local ctx="$WORK/context"
  log "build context: git archive HEAD + vendored crates"
  rm -rf "$ctx"
  mkdir -p "$ctx/.cargo"
  git -C "$repo" archive --format=tar HEAD | tar -x -C "$ctx"
  # cargo vendor reads the local registry cache first; --locked keeps Cargo.lock as committed.
  (cd "$ctx" && cargo vendor --locked --versioned-dirs vendor >.cargo/config.toml)
  local revision created
  revision=$(git -C "$repo" rev-parse HEAD)
  created=$(date -u -d "@$(git -C "$repo" log -1 --format=%ct)" +%Y-%m-%dT%H:%M:%SZ)
  log "buildah build $image (release build of the workspace)"
  local started=$SECONDS
  "${bh[@]}" build --isolation chroot --layers=false \
    --build-arg BUILD_BASE="$build_base" --build-arg RUNTIME_BASE="$runtime_base" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" \
    -f "$ctx/Containerfile" -t "$image" "$ctx"
  log "built $image in $((SECONDS - started)) s"
  rm -rf "$ctx"
  "${bh[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$image"
}

# summary DOC.json: one line of counts from a package-extract document.
summary() {
  python3 - "$1" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc["result"]
if r.get("error"):
    sys.exit(f"package-extract failed: {r.get('error_kind')}: {r.get('error_msg')}")
os_ = r.get("operating-system", {})
print(f"  os: {os_.get('pretty_name') or os_.get('id')}; layers: {len(r['layers'])}; "
      f"image_size: {r['image_size']}; deb: {len(r.get('deb', []))}; "
      f"python-packages: {len(r.get('python-packages', []))}; "
      f"elf-objects: {len(r.get('elf-objects', []))}; "
      f"system-symbols: {len(r.get('system-symbols', {}))}; "
      f"analyzer: {doc['metadata']['analyzer']} {doc['metadata']['analyzer_version']}")
EOF
}

check() {
  local out="$WORK/check"
  rm -rf "$out"
  mkdir -p "$out/in" "$out/docs"
  chmod 0777 "$out/docs"
  log "export $image as an OCI layout"
  "${bh[@]}" push -q "$image" "oci:$out/in/self:latest" >/dev/null
  cp -a "$repo/testdata/package-extract/sample-image" "$out/in/sample-image"
  chmod -R a+rX "$out/in"
  "${bh[@]}" inspect --type image "$image" | python3 -c '
import json, sys
config = json.load(sys.stdin)["OCIv1"]["config"]
print("user:", config.get("User"))
for k, v in sorted(config.get("Labels", {}).items()):
    print(f"label {k}={v}")'
  local ctr
  ctr=$("${bh[@]}" from "$image")
  for name in sample-image self; do
    log "package-extract (inside the image) on $name"
    "${bh[@]}" run --isolation chroot -v "$out/in:/mnt/in:ro" -v "$out/docs:/mnt/workdir" \
      --env THOTH_DOCUMENT_ID="check-$name" \
      --env THOTH_ANALYZED_IMAGE="oci:/mnt/in/$name:latest" \
      --env THOTH_ANALYZER_OUTPUT="/mnt/workdir/check-$name" \
      "$ctr" -- package-extract extract-image
    summary "$out/docs/check-$name"
  done
  "${bh[@]}" run --isolation chroot "$ctr" -- sh -c 'id; for b in package-extract buildlog-parser solver provenance-checker; do $b --version; done'
  "${bh[@]}" rm "$ctr" >/dev/null
}

clean() {
  log "remove $image"
  "${bh[@]}" rm -a >/dev/null
  if have_image "$image"; then
    "${bh[@]}" rmi "$image" >/dev/null
  fi
  "${bh[@]}" rmi --prune >/dev/null 2>&1 || true
}

case "$step" in
  bases) bases ;;
  image) image ;;
  check) check ;;
  all) bases; image; check ;;
  clean) clean ;;
  *) echo "usage: $0 [bases|image|check|all|clean]" >&2; exit 2 ;;
esac
