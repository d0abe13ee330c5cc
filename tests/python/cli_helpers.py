"""Helpers of the command's tests: run ``pympler`` ($PYMPLER_BIN, default
build/bin/pympler) or ``python -m pympler``, and check pictures."""

import os
import shutil
import struct
import subprocess
import sys
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


def as_unprivileged(*args):
    """The command run from / by root without the capabilities that bypass
    file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), for the
    permission checks that root would pass.  Not as user nobody: the
    interpreter the command embeds may live where nobody cannot read
    (pyenv's under /root)."""
    setpriv = shutil.which('setpriv')
    assert setpriv, 'running as root needs setpriv (util-linux) for this test'
    e = dict(os.environ, PYTHONHASHSEED='0')
    caps = '-dac_override,-dac_read_search'
    return subprocess.run([setpriv, '--bounding-set=' + caps, '--inh-caps=' + caps, BIN] +
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
