#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test (unit, upstream fixtures, crafted
# images, real images built from Debian packages, a real registry).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-test-images.sh
# Language packages installed by npm and pip themselves (needs the npm registry and PyPI).
python3 scripts/build-lang-image.py
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --doc --locked
else
  cargo test --workspace --locked --no-fail-fast
fi
