"""The pictures of ReferenceGraph / GarbageGraph and of the command (issue 12,
docs/refgraph.md "Pictures"): components on a grid near a screen's aspect,
[index] / [key] edge labels, finalizer marks, the legend, allocation sites;
all opt-in keywords of render() / render_bytes() / _get_graphviz_data(),
which the command's pictures pass.  Pympler's DOT text stays the default.
"""

import os
import re
import sys
import tracemalloc
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import cli, png_size, svg_nodes
from pympler.refgraph import ReferenceGraph

HERE = os.path.dirname(os.path.abspath(__file__))
CYCLES = os.path.join(HERE, '..', '..', 'examples', 'cycles.py')
SVG = '{http://www.w3.org/2000/svg}'


def nid(obj):
    return 'Xx%x' % id(obj)


def svg_size(svg):
    m = re.search(rb'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    assert m, svg[:300]
    return float(m.group(1)), float(m.group(2))


def svg_texts(svg):
    return [t.text for t in ET.fromstring(svg).iter(SVG + 'text')]


def edge_label(dot, src, dst):
    """The label of the DOT edge src -> dst (the text between the quotes)."""
    m = re.search(r'^    %s -> %s \[label="((?:[^"\\]|\\.)*)"' % (nid(src), nid(dst)), dot, re.M)
    assert m, (nid(src), nid(dst), dot)
    return m.group(1)


def node_line(dot, obj):
    m = re.search(r'^    "%s" \[ .*$' % nid(obj), dot, re.M)
    assert m, dot
    return m.group(0)


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)


class Resource(Node):
    def __del__(self):
        pass


def forest():
    """The objects of examples/cycles.py's garbage: three trees and a ring."""
    objs = []
    for _ in range(3):
        root = Node('root')
        for i in range(2):
            Resource('child-%d' % i, root)
        objs += [root, root.children]
        for c in root.children:
            objs += [c, c.children]
    ring = [Node('ring-%d' % i) for i in range(3)]
    for a, b in zip(ring, ring[1:] + ring[:1]):
        a.next = b
    for n in ring:
        objs += [n, n.children]
    return objs


# --------------------------------------------------------------------------
# the grid


def test_cycles_picture_of_the_command_is_near_a_screen(tmp_path):
    png, svg = tmp_path / 'g.png', tmp_path / 'g.svg'
    for out in (png, svg):
        p = cli('garbage', '-o', out, CYCLES)
        assert p.returncode == 0, p.stderr
    w, h = png_size(png.read_bytes())
    assert 0.6 <= w / h <= 2.2, (w, h)
    data = svg.read_bytes()
    sw, sh = svg_size(data)
    assert 0.6 <= sw / sh <= 2.2, (sw, sh)
    nodes = svg_nodes(data)
    assert len(nodes) == 24                       # the legend is the graph's label, not a node
    texts = svg_texts(data)
    for label in ('children', 'parent', 'next', '[0]', '[1]', 'Legend'):
        assert label in texts, label


def test_grid_against_pympler_layout():
    objs = forest()
    g = ReferenceGraph(objs)
    w0, h0 = svg_size(g.render_bytes('svg'))
    w1, h1 = svg_size(g.render_bytes('svg', aspect=1.5))
    assert w0 / h0 > 3.0                          # Pympler's layout: one row
    assert 0.9 <= w1 / h1 <= 2.2
    tall = g.render_bytes('svg', aspect=0.5)
    w2, h2 = svg_size(tall)
    assert w2 / h2 < w1 / h1                      # the aspect steers the grid
    # every edge label survives the grid (Graphviz's own packing drops them)
    plain = [t for t in svg_texts(g.render_bytes('svg')) if t in ('children', 'parent', 'next')]
    grid = [t for t in svg_texts(g.render_bytes('svg', aspect=1.5)) if t in ('children', 'parent', 'next')]
    assert sorted(grid) == sorted(plain) and len(grid) == 12 + 6 + 3


def test_grid_png_and_file(tmp_path):
    g = ReferenceGraph(forest())
    w, h = png_size(g.render_bytes('png', aspect=1.5))
    assert 0.9 <= w / h <= 2.2
    out = tmp_path / 'f.svg'
    assert g.render(str(out), format='svg', aspect=1.5) is True
    w, h = svg_size(out.read_bytes())
    assert 0.9 <= w / h <= 2.2


def test_one_component_is_drawn_as_before():
    a = []
    b = [a]
    a.append(b)
    g = ReferenceGraph([a, b])
    assert g.render_bytes('svg', aspect=1.5) == g.render_bytes('svg')


def test_many_components_and_other_engines():
    rings = []
    for _ in range(60):
        x, y = [], []
        x.append(y)
        y.append(x)
        rings += [x, y]
    g = ReferenceGraph(rings)
    for cmd in ('dot', 'neato'):
        svg = g.render_bytes('svg', cmd=cmd, aspect=1.5)
        w, h = svg_size(svg)
        assert 0.6 <= w / h <= 2.2, (cmd, w, h)
        assert len(svg_nodes(svg)) == 120


@pytest.mark.parametrize('bad', [0, -1.0, float('nan'), float('inf')])
def test_aspect_must_be_positive(bad):
    g = ReferenceGraph(forest())
    with pytest.raises(ValueError, match='aspect'):
        g.render_bytes('svg', aspect=bad)


def test_aspect_must_be_a_number():
    with pytest.raises(TypeError):
        ReferenceGraph(forest()).render_bytes('svg', aspect='wide')


def test_keywords_are_keyword_only():
    with pytest.raises(TypeError):
        ReferenceGraph([[]]).render_bytes('svg', 'dot', False, 1.5)


# --------------------------------------------------------------------------
# edge labels


class A:
    pass


@pytest.fixture
def known():
    a = A()
    lst = [1, a]
    tup = (a, lst)
    d = {'key': lst, 3: tup}
    a.x = d
    return ReferenceGraph([a, lst, tup, d]), (a, lst, tup, d)


def test_pympler_dot_is_unchanged_by_default(known):
    g, (a, lst, tup, d) = known
    dot = g._get_graphviz_data()
    assert edge_label(dot, lst, a) == ''          # Pympler: no index labels
    assert edge_label(dot, tup, a) == ''
    assert edge_label(dot, d, lst) == 'key'       # Pympler: str(key)
    assert edge_label(dot, a, d) == 'x'
    assert 'Legend' not in dot and 'peripheries' not in dot
    assert dot == g._get_graphviz_data(annotate=False, where=False)


def test_annotated_labels(known):
    g, (a, lst, tup, d) = known
    dot = g._get_graphviz_data(annotate=True)
    assert edge_label(dot, lst, a) == '[1]'
    assert edge_label(dot, tup, a) == '[0]'
    assert edge_label(dot, tup, lst) == '[1]'
    assert edge_label(dot, d, lst) == "['key']"
    assert edge_label(dot, d, tup) == '[3]'
    assert edge_label(dot, a, d) == 'x'
    texts = svg_texts(g.render_bytes('svg', annotate=True))
    for t in ('[1]', '[0]', "['key']", '[3]', 'x'):
        assert t in texts, t


def test_tuple_and_list_subclasses_and_first_index():
    class L(list):
        pass
    x = []
    lst = L([x, x])
    tup = (x, 5, x)
    g = ReferenceGraph([x, lst, tup])
    dot = g._get_graphviz_data(annotate=True)
    assert edge_label(dot, lst, x) == '[0]'
    assert edge_label(dot, tup, x) == '[0]'


class BadRepr:
    def __repr__(self):
        raise ValueError('no repr')

    def __hash__(self):
        return 1


class NewlineRepr:
    def __repr__(self):
        return 'line1\n<tag attr="v">&amp;</tag>\ud800'


def test_hostile_dict_keys_are_escaped_and_do_not_crash():
    v1, v2, v3, v4, v5 = [], [], [], [], []
    d = {BadRepr(): v1, '<&"\n\ud800': v2, NewlineRepr(): v3, 'k' * 200: v4, b'\x00\xff': v5}
    g = ReferenceGraph([d, v1, v2, v3, v4, v5])
    dot = g._get_graphviz_data(annotate=True)
    assert edge_label(dot, d, v1) == '[N/A]'
    # '"' escaped for DOT, '&' as an entity Graphviz decodes, the surrogate replaced,
    # the repr's backslash doubled
    assert edge_label(dot, d, v2) == "['<&amp;\\\"\\\\n\\\\ud800']"
    assert '\n' not in edge_label(dot, d, v3)
    assert edge_label(dot, d, v4) == "['" + 'k' * 27 + "..k']"   # [safe_repr(key, 32)]
    svg = g.render_bytes('svg', annotate=True)
    texts = svg_texts(svg)                        # parses as XML
    assert '[N/A]' in texts
    assert "['<&\"\\n\\ud800']" in texts
    # a raw newline dropped, '<' and '&' kept as text, a lone surrogate replaced
    assert '[line1<tag attr="v">&amp;</tag>\ufffd]' in texts
    assert "['" + 'k' * 27 + "..k']" in texts       # safe_repr's clip
    assert "[b'\\x00\\xff']" in texts


def test_a_key_whose_str_raises_with_pympler_labels_is_the_same_failure_as_pympler():
    # Pympler formats the label with '%s': a key whose repr raises fails there;
    # annotated, the picture still comes out
    v = []
    d = {BadRepr(): v}
    g = ReferenceGraph([d, v])
    with pytest.raises(ValueError):
        g._get_graphviz_data()
    assert '[N/A]' in svg_texts(g.render_bytes('svg', annotate=True))


# --------------------------------------------------------------------------
# finalizers and the legend


class WithDel:
    def __del__(self):
        pass


def gen():
    yield 1


def test_finalizers_are_marked(known):
    w, plain, g_ = WithDel(), A(), gen()
    holder = [w, plain, g_]
    g = ReferenceGraph([holder, w, plain, g_])
    dot = g._get_graphviz_data(annotate=True)
    assert 'peripheries=2' in node_line(dot, w)
    assert 'peripheries=2' in node_line(dot, g_)      # a built-in finalizer
    assert 'peripheries=2' not in node_line(dot, plain)
    assert 'peripheries=2' not in node_line(dot, holder)
    assert 'peripheries' not in g._get_graphviz_data()
    svg = g.render_bytes('svg', annotate=True)
    root = ET.fromstring(svg)
    polygons = {el.find(SVG + 'title').text: len(el.findall(SVG + 'polygon'))
                for el in root.iter(SVG + 'g') if el.get('class') == 'node'}
    assert polygons[nid(w)] == 2 and polygons[nid(plain)] == 1
    texts = ' '.join(t for t in svg_texts(svg) if t)
    assert 'Legend' in texts and 'has a finalizer' in texts


def test_legend_lists_what_is_shown(known):
    g, _ = known
    texts = ' '.join(t for t in svg_texts(g.render_bytes('svg', annotate=True)) if t)
    assert 'Legend' in texts and 'a reference' in texts
    assert 'finalizer' not in texts and 'frame' not in texts  # none in this graph
    assert 'Legend' not in ' '.join(t for t in svg_texts(g.render_bytes('svg')) if t)


def test_legend_explains_the_frame_border():
    f = sys._getframe()
    holder = [f]
    g = ReferenceGraph([holder, f])
    dot = g._get_graphviz_data(annotate=True)
    assert 'color=orange' in node_line(dot, f)
    texts = ' '.join(t for t in svg_texts(g.render_bytes('svg', annotate=True)) if t)
    assert 'orange border: a frame' in texts


def test_legend_with_the_simplification_note():
    objs = []
    for i in range(1600):
        objs.append([i])
    g = ReferenceGraph(objs)
    svg = g.render_bytes('svg', annotate=True)
    texts = ' '.join(t for t in svg_texts(svg) if t)
    assert g.render_note and 'Legend' in texts and 'simplified to' in texts


# --------------------------------------------------------------------------
# allocation sites


class Slotted:
    __slots__ = ('ref',)


def test_allocation_sites_only_when_asked_and_tracing():
    # objects allocated while tracing (lists and dicts may come from a free list
    # of blocks allocated before): an instance with a managed __dict__ (CPython
    # 3.11 needs the block's start looked up) and one with __slots__
    was = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        obj = A(); line_obj = sys._getframe().f_lineno  # noqa: E702
        slo = Slotted(); line_slo = sys._getframe().f_lineno  # noqa: E702
        slo.ref = obj
        obj.back = slo
        g = ReferenceGraph([obj, slo])
        plain = g._get_graphviz_data(annotate=True)
        dot = g._get_graphviz_data(annotate=True, where=True)
    finally:
        if not was:
            tracemalloc.stop()
    site_obj = 'test_render_layout.py:%d' % line_obj
    site_slo = 'test_render_layout.py:%d' % line_slo
    assert site_obj not in plain and 'file:line' not in plain
    assert site_obj in node_line(dot, obj)
    assert site_slo in node_line(dot, slo)
    assert 'where it was allocated' in dot
    if not was:  # not tracing: where=True adds nothing
        assert g._get_graphviz_data(annotate=True, where=True) == plain


def test_allocation_sites_in_the_picture():
    was = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        objs = [A() for _ in range(2)]; line = sys._getframe().f_lineno  # noqa: E702
        objs[0].other = objs[1]
        g = ReferenceGraph(objs)
        svg = g.render_bytes('svg', annotate=True, where=True)
    finally:
        if not was:
            tracemalloc.stop()
    texts = [t for t in svg_texts(svg) if t]
    sites = [t for t in texts if t.endswith('test_render_layout.py:%d' % line)]
    assert len(sites) == 2, texts
    assert all(len(t) <= 48 for t in sites)      # cut from the left
    assert any('where it was allocated' in t for t in texts)


# --------------------------------------------------------------------------
# the command's pictures


def test_refgraph_command_picture_is_annotated():
    p = cli('refgraph', '--setup', 'a = [1]; b = (a,); d = {"k": b}', '[a, b, d]')
    assert p.returncode == 0, p.stderr
    texts = svg_texts(p.stdout.encode() if isinstance(p.stdout, str) else p.stdout)
    assert '[0]' in texts and "['k']" in texts and 'Legend' in texts


def test_command_dot_stays_pympler_text(tmp_path):
    out = tmp_path / 'g.dot'
    assert cli('garbage', '-o', out, CYCLES).returncode == 0
    text = out.read_text()
    assert text.startswith('// Process this file with graphviz\ndigraph G {')
    assert 'Legend' not in text and '[label="[0]"]' not in text
