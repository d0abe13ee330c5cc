#!/bin/sh
# Install what this machine lacks to build and test Pympler-in-C; do nothing
# for what is present.  Idempotent, non-interactive (CI, no stdin), fast when
# everything is there (a dpkg-query and one interpreter start).
#
#   PYTHON=python3 scripts/install-deps.sh
#   REFCOUNT=1 PYTHON=python3.11-dbg scripts/install-deps.sh   (make test-refcount)
#
# 1. Debian packages (apt-get update runs once, only when one is missing).
# 2. Python packages for $PYTHON: pytest, numpy, setuptools, wheel, ipython
#    (Jupyter's display formatter, for the tests of the pictures' rich display),
#    selenium (drives headless Chromium in the tests of HTML pages),
#    pytest-xdist (the pytest plugin's tests run a suite with -n 2), django and
#    django-debug-toolbar (the memory panel's tests).
# 3. The reference Pympler 1.1 in .deps/pympler-1.1 (benchmarks and
#    differential tests; PYMPLER_REFERENCE points there).
# 4. Pympler 1.1's source release, for its own test suite
#    (tests/python/test_pympler_suite.py): .deps/pympler-1.1.tar.gz, unpacked
#    into .deps/pympler-1.1-sdist (the suite: .deps/pympler-1.1-sdist/test).
# With REFCOUNT=1 (the refcount job): also Debian's debug interpreter
# python3.11-dbg, and no step 2 or 3 -- the job runs no pytest and no
# reference, and pip may not install into a Debian interpreter.
set -eu

PYTHON=${PYTHON:-python3}
REFCOUNT=${REFCOUNT:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REFERENCE="$ROOT/.deps/pympler-1.1"
SDIST="$ROOT/.deps/pympler-1.1-sdist"

# xvfb: a virtual X screen for the tests of InteractiveBrowser's Tk window.
# librsvg2-dev: pympler.charts draws its SVG charts into PNG through librsvg and cairo.
# chromium, chromium-driver: headless Chromium, driven by selenium, opens the
# HTML reports and the web frontend's pages in the tests.
# libmicrohttpd-dev: the HTTP server of pympler.web (linked into that module only).
DEB_PACKAGES="build-essential pkg-config libgraphviz-dev libgvc6 libpng-dev
libcunit1-dev valgrind libpng-tools fonts-dejavu-core xvfb chromium chromium-driver
librsvg2-dev libmicrohttpd-dev"
if [ "$REFCOUNT" = 1 ]; then
    DEB_PACKAGES="$DEB_PACKAGES python3.11-dbg python3.11-dev"
fi

say() { printf 'install-deps: %s\n' "$*" >&2; }

. "$(dirname "$0")/as-root.sh"

# ---------------------------------------------------------------- Debian
# The interpreter's headers: a Debian interpreter needs its -dev package
# (the pyenv one ships its own).  The debug interpreter may not exist yet.
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
py_headers=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if [ ! -f "$py_headers/Python.h" ]; then
    case "$py_headers" in
    /usr/include/*) DEB_PACKAGES="$DEB_PACKAGES $(basename "$py_headers")-dev" ;;
    *) say "no Python.h in $py_headers: install the headers of $PYTHON"; exit 1 ;;
    esac
fi

missing=""
for pkg in $DEB_PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
    *" installed") ;;
    *) missing="$missing $pkg" ;;
    esac
done
if [ -n "$missing" ]; then
    say "apt-get install$missing"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q </dev/null
    # shellcheck disable=SC2086
    as_root apt-get install -y -q --no-install-recommends $missing </dev/null
fi

[ "$REFCOUNT" = 1 ] && exit 0

# ---------------------------------------------------------------- Python
pip_install() {
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q \
        --disable-pip-version-check --no-input "$@" </dev/null
}

missing=$("$PYTHON" - <<'EOF'
import importlib.util
print(" ".join(p for p, m in [("pytest", "pytest"), ("numpy", "numpy"),
                              ("setuptools", "setuptools"), ("wheel", "wheel"),
                              ("ipython", "IPython"), ("selenium", "selenium"),
                              ("pytest-xdist", "xdist"), ("django", "django"),
                              ("django-debug-toolbar", "debug_toolbar")]
               if importlib.util.find_spec(m) is None))
EOF
)
if [ -n "$missing" ]; then
    say "pip install $missing"
    # shellcheck disable=SC2086
    pip_install $missing
fi

# ---------------------------------------------------------------- reference
if [ ! -f "$REFERENCE/pympler/asizeof.py" ]; then
    say "pip install --target $REFERENCE pympler==1.1"
    rm -rf "$REFERENCE"
    pip_install --no-deps --target "$REFERENCE" pympler==1.1
fi

# ---------------------------------------------------------------- Pympler's test suite
if [ ! -f "$SDIST/test/runtest.py" ]; then
    if ! ls "$ROOT"/.deps/[Pp]ympler-1.1.tar.gz >/dev/null 2>&1; then
        say "pip download --no-binary :all: pympler==1.1 (the source release, for its tests)"
        mkdir -p "$ROOT/.deps"
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip download -q --disable-pip-version-check --no-input \
            --no-deps --no-binary :all: -d "$ROOT/.deps" pympler==1.1 </dev/null
    fi
    rm -rf "$SDIST"
    mkdir -p "$SDIST"
    tar -xzf "$(ls "$ROOT"/.deps/[Pp]ympler-1.1.tar.gz | head -n 1)" -C "$SDIST" --strip-components=1
fi
