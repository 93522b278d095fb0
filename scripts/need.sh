# shellcheck shell=bash
# Sourced by the benchmark scripts: `need <command> <Debian package>` installs
# the package when the command is missing. The sourcing script defines `die`.

NEED_APT_UPDATED=0
need() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "installing $2 (for $1)" >&2
    if [[ $NEED_APT_UPDATED == 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
        NEED_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null || die "apt-get install $2 failed"
    command -v "$1" >/dev/null 2>&1 || die "$1 still missing after installing $2"
}
