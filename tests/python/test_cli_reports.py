"""The reports of the command on the scripts in examples/ (one leaks, one
makes garbage cycles, one is clean): summary, garbage (text, JSON, pictures,
--fail-on), refgraph, asizeof; exit statuses; output files."""

import json
import os
import re
import stat
import tempfile

import pytest

from cli_helpers import (CYCLES, EXAMPLES, FACES, OK, OUTPUT, PROGRAM, as_unprivileged, cli, one_line_error,
                         png_size, svg_nodes)

LEAKY, CYCLIC, CLEAN = EXAMPLES / 'leaky.py', EXAMPLES / 'cycles.py', EXAMPLES / 'clean.py'
ALL = [LEAKY, CYCLIC, CLEAN]


def table(out):
    """{type: (count, size text)} of a summary table."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r'\s*(.+?) \|\s+(\d+) \|\s+(.+)$', line)
        if m and m.group(1) != 'types':
            rows[m.group(1)] = (int(m.group(2)), m.group(3))
    return rows


# -------------------------------------------------------------------- every example, every command

@pytest.mark.parametrize('script', ALL, ids=lambda p: p.name)
@pytest.mark.parametrize('face', FACES)
def test_every_example_under_every_program_command(face, script):
    from cli_helpers import python
    for args in (('summary',), ('summary', '--diff'), ('garbage',), ('garbage', '--format', 'json')):
        p = cli(*args, script, face=face)
        assert p.returncode == OK, (args, p.stderr)
        if 'json' in args:  # a machine format: the program's own stdout went to stderr
            assert isinstance(json.loads(p.stdout), dict)
            assert p.stderr == python(script).stdout != ''
            continue
        assert p.stderr == ''
        first = p.stdout.splitlines()[0]
        assert not first.startswith(('Garbage', ' ', '{')), first  # the program's own output first


@pytest.mark.parametrize('script', ALL, ids=lambda p: p.name)
def test_every_example_under_refgraph_and_asizeof(script):
    setup = 'import runpy; ns = runpy.run_path(%r)' % str(script)
    p = cli('refgraph', '--setup', setup, '--format', 'svg', 'list(ns.values())')
    assert p.returncode == OK, p.stderr
    assert svg_nodes(p.stdout)
    p = cli('asizeof', '--setup', setup, 'ns')
    assert p.returncode == OK, p.stderr
    assert re.search(r'size=\d+ flat=\d+', p.stdout)


# -------------------------------------------------------------------- summary

def test_summary_of_the_leak_shows_the_cache():
    p = cli('summary', '--diff', LEAKY)
    assert p.returncode == OK, p.stderr
    rows = table(p.stdout)
    assert rows['list'][0] >= 990           # the cached responses (net: 998 on 3.13, which frees a few)
    assert rows['str'][0] >= 900 and rows['dict'][0] >= 1   # the keys, the cache
    assert list(rows)[0] == 'list'          # largest first
    q = cli('summary', '--diff', CLEAN)
    assert q.returncode == OK, q.stderr
    assert table(q.stdout).get('list', (0,))[0] < 10


def test_summary_limit_and_sort():
    p = cli('summary', '-n', '3', '-c', 'pass')
    assert len(table(p.stdout)) == 3
    p = cli('summary', '--limit', '5', '--sort', '#', '-c', 'pass')
    counts = [c for c, _ in table(p.stdout).values()]
    assert counts == sorted(counts, reverse=True) and len(counts) == 5
    p = cli('summary', '-n', '6', '--sort', 'type', '-c', 'pass')
    names = list(table(p.stdout))
    assert names == sorted(names)


def test_summary_diff_is_what_the_program_added():
    p = cli('summary', '--diff', '-c', 'keep = [bytearray(10) for i in range(5000)]')
    assert p.returncode == OK, p.stderr
    assert table(p.stdout)['bytearray'][0] == 5000
    assert list(table(p.stdout))[0] == 'bytearray'


def test_summary_untracked_sees_strings_in_a_dict_of_strings():
    # A dict holding only strings is not tracked by the collector, so its
    # values are invisible to Pympler's census; --untracked counts them.
    code = "cache = {}\nfor i in range(3000): cache['k%d' % i] = 'value-%d' % i * 3"
    p = cli('summary', '--diff', '-c', code)
    assert p.returncode == OK, p.stderr
    plain = table(p.stdout)
    deep = cli('summary', '--diff', '--untracked', '-c', code)
    assert deep.returncode == OK, deep.stderr
    assert plain.get('str', (0,))[0] < 100
    assert table(deep.stdout)['str'][0] >= 6000 - 50   # keys and values, less a little noise


# -------------------------------------------------------------------- garbage

def test_garbage_dash_o_puts_only_the_report_on_stdout():
    # cycles.py prints; with -o - its output goes to stderr and stdout is
    # exactly the JSON document / the PNG.
    p = cli('garbage', '--format', 'json', '-o', '-', CYCLIC)
    assert p.returncode == OK, p.stderr
    assert json.loads(p.stdout)['summary']['cycles'] == 4
    assert 'built 3 trees and a ring' in p.stderr

def garbage_json(*args, face='bin'):
    p = cli('garbage', '--format', 'json', *args, face=face)
    start = p.stdout.index('{\n')
    return p, json.loads(p.stdout[start:])


@pytest.mark.parametrize('face', FACES)
def test_garbage_json_of_the_cycles(face):
    p, r = garbage_json(CYCLIC, face=face)
    assert p.returncode == OK, p.stderr
    s = r['summary']
    assert r['version'] == 2
    assert s['cycles'] == 4 == len(r['cycles'])      # three trees and a ring
    assert s['uncollectable'] == 0
    assert s['in_cycles'] == sum(c['objects'] for c in r['cycles']) == 15
    assert s['objects'] == sum(t['count'] for t in r['types']) == 24
    assert s['size'] == sum(t['size'] for t in r['types'])
    types = {t['type']: t['count'] for t in r['types']}
    assert types == {'Node': 6, 'Resource': 6, 'list': 12}
    shapes = [c['shape'] for c in r['cycles']]          # grouped by shape (test_cli_garbage.py)
    assert shapes == [0, 0, 0, 1]
    ring = [c for c in r['cycles'] if {m['type'] for m in c['members']} == {'Node'}]
    assert len(ring) == 1 and ring[0]['objects'] == 3
    for c in r['cycles']:
        assert c['objects'] == len(c['members'])
        assert c['size'] == sum(m['size'] for m in c['members'])
        for m in c['members']:
            assert set(m) == {'id', 'type', 'module', 'size', 'repr', 'uncollectable', 'finalizer'}
            assert isinstance(m['id'], int) and m['size'] > 0
            assert len(m['repr']) <= 128


def test_garbage_reduce_keeps_the_cycles_only():
    p, r = garbage_json('--reduce', CYCLIC)
    assert p.returncode == OK
    assert r['summary']['objects'] == r['summary']['in_cycles'] == 15


def test_garbage_of_the_clean_example_is_empty():
    p, r = garbage_json(CLEAN)
    assert r['summary'] == {'objects': 0, 'size': 0, 'in_cycles': 0, 'cycles': 0, 'uncollectable': 0}
    assert r['types'] == [] and r['cycles'] == []


def test_garbage_text_report():
    p = cli('garbage', CYCLIC)
    assert p.returncode == OK
    out = p.stdout.splitlines()
    assert out[0] == 'built 3 trees and a ring'
    size = garbage_json(CYCLIC)[1]['summary']['size']   # the same garbage, as JSON
    assert out[1] == 'Garbage: 24 objects, %d bytes; 15 in 4 reference cycles; 0 uncollectable' % size
    assert re.match(r'\s+count\s+size\s+type$', out[3])
    assert [l.split()[2] for l in out[4:7]] == ['Node', 'Resource', 'list']
    heads = [l for l in out if l.startswith('Cycle')]
    assert [h.split(':')[0] for h in heads] == ['Cycles 1-3 of 4', 'Cycle 4 of 4']   # the trees have one shape
    assert re.search(r'^  0x[0-9a-f]+ +\d+  F Resource +<__main__\.Resource object at 0x', p.stdout, re.M)
    assert out[-1] == 'Program exit status: 0'


@pytest.mark.parametrize('face', FACES)
def test_fail_on(face):
    assert cli('garbage', '--fail-on', 'any', CYCLIC, face=face).returncode == CYCLES
    assert cli('garbage', '--fail-on', 'none', CYCLIC, face=face).returncode == OK
    assert cli('garbage', CYCLIC, face=face).returncode == OK
    assert cli('garbage', '--fail-on', 'uncollectable', CYCLIC, face=face).returncode == OK
    assert cli('garbage', '--fail-on', 'any', CLEAN, face=face).returncode == OK
    assert cli('garbage', '--fail-on', 'any', LEAKY, face=face).returncode == OK


UNCOLLECTABLE = ('import _testcapi\nclass Legacy:\n    pass\nLegacy = _testcapi.with_tp_del(Legacy)\n'
                 'a = Legacy(); a.me = [a, {"k": 1}]; del a\n')


def test_uncollectable_legacy_finalizer():
    p, r = garbage_json('--fail-on', 'uncollectable', '-c', UNCOLLECTABLE)
    assert p.returncode == CYCLES, p.stderr
    assert r['summary']['uncollectable'] == 2     # the instance and the list it reaches
    members = r['cycles'][0]['members']
    assert {m['type'] for m in members if m['uncollectable']} == {'Legacy', 'list'}


def test_findings_win_over_a_program_failure():
    code = 'l = []; l.append(l); del l\nraise RuntimeError("late")'
    p = cli('garbage', '--fail-on', 'any', '-c', code)
    assert p.returncode == CYCLES                 # PYM_EXIT_RULES; the program's status is in the report
    assert 'RuntimeError: late' in p.stderr
    assert '1 in 1 reference cycle' in p.stdout   # the report still comes
    assert p.stdout.endswith('Program exit status: %d\n' % PROGRAM)


def test_collector_left_as_found():
    code = 'import gc, atexit\natexit.register(lambda: print("flags", gc.get_debug()))\n'
    p = cli('garbage', '-c', code)
    assert 'flags %d' % 32 in p.stdout   # DEBUG_SAVEALL while the program runs


# -------------------------------------------------------------------- pictures

@pytest.mark.parametrize('fmt', ['svg', 'png', 'pdf', 'dot', 'json', 'text'])
def test_garbage_picture_to_file(tmp_path, fmt):
    out = tmp_path / ('g.' + ('txt' if fmt == 'text' else fmt))
    p = cli('garbage', '--fail-on', 'any', '-o', out, CYCLIC)
    assert p.returncode == CYCLES, p.stderr
    assert p.stdout == 'built 3 trees and a ring\n'
    data = out.read_bytes()
    assert os.listdir(tmp_path) == [out.name]     # no temporary file left
    if fmt == 'svg':
        nodes = svg_nodes(data)
        labels = ' '.join(t for texts in nodes.values() for t in texts if t)
        assert len(nodes) == 24 and labels.count('Resource') >= 6
    elif fmt == 'png':
        w, h = png_size(data)
        assert w > 100 and h > 50
    elif fmt == 'pdf':
        assert data.startswith(b'%PDF-') and data.rstrip().endswith(b'%%EOF')
    elif fmt == 'dot':
        assert data.startswith(b'// Process this file with graphviz\ndigraph G {')
    elif fmt == 'json':
        assert json.loads(data)['summary']['cycles'] == 4
    else:
        assert data.startswith(b'Garbage: 24 objects')
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_format_from_the_extension_and_explicit(tmp_path):
    out = tmp_path / 'pic.data'
    assert cli('garbage', '--format', 'png', '-o', out, CYCLIC).returncode == OK
    png_size(out.read_bytes())
    out = tmp_path / 'unknown.ext'   # no format named: a usage error (test_cli_io.py), unless --format says
    assert cli('garbage', '--format', 'text', '-o', out, CYCLIC).returncode == OK
    assert out.read_text().startswith('Garbage: ')


@pytest.mark.parametrize('face', FACES)
def test_png_to_stdout(face):
    p = cli('garbage', '--reduce', '--format', 'png', '-o', '-', '-c', 'l = []; l.append(l); del l', face=face,
            text=False)
    assert p.returncode == OK, p.stderr
    png_size(p.stdout)


def test_unwritable_output_path(tmp_path):
    for target in (tmp_path / 'no' / 'such' / 'dir.svg', tmp_path):
        p = cli('garbage', '-o', target, '-c', 'print("ran")')
        assert 'cannot write' in one_line_error(p, OUTPUT)
        assert p.stdout == ''      # the program did not run
    # a directory nobody may write to: as root, the command runs without the
    # privilege to override permissions
    ro = tempfile.mkdtemp(prefix='pympler-ro-')
    try:
        os.chmod(ro, 0o555)
        target = os.path.join(ro, 'x.svg')
        p = cli('garbage', '-o', target, CYCLIC) if not os.access(ro, os.W_OK) else \
            as_unprivileged('garbage', '-o', target, CYCLIC)
        assert one_line_error(p, OUTPUT) == "pympler: cannot write '%s': Permission denied" % target
        assert os.listdir(ro) == []
    finally:
        os.chmod(ro, 0o700)
        os.rmdir(ro)


def test_existing_file_replaced_whole(tmp_path):
    out = tmp_path / 'g.json'
    out.write_text('old')
    assert cli('garbage', '-o', out, CLEAN).returncode == OK
    assert json.loads(out.read_text())['summary']['objects'] == 0


def test_closed_stdout_is_an_output_error():
    import subprocess
    from cli_helpers import BIN
    r = subprocess.run([BIN, 'garbage', CLEAN], stdout=subprocess.DEVNULL, capture_output=False,
                       stderr=subprocess.PIPE)
    assert r.returncode == OK
    r = subprocess.run('%s garbage --format json %s >&-' % (BIN, CYCLIC), shell=True, stderr=subprocess.PIPE,
                       text=True)
    assert 'error writing output' in one_line_error(r, OUTPUT)


# -------------------------------------------------------------------- refgraph

def test_refgraph_svg_and_png(tmp_path):
    setup = 'a = ["alpha"]\nd = {"key": a}\ntop = [a, d]'
    p = cli('refgraph', '--setup', setup, '[a, d, top]')
    assert p.returncode == OK, p.stderr
    nodes = svg_nodes(p.stdout)
    assert len(nodes) == 3
    out = tmp_path / 'r.png'
    assert cli('refgraph', '--setup', setup, '-o', out, '(a, d, top)').returncode == OK
    png_size(out.read_bytes())


def test_refgraph_reduce_and_dot():
    setup = 'a = []; b = [a]; a.append(b); c = [1]'
    p = cli('refgraph', '--reduce', '--format', 'dot', '--setup', setup, '[a, b, c]')
    assert p.returncode == OK
    assert p.stdout.count(' [ label = ') == 2 and p.stdout.count('->') == 2   # a and b, not c


def test_refgraph_single_object_and_iterator():
    assert len(svg_nodes(cli('refgraph', '{"k": 1}').stdout)) == 1
    assert len(svg_nodes(cli('refgraph', 'iter([[1], [2]])').stdout)) == 2


def test_refgraph_failures():
    p = cli('refgraph', 'undefined_name')
    assert p.returncode == PROGRAM and "NameError: name 'undefined_name'" in p.stderr
    p = cli('refgraph', '--setup', '1/0', '[]')
    assert p.returncode == PROGRAM and 'ZeroDivisionError' in p.stderr
