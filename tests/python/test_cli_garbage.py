"""pympler garbage as a CI step, run as a process: the precedence of exit
statuses (--fail-on, --fail-status, the program's own status, a report not
written), the JSON report's references, program and schema version, the text
report's type column, --max-cycles/--max-members and cycles grouped by shape,
the --include/--exclude filters (under pytest), finalizers, and --where
(allocation sites from tracemalloc).  docs/cli.md describes all of it."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from reference_paths import our_path
from cli_helpers import CYCLES, EXAMPLES, FACES, OK, OUTPUT, PROGRAM, REPO, USAGE, cli

CYCLE = 'l = []; l.append(l); del l\n'   # one garbage cycle: a list holding itself


def report_json(p):
    """The JSON document that is the whole of stdout (-o -)."""
    assert p.stdout.startswith('{\n') and p.stdout.endswith('}\n'), p.stdout[:200]
    return json.loads(p.stdout)


def garbage_json(*args, face='bin', cwd=None, env=None):
    p = cli('garbage', '--format', 'json', '-o', '-', *args, face=face, cwd=cwd, env=env)
    return p, report_json(p)


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


# -------------------------------------------------------------------- exit statuses

# (program, options) -> (status, the program's own status in the report)
STATUS_CASES = [
    ('pass', (), OK, 0),
    ('import sys; sys.exit(5)', (), 5, 5),
    ('import sys; sys.exit(3)', (), 3, 3),                         # the program's own 3, no --fail-on
    (CYCLE, (), OK, 0),
    (CYCLE, ('--fail-on', 'any'), CYCLES, 0),
    (CYCLE, ('--fail-on', 'none'), OK, 0),
    (CYCLE, ('--fail-on', 'uncollectable'), OK, 0),                 # a plain cycle is collectable
    (CYCLE + 'import sys; sys.exit(5)', ('--fail-on', 'any'), CYCLES, 5),   # findings win
    (CYCLE + 'import sys; sys.exit(5)', ('--fail-on', 'any', '--fail-status', '10'), 10, 5),
    (CYCLE + 'raise RuntimeError("late")', ('--fail-on', 'any', '--fail-status', '10'), 10, PROGRAM),
    ('raise RuntimeError("late")', ('--fail-on', 'any', '--fail-status', '10'), PROGRAM, PROGRAM),
    ('import sys; sys.exit(3)', ('--fail-on', 'any', '--fail-status', '10'), 3, 3),  # told apart from 10
    ('pass', ('--fail-on', 'any', '--fail-status', '10'), OK, 0),
]


@pytest.mark.parametrize('code,options,status,own', STATUS_CASES)
def test_exit_status_precedence(code, options, status, own):
    p = cli('garbage', *options, '-c', code)
    assert p.returncode == status, (p.returncode, p.stderr)
    assert p.stdout.endswith('\nProgram exit status: %d\n' % own), p.stdout
    assert ('RuntimeError: late' in p.stderr) == ('RuntimeError' in code)
    p, r = garbage_json(*options, '-c', code)
    assert p.returncode == status
    assert r['program'] == {'exit_status': own, 'kind': 'command', 'target': code}


@pytest.mark.parametrize('face', FACES)
def test_exit_status_under_both_faces(face):
    code = CYCLE + 'import sys; sys.exit(7)'
    assert cli('garbage', '-c', code, face=face).returncode == 7
    assert cli('garbage', '--fail-on', 'any', '-c', code, face=face).returncode == CYCLES
    assert cli('garbage', '--fail-on', 'any', '--fail-status=42', '-c', code, face=face).returncode == 42


def test_uncollectable_findings_take_the_fail_status():
    code = ('import _testcapi\nclass Legacy:\n    pass\nLegacy = _testcapi.with_tp_del(Legacy)\n'
            'a = Legacy(); a.me = a; del a\nimport sys; sys.exit(6)\n')
    p, r = garbage_json('--fail-on', 'uncollectable', '--fail-status', '9', '-c', code)
    assert p.returncode == 9, p.stderr
    assert r['summary']['uncollectable'] == 1 and r['program']['exit_status'] == 6
    [m] = r['cycles'][0]['members']
    assert m['type'] == 'Legacy' and m['uncollectable'] is True and m['finalizer'] is True


def test_a_report_not_written_wins(tmp_path):
    # The program removes the directory of -o FILE: the report cannot be
    # written after it, which wins over the findings and the program's own
    # status; nothing is left behind.
    out = tmp_path / 'gone' / 'g.json'
    out.parent.mkdir()
    code = CYCLE + 'import shutil, sys; shutil.rmtree(%r); sys.exit(5)' % str(out.parent)
    p = cli('garbage', '--fail-on', 'any', '-o', out, '-c', code)
    assert p.returncode == OUTPUT, p.stderr
    assert p.stdout == ''
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith('pympler') and str(out) in lines[0], p.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('value', ['0', '2', '4', '256', '-1', 'x', ''])
def test_fail_status_must_be_a_status_of_its_own(value):
    p = cli('garbage', '--fail-status', value, '-c', 'print("ran")')
    assert p.returncode == USAGE
    assert p.stdout == ''
    assert p.stderr == ("pympler garbage: not a valid status (1 to 255, not 2 or 4) for --fail-status: '%s' "
                        "(try 'pympler garbage --help')\n" % value)


def test_the_precedence_is_documented_alike():
    help_text = cli('garbage', '--help').stdout
    md = (REPO / 'docs' / 'cli.md').read_text()
    man = (REPO / 'docs' / 'pympler.1').read_text()
    rule = 'when several apply: 4 (no report) wins; then garbage --fail-on\'s findings'
    assert rule in help_text and rule in cli('--help').stdout
    assert '--fail-status N' in help_text
    assert 'When several apply' in md and '--fail-status N' in md and 'program.exit_status' in md
    assert 'When several apply' in man and '\\-\\-fail\\-status' in man


def test_the_readme_ci_example(tmp_path):
    readme = (REPO / 'README.md').read_text()
    assert 'pympler garbage --fail-on any -o cycles.svg\ntests.py` exits 3' in readme
    write(tmp_path / 'tests.py', '''\
        class Car:
            def __init__(self):
                self.wheel = Wheel(self)
        class Wheel:
            def __init__(self, car):
                self.car = car
        Car()
        print('tests ran')
    ''')
    p = cli('garbage', '--fail-on', 'any', '-o', 'cycles.svg', 'tests.py', cwd=tmp_path,
            env={'PYTHONDONTWRITEBYTECODE': '1'})
    assert p.returncode == CYCLES, p.stderr
    assert p.stdout == 'tests ran\n' and p.stderr == ''
    assert sorted(os.listdir(tmp_path)) == ['cycles.svg', 'tests.py']
    assert (tmp_path / 'cycles.svg').read_bytes().startswith(b'<?xml')


# -------------------------------------------------------------------- JSON: references, schema

KNOWN = '''\
class A:
    pass
class S:
    __slots__ = ('other',)
a = A(); b = A(); a.b = b; b.a = a
s = S(); t = S(); s.other = t; t.other = s
l = []; l.append(l)
d = {}; d['k'] = d
n = {}; n[1.5] = n
pair = ([],); pair[0].append(pair)
e = {}; e['\\x00\\n\\ud800'] = e
del a, b, s, t, l, d, n, pair, e
'''


def references(cycle):
    """{(source type, target type, kind, what)} of a cycle's references."""
    types = [m['type'] for m in cycle['members']]
    out = set()
    for r in cycle['references']:
        what = {'index': 'index', 'key': 'key', 'attribute': 'name'}.get(r['kind'])
        assert set(r) == {'source', 'target', 'kind'} | ({what} if what else set())
        out.add((types[r['source']], types[r['target']], r['kind'], r.get(what)))
    return out


@pytest.mark.parametrize('face', FACES)
def test_json_references_of_known_cycles(face):
    p, r = garbage_json('-c', KNOWN, face=face)
    assert p.returncode == OK, p.stderr
    assert r['version'] == 2
    assert set(r) == {'version', 'program', 'summary', 'filters', 'types', 'cycles'}
    got = sorted(tuple(sorted(references(c))) for c in r['cycles'])
    want = sorted(tuple(sorted(x)) for x in [
        {('A', 'A', 'attribute', 'b'), ('A', 'A', 'attribute', 'a')},
        {('S', 'S', 'attribute', 'other')},
        {('list', 'list', 'index', 0)},
        {('dict', 'dict', 'key', "'k'")},
        {('dict', 'dict', 'key', '1.5')},
        {('tuple', 'list', 'index', 0), ('list', 'tuple', 'index', 0)},
        {('dict', 'dict', 'key', repr('\x00\n\ud800'))},
    ])
    assert got == want
    for c in r['cycles']:
        members = c['members']
        # each (source, target) once, both ends members, a self-loop only for one-member cycles
        pairs = [(x['source'], x['target']) for x in c['references']]
        assert len(pairs) == len(set(pairs)) and pairs == sorted(pairs)
        assert all(0 <= s < len(members) and 0 <= t < len(members) for s, t in pairs)
        assert {s for s, _ in pairs} == set(range(len(members)))   # every member holds one of the others
    # the A pair: source and target are the right objects (a.b is b)
    [ab] = [c for c in r['cycles'] if c['members'][0]['type'] == 'A']
    for x in ab['references']:
        src, dst = ab['members'][x['source']], ab['members'][x['target']]
        assert src['id'] != dst['id'] and x['name'] in ('a', 'b')


def test_json_escapes_what_it_holds():
    # control characters and lone surrogates (in a key's repr, in a module
    # name, in the program's text) stay parseable JSON; a repr that raises is
    # 'N/A'; a __module__ that is not a str is null.
    code = ('class K:\n    def __repr__(self):\n        raise ValueError("no")\n'
            'class M(type):\n    pass\nT = M("T", (), {})\nT.__module__ = 42\n'
            'U = type("U", (), {"__module__": "m\\x1b\\ud800"})\n'
            'd = {}; d[K()] = d\nt = T(); t.me = t\nu = U(); u.me = u\ndel d, t, u\n')
    p, r = garbage_json('-c', code)
    assert p.returncode == OK, p.stderr
    assert '\x1b' not in p.stdout and all(ord(ch) < 128 for ch in p.stdout)
    assert r['program']['target'] == code
    by_type = {c['members'][0]['type']: c for c in r['cycles']}
    assert by_type['T']['members'][0]['module'] is None
    assert by_type['U']['members'][0]['module'] == 'm\x1b\ud800'
    assert by_type['dict']['references'] == [{'source': 0, 'target': 0, 'kind': 'key', 'key': 'N/A'}]
    assert by_type['dict']['members'][0]['repr'] == 'N/A'


def test_text_has_no_raw_control_characters():
    code = 'U = type("U\\x1b[31m", (), {"__module__": "m"})\nu = U(); u.me = u\ndel u\n'
    p = cli('garbage', '-c', code)
    assert p.returncode == OK, p.stderr
    assert '\x1b' not in p.stdout
    assert re.search(r'^       1 +\d+  U\?\[31m$', p.stdout, re.M)


# -------------------------------------------------------------------- text: columns, limits, shapes

def test_type_column_sized_to_the_names():
    long_name = 'N' * 60
    code = ('class ZeroDivisionErrorLike:\n    pass\n'
            'z = ZeroDivisionErrorLike(); z.me = z\n'
            '%s = type(%r, (), {})\nn = %s(); n.me = n\ndel z, n\n' % (long_name, long_name, long_name))
    p = cli('garbage', '-c', code)
    assert p.returncode == OK, p.stderr
    cut = 'N' * 37 + '...'
    # the widest name shown is cut to 40 characters, the others padded to it
    assert re.search(r'^  0x[0-9a-f]+ +\d+    ZeroDivisionErrorLike {21}<__main__\.ZeroDivisionErrorLike ',
                     p.stdout, re.M), p.stdout
    assert re.search(r'^  0x[0-9a-f]+ +\d+    %s  <__main__\.N+\.\.\.$' % re.escape(cut), p.stdout, re.M)
    assert re.search(r'^       1 +\d+  ZeroDivisionErrorLike$', p.stdout, re.M)
    # a short name gets a short column
    p = cli('garbage', '-c', CYCLE)
    assert re.search(r'^  0x[0-9a-f]+ +\d+    list  \[\[\.\.\.\]\]$', p.stdout, re.M), p.stdout


RINGS = '''\
def ring(n):
    items = [[] for _ in range(n)]
    for x, y in zip(items, items[1:] + items[:1]):
        x.append(y)
for _ in range(118):
    ring(5)
ring(3)
ring(2)
'''


def cycle_heads(text):
    return [l for l in text.splitlines() if l.startswith('Cycle')]


def test_cycles_of_one_shape_are_grouped():
    p = cli('garbage', '-c', RINGS)
    assert p.returncode == OK, p.stderr
    assert p.stdout.startswith('Garbage: 595 objects, ')            # 118 * 5 + 3 + 2
    assert '595 in 120 reference cycles' in p.stdout.splitlines()[0]
    heads = cycle_heads(p.stdout)
    assert len(heads) == 3
    assert re.match(r'Cycles 1-118 of 120: 118 cycles of 5 objects each \(5 list\), \d+ bytes in all; '
                    r'the largest:$', heads[0]), heads[0]
    assert re.match(r'Cycle 119 of 120: 3 objects, \d+ bytes$', heads[1])
    assert re.match(r'Cycle 120 of 120: 2 objects, \d+ bytes$', heads[2])
    p, r = garbage_json('-c', RINGS)
    assert [c['shape'] for c in r['cycles']] == [0] * 118 + [1, 2]
    assert [c['objects'] for c in r['cycles']] == [5] * 118 + [3, 2]


def test_max_cycles_and_max_members():
    p = cli('garbage', '--max-cycles', '1', '--max-members', '2', '-c', RINGS)
    assert p.returncode == OK, p.stderr
    assert len(cycle_heads(p.stdout)) == 1
    members = [l for l in p.stdout.splitlines() if l.startswith('  0x')]
    assert len(members) == 2
    assert '  ... 3 more objects (--max-members 0 lists all)' in p.stdout
    assert '\n... 2 more cycles (--max-cycles 0 lists all; --format json lists them too)\n' in p.stdout
    p = cli('garbage', '--max-cycles', '0', '--max-members', '0', '-c', RINGS)
    assert len(cycle_heads(p.stdout)) == 3
    assert len([l for l in p.stdout.splitlines() if l.startswith('  0x')]) == 5 + 3 + 2
    assert 'more' not in p.stdout
    # the defaults: 20 entries, 12 members
    code = ('for n in range(1, 26):\n    l = [[] for _ in range(n)]\n    for x, y in zip(l, l[1:] + l[:1]): x.append(y)\n'
            'del l, x, y\n')
    p = cli('garbage', '-c', code)
    assert len(cycle_heads(p.stdout)) == 20
    assert '\n... 5 more cycles' in p.stdout
    assert '  ... 13 more objects (--max-members 0 lists all)' in p.stdout   # the ring of 25


@pytest.mark.parametrize('option', ['--max-cycles', '--max-members'])
def test_limits_are_counts(option):
    p = cli('garbage', option, '-1', '-c', 'print("ran")')
    assert p.returncode == USAGE and p.stdout == ''
    assert p.stderr == "pympler garbage: not a valid number for %s: '-1' (try 'pympler garbage --help')\n" % option


# -------------------------------------------------------------------- finalizers

def test_finalizers_marked():
    p, r = garbage_json(EXAMPLES / 'cycles.py')
    assert p.returncode == OK, p.stderr
    fin = {(m['type'], m['finalizer']) for c in r['cycles'] for m in c['members']}
    assert fin == {('Node', False), ('Resource', True), ('list', False)}
    p = cli('garbage', EXAMPLES / 'cycles.py')
    rows = [l for l in p.stdout.splitlines() if l.startswith('  0x')]
    assert rows and all((' F Resource ' in l) == ('Resource' in l.split('<')[0]) for l in rows)
    assert all(' F ' not in l for l in rows if ' Node ' in l or ' list ' in l)
    assert 'U: uncollectable; F: has a finalizer (__del__)' in p.stdout
    # no flag shown: no legend
    assert 'F: has a finalizer' not in cli('garbage', '-c', CYCLE).stdout


# -------------------------------------------------------------------- filters

TEST_WITH_CYCLE = '''\
class Car:
    def __init__(self):
        self.wheel = Wheel(self)

class Wheel:
    def __init__(self, car):
        self.car = car

def test_car():
    Car()
'''
TEST_WITHOUT_CYCLE = '''\
class Car:
    def __init__(self):
        self.wheel = Wheel()

class Wheel:
    pass

def test_car():
    Car()
'''
PYTEST_ENV = {'PYTHONDONTWRITEBYTECODE': '1'}
# no files left behind by pytest's cache and pytest-benchmark's directory
PYTEST_ARGS = ('-q', '-p', 'no:cacheprovider', '-p', 'no:benchmark', 'test_x.py')


def pytest_run(tmp_path, *options, fmt=()):
    return cli('garbage', *fmt, *options, '-m', 'pytest', *PYTEST_ARGS,
               cwd=tmp_path, env=PYTEST_ENV)


def test_include_under_pytest(tmp_path):
    write(tmp_path / 'test_x.py', TEST_WITH_CYCLE)
    # unfiltered, pytest's own cycles are there too
    p, r = garbage_json('-m', 'pytest', *PYTEST_ARGS, cwd=tmp_path, env=PYTEST_ENV)
    assert r['summary']['cycles'] > 1
    p = pytest_run(tmp_path, '--fail-on', 'any', '--include', 'test_*')
    assert p.returncode == CYCLES, (p.stdout, p.stderr)
    assert '1 passed' in p.stdout
    assert re.search(r'^Garbage: 2 objects, \d+ bytes; 2 in 1 reference cycle; 0 uncollectable$', p.stdout, re.M)
    m = re.search(r'^Filters \(--include/--exclude\) dropped (\d+) cycles and (\d+) objects$', p.stdout, re.M)
    assert m and int(m.group(1)) >= 1
    assert re.search(r'^       1 +\d+  Car$', p.stdout, re.M) and re.search(r'^       1 +\d+  Wheel$', p.stdout, re.M)
    assert p.stdout.endswith('\nProgram exit status: 0\n')
    assert sorted(os.listdir(tmp_path)) == ['test_x.py']
    p, r = garbage_json('--fail-on', 'any', '--include', 'test_*', '-m', 'pytest', *PYTEST_ARGS, cwd=tmp_path,
                        env=PYTEST_ENV)
    assert p.returncode == CYCLES
    [c] = r['cycles']
    assert {m['type']: m['module'] for m in c['members']} == {'Car': 'test_x', 'Wheel': 'test_x'}
    assert references(c) == {('Car', 'Wheel', 'attribute', 'wheel'), ('Wheel', 'Car', 'attribute', 'car')}
    assert r['filters']['include'] == ['test_*'] and r['filters']['exclude'] == []
    assert r['filters']['dropped_cycles'] >= 1
    assert r['filters']['dropped_objects'] > 0
    # the user's test makes no cycle: the filtered run passes
    write(tmp_path / 'test_x.py', TEST_WITHOUT_CYCLE)
    p = pytest_run(tmp_path, '--fail-on', 'any', '--include', 'test_*')
    assert p.returncode == OK, (p.stdout, p.stderr)
    assert re.search(r'^Garbage: 0 objects, 0 bytes; 0 in 0 reference cycles; 0 uncollectable$', p.stdout, re.M)
    assert sorted(os.listdir(tmp_path)) == ['test_x.py']


def test_include_by_file_and_exclude(tmp_path):
    write(tmp_path / 'mine.py', 'class Mine:\n    pass\n')
    write(tmp_path / 'prog.py', 'import mine\nm = mine.Mine(); m.me = m\nl = []; l.append(l)\n'
                                'x = mine.Mine(); y = []; x.y = y; y.append(x)\ndel m, l, x, y\n')
    env = PYTEST_ENV
    p, r = garbage_json('--include', '*/mine.py', 'prog.py', cwd=tmp_path, env=env)
    assert p.returncode == OK, p.stderr
    kept = sorted(sorted(m['type'] for m in c['members']) for c in r['cycles'])
    assert kept == [['Mine'], ['Mine', 'list']]           # a cycle is kept whole
    assert r['filters']['dropped_cycles'] == 1 and r['summary']['cycles'] == 2
    # exclude wins over include; repeatable
    p, r = garbage_json('--include', 'mine', '--exclude', 'builtins', 'prog.py', cwd=tmp_path, env=env)
    assert sorted(sorted(m['type'] for m in c['members']) for c in r['cycles']) == [['Mine'], ['Mine', 'list']]
    p, r = garbage_json('--exclude', 'mine', '--exclude=builtins', 'prog.py', cwd=tmp_path, env=env)
    assert r['cycles'] == [] and r['filters']['dropped_cycles'] == 3
    assert r['filters']['exclude'] == ['mine', 'builtins']
    p, r = garbage_json('--include', 'nothing*', '--include', 'builtins', 'prog.py', cwd=tmp_path, env=env)
    assert sorted(sorted(m['type'] for m in c['members']) for c in r['cycles']) == [['Mine', 'list'], ['list']]
    assert r['filters']['include'] == ['nothing*', 'builtins']
    # --fail-on counts only what is kept
    assert cli('garbage', '--fail-on', 'any', '--include', 'nothing', 'prog.py', cwd=tmp_path,
               env=env).returncode == OK
    assert cli('garbage', '--fail-on', 'any', '--include', 'mi?e', 'prog.py', cwd=tmp_path, env=env).returncode == CYCLES
    assert sorted(os.listdir(tmp_path)) == ['mine.py', 'prog.py']


def test_filters_after_the_program_are_the_programs():
    p = cli('garbage', '-c', 'import sys; print(sys.argv)', '--include', 'x')
    assert p.returncode == OK
    assert p.stdout.startswith("['-c', '--include', 'x']\n")


# -------------------------------------------------------------------- --where

WHERE = '''\
import copy

class Node:
    pass

def make():
    n = Node()
    n.me = n
    return n

def outer():
    make()

outer()
l = []
l.append(l)
m = copy.deepcopy(l)
del m
'''


def test_where_gives_allocation_sites(tmp_path):
    prog = write(tmp_path / 'prog.py', WHERE)
    p, r = garbage_json('--where', prog)
    assert p.returncode == OK, p.stderr
    sites = {}
    for c in r['cycles']:
        for m in c['members']:
            sites.setdefault(m['type'], []).append(m['where'])
    f = str(prog)
    [node] = sites['Node']
    assert node['site'] == {'file': f, 'line': 7}
    assert node['frames'] == [{'file': f, 'line': 7}, {'file': f, 'line': 12}, {'file': f, 'line': 14}]
    # l stays alive; its copy is made inside the standard library: the site
    # is there, the frames are the program's
    [copied] = sites['list']
    assert copied['site']['file'].endswith(os.sep + 'copy.py')
    assert copied['frames'] == [{'file': f, 'line': 17}]
    # text
    p = cli('garbage', '--where', prog)
    assert '\n      at %s:7 < %s:12 < %s:14\n' % (f, f, f) in p.stdout
    assert re.search(r'\n      at \S+%scopy\.py:\d+, from %s:17\n' % (re.escape(os.sep), re.escape(f)), p.stdout)
    assert sorted(os.listdir(tmp_path)) == ['prog.py']


def test_where_frames_and_without_where(tmp_path):
    prog = write(tmp_path / 'prog.py', WHERE)
    p, r = garbage_json('--where-frames', '1', prog)
    [node] = [m for c in r['cycles'] for m in c['members'] if m['type'] == 'Node']
    assert node['where'] == {'site': {'file': str(prog), 'line': 7}, 'frames': [{'file': str(prog), 'line': 7}]}
    p, r = garbage_json(prog)
    assert all('where' not in m for c in r['cycles'] for m in c['members'])
    assert '\n      at ' not in cli('garbage', prog).stdout
    for bad in ('0', '1001', 'x'):
        p = cli('garbage', '--where-frames', bad, prog)
        assert p.returncode == USAGE and p.stdout == ''


def test_where_of_what_tracemalloc_did_not_trace():
    # the program stops tracemalloc before making the cycle
    code = 'import tracemalloc\ntracemalloc.stop()\n' + CYCLE
    p, r = garbage_json('--where', '-c', code)
    assert p.returncode == OK, p.stderr
    [c] = r['cycles']
    assert c['members'][0]['where'] is None
    p = cli('garbage', '--where', '-c', code)
    assert '\n      at ? (not traced by tracemalloc)\n' in p.stdout


def test_where_under_python_m_pympler(tmp_path):
    prog = write(tmp_path / 'prog.py', WHERE)
    p, r = garbage_json('--where', prog, face='module')
    assert p.returncode == OK, p.stderr
    [node] = [m for c in r['cycles'] for m in c['members'] if m['type'] == 'Node']
    assert node['where']['frames'][:2] == [{'file': str(prog), 'line': 7}, {'file': str(prog), 'line': 12}]


# -------------------------------------------------------------------- the collector left as found

def test_the_command_leaves_the_collector_as_it_found_it(tmp_path):
    """GarbageGraph() leaves DEBUG_SAVEALL set and the garbage in gc.garbage,
    as Pympler's does; the command asks for restore=True, so that a caller of
    pympler._cli.main finds its flags and gc.garbage as they were."""
    prog = write(tmp_path / 'prog.py', CYCLE)
    code = textwrap.dedent('''
        import gc, io, contextlib
        from pympler import _cli
        gc.collect()
        sentinel = ['mine']
        gc.garbage.append(sentinel)
        gc.set_debug(gc.DEBUG_UNCOLLECTABLE)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = _cli.main(['pympler', 'garbage', '--format', 'json', '-o', '-', %r])
        print(status, gc.get_debug() == gc.DEBUG_UNCOLLECTABLE, gc.garbage == [sentinel],
              gc.garbage[0] is sentinel, len(out.getvalue()) > 0)
    ''' % str(prog))
    env = dict(os.environ, PYTHONPATH=our_path())
    p = subprocess.run([sys.executable, '-P', '-c', code], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    fields = p.stdout.split()
    assert fields == ['0', 'True', 'True', 'True', 'True'], p.stdout
