"""pympler._stats_io: the dump and load of ClassTracker statistics.

Our format round-trips every value exactly; a dump written by the real
Pympler 1.1 (in a subprocess) loads to the values that process printed;
hostile, truncated and mutated inputs of both formats give ValueError and
nothing else (no crash, no code run).  See docs/stats_format.md.
"""

import io
import json
import math
import os
import pickle
import random
import struct
import sys
import zlib

import pytest

from pympler import _stats_io, asizeof, process
from pympler.asizeof import Asized

from reference_paths import reference_dir, run_python

HAVE_REF = os.path.isfile(os.path.join(reference_dir(), 'pympler', 'classtracker.py'))
HEADER = 29

# ---------------------------------------------------------------- normalising values
# The same function runs here and in the reference's process (as source):
# every value as JSON, floats by their hex (exact, NaN too), Asized and
# ProcessMemoryInfo by class name and fields.
NORM_SRC = r'''
def norm(v, _depth=0):
    import math
    t = type(v)
    if v is None or t is bool or t is int:
        return v if t is not int or abs(v) < 2**53 else ['bigint', hex(v)]
    if t is float:
        return ['float', v.hex() if not math.isnan(v) else 'nan']
    if t is str:
        return ['str', v]
    if t is bytes:
        return ['bytes', v.hex()]
    if t is tuple:
        return ['tuple'] + [norm(x) for x in v]
    if t is list:
        return ['list'] + [norm(x) for x in v]
    if t is dict:
        return ['dict'] + [[norm(k), norm(x)] for k, x in v.items()]
    if t.__name__ == 'Asized':
        return ['Asized', norm(v.size), norm(v.flat), norm(v.name), norm(v.refs)]
    if t.__name__.startswith('_ProcessMemoryInfo'):
        return ['PMI', t.__name__, norm(vars(v))]
    raise TypeError('norm: %r' % (t,))
'''
exec(NORM_SRC)


def norm_states(index, snapshots):
    return [norm(index), norm(snapshots)]


# ---------------------------------------------------------------- stand-in classes

class Tracked:
    """Stands for pympler.classtracker.TrackedObject: only __getstate__ is used."""

    def __init__(self, state):
        self._state = state

    def __getstate__(self):
        return dict(self._state)


class Snap:
    """Stands for pympler.classtracker.Snapshot: only __dict__ is used."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def pmi(**fields):
    o = process._ProcessMemoryInfoProc.__new__(process._ProcessMemoryInfoProc)
    vars(o).update(fields)
    return o


def sample():
    leaf = Asized(56, 56, (), "[K] s")
    tree = Asized(2**80, -1, (Asized(560, 288, (leaf, Asized(0, 0, (), None)), '__dict__'),), 'root \ud800 x')
    merged = Asized(632, 72, (), None)
    merged.refs = [leaf]           # _merge_asized leaves a list
    st1 = {'id': 140094861224592, 'repr': '<Foo object at 0x7f>', 'name': 'mod.Foo', 'birth': 0.1 + 0.2,
           'death': None, 'trace': [('/a.py', 7, '<module>', ['x = Foo()\n'], 0), ('/b.py', 9, 'f', None, None)],
           'snapshots': [(0.1 + 0.2, Asized(56, 56)), (5e-324, tree)], '_resolution_level': 2}
    st2 = {'id': -(2**200), 'repr': '\udcff\U0001f600', 'name': 'mod.Foo', 'birth': -0.0, 'death': float('inf'),
           'trace': None, 'snapshots': [], '_resolution_level': 0, 'extra': b'\x00\xff'}
    index = {'mod.Foo': [Tracked(st1), Tracked(st2)], 'other.Bar': []}
    snaps = [Snap(tracked_total=112, asizeof_total=0, overhead=0, timestamp=1.0000000000000002,
                  system_total=pmi(pid=7, rss=2**64, vsz=-1, pagefaults=0, os_specific=[('Peak', ' 1.00 MB')],
                                   data_segment=1, code_segment=2, shared_segment=3, stack_segment=4,
                                   available=True),
                  desc='one', classes=None),
             Snap(tracked_total=0, asizeof_total=1, overhead=2, timestamp=float('nan'), system_total=None,
                  desc='', classes={'mod.Foo': {'sum': 632, 'avg': 316.0, 'pct': 12.5, 'active': 2,
                                                'merged': merged}})]
    return index, snaps


def dumped(index, snaps):
    b = io.BytesIO()
    _stats_io.dump(b, index, snaps)
    return b.getvalue()


def states_of(index, snaps):
    return ({k: [t.__getstate__() for t in v] for k, v in index.items()}, [dict(vars(s)) for s in snaps])


# ---------------------------------------------------------------- our format: round trip

def test_round_trip_is_exact():
    index, snaps = sample()
    data = dumped(index, snaps)
    assert data[:13] == _stats_io.MAGIC and data[13:15] == b'\x00\x01'
    got = _stats_io.load(io.BytesIO(data))
    assert type(got) is tuple and len(got) == 2
    assert norm_states(*got) == norm_states(*states_of(index, snaps))
    gi, gs = got
    a = gi['mod.Foo'][0]['snapshots'][1][1]
    assert type(a) is Asized and a.size == 2**80 and a.name == 'root \ud800 x'
    assert type(a.refs) is tuple and a.refs[0].refs[1].name is None
    assert type(gs[1]['classes']['mod.Foo']['merged'].refs) is list
    pm = gs[0]['system_total']
    assert type(pm) is process._ProcessMemoryInfoProc and pm.rss == 2**64 and pm.available is True
    assert repr(pm) == '<_ProcessMemoryInfoProc vsz=-1 rss=18446744073709551616>'
    assert math.isnan(gs[1]['timestamp']) and math.copysign(1, gi['mod.Foo'][1]['birth']) == -1
    # the same bytes again from the loaded states (dicts are accepted as states)
    assert dumped(*got) == data


def test_path_round_trip_and_atomic_write(tmp_path):
    index, snaps = sample()
    p = tmp_path / 'stats.dat'
    _stats_io.dump(p, index, snaps)
    _stats_io.dump(str(p), index, snaps)
    _stats_io.dump(os.fsencode(p), index, snaps)
    assert norm_states(*_stats_io.load(p)) == norm_states(*states_of(index, snaps))
    assert norm_states(*_stats_io.load(str(p))) == norm_states(*_stats_io.load(os.fsencode(p)))
    before = p.read_bytes()
    with pytest.raises(TypeError, match='cannot store an object of type set'):
        _stats_io.dump(p, {'x': [Tracked({'a': {1, 2}})]}, [])
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['stats.dat']
    with pytest.raises(FileNotFoundError) as e:
        _stats_io.dump(tmp_path / 'no' / 'such.dat', index, snaps)
    assert e.value.filename == str(tmp_path / 'no' / 'such.dat')
    with pytest.raises(FileNotFoundError) as e:
        _stats_io.load(tmp_path / 'missing.dat')
    assert e.value.filename == str(tmp_path / 'missing.dat')
    with pytest.raises(IsADirectoryError):
        _stats_io.load(tmp_path)


def test_dump_to_a_file_object_writes_once():
    writes = []

    class W:
        def write(self, b):
            writes.append(b)

    _stats_io.dump(W(), *sample())
    assert len(writes) == 1 and type(writes[0]) is bytes and writes[0][:13] == _stats_io.MAGIC


def test_argument_errors():
    with pytest.raises(TypeError, match='path or a binary file'):
        _stats_io.dump(3, {}, [])
    with pytest.raises(TypeError, match='path or a binary file'):
        _stats_io.load(3)
    with pytest.raises(TypeError, match='mapping'):
        _stats_io.dump(io.BytesIO(), 5, [])
    with pytest.raises(TypeError, match='class names'):
        _stats_io.dump(io.BytesIO(), {1: []}, [])
    with pytest.raises(TypeError):
        _stats_io.dump(io.BytesIO(), {'a': 5}, [])
    with pytest.raises(TypeError, match='dict key'):
        _stats_io.dump(io.BytesIO(), {'a': [{(1, 2): 3}]}, [])
    with pytest.raises(TypeError, match='not bytes'):
        _stats_io.load(io.StringIO('abc'))
    with pytest.raises(TypeError, match='not a dict'):
        _stats_io.dump(io.BytesIO(), {'a': [type('T', (), {'__getstate__': lambda s: [1]})()]}, [])
    cyc = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match='nested deeper'):
        _stats_io.dump(io.BytesIO(), {'a': [{'c': cyc}]}, [])
    # bytearray from read() is accepted
    data = dumped(*sample())
    r = type('R', (), {'read': lambda s: bytearray(data)})()
    assert norm_states(*_stats_io.load(r)) == norm_states(*states_of(*sample()))


def frame(body, version=1, flags=0, length=None, crc=None):
    """A file of our format around body."""
    return (_stats_io.MAGIC + struct.pack('>HHQI', version, flags, len(body) if length is None else length,
                                          zlib.crc32(body) if crc is None else crc) + body)


EMPTY = b'm\x00l\x00'


def test_header_errors_name_the_file(tmp_path):
    assert _stats_io.load(io.BytesIO(frame(EMPTY))) == ({}, [])
    cases = [
        (frame(EMPTY, version=2), 'unsupported format version 2'),
        (frame(EMPTY, flags=1), 'unknown header flags'),
        (frame(EMPTY, crc=1), 'CRC-32 mismatch'),
        (frame(EMPTY, length=5), 'truncated'),
        (frame(EMPTY, length=3), 'trailing data'),
        (frame(EMPTY + b'N'), 'trailing data after the snapshots'),
        (frame(b'l\x00m\x00'), 'index is not a dict'),
        (frame(b'm\x01s\x01aNl\x00'), 'index entry is not a list'),
        (frame(b'm\x00l\x01N'), "snapshot's state"),
        (frame(b'm\x00l\x01m\x01l\x00N'), 'dict key'),
        (frame(b'm\x00l\x01m\x01s\x05ab'), 'truncated value'),
        (frame(b'm\x00l\x01m\x01s\x01\xffN'), 'UTF-8'),
        (frame(b'Z'), 'unknown value tag'),
        (frame(b'l\xff\xff\xff\xff\x0fN'), 'longer than the data'),
        (frame(b'm\xff\xff\xff\xff\x07N'), 'longer than the data'),
        (frame(b'l\x80\x00'), 'shortest form'),
        (frame(b'i' + b'\xff' * 9 + b'\x02'), 'beyond 64 bits'),
        (frame(b'i' + b'\xff' * 9), 'truncated value'),
        (frame(b'r\x00'), 'not read yet'),
        (frame(b'ANN'), 'truncated'),
        (frame(b'm\x00l\x01m\x01s\x01aAKKNN'), 'unknown value tag'),
        (frame(b'm\x00l\x01m\x01s\x01aAi\x00i\x00NN'), 'refs is not a tuple'),
        (frame(b'Ps\x03abcm\x00'), 'unknown ProcessMemoryInfo class'),
        (frame(b'Ps\x16_ProcessMemoryInfoProcN'), 'attributes are not a dict'),
        (frame(b'I\x00'), 'empty big int'),
        (_stats_io.MAGIC[:7], 'truncated header'),
        (_stats_io.MAGIC + b'\x00', 'truncated header'),
        (b'', 'empty file'),
        (b'PK\x03\x04 not ours', 'wrong magic'),
        (b'\x80', 'truncated'),
    ]
    for i, (data, msg) in enumerate(cases):
        p = tmp_path / ('bad%d.dat' % i)
        p.write_bytes(data)
        with pytest.raises(ValueError) as e:
            _stats_io.load(p)
        assert str(e.value).startswith(str(p) + ': '), (i, str(e.value))
        assert msg in str(e.value), (i, str(e.value))
    with pytest.raises(ValueError, match="^<_io.BytesIO object"):
        _stats_io.load(io.BytesIO(b'junk'))
    f = open(tmp_path / 'bad0.dat', 'rb')
    with f, pytest.raises(ValueError, match='^' + str(tmp_path / 'bad0.dat')):
        _stats_io.load(f)


def test_deep_nesting_of_our_format_is_refused():
    deep = b'l\x01' * 1_000_000 + b'N'
    with pytest.raises(ValueError, match='nested too deep'):
        _stats_io.load(io.BytesIO(frame(b'm\x01s\x01a' + deep + b'l\x00')))
    ok = b'l\x01' * (_stats_io.MAX_DEPTH - 3) + b'N'
    got = _stats_io.load(io.BytesIO(frame(b'm\x00l\x01m\x01s\x01a' + ok)))
    v = got[1][0]['a']
    for _ in range(_stats_io.MAX_DEPTH - 4):
        v = v[0]
    assert v == [None]


def test_strs_are_written_once_and_referenced():
    s = 'a repeated string \ud800'
    data = dumped({s: [{s: s, 'k': [s, s]}]}, [{'desc': s}])
    assert data.count(s.encode('utf-8', 'surrogatepass')) == 1
    index, snaps = _stats_io.load(io.BytesIO(data))
    assert index == {s: [{s: s, 'k': [s, s]}]} and snaps == [{'desc': s}]
    got = _stats_io.load(io.BytesIO(frame(b'm\x01s\x01al\x00l\x01m\x01r\x00i\x03')))
    assert got == ({'a': []}, [{'a': -2}])


def test_ints_of_every_size():
    vals = [0, 1, -1, 63, 64, -64, -65, 2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64, 10**400, -10**400, True]
    data = dumped({}, [{'v': vals}])
    got = _stats_io.load(io.BytesIO(data))[1][0]['v']
    assert got == vals and [type(x) for x in got] == [type(x) for x in vals]
    assert dumped({}, [{'v': 5}])[HEADER:] == b'm\x00l\x01m\x01s\x01vi\x0a'


# ---------------------------------------------------------------- Pympler 1.1's own dumps

REF_SCRIPT = NORM_SRC + r'''
import json, pickle, sys
from pympler.classtracker import ClassTracker

class Foo:
    def __init__(self, n):
        self.data = list(range(n))
        self.s = 'x' * n
        self.u = '\udc80' + str(n)

class Bar(object):
    __slots__ = ('a', 'b', '__weakref__')
    def __init__(self):
        self.a = {'k': [1.5, None]}
        self.b = (1, 2 ** 70)

out = sys.argv[1]
t = ClassTracker()
t.track_class(Foo, resolution_level=2, trace=True)
t.track_class(Bar, resolution_level=1)
objs = [Foo(i) for i in range(3)] + [Bar()]
t.create_snapshot('one')
del objs[0]
t.create_snapshot('two \ud800')
t.create_snapshot()
result = {}

def states():
    return [norm({k: [o.__getstate__() for o in v] for k, v in t.index.items()}),
            norm([dict(vars(s)) for s in t.snapshots])]

st = t.stats
st.dump_stats(out + '.plain')
result['plain'] = states()
st.annotate()
st.dump_stats(out + '.annotated')
result['annotated'] = states()
for proto in (2, 3, 4):
    with open(out + '.proto%d' % proto, 'wb') as f:
        pickle.dump(t.index, f, protocol=proto)
        pickle.dump(t.snapshots, f, protocol=proto)
print(json.dumps(result))
'''


@pytest.fixture(scope='module')
def reference_dumps(tmp_path_factory):
    if not HAVE_REF:
        pytest.skip('reference Pympler 1.1 missing: run make deps')
    d = tmp_path_factory.mktemp('refdump')
    out = str(d / 'stats')
    printed = json.loads(run_python(REF_SCRIPT, reference_dir(), out).splitlines()[-1])
    return out, printed


def test_the_reference_is_installed():
    assert HAVE_REF, 'reference Pympler 1.1 missing: run make deps (%s)' % reference_dir()


@pytest.mark.parametrize('kind', ['plain', 'annotated', 'proto2', 'proto3', 'proto4'])
def test_reference_dump_loads_to_what_pympler_printed(reference_dumps, kind):
    out, printed = reference_dumps
    expect = printed['annotated' if kind.startswith('proto') else kind]
    with open(out + '.' + kind, 'rb') as f:
        data = f.read()
    assert data[:1] == b'\x80'
    index, snaps = _stats_io.load(out + '.' + kind)
    assert norm_states(index, snaps) == expect
    foo = index['__main__.Foo']
    assert len(foo) == 3 and {s['name'] for s in foo} == {'__main__.Foo'}
    assert all(s['repr'].startswith('<__main__.Foo object at 0x') for s in foo)
    assert foo[0]['death'] is not None and foo[1]['death'] is None
    # the frame of the list comprehension (inlined into <module> from 3.12)
    assert foo[0]['trace'][-1][2] in ('<listcomp>', '<module>') and type(foo[0]['trace'][0]) is tuple
    assert foo[0]['trace'][-1][0] == '<string>' and type(foo[0]['trace'][-1][1]) is int
    ts, a = foo[1]['snapshots'][1]
    assert type(ts) is float and type(a) is Asized and a.size > a.flat > 0 and a.refs
    assert [type(r) for r in a.refs] == [Asized] * len(a.refs)
    assert snaps[1]['desc'] == 'two \ud800'
    pm = snaps[0]['system_total']
    assert type(pm) is process._ProcessMemoryInfoProc and pm.available is True and pm.vsz > 0
    assert isinstance(pm, process.ProcessMemoryInfo)
    if kind != 'plain':
        merged = snaps[1]['classes']['__main__.Foo']['merged']
        assert type(merged) is Asized and merged.size > merged.flat > 0 and type(merged.refs) is list
    else:
        assert all(s['classes'] is None for s in snaps)
    # through our format and back: the same values
    again = _stats_io.load(io.BytesIO(dumped(index, snaps)))
    assert norm_states(*again) == expect


def test_reference_dump_truncated_at_every_offset(reference_dumps):
    out, _ = reference_dumps
    with open(out + '.annotated', 'rb') as f:
        data = f.read()
    full = norm_states(*_stats_io.load(io.BytesIO(data)))
    for n in range(len(data)):
        try:
            got = _stats_io.load(io.BytesIO(data[:n]))
        except ValueError:
            continue
        assert norm_states(*got) == full, n   # never a different result


def test_our_format_truncated_at_every_offset(reference_dumps):
    out, _ = reference_dumps
    data = dumped(*_stats_io.load(out + '.annotated'))
    for n in range(len(data)):
        with pytest.raises(ValueError):
            _stats_io.load(io.BytesIO(data[:n]))
        # and with the header fixed up, so that the value reader meets the cut
        if n > HEADER:
            with pytest.raises(ValueError):
                _stats_io.load(io.BytesIO(frame(data[HEADER:n])))


# ---------------------------------------------------------------- hostile pickles

class Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def hostile_pickles(sentinel):
    cmd = 'touch %s' % sentinel
    code = "open(%r, 'w').close()" % str(sentinel)
    p = []
    for proto in (2, 4, 5):
        p.append(pickle.dumps(Evil(os.system, cmd), protocol=proto))
        p.append(pickle.dumps(Evil(eval, code), protocol=proto))
        p.append(pickle.dumps(Evil(exec, code), protocol=proto))
        p.append(pickle.dumps({'a': [Evil(eval, code)]}, protocol=proto))
    # a global under an admitted module, and admitted names in another module
    p.append(b'\x80\x04\x8c\x0fpympler.asizeof\x8c\x08asizeof\x93K\x01\x85R.')
    p.append(b'\x80\x02cpympler.classtracker\nClassTracker\n)\x81.')
    p.append(b'\x80\x02cos\nTrackedObject\n)\x81.')
    p.append(b'\x80\x02cbuiltins\ngetattr\n.')
    p.append(b'\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueR.')
    # REDUCE of an admitted class, NEWOBJ of defaultdict or list, list called
    p.append(b'\x80\x02cpympler.classtracker\nTrackedObject\n)R.')
    p.append(b'\x80\x02ccollections\ndefaultdict\n)\x81.')
    p.append(b'\x80\x02cbuiltins\nlist\nX\x03\x00\x00\x00abc\x85R.')
    p.append(b'\x80\x02ccollections\ndefaultdict\ncbuiltins\neval\n\x85R.')
    # subclass tricks: a str subclass name via memo, BUILD on a plain dict, __class__ state
    p.append(b'\x80\x02}X\x09\x00\x00\x00__class__cbuiltins\nlist\n\x86b.')
    p.append(b'\x80\x02cpympler.asizeof\nAsized\n)\x81}X\x09\x00\x00\x00__class__cos\nsystem\nsbb.')
    p.append(b'\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93.')
    p.append(b'\x80\x04\x8c\x0bcollections\x94h\x00\x8c\x06system\x93.')
    # dotted names (the default find_class of protocol 4 follows them)
    p.append(b'\x80\x04\x8c\x0fpympler.asizeof\x8c\x11Asized.__reduce__\x93.')
    p.append(b'\x80\x04\x8c\x08builtins\x8c\x0elist.__class__\x93.')
    p.append(b'\x80\x04\x8c\x14pympler.classtracker\x8c\x16TrackedObject.__init__\x93.')
    # opcodes that are never admitted
    p.append(b'\x80\x02(cos\nsystem\nX\x04\x00\x00\x00trueo.')       # OBJ
    p.append(b'(ios\nsystem\nX\x04\x00\x00\x00true\x00.')                  # INST, protocol 0
    p.append(b'\x80\x02X\x01\x00\x00\x001Q.')                              # BINPERSID
    p.append(b'\x80\x02\x82\x01.')                                         # EXT1
    p.append(b'\x80\x05\x97.')                                             # NEXT_BUFFER
    p.append(b'\x80\x02I1\n.')                                              # INT (text)
    # huge lengths, memo indices, frames
    p.append(b'\x80\x04\x8d' + struct.pack('<Q', 2**62) + b'abc.')
    p.append(b'\x80\x04\x8e' + struct.pack('<Q', 2**63 + 5) + b'abc.')
    p.append(b'\x80\x02X\xff\xff\xff\x7fabc.')
    p.append(b'\x80\x02\x8b\xff\xff\xff\xffabc.')
    p.append(b'\x80\x02Nr\xff\xff\xff\xff.')
    p.append(b'\x80\x02j\xff\xff\xff\x00.')
    p.append(b'\x80\x04\x95' + struct.pack('<Q', 2**60) + b'N.')
    p.append(b'\x80\x01N.')
    p.append(b'\x80\x06N.')
    # nesting a million deep: tuples (hashed as a key: C recursion), lists
    p.append(b'\x80\x02}N' + b'\x85' * 1_000_000 + b'Ns.')
    p.append(b'\x80\x02' + b']' * 1_000_000 + b'a' * 999_999 + b'.')
    p.append(b'\x80\x02(' + b'(' * 100_000 + b'N' + b't' * 100_001 + b'.')
    return p


def test_hostile_pickles_are_refused_and_run_nothing(tmp_path):
    sentinel = tmp_path / 'SENTINEL'
    good_snaps = b'\x80\x02].'
    for i, evil in enumerate(hostile_pickles(sentinel)):
        for data in (evil, evil + good_snaps, b'\x80\x02}.' + evil):
            with pytest.raises(ValueError) as e:
                _stats_io.load(io.BytesIO(data))
            assert str(e.value).startswith('<_io.BytesIO object'), (i, e.value)
        assert not sentinel.exists(), i
    # the same hostile file loaded the way Pympler does runs its code: the test is real
    pickle.loads(hostile_pickles(sentinel)[0])
    assert sentinel.exists()


def test_deep_lists_in_a_pickle_are_refused_not_crashed():
    deep = b']' * 100_000 + b'a' * 99_999
    tracked = (b'cpympler.classtracker\nTrackedObject\n)\x81}X\x01\x00\x00\x00x' + deep + b'sb')
    data = b'\x80\x02}X\x01\x00\x00\x00a](' + tracked + b'esN.' + b'\x80\x02].'
    data = data.replace(b'esN.', b'es.')
    with pytest.raises(ValueError, match='nested too deep'):
        _stats_io.load(io.BytesIO(data))
    ok = data.replace(deep, b']' * 100 + b'a' * 99)
    (index, snaps) = _stats_io.load(io.BytesIO(ok))
    assert list(index) == ['a'] and snaps == [] and len(index['a']) == 1


def test_structures_out_of_place_are_refused():
    T = b'cpympler.classtracker\nTrackedObject\n)\x81}b'
    S = b'cpympler.classtracker\nSnapshot\n)\x81}b'
    A = b'cpympler.asizeof\nAsized\n)\x81N}X\x04\x00\x00\x00sizeK\x01s\x86b'
    E = b'\x80\x02].'
    cases = [
        (b'\x80\x02].' + E, 'index is not a dict'),
        (b'\x80\x02}X\x01\x00\x00\x00aN s.'.replace(b' ', b'') + E, 'lists'),
        (b'\x80\x02}X\x01\x00\x00\x00a]' + S + b'as.' + E, 'not a TrackedObject'),
        (b'\x80\x02}.\x80\x02]' + T + b'a.', 'not a Snapshot'),
        (b'\x80\x02}.\x80\x02]' + S[:-1] + b'X\x01\x00\x00\x00x' + T + b'sba.', 'out of place'),
        (b'\x80\x02}.\x80\x02]' + S[:-1] + b'X\x01\x00\x00\x00x' + A + b'sba.', 'size, flat, refs and name'),
        (b'\x80\x02}.\x80\x02]' + S[:-1] + b'X\x01\x00\x00\x00x\x8f(K\x01\x90sba.', 'does not hold'),
        (b'\x80\x02}.\x80\x02]' + S[:-1] + b'X\x01\x00\x00\x00x]q\x00h\x00asba.', 'cyclic'),
        (b'\x80\x02}.\x80\x02].N', 'trailing data'),
        (b'\x80\x02}.', 'truncated after the index'),
        (b'\x80\x02}.\x80\x02]' + S[:-1] + b'X\x01\x00\x00\x00xK\x01sbb a.'.replace(b' ', b'') , 'BUILD'),
    ]
    for data, msg in cases:
        with pytest.raises(ValueError) as e:
            _stats_io.load(io.BytesIO(data))
        assert msg in str(e.value), (data, str(e.value))
    # a dict key that is a tuple, shared (memoised) values: fine shapes load
    ok = b'\x80\x02}.\x80\x02]' + S[:-1] + b'X\x01\x00\x00\x00x}q\x00sba' + S[:-1] + b'X\x01\x00\x00\x00yh\x00sba.'
    _, snaps = _stats_io.load(io.BytesIO(ok))
    assert snaps == [{'x': {}}, {'y': {}}] and snaps[0]['x'] is snaps[1]['y']


# ---------------------------------------------------------------- the pre-scan (C) alone

def test_scan_pickle_finds_the_end_of_each_pickle():
    index, snaps = sample()
    a = pickle.dumps({'k': [1, 'x', (2.5, None), b'b', 2**100, True]}, protocol=5)
    b = pickle.dumps([], protocol=2)
    assert _stats_io._scan_pickle(a + b) == len(a)
    assert _stats_io._scan_pickle(a + b, len(a)) == len(a) + len(b)
    for proto in (2, 3, 4, 5):
        v = [{'a': (1, [2, {3: 4.0}])}, 'ü' * 300] + ([b'x' * 70000] if proto >= 3 else []) + \
            ([frozenset({1}), {2}] if proto >= 4 else [])
        d = pickle.dumps(v, protocol=proto)
        assert _stats_io._scan_pickle(d) == len(d)
    bad = [
        (b'N.', 'does not start with PROTO'),
        (b'\x80\x02', 'no STOP'),
        (b'\x80\x02NN.', 'STOP with a malformed stack'),
        (b'\x80\x02(N.', 'STOP with a malformed stack'),
        (b'\x80\x02.', 'STOP with a malformed stack'),
        (b'\x80\x020N.', 'underflow'),
        (b'\x80\x02Nt.', 'MARK missing'),
        (b'\x80\x02(Nd.', 'odd number'),
        (b'\x80\x02h\x00.', 'never set'),
        (b'\x80\x02Nq\x01.', 'out of sequence'),
        (b'\x80\x02\x80\x02N.', 'PROTO inside'),
        (b'\x80\x04K\x01K\x02\x93.', 'two strings'),
        (b'\x80\x02cos\nsystem\n.', 'not admitted'),
        (b'\x80\x02cos\nsys', 'truncated'),
        (b'\x80\x02Na.', 'underflow'),
        (b'\x80\x02N' + b'\x85' * 1001 + b'.', 'nested too deep'),
    ]
    for data, msg in bad:
        with pytest.raises(ValueError, match=msg):
            _stats_io._scan_pickle(data)
    assert _stats_io._scan_pickle(b'\x80\x02N' + b'\x85' * 999 + b'.') == 1003
    with pytest.raises(ValueError, match='start out of range'):
        _stats_io._scan_pickle(b'\x80\x02N.', 9)


# ---------------------------------------------------------------- mutation fuzz

def mutate(rng, data):
    d = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        op = rng.randrange(6)
        i = rng.randrange(len(d)) if d else 0
        if op == 0 and d:
            d[i] ^= 1 << rng.randrange(8)
        elif op == 1 and d:
            d[i] = rng.choice((0, 1, 0x7f, 0x80, 0xff, rng.randrange(256)))
        elif op == 2:
            d[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif op == 3 and d:
            del d[i:i + rng.randrange(1, 9)]
        elif op == 4 and d:
            j = rng.randrange(len(d))
            d[i:i] = d[j:j + rng.randrange(1, 64)]
        elif op == 5 and d:
            d[i:i + 4] = struct.pack('<I', rng.choice((0xffffffff, 0x7fffffff, 0x10000, len(d))))
    return bytes(d)


FUZZ_COUNT = 3000


def test_mutation_fuzz_gives_only_value_error(reference_dumps):
    out, _ = reference_dumps
    with open(out + '.annotated', 'rb') as f:
        pickled = f.read()
    ours = dumped(*_stats_io.load(io.BytesIO(pickled)))
    rng = random.Random(20261204)
    outcomes = {'ok': 0, 'ValueError': 0}
    for i in range(FUZZ_COUNT):
        for base in (pickled, ours):
            data = mutate(rng, base)
            if base is ours and i % 3 and len(data) > HEADER and data[:13] == _stats_io.MAGIC:
                data = frame(data[HEADER:])   # a consistent header: the value reader sees the damage
            try:
                _stats_io.load(io.BytesIO(data))
                outcomes['ok'] += 1
            except ValueError:
                outcomes['ValueError'] += 1
    assert sum(outcomes.values()) == 2 * FUZZ_COUNT
    assert outcomes['ValueError'] > FUZZ_COUNT // 2
    print('fuzz outcomes', outcomes, 'sizes: pickle', len(pickled), 'ours', len(ours))
    assert len(ours) < len(pickled)
