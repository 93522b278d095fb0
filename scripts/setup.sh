#!/usr/bin/env bash
# One-time set-up on a fresh machine that has the Rust toolchain and Python:
# the rustfmt and clippy components, every crate the workspace needs, and
# the Python clients the interop tests drive.
set -euo pipefail
cd "$(dirname "$0")/.."

for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done
cargo fetch --locked

# The seeds' own Python clients, for the interop tests (tests/interop): a
# virtual environment with the pinned versions of tests/interop/requirements.txt.
venv=target/interop-venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/interop/requirements.txt "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
    cp tests/interop/requirements.txt "$venv/requirements.txt"
fi
