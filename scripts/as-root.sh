# as_root CMD...: run CMD as root (directly, or with sudo -n), else stop with
# a message through say().  Sourced by install-deps.sh and python313.sh.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        say "need root to run: $*"
        exit 1
    fi
}
