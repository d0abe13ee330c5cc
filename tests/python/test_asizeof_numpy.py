"""Buffers are sized by their data (docs/asizeof.md, "Where we deliberately
differ", item 4).

numpy arrays and ``array.array`` are sized as ``sys.getsizeof(obj)`` (header
plus the buffer the object owns); a numpy array's referent is its ``.base``,
so a view counts only its header and the base array once.  Pympler derives
these sizes from a base size cached from the first array the process ever
sized; in a fresh process whose first array is the one being sized it gives
our value, which is how the reference comparisons below are run.
"""

import array
import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy  # scripts/install-deps.sh installs it
import pytest

from pympler import asizeof

REPO = Path(__file__).resolve().parents[2]
NONE = 16  # sys.getsizeof(None): the .base of an array that owns its data


def _al(n):
    return (n + 7) & ~7


def _reference_dir():
    return os.environ.get('PYMPLER_REFERENCE') or str(REPO / '.deps' / 'pympler-1.1')




@pytest.fixture(scope='module')
def big():
    return numpy.zeros(10**6)


def test_owner_array_is_getsizeof(big):
    assert big.base is None
    assert sys.getsizeof(big) > big.nbytes
    assert asizeof.asizeof(big) == _al(sys.getsizeof(big)) + NONE == 8000128
    assert asizeof.flatsize(big) == sys.getsizeof(big)
    r = asizeof.asized(big, detail=1)
    assert r.flat == _al(sys.getsizeof(big))
    assert [(k.name, k.size) for k in r.refs] == [('base', NONE)]


def test_view_with_base_adds_only_header(big):
    view = big[::2]
    assert view.base is big
    header = _al(sys.getsizeof(view))
    assert header < 1000  # a view's getsizeof is its header only
    assert asizeof.asizeof(big, view) == asizeof.asizeof(big) + header
    # the view's referent (its base) is a given object: counted with itself
    assert asizeof.asizesof(big, view) == (asizeof.asizeof(big), header)
    assert asizeof.asizeof([big, view, big[1:], big[::3]]) == (
        asizeof.asizeof(big) + 3 * header + _al(sys.getsizeof([1, 2, 3, 4])))


def test_view_alone_includes_base_once(big):
    view = big[::2]
    header = _al(sys.getsizeof(view))
    assert asizeof.asizeof(view) == header + asizeof.asizeof(big)
    view2 = view[::5]  # numpy collapses the base to the owner
    assert view2.base is big
    assert asizeof.asizeof(view, view2) == 2 * header + asizeof.asizeof(big)
    r = asizeof.asized(view, detail=2)
    assert r.flat == header
    assert [k.name for k in r.refs] == ['base']
    assert r.refs[0].flat == _al(sys.getsizeof(big))


def test_array_leng_itemsize(big):
    assert asizeof.leng(big) == 10**6
    assert asizeof.itemsize(big) == 8
    assert asizeof.leng(big[::2]) == 500_000
    i8 = numpy.zeros((100, 100), dtype=numpy.int8)
    assert asizeof.leng(i8) == 10_000
    assert asizeof.itemsize(i8) == 1
    assert asizeof.asizeof(i8) == _al(sys.getsizeof(i8)) + NONE


def test_buffers_sized_by_getsizeof():
    for o in (memoryview(b'x' * 1000), bytearray(b'y' * 5000), bytearray(),
              array.array('d', range(1000)), array.array('b'), array.array('i', [1, 2, 3]),
              array.array('u', 'hello')):
        assert asizeof.flatsize(o) == sys.getsizeof(o), o
        assert asizeof.asizeof(o) == _al(sys.getsizeof(o)), o
    # a memoryview's size does not include the bytes it views (Pympler: the
    # memoryview typedef has no referents but __class__)
    assert asizeof.asizeof(memoryview(b'z' * 10**5)) == _al(sys.getsizeof(memoryview(b'')))
    # array.array: per object, not from the first array ever sized
    small, large = array.array('d', [1.0]), array.array('d', range(10**4))
    assert asizeof.basicsize(large) == sys.getsizeof(large) - 8 * 10**4
    assert asizeof.basicsize(small) == sys.getsizeof(small) - 8


# ---------------------------------------------------------------- reference

# (name, construction) -- each is the first array of a fresh reference process
FRESH = {
    'zeros_1e6': 'obj = numpy.zeros(10**6)',
    'arange_i32': 'obj = numpy.arange(10, dtype=numpy.int32)',
    'int8_2d': 'obj = numpy.zeros((100, 100), dtype=numpy.int8)',
    'float32_3d': 'obj = numpy.ones((4, 5, 6), dtype=numpy.float32)',
    'scalar_f64': 'obj = numpy.float64(3.0)',
    'array_d': 'obj = array.array("d", range(1000))',
    'array_b_empty': 'obj = array.array("b")',
    'array_i3': 'obj = array.array("i", [1, 2, 3])',
    'memoryview': 'obj = memoryview(b"x" * 1000)',
    'bytearray': 'obj = bytearray(b"y" * 5000)',
}

# views: the reference's typedef must be built from the owner first (a view
# sized first makes it raise); then leng and itemsize are compared
VIEWS = {
    'view_step2': 'base = numpy.zeros(10**6); obj = base[::2]',
    'view_slice': 'base = numpy.arange(1000, dtype=numpy.int16); obj = base[10:20]',
    'view_reshape': 'base = numpy.zeros(600, dtype=numpy.float32); obj = base.reshape(4, 5, 30)',
}

_PRE = 'import array, json, sys\nimport numpy\nfrom pympler import asizeof\n'
_FRESH_TAIL = textwrap.dedent('''
    print(json.dumps([asizeof.asizeof(obj), asizeof.flatsize(obj), asizeof.basicsize(obj),
                      asizeof.leng(obj), asizeof.itemsize(obj)]))
''')
_VIEW_TAIL = textwrap.dedent('''
    asizeof.asizeof(base)  # caches the typedef built from the owner
    print(json.dumps([asizeof.leng(obj), asizeof.itemsize(obj)]))
''')


def _run(src, ref):
    env = dict(os.environ, PYTHONHASHSEED='0')
    if ref:
        env['PYTHONPATH'] = _reference_dir()
    p = subprocess.run([sys.executable, '-P', '-c', src], env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_values_match_reference_fresh_process():
    # the reference: one fresh process per object; ours: all in this process
    # (our answers do not depend on what was sized before)
    with ThreadPoolExecutor(max_workers=4) as ex:
        ref = {name: ex.submit(_run, _PRE + src + '\n' + _FRESH_TAIL, True)
               for name, src in FRESH.items()}
        ref.update({name: ex.submit(_run, _PRE + src + '\n' + _VIEW_TAIL, True)
                    for name, src in VIEWS.items()})
        ref = {name: f.result() for name, f in ref.items()}
    diffs = []
    for name, src in list(FRESH.items()) + list(VIEWS.items()):
        ns = {'numpy': numpy, 'array': array}
        exec(src, ns)
        obj = ns['obj']
        if name in FRESH:
            ours = [asizeof.asizeof(obj), asizeof.flatsize(obj), asizeof.basicsize(obj),
                    asizeof.leng(obj), asizeof.itemsize(obj)]
        else:
            ours = [asizeof.leng(obj), asizeof.itemsize(obj)]
        if ours != ref[name]:
            diffs.append('%s: ours %r ref %r' % (name, ours, ref[name]))
    assert not diffs, '\n'.join(diffs)
