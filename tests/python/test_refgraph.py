"""pympler.refgraph: ReferenceGraph, _MetaObject, _Edge (docs/refgraph.md).

Nodes, edges and labels, sizes (against the reference Pympler 1.1 in a child
process), reduction to cycles, split(), large graphs, write_graph, and
hostile objects whose reprs must still give well-formed DOT and SVG.  The
golden DOT cases live in test_golden_refgraph.py and are not repeated here.
"""

import gc
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import weakref
import xml.etree.ElementTree as ET

import pytest

from pympler import refgraph
from pympler.refgraph import ReferenceGraph, _Edge, _MetaObject

from reference_paths import REPO, our_path as _our_path, reference_dir as _reference_dir


HAVE_REF = os.path.isfile(os.path.join(_reference_dir(), 'pympler', 'refgraph.py'))


def test_the_reference_is_installed():
    assert HAVE_REF, 'reference Pympler 1.1 missing: run make deps (%s)' % _reference_dir()


def nid(obj):
    """Pympler's DOT node name: 'X' + hex(id)[1:]."""
    return 'X' + hex(id(obj))[1:]


def edge_set(g, objs):
    """Edges as (source index, target index, label) in the order of objs."""
    ix = {}
    for i, o in enumerate(objs):
        ix.setdefault(id(o), i)
    return {(ix[e.src], ix[e.dst], e.label) for e in g.edges}


# --------------------------------------------------------------------------
# the DOT text: a strict grammar for node and edge lines

LABEL = r'(?:[^"\\\x00-\x1f\x7f]|\\[\\"n])*'
NODE_RE = re.compile(r'^    "(Xx[0-9a-f]+)" \[ label = "(' + LABEL + r')" (?:, color=(?:red|orange))? \];$')
EDGE_RE = re.compile(r'^    (Xx[0-9a-f]+) -> (Xx[0-9a-f]+) \[label="(' + LABEL + r')"(?:,weight=100)?\];$')
HEADER = '// Process this file with graphviz\ndigraph G {\n    node [shape=box];\n'


def dot_unescape(s):
    """The text of a DOT double-quoted string (only \\\\, \\" and \\n occur)."""
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), s)


def parse_dot(text):
    """{node name: label text}, [(src, dst, label text)]; asserts the grammar."""
    assert text.startswith(HEADER), text[:200]
    assert text.endswith('}\n')
    nodes, edges = {}, []
    for line in text[len(HEADER):-2].split('\n')[:-1]:
        assert not re.search(r'[\x00-\x08\x0b-\x1f\x7f]', line), repr(line)
        m = NODE_RE.match(line)
        if m:
            nodes[m.group(1)] = dot_unescape(m.group(2))
            continue
        m = EDGE_RE.match(line)
        assert m, 'malformed DOT line: %r' % line
        edges.append((m.group(1), m.group(2), dot_unescape(m.group(3))))
    return nodes, edges


def safe_repr(obj, clip=None):
    """Pympler's util.stringutils.safe_repr."""
    try:
        s = repr(obj)
    except Exception:
        return 'N/A'
    if not clip or len(s) <= clip:
        return s
    return s[:clip - 4] + '..' + s[-2:]


def trunc(s, n):
    """Pympler's util.stringutils.trunc."""
    s = str(s).replace('\n', '|')
    return s[:n - 3] + '...' if len(s) > n else s


def clean(s, quote_to="'"):
    """What our label shows of text s: '"' as in Pympler, control characters
    dropped, lone surrogates replaced (docs/refgraph.md, difference 4)."""
    out = []
    for ch in s:
        if ord(ch) < 0x20 or ord(ch) == 0x7f:
            continue
        if 0xD800 <= ord(ch) <= 0xDFFF:
            ch = '\ufffd'
        if ch == '"' and quote_to is not None:
            ch = quote_to
        out.append(ch)
    return ''.join(out)


def shown_label(obj, type_name):
    """The node text (label line, type line) a viewer sees."""
    return clean(trunc(safe_repr(obj, clip=128), 48)), clean(type_name)


def svg_node_texts(svg):
    """{node name: [text lines]} from Graphviz SVG (parsed as XML)."""
    root = ET.fromstring(svg)
    ns = '{http://www.w3.org/2000/svg}'
    out = {}
    for g in root.iter(ns + 'g'):
        if g.get('class') != 'node':
            continue
        title = g.find(ns + 'title').text
        out[title] = [t.text or '' for t in g.iter(ns + 'text')]
    return out


# --------------------------------------------------------------------------
# nodes, edges, labels


class Plain:
    pass


class WithInit:
    def __init__(self, a=None, b=None):
        self.a = a
        self.b = b


class Slotted:
    __slots__ = ('left', 'right')


def test_module_exports():
    assert refgraph.__all__ == ['ReferenceGraph']


def test_dict_keys_are_labels_keys_as_targets_unlabelled():
    v1, v2 = [1], [2]
    key = ('k',)
    d = {'first': v1, key: v2, 3: 'x'}
    objs = [d, v1, v2, key]
    g = ReferenceGraph(objs)
    assert edge_set(g, objs) == {(0, 1, 'first'), (0, 2, key), (0, 3, '')}
    e = [e for e in g.edges if e.dst == id(v2)][0]
    assert e.label is key              # the key object itself, as in Pympler
    nodes, edges = parse_dot(g._get_graphviz_data())
    assert set(edges) == {(nid(d), nid(v1), 'first'), (nid(d), nid(v2), "('k',)"),
                          (nid(d), nid(key), '')}


def test_non_string_dict_key_label():
    d = {3: None}
    d[3] = d
    g = ReferenceGraph([d])
    (e,) = g.edges
    assert (e.src, e.dst, e.label) == (id(d), id(d), 3)
    assert type(e.label) is int
    assert '    %s -> %s [label="3"];\n' % (nid(d), nid(d)) in g._get_graphviz_data()


def test_list_items_have_empty_labels():
    a, b = [1], {'x': 1}
    l = [a, b, a]
    g = ReferenceGraph([l, a, b])
    assert edge_set(g, [l, a, b]) == {(0, 1, ''), (0, 2, '')}
    assert len(g.edges) == 2


def test_instance_with_materialised_dict_gets_dict_edge_weight_100():
    o = Plain()
    o.attr = [1, 2]
    d = o.__dict__                     # materialised
    objs = [o, d, o.attr]
    g = ReferenceGraph(objs)
    if not any(r is d for r in gc.get_referents(o)):
        # CPython 3.13: the dict shares the instance's inline values, which
        # stay valid, and the collector (so Pympler) sees those values, not
        # the dict: the edge goes to the value, unlabelled as in Pympler
        assert edge_set(g, objs) == {(0, 2, '')}
        assert 'weight=100' not in g._get_graphviz_data()
        return
    # the instance refers to its dict only; the dict refers to the value
    assert edge_set(g, objs) == {(0, 1, '__dict__'), (1, 2, 'attr')}
    text = g._get_graphviz_data()
    assert '    %s -> %s [label="__dict__",weight=100];\n' % (nid(o), nid(d)) in text
    assert '    %s -> %s [label="attr"];\n' % (nid(d), nid(o.attr)) in text
    assert text.count('weight=100') == 1


def test_instance_with_inline_values_labelled_by_attribute_names():
    target_a, target_b = [1], [2]
    o = WithInit(target_a, target_b)   # __dict__ never asked for
    objs = [o, target_a, target_b]
    g = ReferenceGraph(objs)
    assert edge_set(g, objs) == {(0, 1, 'a'), (0, 2, 'b')}
    # no __dict__ appears as a side effect (docs difference 5): the next graph
    # of the same objects is the same
    g2 = ReferenceGraph(objs)
    assert edge_set(g2, objs) == edge_set(g, objs)
    assert g2._get_graphviz_data() == g._get_graphviz_data()
    assert g2.total_size == g.total_size


def test_slot_names_are_labels():
    s = Slotted()
    s.left = [1]
    s.right = s
    g = ReferenceGraph([s, s.left])
    assert edge_set(g, [s, s.left]) == {(0, 0, 'right'), (0, 1, 'left')}


def test_edges_need_both_ends_in_the_graph():
    inner = [1]
    outer = [inner]
    g = ReferenceGraph([outer])
    assert g.edges == set()
    assert g.count == 1


def test_untracked_objects_have_no_out_edges():
    n, s = 10 ** 30, 'some text %d' % 5
    holder = [n, s]
    objs = [n, s, holder]
    g = ReferenceGraph(objs)
    assert not gc.is_tracked(n) and not gc.is_tracked(s)
    assert edge_set(g, objs) == {(2, 0, ''), (2, 1, '')}
    assert [m.type for m in g.metadata] == ['int', 'str', 'list']


def test_untracked_tuple_still_refers_to_its_items():
    # gc.get_referents does not care whether the tuple is tracked (Pympler)
    t = (10 ** 30, 'qq' * 3)
    gc.collect()
    assert not gc.is_tracked(t)
    g = ReferenceGraph([t, t[0], t[1]])
    assert edge_set(g, [t, t[0], t[1]]) == {(0, 1, ''), (0, 2, '')}


def test_self_reference():
    l = []
    l.append(l)
    g = ReferenceGraph([l])
    assert edge_set(g, [l]) == {(0, 0, '')}
    nodes, edges = parse_dot(g._get_graphviz_data())
    assert nodes == {nid(l): '[[...]]\nlist'}
    assert edges == [(nid(l), nid(l), '')]


def test_empty_list():
    g = ReferenceGraph([])
    assert (g.count, g.total_size, g.objects, g.metadata, g.edges) == (0, 0, [], [], set())
    assert g.num_in_cycles == 'N/A'
    assert g._get_graphviz_data() == HEADER + '}\n'
    assert list(g.split()) == [] and g.split_and_sort() == []
    assert g.reduce_to_cycles() is None


def test_any_iterable_is_accepted():
    a, b = [1], [2]
    g = ReferenceGraph(iter([a, b]))
    assert type(g.objects) is list
    assert g.objects[0] is a and g.objects[1] is b and g.count == 2
    with pytest.raises(TypeError):
        ReferenceGraph(5)


def test_duplicates_in_the_input():
    l = [1]
    m = [l]
    g = ReferenceGraph([m, l, l, m])
    assert g.count == 4 and len(g.metadata) == 4
    assert [md.id for md in g.metadata] == [id(m), id(l), id(l), id(m)]
    assert len(g.edges) == 1           # a set: one edge m -> l
    # sizes as Pympler's Asizer.asizesof (checked against it below)
    assert [md.size for md in g.metadata] == [64, 96, 96, 64]
    assert g.total_size == 160
    nodes, edges = parse_dot(g._get_graphviz_data())
    assert edges == [(nid(m), nid(l), '')]
    assert g._get_graphviz_data().count('[ label = ') == 4


def test_metadata_attributes():
    d = {'k': 'v'}
    g = ReferenceGraph([d, 'v'])
    md = g.metadata[0]
    assert type(md) is _MetaObject
    assert md.id == id(d)
    assert md.type == 'dict'
    assert md.str == "{'k': 'v'}"
    assert md.cycle is False
    assert md.size == g.total_size - g.metadata[1].size
    assert g.metadata[1].size == sys.getsizeof('v') + (-sys.getsizeof('v')) % 8
    with pytest.raises(AttributeError):
        md.group                       # set by split() only
    assert g.total_size == sum(m.size for m in g.metadata)


def test_metaobject_constructor_and_slots():
    m = _MetaObject()
    assert m.cycle is False
    for name in ('size', 'id', 'type', 'str', 'group'):
        with pytest.raises(AttributeError):
            getattr(m, name)
    m.size = 7
    m.group = 2
    assert (m.size, m.group) == (7, 2)
    with pytest.raises(AttributeError):
        m.other = 1                    # __slots__


def test_edge_repr_hash_eq():
    e = _Edge(0x1234abcd5678, 3, 'lbl')
    assert repr(e) == "<1234abcd5678 => 00000003, 'lbl', None>"
    e.group = 4
    assert repr(e) == "<1234abcd5678 => 00000003, 'lbl', 4>"
    assert repr(_Edge(1, 2, 7)) == "<00000001 => 00000002, '7', None>"
    assert hash(e) == hash((0x1234abcd5678, 3, 'lbl'))
    # equality ignores the group, as Pympler's
    f = _Edge(0x1234abcd5678, 3, 'lbl')
    assert f == e and not (f != e)
    assert _Edge(1, 2, 'a') != _Edge(1, 2, 'b')
    assert _Edge(1, 2, 'a') != _Edge(2, 1, 'a')
    assert len({_Edge(1, 2, 'a'), _Edge(1, 2, 'a'), _Edge(1, 2, 'b')}) == 2
    assert (e.src, e.dst, e.label, e.group) == (0x1234abcd5678, 3, 'lbl', 4)
    assert _Edge(src=1, dst=2, label='x').group is None
    with pytest.raises(AttributeError):
        e.other = 1
    with pytest.raises(TypeError):
        _Edge(1, 2)


def test_graph_edges_are_edge_objects():
    a = [1]
    b = [a]
    g = ReferenceGraph([a, b])
    (e,) = g.edges
    assert type(e) is _Edge
    assert e == _Edge(id(b), id(a), '')
    assert e.group is None


def test_write_graph_writes_exactly_the_dot(tmp_path):
    a = {'x': [1]}
    g = ReferenceGraph([a, a['x'], 'text"with\\stuff'])
    p = tmp_path / 'g.dot'
    assert g.write_graph(str(p)) is None
    assert p.read_bytes().decode('utf-8') == g._get_graphviz_data()
    q = tmp_path / 'g2.dot'
    g.write_graph(q)                   # a path object works too
    assert q.read_text(encoding='utf-8') == g._get_graphviz_data()


def test_edges_in_stable_object_order():
    a, b, c = [0], [1], [2]
    a.extend([c, b])
    b.append(a)
    c.append(b)
    g = ReferenceGraph([a, b, c])
    lines = [l for l in g._get_graphviz_data().splitlines() if ' -> ' in l]
    # source, then target, in object order (docs/refgraph.md, difference 4)
    assert lines == ['    %s -> %s [label=""];' % (nid(s), nid(t))
                     for s, t in ((a, b), (a, c), (b, a), (c, b))]


# --------------------------------------------------------------------------
# against the reference Pympler 1.1 (child processes)

_CHILD = r'''
import json, re, sys
from pympler.refgraph import ReferenceGraph
ns = {'__name__': '__main__'}
exec(compile(sys.stdin.read(), '<case>', 'exec'), ns)
objs = ns['objs']
g = ReferenceGraph(objs)
ix = {}
for i, o in enumerate(objs):
    ix.setdefault(id(o), i)
dot = g._get_graphviz_data()
for k, i in sorted(ix.items(), key=lambda kv: -kv[0]):
    dot = dot.replace(hex(k)[1:], 'N%d' % i)
lines = dot.splitlines()
norm = lambda s: re.sub(r'0x[0-9a-f]+', '0x?', s)
print(json.dumps({
    'count': g.count, 'total_size': g.total_size,
    'sizes': [m.size for m in g.metadata], 'types': [m.type for m in g.metadata],
    'strs': [norm(m.str) for m in g.metadata],
    'edges': sorted([ix[e.src], ix[e.dst], str(e.label)] for e in g.edges),
    'dot_nodes': [norm(l) for l in lines if not ' -> ' in l],
    'dot_edges': sorted(l for l in lines if ' -> ' in l)}))
'''

CASES = {
    'containers': '''
        l = [1, 'two', (3, 4.0)]
        d = {'x': l, 'y': {'z': l}}
        t = (l, d)
        s = {1, 2, 'x'}
        objs = [l, d, d['y'], t, s, 'two', 1, l[2], frozenset({5}), b'bytes', 2.5]
        ''',
    'instances_materialised': '''
        class Node:
            def __init__(self, name): self.name = name; self.next = None
            def __repr__(self): return 'Node(%s)' % self.name
        a = Node('a'); b = Node('b'); a.next = b; b.next = a
        a.__dict__; b.__dict__
        objs = [a, b, a.__dict__, b.__dict__, 'a']
        ''',
    'duplicates_and_shared': '''
        shared = list(range(10))
        x = [shared, shared]
        y = {'s': shared, 'x': x}
        objs = [x, shared, y, shared, x]
        ''',
    'slots_and_cycles': '''
        class S:
            __slots__ = ('p', 'q')
        s = S(); s.p = [1, 2, 3]; s.q = s
        l = []; l.append(l); l.append(s)
        d = {}; d['me'] = d; d[1] = l
        objs = [s, s.p, l, d]
        ''',
    'strings_and_numbers': '''
        objs = ['x' * 100, 'é' * 7, '\\u20ac' * 3, 10 ** 40, -5, 1.0, None, True, (), ''] 
        ''',
}


def _run_child(src, path):
    env = dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED='0')
    p = subprocess.run([sys.executable, '-P', '-c', _CHILD], input=textwrap.dedent(src),
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


@pytest.mark.parametrize('case', sorted(CASES))
def test_against_reference(case):
    ours = _run_child(CASES[case], _our_path())
    ref = _run_child(CASES[case], _reference_dir())
    assert ours == ref


# --------------------------------------------------------------------------
# reduce


def _two_cycles_joined_by_a_path():
    c1a = ['c1a']
    c1b = ['c1b', c1a]
    c1a.append(c1b)                    # cycle 1: c1a <-> c1b
    path1 = ['p1']
    path2 = ['p2', path1]
    c1b.append(path2)                  # c1b -> path2 -> path1 -> c2a
    c2a = ['c2a']
    c2b = ['c2b', c2a]
    c2a.append(c2b)                    # cycle 2: c2a <-> c2b
    path1.append(c2a)
    pointer = ['ptr', c1a]             # points into cycle 1, on no cycle
    me = ['me']
    me.append(me)                      # self-loop
    into_self = ['into', me]           # points to the self-loop
    objs = [pointer, c1a, c1b, path2, path1, c2a, c2b, me, into_self, 42, 'str']
    cyc = [c1a, c1b, c2a, c2b, me]
    return objs, cyc


def test_reduce_keeps_exactly_the_cycle_members():
    objs, cyc = _two_cycles_joined_by_a_path()
    g = ReferenceGraph(objs, reduce=True)
    assert [id(o) for o in g.objects] == [id(o) for o in cyc]
    assert g.num_in_cycles == 5
    assert g.count == len(objs)        # as Pympler: count is taken before reducing
    assert [m.id for m in g.metadata] == [id(o) for o in cyc]
    assert [m.cycle for m in g.metadata] == [False] * 5   # only reduce_to_cycles marks them
    assert g.total_size == sum(m.size for m in g.metadata)
    assert edge_set(g, cyc) == {(0, 1, ''), (1, 0, ''), (2, 3, ''), (3, 2, ''), (4, 4, '')}
    assert g.reduce_to_cycles() is g   # a reduced graph is its own reduction


def test_reduce_without_cycles_is_empty():
    a = [1]
    b = [a]
    g = ReferenceGraph([a, b, 3], reduce=True)
    assert g.objects == [] and g.metadata == [] and g.edges == set()
    assert g.num_in_cycles == 0 and g.total_size == 0 and g.count == 3


def test_reduce_to_cycles_returns_a_cached_copy():
    objs, cyc = _two_cycles_joined_by_a_path()
    g = ReferenceGraph(objs)
    before_dot = g._get_graphviz_data()
    assert g.num_in_cycles == 'N/A'
    r = g.reduce_to_cycles()
    assert r is not g and isinstance(r, ReferenceGraph)
    assert [id(o) for o in r.objects] == [id(o) for o in cyc]
    assert r.num_in_cycles == 5 and g.num_in_cycles == 5
    assert [m.cycle for m in r.metadata] == [True] * 5
    assert [m.cycle for m in g.metadata] == [False] * len(objs)
    assert len(g.objects) == len(objs)                 # the original is untouched
    assert g._get_graphviz_data() == before_dot
    assert g.reduce_to_cycles() is r                   # cached
    assert r.total_size == sum(m.size for m in r.metadata)


def test_reduce_to_cycles_none_without_cycles():
    a = [1]
    g = ReferenceGraph([a, [a], 'x'])
    assert g.reduce_to_cycles() is None
    assert g.num_in_cycles == 0
    assert g.reduce_to_cycles() is None
    assert len(g.objects) == 3


# --------------------------------------------------------------------------
# split, split_and_sort


def _components():
    single1 = ['single1']
    pa, pb = ['pa'], ['pb']
    pa.append(pb)                      # pair (weakly connected through one edge)
    single2 = ['single2']
    t1, t2, t3 = ['t1'], ['t2'], ['t3']
    t2.append(t1)
    t2.append(t3)                      # t1 <- t2 -> t3: connected only weakly
    objs = [single1, pa, t1, single2, pb, t2, t3]
    return objs, [[single1], [pa, pb], [t1, t2, t3], [single2]]


def test_split_weakly_connected_components():
    objs, comps = _components()
    g = ReferenceGraph(objs)
    subs = list(g.split())
    assert len(subs) == 4
    for i, (sub, comp) in enumerate(zip(subs, comps)):
        assert sub.index == i
        assert sub is not g
        ids = {id(o) for o in comp}
        assert {m.id for m in sub.metadata} == ids
        assert [id(o) for o in sub.objects] == [id(o) for o in objs if id(o) in ids]
        assert sub.count == len(comp)
        assert sub.total_size == sum(m.size for m in sub.metadata)
        assert type(sub.edges) is list
        assert all(e.group == sub.metadata[0].group for e in sub.edges)
        assert {(e.src, e.dst) for e in sub.edges} == \
            {(e.src, e.dst) for e in g.edges if e.src in ids}
    assert [len(s.edges) for s in subs] == [0, 1, 2, 0]
    # the metadata of the graph itself is annotated with the groups
    groups = {m.id: m.group for m in g.metadata}
    assert [groups[id(o)] for o in objs] == [0, 1, 2, 3, 1, 2, 2]
    assert sum(s.total_size for s in subs) == g.total_size


def test_split_twice_gives_the_same_result():
    objs, comps = _components()
    g = ReferenceGraph(objs)
    first = [(s.index, s.count, s.total_size, [id(o) for o in s.objects]) for s in g.split()]
    second = [(s.index, s.count, s.total_size, [id(o) for o in s.objects]) for s in g.split()]
    assert first == second and len(first) == 4
    assert g.count == len(objs) and len(g.objects) == len(objs)


def test_split_and_sort_largest_first_stable():
    objs, comps = _components()
    g = ReferenceGraph(objs)
    subs = g.split_and_sort()
    assert type(subs) is list
    assert [s.index for s in subs] == [0, 1, 2, 3]
    # sizes 3, 2, then the two singles in their split order
    assert [[id(o) for o in s.objects] for s in subs] == \
        [[id(o) for o in objs if any(o is c for c in comp)] for comp in
         (comps[2], comps[1], comps[0], comps[3])]
    assert [s.count for s in subs] == [3, 2, 1, 1]


def test_split_of_a_single_component():
    a = ['a']
    b = ['b', a]
    a.append(b)
    g = ReferenceGraph([a, b])
    (sub,) = list(g.split())
    assert (sub.index, sub.count, sub.total_size) == (0, 2, g.total_size)
    assert sorted(e.group for e in sub.edges) == [0, 0]


# --------------------------------------------------------------------------
# large graphs


class Link:
    def __init__(self):
        self.next = None


@pytest.fixture(scope='module')
def long_chain():
    links = [Link() for _ in range(100000)]
    for a, b in zip(links, links[1:]):
        a.next = b
    return links


def test_100000_node_chain(long_chain):
    t0 = time.monotonic()
    g = ReferenceGraph(long_chain)
    assert g.count == 100000
    assert len(g.edges) == 99999
    assert all(e.label == 'next' for e in g.edges)
    assert g.reduce_to_cycles() is None and g.num_in_cycles == 0
    r = ReferenceGraph(long_chain, reduce=True)
    assert r.objects == [] and r.num_in_cycles == 0
    subs = list(g.split())
    assert len(subs) == 1 and subs[0].count == 100000
    text = g._get_graphviz_data()
    assert text.count(' -> ') == 99999
    assert time.monotonic() - t0 < 60


def test_100000_node_cycle(long_chain):
    long_chain[-1].next = long_chain[0]
    try:
        g = ReferenceGraph(long_chain, reduce=True)
        assert g.num_in_cycles == 100000
        assert len(g.objects) == 100000 and len(g.edges) == 100000
        full = ReferenceGraph(long_chain)
        r = full.reduce_to_cycles()
        assert r.num_in_cycles == 100000 and all(m.cycle for m in r.metadata)
        assert [s.count for s in full.split_and_sort()] == [100000]
    finally:
        long_chain[-1].next = None


# --------------------------------------------------------------------------
# hostile objects


class ReprRaises:
    def __repr__(self):
        raise ValueError('no repr')


class ReprNotStr:
    def __repr__(self):
        return 5


class ReprIs:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


class ClassRaises:
    @property
    def __class__(self):
        raise AttributeError('no class')


class ClassLies:
    @property
    def __class__(self):
        return dict


HOSTILE_REPRS = [
    'a"b"c',                           # quotes
    'back\\slash\\\\double',           # backslashes
    'line1\nline2\nline3',             # newlines (trunc makes them '|')
    'tab\there\r\x0b\x0c\x1b[31m',     # control characters
    'amp & ersand &lt;not an entity&gt; &amp;',
    '<tag attr="v">x</tag>',
    'unicode é ß 中文 € 😀',
    'lone \ud800 surrogate \udfff',
    '\\N \\G \\E \\T \\H \\L \\l \\r',  # Graphviz escapes, must stay literal
    '\x00\x01\x02',                    # nothing but control characters
    '"' * 60,
    '\\' * 60,
    'x' * 47 + '"\\',
]


def _hostile_graph():
    objs = [ReprIs(s) for s in HOSTILE_REPRS]
    objs += [ReprRaises(), ReprNotStr(), ClassRaises()]
    # a dict whose keys (edge labels) are hostile too
    d = {'k"ey': objs[0], 'back\\slash': objs[1], 'new\nline': objs[2], 'tab\tk': objs[3],
         'amp&': objs[4], 'sur\ud800': objs[5], 'é€': objs[6]}
    return objs + [d], d


def test_hostile_reprs_give_wellformed_dot():
    objs, d = _hostile_graph()
    g = ReferenceGraph(objs)
    text = g._get_graphviz_data()
    text.encode('utf-8')               # no lone surrogate left
    nodes, edges = parse_dot(text)
    assert len(nodes) == len(objs) and len(edges) == 7
    for o in objs:
        label, tname = shown_label(o, type(o).__name__)
        got = nodes[nid(o)].replace('&amp;', '&')
        assert got == label + '\n' + tname, (repr(o) if not isinstance(o, ReprRaises) else 'raises')
    got_edges = {(s, t): l for s, t, l in edges}
    for k, v in d.items():
        assert got_edges[(nid(d), nid(v))].replace('&amp;', '&') == clean(k, quote_to=None)


def test_hostile_metadata():
    objs, d = _hostile_graph()
    g = ReferenceGraph(objs)
    by_id = {m.id: m for m in g.metadata}
    assert by_id[id(objs[-4])].str == 'N/A'          # ReprRaises
    assert by_id[id(objs[-3])].str == 'N/A'          # __repr__ returns an int
    assert by_id[id(objs[-2])].type == 'ClassRaises'  # __class__ raises
    for o in objs[:len(HOSTILE_REPRS)]:
        assert by_id[id(o)].str == o.text            # all short enough: not clipped
        assert by_id[id(o)].type == 'ReprIs'
    assert sys.exc_info() == (None, None, None)


def test_class_attribute_is_used_for_the_type_name():
    g = ReferenceGraph([ClassLies()])
    assert g.metadata[0].type == 'dict'              # obj.__class__.__name__, as Pympler


def test_hostile_type_name():
    W = type('We"ird\\Type\nName', (), {})
    w = W()
    g = ReferenceGraph([w])
    assert g.metadata[0].type == 'We"ird\\Type\nName'
    nodes, _ = parse_dot(g._get_graphviz_data())
    assert nodes[nid(w)].split('\n')[1] == "We'ird\\TypeName"


def test_huge_repr_is_clipped_then_truncated():
    text = ''.join(chr(ord('a') + i % 26) for i in range(100000)) + 'YZ'
    o = ReprIs(text)
    g = ReferenceGraph([o])
    md = g.metadata[0]
    assert md.str == text[:124] + '..' + 'YZ'        # safe_repr(clip=128)
    assert len(md.str) == 128
    nodes, _ = parse_dot(g._get_graphviz_data())
    assert nodes[nid(o)] == text[:45] + '...\nReprIs'  # trunc(.., 48)


@pytest.mark.parametrize('n, clipped', [(48, False), (49, True), (128, True), (129, True)])
def test_truncation_boundaries(n, clipped):
    text = 'b' * (n - 1) + 'E'
    o = ReprIs(text)
    g = ReferenceGraph([o])
    md = g.metadata[0]
    assert md.str == (text if n <= 128 else text[:124] + '..' + text[-2:])
    nodes, _ = parse_dot(g._get_graphviz_data())
    assert nodes[nid(o)] == (text[:45] + '...' if clipped else text) + '\nReprIs'


def test_backslashes_are_counted_before_escaping():
    o = ReprIs('\\' * 60)
    g = ReferenceGraph([o])
    line = [l for l in g._get_graphviz_data().splitlines() if 'label' in l][0]
    assert '"' + '\\' * 90 + '...\\nReprIs"' in line


def test_hostile_graph_renders_to_svg():
    objs, d = _hostile_graph()
    g = ReferenceGraph(objs)
    svg = g.render_bytes('svg')
    texts = svg_node_texts(svg)        # parses as XML
    assert len(texts) == len(objs)
    for o in objs:
        label, tname = shown_label(o, type(o).__name__)
        assert texts[nid(o)] == [t for t in (label, tname) if t], nid(o)
    # the Graphviz escapes were not expanded into node or graph names
    assert '\\N \\G \\E \\T \\H \\L \\l \\r' in texts[nid(objs[8])][0]
    # the edge labels (dict keys) as text, too
    root = ET.fromstring(svg)
    ns = '{http://www.w3.org/2000/svg}'
    edge_texts = {t.text for g_ in root.iter(ns + 'g') if g_.get('class') == 'edge'
                  for t in g_.iter(ns + 'text')}
    assert edge_texts == {clean(k, quote_to=None) for k in d}


def test_weakref_proxies():
    class C:
        pass
    c = C()
    alive = weakref.proxy(c)
    g = ReferenceGraph([alive])
    assert g.metadata[0].type == 'C'                 # __class__ goes through the proxy
    assert g.count == 1


def test_no_exception_left_behind():
    g = ReferenceGraph([ReprRaises(), ClassRaises()])
    assert g.count == 2
    assert sys.exc_info() == (None, None, None)
    assert ReferenceGraph([[1]]).total_size == 96


def test_frame_and_instancemethod_colours():
    IM = type('instancemethod', (), {})
    f = sys._getframe()
    im = IM()
    g = ReferenceGraph([f, im, [1]])
    lines = g._get_graphviz_data().splitlines()[3:6]
    assert lines[0].endswith('\\nframe" , color=orange ];')
    assert lines[1].endswith('\\ninstancemethod" , color=red ];')
    assert lines[2].endswith('\\nlist"  ];')
    for l in lines:
        assert NODE_RE.match(l), l
    svg = g.render_bytes('svg').decode()
    assert 'stroke="orange"' in svg and 'stroke="red"' in svg
    del f
