#!/usr/bin/env bash
# Compile time of a 100-method service: our `#[rpc]` beside jsonrpsee's
# `#[rpc(server, client)]`.
#
# Generates two small crates with the same 100 methods (same bodies, server
# and client for both), under target/compile-time/{ours,jsonrpsee}:
#   ours       `#[rpc] impl Service { ... }`  -> router, ServiceClient<T>, METHODS
#   jsonrpsee  `#[rpc(server, client)] trait Api { ... }` + `impl ApiServer for Service`
# Each also has `pub fn server()` building its router / RpcModule, so both
# compile their server glue here; the clients stay generic over the transport
# in both (compiled to machine code only where a transport is chosen).
# Both build into one shared CARGO_TARGET_DIR (target/compile-time/target) and
# start from the workspace's Cargo.lock, so they share dependency versions.
#
# Each crate is built once to compile its dependencies; then only the service
# crate is measured from clean (`cargo clean -p <crate>`, then the build):
#   cargo build            median of RUNS (debug, the default dev profile)
#   cargo check            median of RUNS (what an editor runs)
#   cargo build --release  once (skip with RELEASE=0)
# and the line count of each crate after macro expansion (EXPAND=0 skips it).
#
# Wall-clock times: run it on an idle machine, and compare the two crates only
# with each other, measured in the same run.
#
# Usage: scripts/compile_time.sh       (from anywhere in the workspace; not run in CI)
# Environment: RUNS (default 3), RELEASE (default 1), METHODS (default 100),
# EXPAND (default 1: count the lines of the macro-expanded crates; 0 skips it).
# Needs: cargo, and network access (or a filled cargo cache) for jsonrpsee's
# client dependencies that the workspace's Cargo.lock does not have yet.

set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too
export LC_ALL=C # "1.23" in time and awk output, whatever the locale

RUNS=${RUNS:-3}
RELEASE=${RELEASE:-1}
METHODS=${METHODS:-100}
EXPAND=${EXPAND:-1}

die() {
    echo "compile_time.sh: $*" >&2
    exit 1
}
log() {
    echo "compile_time.sh: $*" >&2
}

command -v cargo >/dev/null 2>&1 || die "cargo not found (https://rustup.rs)"
[ "$RUNS" -ge 1 ] || die "RUNS ($RUNS) must be at least 1"
[ "$METHODS" -ge 1 ] || die "METHODS ($METHODS) must be at least 1"

cd "$(dirname "$0")/.."
ROOT=$(pwd)
[ -f "$ROOT/Cargo.lock" ] && [ -d "$ROOT/rpc-core" ] || die "run from the workspace (no Cargo.lock / rpc-core in $ROOT)"

OUT="$ROOT/target/compile-time"
export CARGO_TARGET_DIR="$OUT/target"
LOGS="$OUT/logs"
mkdir -p "$OUT" "$LOGS"

# --- the 100 methods ---------------------------------------------------------

# Parameter types, cycled through by position; `Point` is a small serde struct.
TYPES=(i64 String "Option<u32>" "Vec<i64>" Point)
NAMES=(a b c d)
# How each parameter type adds into the body's accumulator.
use_param() { # name type
    case "$2" in
        i64) echo "acc += $1;" ;;
        String) echo "acc += $1.len() as i64;" ;;
        "Option<u32>") echo "acc += i64::from($1.unwrap_or(0));" ;;
        "Vec<i64>") echo "acc += $1.iter().sum::<i64>();" ;;
        Point) echo "acc += $1.x - $1.y;" ;;
        *) die "unknown type $2" ;;
    esac
}
# Return types, cycled through by method; "()" is a method returning nothing.
RETS=(i64 String "Vec<i64>" Point bool "()")
ret_value() { # type
    case "$1" in
        i64) echo "acc" ;;
        String) echo "format!(\"value {acc}\")" ;;
        "Vec<i64>") echo "vec![acc, acc + 1, acc + 2]" ;;
        Point) echo "Point { x: acc, y: -acc }" ;;
        bool) echo "acc % 2 == 0" ;;
        "()") echo "()" ;;
        *) die "unknown return type $1" ;;
    esac
}

# Method i: i % 5 params (0..4) of types cycled from TYPES at offset i; async
# when i % 7 is 1, 3 or 5 (43 of 100); returns RETS[(i / 3) % 6], in a Result
# when i % 3 != 0 (67 of 100), plain otherwise. (The moduli are picked so that
# every arity, sync/async and return type meets every other.)
# Sets: M_ASYNC M_PARAMS M_BODY M_RET M_RESULT M_DOC.
method() { # i
    local i=$1 n k ty name
    M_ASYNC=""
    case $((i % 7)) in 1 | 3 | 5) M_ASYNC="async " ;; esac
    n=$((i % 5))
    M_PARAMS=""
    M_BODY="let mut acc: i64 = $i;"
    for ((k = 0; k < n; k++)); do
        ty=${TYPES[$(((i + k) % ${#TYPES[@]}))]}
        name=${NAMES[$k]}
        M_PARAMS+=", $name: $ty"
        M_BODY+=" $(use_param "$name" "$ty")"
    done
    [ -n "$M_ASYNC" ] && M_BODY+=" let acc = std::future::ready(acc).await;"
    M_RET=${RETS[$((i / 3 % ${#RETS[@]}))]}
    M_RESULT=$((i % 3 != 0))
    M_DOC="Method number $i: $n parameter(s), ${M_ASYNC:-sync }$( ((M_RESULT)) && echo "fallible" || echo "infallible")."
}

POINT='/// A small serde struct used as a parameter and a return type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// x.
    pub x: i64,
    /// y.
    pub y: i64,
}

/// The service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Service;
'

gen_ours() {
    local i value
    echo "//! $METHODS methods under rpc_core's #[rpc] (generated by scripts/compile_time.sh)."
    echo "#![allow(clippy::all, unused_assignments, unused_mut, unused_variables)]"
    echo
    echo "use rpc_core::rpc;"
    echo
    echo "$POINT"
    echo "#[rpc]"
    echo "impl Service {"
    for ((i = 0; i < METHODS; i++)); do
        method "$i"
        value=$(ret_value "$M_RET")
        echo "    /// $M_DOC"
        if ((M_RESULT)); then
            echo "    pub ${M_ASYNC}fn method_$i(&self$M_PARAMS) -> Result<$M_RET, rpc_core::Error> {"
            echo "        $M_BODY"
            echo "        if acc == i64::MIN { return Err(rpc_core::Error::new(rpc_core::ErrorCode::new(1), \"out of range\")); }"
            echo "        Ok($value)"
        else
            echo "    pub ${M_ASYNC}fn method_$i(&self$M_PARAMS) -> $M_RET {"
            echo "        $M_BODY"
            echo "        $value"
        fi
        echo "    }"
    done
    echo "}"
    echo
    echo "/// The server as a binary would build it: makes this crate compile the router glue."
    echo "pub fn server() -> rpc_core::Router {"
    echo "    Service.into_router()"
    echo "}"
}

gen_jsonrpsee() {
    local i value
    echo "//! $METHODS methods under jsonrpsee's #[rpc(server, client)] (generated by scripts/compile_time.sh)."
    echo "#![allow(clippy::all, unused_assignments, unused_mut, unused_variables)]"
    echo
    echo "use jsonrpsee::core::{async_trait, RpcResult};"
    echo "use jsonrpsee::proc_macros::rpc;"
    echo "use jsonrpsee::types::ErrorObjectOwned;"
    echo
    echo "$POINT"
    echo "/// The API."
    echo "#[rpc(server, client)]"
    echo "pub trait Api {"
    for ((i = 0; i < METHODS; i++)); do
        method "$i"
        echo "    /// $M_DOC"
        echo "    #[method(name = \"method_$i\")]"
        echo "    ${M_ASYNC}fn method_$i(&self$M_PARAMS) -> RpcResult<$M_RET>;"
    done
    echo "}"
    echo
    echo "#[async_trait]"
    echo "impl ApiServer for Service {"
    for ((i = 0; i < METHODS; i++)); do
        method "$i"
        value=$(ret_value "$M_RET")
        echo "    ${M_ASYNC}fn method_$i(&self$M_PARAMS) -> RpcResult<$M_RET> {"
        echo "        $M_BODY"
        if ((M_RESULT)); then
            echo "        if acc == i64::MIN { return Err(ErrorObjectOwned::owned(1, \"out of range\", None::<()>)); }"
        fi
        echo "        Ok($value)"
        echo "    }"
    done
    echo "}"
    echo
    echo "/// The server as a binary would build it: makes this crate compile the registration glue"
    echo "/// (\`into_rpc\` is a provided trait method, otherwise compiled only where it is called)."
    echo "pub fn server() -> jsonrpsee::RpcModule<Service> {"
    echo "    Service.into_rpc()"
    echo "}"
}

# --- the two crates ------------------------------------------------------------

write_crate() { # dir name deps-toml generator
    local dir="$OUT/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
# Generated by scripts/compile_time.sh; not part of the workspace.
[package]
name = "$2"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$3

# Its own workspace, so it is not taken for a member of ours.
[workspace]
EOF
    "$4" >"$dir/src/lib.rs.new"
    # Keep the old file (and its mtime) when nothing changed.
    if cmp -s "$dir/src/lib.rs.new" "$dir/src/lib.rs"; then rm "$dir/src/lib.rs.new"; else mv "$dir/src/lib.rs.new" "$dir/src/lib.rs"; fi
    # Start from the workspace's versions; cargo only adds what is missing.
    cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
}

log "generating crates under $OUT"
write_crate ours ct_ours \
    'rpc-core = { path = "../../../rpc-core" }
serde = { version = "1", features = ["derive"] }' gen_ours
write_crate jsonrpsee ct_jsonrpsee \
    'jsonrpsee = { version = "0.26", default-features = false, features = ["server", "client-core", "macros"] }
serde = { version = "1", features = ["derive"] }' gen_jsonrpsee

CRATES=(ours jsonrpsee)
pkg() { echo "ct_$1"; }

# --- measuring ---------------------------------------------------------------

# "wall cpu" seconds (cpu = user + sys of cargo and rustc) of `cargo ARGS` in the
# crate's directory; cargo's output goes to a log. CPU time suffers less than
# wall time from other work on a busy machine.
timed() { # crate label cargo-args...
    local crate=$1 label=$2 t TIMEFORMAT='%R %U %S'
    shift 2
    # (The redirections go inside: on the timed command they would take time's report too.)
    t=$( { time (cd "$OUT/$crate" && cargo "$@" >"$LOGS/$crate-$label.log" 2>&1); } 2>&1) ||
        die "'cargo $*' failed for $crate; see $LOGS/$crate-$label.log"
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' <<<"$t"
}
clean_crate() { # crate [--release]
    (cd "$OUT/$1" && cargo clean -q -p "$(pkg "$1")" ${2:-}) >>"$LOGS/$1-clean.log" 2>&1 ||
        die "cargo clean failed for $1; see $LOGS/$1-clean.log"
    # Make sure no incremental state of the crate survives either.
    rm -rf "$CARGO_TARGET_DIR"/debug/incremental/"$(pkg "$1")"-* "$CARGO_TARGET_DIR"/release/incremental/"$(pkg "$1")"-*
}
# "wall cpu" seconds of one build of the crate alone from clean. The workspace
# may be edited while this runs: when cargo also rebuilt a dependency (rpc-core,
# say), that time is not the crate's, so the (now fresh) build is measured again.
measure() { # crate label cargo-args...
    local crate=$1 label=$2 attempt t
    for ((attempt = 1; attempt <= 5; attempt++)); do
        case " $* " in *" --release "*) clean_crate "$crate" --release ;; *) clean_crate "$crate" ;; esac
        t=$(timed "$@") || exit 1
        if ! grep -E '^ *(Compiling|Checking) ' "$LOGS/$crate-$label.log" | grep -qv " $(pkg "$crate") "; then
            echo "$t"
            return
        fi
        log "$crate: $label rebuilt a dependency too (workspace edited meanwhile?); measuring again"
    done
    die "$crate: $label kept rebuilding dependencies; see $LOGS/$crate-$label.log"
}
median() { # numbers...
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

for c in "${CRATES[@]}"; do
    log "$c: compiling dependencies (first run may take a few minutes)"
    timed "$c" warm-build build >/dev/null
    timed "$c" warm-check check >/dev/null
    if [ "$RELEASE" = 1 ]; then timed "$c" warm-release build --release >/dev/null; fi
done

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'; }
LOAD_BEFORE=$(loadavg)

# The crates take turns within each run, so a change in machine load hits both.
declare -A WALL CPU LINES # key: crate:what
record() { # crate what "wall cpu"
    WALL[$1:$2]+="${3% *} "
    CPU[$1:$2]+="${3#* } "
}
for ((r = 1; r <= RUNS; r++)); do
    for c in "${CRATES[@]}"; do
        b=$(measure "$c" build build)
        k=$(measure "$c" check check)
        record "$c" build "$b"
        record "$c" check "$k"
        log "$c: run $r/$RUNS: build ${b% *}s (cpu ${b#* }s), check ${k% *}s (cpu ${k#* }s)"
    done
done
for c in "${CRATES[@]}"; do
    if [ "$RELEASE" = 1 ]; then
        t=$(measure "$c" release build --release)
        record "$c" release "$t"
        log "$c: release ${t% *}s (cpu ${t#* }s)"
    fi
done
# Median of a crate's wall (or cpu) times for one kind of build; "-" if none.
wall() { if [ -n "${WALL[$1:$2]:-}" ]; then median ${WALL[$1:$2]}; else echo "-"; fi; }
cpu() { if [ -n "${CPU[$1:$2]:-}" ]; then median ${CPU[$1:$2]}; else echo "-"; fi; }

# Lines of the macro-expanded crate (non-blank, rustc's pretty-printer, not
# rustfmt'd): what `cargo expand` does, minus the formatting. Needs nightly
# rustc flags, so it is allowed on stable with RUSTC_BOOTSTRAP=1, in a target
# dir of its own (that variable must not touch the timed builds' fingerprints).
for c in "${CRATES[@]}"; do
    LINES[$c]="-"
    [ "$EXPAND" = 1 ] || continue
    log "$c: expanding macros"
    if (cd "$OUT/$c" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$OUT/target-expand" \
        cargo rustc -q --lib --profile check -- -Zunpretty=expanded) >"$OUT/$c.expanded.rs" 2>"$LOGS/$c-expand.log"; then
        LINES[$c]=$(grep -c . "$OUT/$c.expanded.rs" || true)
    else
        log "$c: expansion failed (see $LOGS/$c-expand.log); leaving it out"
    fi
done

# --- report ------------------------------------------------------------------

src_lines() { wc -l <"$OUT/$1/src/lib.rs" | tr -d ' '; }
echo
echo "$METHODS methods; $(nproc 2>/dev/null || echo '?') CPUs; $(rustc --version); load average before timing: $LOAD_BEFORE, after: $(loadavg)"
echo
echo "| crate | debug build (s, median of $RUNS) | release build (s) | cargo check (s, median of $RUNS) | source lines | lines after expansion |"
echo "|---|---:|---:|---:|---:|---:|"
for c in "${CRATES[@]}"; do
    echo "| $c | $(wall "$c" build) | $(wall "$c" release) | $(wall "$c" check) | $(src_lines "$c") | ${LINES[$c]} |"
done
echo
echo "CPU time (user + sys), same builds:"
echo
echo "| crate | debug build (s, median of $RUNS) | release build (s) | cargo check (s, median of $RUNS) |"
echo "|---|---:|---:|---:|"
for c in "${CRATES[@]}"; do
    echo "| $c | $(cpu "$c" build) | $(cpu "$c" release) | $(cpu "$c" check) |"
done
echo
echo "Times: wall clock of building only the service crate from clean (cargo clean -p), its dependencies already built."
[ "$EXPAND" = 1 ] && echo "Lines after expansion: non-blank lines of rustc -Zunpretty=expanded (see $OUT/<crate>.expanded.rs)."
true
