"""Helpers of the command's tests: run ``pympler`` ($PYMPLER_BIN, default
build/bin/pympler) or ``python -m pympler``, and check pictures."""

import contextlib
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.path.abspath(os.environ.get('PYMPLER_BIN') or str(REPO / 'build' / 'bin' / 'pympler'))
EXAMPLES = REPO / 'examples'
SVG = '{http://www.w3.org/2000/svg}'

# the exit statuses (cli/cli.h, PYM_EXIT_MAP)
OK, PROGRAM, USAGE, CYCLES, OUTPUT = 0, 1, 2, 3, 4

HAVE_BIN = os.access(BIN, os.X_OK)
FACES = ['bin', 'module']


def command(face):
    """The argv prefix of the command for face 'bin' or 'module'."""
    return [BIN] if face == 'bin' else [sys.executable, '-m', 'pympler']


def cli(*args, face='bin', cwd=None, text=True, timeout=120, env=None):
    e = dict(os.environ, PYTHONHASHSEED='0')
    e.pop('PYTHONSAFEPATH', None)
    if face == 'module':
        # the package under test, without -P (python -m puts cwd first)
        e['PYTHONPATH'] = os.pathsep.join(os.path.abspath(p) for p in (
            os.environ.get('PYTHONPATH') or str(REPO / 'build' / 'python')).split(os.pathsep))
    e.update(env or {})
    return subprocess.run(command(face) + [str(a) for a in args], capture_output=True, text=text,
                          timeout=timeout, env=e, cwd=str(cwd or REPO))


def python(*args, cwd=None, text=True):
    """python3 itself, for comparison."""
    e = dict(os.environ, PYTHONHASHSEED='0')
    e.pop('PYTHONSAFEPATH', None)
    e.pop('PYTHONPATH', None)
    return subprocess.run([sys.executable] + [str(a) for a in args], capture_output=True, text=text,
                          timeout=120, env=e, cwd=str(cwd or REPO))


def _world_base():
    """A directory for temporary files whose every ancestor user nobody can
    pass: the usual temporary directory, else /tmp."""
    base = os.path.realpath(tempfile.gettempdir())
    p = base
    while True:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            return '/tmp'
        if p == '/':
            return base
        p = os.path.dirname(p)


@contextlib.contextmanager
def nobody_world(*files):
    """A fresh directory user nobody can read (mode 0755, every ancestor
    passable), wherever the checkout lies: it holds a copy of the command
    (bin/pympler and the package beside it, ../python, that the command
    imports) and of files.  Yields (directory, command, {file: copy});
    removed afterwards."""
    world = tempfile.mkdtemp(prefix='pympler-nobody-', dir=_world_base())
    try:
        os.chmod(world, 0o755)
        os.mkdir(os.path.join(world, 'bin'), 0o755)
        cmd = os.path.join(world, 'bin', 'pympler')
        shutil.copy2(BIN, cmd)
        package = os.path.join(os.path.dirname(os.path.dirname(BIN)), 'python')
        if os.path.isdir(package):
            shutil.copytree(package, os.path.join(world, 'python'))
        copies = {}
        for i, f in enumerate(files):
            d = os.path.join(world, 'in%d' % i)
            os.mkdir(d, 0o755)
            copies[f] = os.path.join(d, os.path.basename(str(f)))
            shutil.copy2(f, copies[f])
        for root, dirs, names in os.walk(world):
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
            for n in names:
                os.chmod(os.path.join(root, n), 0o755 if os.access(os.path.join(root, n), os.X_OK) else 0o644)
        yield world, cmd, copies
    finally:
        for root, dirs, _ in os.walk(world):
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
        shutil.rmtree(world)


def as_nobody(cmd, *args):
    """The command cmd (a copy in nobody_world()) run as user nobody from /,
    for the permission checks that root would pass."""
    setpriv = shutil.which('setpriv')
    assert setpriv, 'running as root needs setpriv (util-linux) for this test'
    e = dict(os.environ, PYTHONHASHSEED='0')
    e.pop('PYTHONPATH', None)  # the copy imports the package beside it
    return subprocess.run([setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', cmd] +
                          [str(a) for a in args], capture_output=True, text=True, timeout=120, env=e, cwd='/')


def png_size(data):
    """(width, height) from a PNG's IHDR after checking the signature, the
    chunk CRCs and that the image data inflates."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xffffffff == crc, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b'IHDR' and chunks[-1][0] == b'IEND'
    width, height = struct.unpack('>II', chunks[0][1][:8])
    raw = zlib.decompress(b''.join(b for k, b in chunks if k == b'IDAT'))
    assert len(raw) > height
    return width, height


def svg_nodes(svg):
    """{node title: [texts]} of an SVG made by Graphviz (parsed as XML)."""
    root = ET.fromstring(svg)
    return {g.find(SVG + 'title').text: [t.text for t in g.iter(SVG + 'text')]
            for g in root.iter(SVG + 'g') if g.get('class') == 'node'}


def one_line_error(p, status):
    assert p.returncode == status, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith('pympler'), lines[0]
    return lines[0]
