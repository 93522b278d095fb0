#!/usr/bin/env bash
# One-time set-up on a fresh machine that has the Rust toolchain:
# the rustfmt and clippy components, and every crate the workspace needs.
set -euo pipefail
cd "$(dirname "$0")/.."

for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done
cargo fetch --locked
