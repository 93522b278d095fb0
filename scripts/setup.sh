#!/usr/bin/env bash
# One-time set-up on a fresh machine that has the Rust toolchain and Python:
# the rustfmt and clippy components, every crate the workspace needs,
# cargo-deny, the nightly toolchain and cargo-fuzz for the fuzz targets, the
# Python clients the interop tests drive, redis-server for the multi-process
# tests, and Chromium with chromedriver for the explorer's browser test.
# Idempotent: what is there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done
cargo fetch --locked
# Licences, bans and sources of the dependency tree (deny.toml), checked by CI.
command -v cargo-deny >/dev/null 2>&1 || cargo install --quiet --locked cargo-deny

# The fuzz targets (fuzz/, a workspace of its own) build on nightly with cargo-fuzz.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install --profile minimal nightly >/dev/null || echo 'setup: no nightly toolchain; the fuzz targets cannot build' >&2
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
(cd fuzz && cargo +nightly fetch --locked >/dev/null 2>&1) || (cd fuzz && cargo +nightly fetch >/dev/null)

# The seeds' own Python clients, for the interop tests (tests/interop): a
# virtual environment with the pinned versions of tests/interop/requirements.txt.
venv=target/interop-venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/interop/requirements.txt "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
    cp tests/interop/requirements.txt "$venv/requirements.txt"
fi

# Headless Chromium and its WebDriver server (Debian's packages), for the
# explorer's browser test (tests/tests/explorer).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
    if command -v apt-get >/dev/null 2>&1; then
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
            "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null ||
            echo 'setup: could not install chromium and chromium-driver; the browser tests will be skipped (a failure under RPC_REQUIRE_INTEROP=1)' >&2
    else
        echo 'setup: no apt-get; install Chromium and chromedriver by hand for the browser tests' >&2
    fi
fi

# redis-server (Debian's package) for the multi-process tests (tests/tests/redis):
# each test starts its own on a free loopback port.
if ! command -v redis-server >/dev/null 2>&1; then
    # Root runs apt-get itself; anyone else through sudo, without a prompt.
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
    if command -v apt-get >/dev/null 2>&1; then
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
            "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null ||
            echo 'setup: could not install redis-server; the Redis tests will be skipped (a failure under RPC_REQUIRE_INTEROP=1)' >&2
    else
        echo 'setup: no apt-get; install redis-server by hand for the Redis tests' >&2
    fi
fi
