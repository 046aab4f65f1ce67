#!/usr/bin/env bash
# Builds real test images from real Debian packages, with no Docker engine:
#
#   debootstrap (minbase, bookworm)            -> layer 1
#   apt-get install in a chroot (+ a file)     -> layer 2
#   apt-get purge + rm (whiteouts)             -> layer 3
#
# Each layer is committed with umoci into an OCI layout, then skopeo writes the same image as
# a docker-archive, an OCI archive and a zstd OCI layout. Beside each image it records what
# dpkg-query says of the final root filesystem (the ground truth the tests compare with).
#
# Usage: scripts/build-test-images.sh [OUT_DIR] [EXTRA_PACKAGES...]
#   OUT_DIR defaults to testdata/images/out. With EXTRA_PACKAGES (the benchmark image), they
#   are installed in layer 2 as well.
# Needs root, debootstrap, umoci, skopeo and a Debian mirror (MIRROR, default deb.debian.org).
set -euo pipefail

# debootstrap, chroot and umoci unpack need root.
if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E bash "$0" "$@"
fi

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/testdata/images/out}
shift || true
extra=("$@")
mirror=${MIRROR:-http://deb.debian.org/debian}
suite=${SUITE:-bookworm}
name=${IMAGE_NAME:-debian-test}

for tool in debootstrap umoci skopeo dpkg-query; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install debootstrap umoci skopeo)" >&2; exit 1; }
done

mkdir -p "$out"
if [ -f "$out/$name.done" ]; then
  echo "images already built in $out (remove $out/$name.done to rebuild)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout="$work/oci"

umoci init --layout "$layout"
umoci new --image "$layout:$name"
umoci unpack --image "$layout:$name" "$work/bundle"
root="$work/bundle/rootfs"

# Layer 1: a minimal Debian.
# One retry: a transient mirror or extraction failure should not fail a CI run.
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror"; then
  echo "debootstrap failed; retrying once in a clean directory" >&2
  find "$root" -mindepth 1 -delete
  debootstrap --variant=minbase "$suite" "$root" "$mirror"
fi
umoci repack --history.created_by "debootstrap --variant=minbase $suite" --image "$layout:$name" "$work/bundle"

# umoci diffs a bundle against the image it was unpacked from, so each layer is made in a
# fresh bundle unpacked from the previous step.
next_bundle() {
  rm -rf "$work/bundle"
  umoci unpack --image "$layout:$name" "$work/bundle"
}
next_bundle

# Layer 2: packages installed the way a Dockerfile RUN would, plus an application file.
chroot_apt() {
  mount --bind /proc "$root/proc" 2>/dev/null || true
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive "$@"
  umount "$root/proc" 2>/dev/null || true
}
chroot_apt apt-get update -q
chroot_apt apt-get install -y -q --no-install-recommends ca-certificates libexpat1 zlib1g netbase "${extra[@]}"
mkdir -p "$root/app"
printf '#!/bin/sh\necho hello\n' > "$root/app/run.sh"
chmod 755 "$root/app/run.sh"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin
umoci repack --history.created_by "RUN apt-get install ca-certificates libexpat1 zlib1g netbase ${extra[*]} && add /app" \
  --image "$layout:$name" "$work/bundle"
next_bundle

# Layer 3: a package purged and files deleted: whiteouts in the diff.
chroot_apt dpkg --purge netbase
rm -rf "$root/app/run.sh" "$root/usr/share/doc/zlib1g"
umoci repack --history.created_by "RUN dpkg --purge netbase && rm /app/run.sh" --image "$layout:$name" "$work/bundle"
# Runtime configuration last: `umoci config` makes a new manifest that later repacks of the
# same bundle would not build on.
umoci config --no-history --image "$layout:$name" \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.user 1000 --config.workingdir /app --config.entrypoint /app/run.sh --config.exposedports 8080/tcp

# Ground truth from dpkg itself, on the final root filesystem.
dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n' \
  | sort > "$out/$name.dpkg-query.tsv"
umoci gc --layout "$layout"

rm -rf "$out/$name.oci" "$out/$name.zstd.oci"
cp -r "$layout" "$out/$name.oci"
skopeo copy -q "oci:$layout:$name" "docker-archive:$out/$name.docker.tar:$name:latest"
skopeo copy -q "oci:$layout:$name" "oci-archive:$out/$name.oci.tar:$name"
skopeo copy -q --dest-compress-format zstd "oci:$layout:$name" "oci:$out/$name.zstd.oci:$name"
# The root filesystem itself, for `hull scan DIR` (without /proc, /sys, /dev contents).
rm -rf "$out/$name.rootfs"
mkdir -p "$out/$name.rootfs"
tar -C "$root" --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -cf - . | tar -C "$out/$name.rootfs" -xf -
touch "$out/$name.done"
echo "built $name in $out: $name.oci $name.docker.tar $name.oci.tar $name.zstd.oci $name.rootfs"
