#!/usr/bin/env bash
# Installs what hull's tests and image builds need on Debian (idempotent). Run as root.
set -euo pipefail
# python3-apt and python3-packaging are the reference implementations the differential
# matching test compares against (with node-semver, below); yara is the peer the malware
# test compares hull's YARA matches with; rpm (librpm) and debsums are the references for the
# OS file digests; clamav-daemon is the clamd the `--clamd` test talks to; golang-go builds a
# Go binary and gives `go version -m`, the reference for the Go binary reader.
pkgs=(debootstrap umoci skopeo docker-registry apache2-utils openssl python3 python3-rpm
      python3-apt python3-packaging pigz zstd yara rpm debsums clamav-daemon golang-go
      # Debian's Java packages: their jars against Debian's maven-repo and dpkg (debian_jars.rs).
      libguava-java libguice-java libtomcat10-java liblog4j2-java libjackson2-databind-java
      libcommons-collections3-java libxstream-java libyaml-snake-java libcommons-lang3-java
      libslf4j-java
      # Maven itself, offline against Debian's repository: the reference for pom.xml (maven_pom.rs).
      maven libmaven-dependency-plugin-java junit4
      # xmllint validates the JUnit output against the Ant JUnit schema; chromium loads the
      # HTML report headless (no console error, tables hold the findings).
      libxml2-utils chromium
      # PostgreSQL: the server's store tests run on a throwaway cluster (initdb, pg_ctl).
      postgresql)
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian package starts a registry on :5000; the tests start their own.
if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi
# node-semver, the npm side of the differential matching test (HULL_NODE_SEMVER).
if [ ! -f "$HOME/.cache/hull-ci-node/node_modules/semver/package.json" ]; then
  mkdir -p "$HOME/.cache/hull-ci-node"
  npm install --silent --no-audit --no-fund --prefix "$HOME/.cache/hull-ci-node" semver@7
fi
