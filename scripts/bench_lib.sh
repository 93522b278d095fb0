# shellcheck shell=bash
# Shared by the benchmark scripts, sourced from the workspace root:
#   log / die           messages on stderr; die names the script and exits 1
#   need CMD PACKAGE    installs the Debian package when CMD is missing
#   cpu_ticks PID       utime+stime of a process, in clock ticks
#   bench_binary BENCH VAR  builds tests/benches/BENCH.rs, or BENCH/main.rs
#                       (or takes the binary named by $VAR) and copies it
#                       to $OUT/BENCH, whose path it leaves in BENCH_EXE
#   load_server_binary  bench_binary load_server LOAD_SERVER; the path in
#                       LOAD_SERVER_EXE

log() { printf '%s\n' "$*" >&2; }
die() {
    log "${0##*/}: $*"
    exit 1
}

NEED_APT_UPDATED=0
need() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2 (for $1)"
    if [[ $NEED_APT_UPDATED == 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
        NEED_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null || die "apt-get install $2 failed"
    command -v "$1" >/dev/null 2>&1 || die "$1 still missing after installing $2"
}

cpu_ticks() { # pid -> utime+stime in clock ticks
    local stat
    read -r stat <"/proc/$1/stat"
    stat=${stat##*) } # fields from 3 (state) on; the name may hold spaces
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13}))
}

bench_binary() { # BENCH OVERRIDE_VARIABLE; needs jq and $OUT
    local bench=$1 override=${!2:-} built
    if [[ -n "$override" ]]; then
        # A binary built before (to compare versions, or while the tree does not build).
        [[ -x "$override" ]] || die "$2=$override is not an executable"
        built=$override
    else
        log "building the $bench bench binary"
        if ! cargo bench -p tests --bench "$bench" --no-run --message-format=json >"$OUT/build.json" 2>"$OUT/build.log"; then
            jq -r 'select(.reason == "compiler-message" and .message.level == "error") | .message.rendered' "$OUT/build.json" >&2 || true
            die "build failed; see $OUT/build.log"
        fi
        built=$(jq -r --arg bench "$bench" 'select(.reason == "compiler-artifact" and .target.name == $bench and .executable != null) | .executable' "$OUT/build.json" | tail -n 1)
        [[ -n "$built" && -x "$built" ]] || die "no $bench executable in cargo's output ($OUT/build.json)"
    fi
    # A private copy: a concurrent build may replace cargo's file between two runs.
    BENCH_EXE="$(realpath "$OUT")/$bench"
    cp -f "$built" "$BENCH_EXE"
    log "$bench binary: $built (copied to $BENCH_EXE)"
}

load_server_binary() { # needs jq and $OUT
    bench_binary load_server LOAD_SERVER
    LOAD_SERVER_EXE=$BENCH_EXE
}
