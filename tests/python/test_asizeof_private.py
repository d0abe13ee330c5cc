"""The private helpers of Pympler's asizeof that its own tests call
(_items, _keys, _values, _p100, _prepr, _seq_refs, _len_int, _co_refs,
_dict_refs, _inst_refs, _typedefs), and adict() of a class already sized:
against the reference Pympler 1.1 in a subprocess."""

import json

import pytest

from pympler import asizeof

from reference_paths import our_path, reference_dir, run_python

PROBE = r'''
import json
from pympler import asizeof as a
out = {}
out['p100'] = [a._p100(1, 3), a._p100(5, 0), a._p100(1, 8, 3), a._p100(2.5, 10, 0), a._p100(1, -1)]
out['views'] = [list(a._items({1: 2})), list(a._keys({2: 2, 3: 3})), list(a._values({4: 4}))]
class Old:
    def iteritems(self): return iter([('k', 'v')])
    items = None
out['iteritems'] = list(a._items(Old()))
out['prepr'] = [a._prepr([1, 'x']), a._prepr(int), a._prepr('a' * 100, 20)]
out['seq'] = [a._seq_refs([1], None), a._len_int(1 << 64), a._len_int(0), a._len_int(5), a._len_int(-(1 << 200))]
out['refs'] = sorted(map(repr, a._dict_refs({'k': 1}, False)))
def errs(*fs):
    r = []
    for f in fs:
        try:
            f()
            r.append('ok')
        except Exception as e:
            r.append(type(e).__name__)
    return r
out['errors'] = errs(lambda: a._items(5), lambda: a._p100('x', 1), lambda: a._p100(1, 'x'))
rows = sorted((a._prepr(k), v) for k, v in a._items(a._typedefs))
out['typedefs'] = ['%s: %s' % (k, '%(base)s and %(item)s%(leng)s, %(kind)s%(code)s' % v.format()) for k, v in rows]
class PseudoDict:
    def __len__(self): return 0
    def get(self, *a): return None
    def has_key(self, *a): return False
    def items(self): return []
    def keys(self): return []
    def values(self): return []
class Fresh(PseudoDict):
    pass
p = PseudoDict()
s1 = a.asizeof(p)
out['adict'] = [a.adict(PseudoDict, Fresh), s1 == a.asizeof(p), a.asizeof(Fresh()), a._dict_types.get(__name__)]
print(json.dumps(out))
'''


@pytest.fixture(scope='module')
def both():
    return [json.loads(run_python(PROBE, p).splitlines()[-1]) for p in (our_path(), reference_dir())]


@pytest.mark.parametrize('key', ['p100', 'views', 'iteritems', 'prepr', 'seq', 'refs', 'errors', 'typedefs',
                                 'adict'])
def test_the_same_as_the_reference(both, key):
    ours, ref = both
    assert ours[key] == ref[key]


def test_typedefs_are_every_builtin_rule():
    t = asizeof._typedefs
    assert isinstance(t, dict) and len(t) > 90
    assert asizeof._typedefs is not t          # a snapshot per access
    v = t[int]
    assert v.format() == {'leng': ' (_len_int)', 'item': int.__itemsize__, 'code': '', 'base': v.base,
                          'kind': 'static'}
    assert v.type is int and v.both is True
    assert '_typedefs' not in vars(asizeof)


def test_named_dict_refs_are_name_and_object_pairs():
    # Pympler yields _NamedRef objects; ours are named_refs()' pairs
    assert sorted(asizeof._dict_refs({'k': 1}, True)) == [('[K] k', 'k'), ('[V] k: 1', 1)]
    assert asizeof._seq_refs((1, 2), 0) == (1, 2)
    with pytest.raises(TypeError):
        asizeof._co_refs(1)
