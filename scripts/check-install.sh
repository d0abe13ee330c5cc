#!/bin/sh
# `pip install .` as a user would: into a fresh venv of $PYTHON, then every
# module of the package imports from the install (not from the checkout) and
# the installed `pympler` command does its main job.
#
#   PYTHON=python3 sh scripts/check-install.sh
set -eu

PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$(mktemp -d)
trap 'rm -rf "$VENV"' EXIT

"$PYTHON" -m venv "$VENV"
PIP_ROOT_USER_ACTION=ignore "$VENV/bin/pip" install -q --disable-pip-version-check --no-input "$ROOT" </dev/null
cd "$VENV"
"$VENV/bin/python" -P - <<'PY'
import importlib, importlib.metadata, os, pkgutil, sys
import pympler
# every module the package installed (not __main__, which runs the command; not the pytest
# plugin, which imports pytest: the venv has none, its entry point is checked instead)
names = sorted(m.name[len('pympler.'):] for m in pkgutil.walk_packages(pympler.__path__, 'pympler.')
               if m.name not in ('pympler.__main__', 'pympler.pytest_plugin'))
for n in ('asizeof', 'classtracker', 'classtracker_stats', 'web', 'charts', 'panels', 'mprofile', '_cli', '_engine'):
    assert n in names, (n, names)
for n in names:
    m = importlib.import_module('pympler.' + n)
    assert m.__file__.startswith(sys.prefix), (n, m.__file__)
plugins = {e.name: e.value for e in importlib.metadata.entry_points(group='pytest11')}
assert plugins.get('pympler') == 'pympler.pytest_plugin', plugins
from pympler import _engine, asizeof
assert _engine.python_version == '%d.%d' % sys.version_info[:2]
assert asizeof.asizeof([1, 2, 3]) > 0
print('check-install: %d modules import on Python %s from %s' % (len(names), _engine.python_version, sys.prefix))
# the distribution is told apart from Pympler 1.1 (pyproject.toml); the API's version stays
import importlib.metadata, pympler
dist = importlib.metadata.version('pympler')
assert dist.startswith('1.1+c.') and pympler.__version__ == '1.1', (dist, pympler.__version__)
print('check-install: distribution pympler %s, pympler.__version__ %s' % (dist, pympler.__version__))
PY
man="$VENV/share/man/man1/pympler.1"
test -f "$man" && cmp -s "$man" "$ROOT/docs/pympler.1" || { echo "check-install: no man page at $man"; exit 1; }
echo "check-install: the man page is installed ($man)"
case "$("$VENV/bin/pympler" --version)" in
"pympler 1.1 (Pympler in C 1.1+c."*) echo "check-install: pympler --version names the distribution" ;;
*) echo "check-install: unexpected pympler --version"; exit 1 ;;
esac
out=$("$VENV/bin/pympler" garbage "$ROOT/examples/cycles.py")
case "$out" in
*"Garbage: 24 objects"*) echo "check-install: the installed pympler command reports the example's garbage" ;;
*) echo "check-install: unexpected report from the installed command:"; echo "$out"; exit 1 ;;
esac
