#!/bin/sh
# Print the path of a usable CPython 3.13 interpreter with its C headers,
# installing one if there is none.  Only the path goes to stdout; messages go
# to stderr.  Tried in order:
#   1. python3.13 on PATH, if it runs (pyenv's shim may not) and has Python.h;
#   2. /root/.pyenv/versions/3.13*/bin/python3.13;
#   3. a previous build of this script in /opt/pympler-python3.13;
#   4. Debian's python3.13-dev, if apt offers it;
#   5. a build from Debian's source package of python3.13 (trixie), installed
#      in /opt/pympler-python3.13 (outside the clone: later runs reuse it).
#
#   make test-py313        uses it: PYTHON=$(sh scripts/python313.sh)
set -eu

PREFIX=/opt/pympler-python3.13

say() { printf 'python313: %s\n' "$*" >&2; }

. "$(dirname "$0")/as-root.sh"

# usable PY: it runs, is 3.13, and has its Python.h
usable() {
    [ -x "$1" ] || return 1
    "$1" -c 'import sys, sysconfig, os
sys.exit(0 if sys.version_info[:2] == (3, 13) and
         os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
        >/dev/null 2>&1
}

found() {
    printf '%s\n' "$1"
    exit 0
}

# 1. on PATH
if p=$(command -v python3.13 2>/dev/null) && usable "$p"; then
    found "$p"
fi
# 2. pyenv
for p in /root/.pyenv/versions/3.13*/bin/python3.13; do
    if usable "$p"; then
        found "$p"
    fi
done
# 3. an earlier build
if usable "$PREFIX/bin/python3.13"; then
    found "$PREFIX/bin/python3.13"
fi

export DEBIAN_FRONTEND=noninteractive

# 4. Debian's binary package
candidate=$(apt-cache policy python3.13-dev 2>/dev/null | sed -n 's/^ *Candidate: *//p')
if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
    say "apt-get install python3.13-dev ($candidate)"
    as_root apt-get install -y -q --no-install-recommends python3.13 python3.13-dev </dev/null >&2
    if usable /usr/bin/python3.13; then
        found /usr/bin/python3.13
    fi
    say "python3.13-dev installed but /usr/bin/python3.13 is not usable"
    exit 1
fi

# 5. build from Debian's source package, in a private apt setup
say "no python3.13 package: building Debian's source package into $PREFIX"
work=$(mktemp -d /tmp/pympler-python313.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/sources.list.d"
printf 'deb-src http://deb.debian.org/debian trixie main\n' > "$work/apt/sources.list"
APT_OPTS="-o Dir::Etc::SourceList=$work/apt/sources.list -o Dir::Etc::SourceParts=$work/apt/sources.list.d \
-o Dir::State::Lists=$work/apt/lists -o APT::Sandbox::User=root"
# the build needs a compiler and the libraries of the usual modules
as_root apt-get install -y -q --no-install-recommends build-essential dpkg-dev pkg-config \
    libssl-dev zlib1g-dev libbz2-dev liblzma-dev libffi-dev libsqlite3-dev libreadline-dev \
    libncurses-dev libgdbm-dev uuid-dev </dev/null >&2
# shellcheck disable=SC2086
apt-get $APT_OPTS update -q </dev/null >&2
(cd "$work" && apt-get $APT_OPTS source -q --download-only python3.13 </dev/null >&2 &&
    dpkg-source --no-check -x python3.13_*.dsc src >&2)
src="$work/src"
[ -x "$src/configure" ] || { say "no configure in the unpacked source"; exit 1; }
(cd "$src" &&
    ./configure --enable-shared "LDFLAGS=-Wl,-rpath,$PREFIX/lib" --prefix="$PREFIX" >&2 &&
    make -j2 >&2 &&
    as_root make install >&2)
if usable "$PREFIX/bin/python3.13"; then
    found "$PREFIX/bin/python3.13"
fi
say "the build did not give a usable $PREFIX/bin/python3.13"
exit 1
