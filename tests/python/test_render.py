"""Rendering a ReferenceGraph in-process (docs/refgraph.md): render(),
render_bytes(), every engine and format, unflatten, errors, atomic writes,
and the simplification of large graphs (render_note).

No Graphviz program is ever started: rendering goes through the Graphviz
libraries inside the extension.
"""

import gc
import json
import os
import random
import time
import warnings
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import png_size
from pympler.garbagegraph import GarbageGraph, end_debug_garbage, start_debug_garbage
from pympler.refgraph import ReferenceGraph

ENGINES = ['dot', 'neato', 'fdp', 'sfdp', 'circo', 'twopi']
FORMATS = ['png', 'svg', 'pdf', 'ps', 'eps', 'dot', 'plain', 'json']
SVG = '{http://www.w3.org/2000/svg}'
LIMIT = 30.0          # the documented bound for large graphs; generous on purpose


def nid(obj):
    return 'X' + hex(id(obj))[1:]


@pytest.fixture
def small():
    """a -> {'k': a} <- [a, d], with known labels."""
    a = ['alpha']
    d = {'key': a}
    top = [a, d]
    return ReferenceGraph([a, d, top]), (a, d, top)


def svg_texts(svg):
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(SVG + 'text')]


def svg_nodes(svg):
    root = ET.fromstring(svg)
    return {g.find(SVG + 'title').text: [t.text for t in g.iter(SVG + 'text')]
            for g in root.iter(SVG + 'g') if g.get('class') == 'node'}


# --------------------------------------------------------------------------
# formats


def check_output(fmt, data, objs):
    a, d, top = objs
    if fmt == 'png':
        w, h = png_size(data)
        assert w > 0 and h > 0
    elif fmt == 'svg':
        nodes = svg_nodes(data)
        assert nodes == {nid(a): ["['alpha']", 'list'],
                         nid(d): ["{'key': ['alpha']}", 'dict'],
                         nid(top): ["[['alpha'], {'key': ['alpha']}]", 'list']}
        assert 'key' in svg_texts(data)    # the edge label
    elif fmt == 'pdf':
        assert data.startswith(b'%PDF-') and b'%%EOF' in data[-64:]
    elif fmt == 'ps':
        assert data.startswith(b'%!PS-Adobe-') and b'%%EOF' in data
    elif fmt == 'eps':
        assert data.startswith(b'%!PS-Adobe-') and b'EPSF' in data[:40]
    elif fmt == 'dot':
        text = data.decode('utf-8')
        assert text.startswith('digraph G {')
        assert nid(a) in text and 'pos=' in text     # laid out
        assert '"#E5EDB8"' in text                   # Pympler's node options
    elif fmt == 'plain':
        lines = data.decode('utf-8').splitlines()
        assert lines[0].startswith('graph ') and lines[-1] == 'stop'
        assert sorted(l.split()[1] for l in lines if l.startswith('node ')) == \
            sorted([nid(a), nid(d), nid(top)])
        assert len([l for l in lines if l.startswith('edge ')]) == 3
    elif fmt == 'json':
        j = json.loads(data)
        assert j['name'] == 'G'
        assert sorted(o['name'] for o in j['objects']) == sorted([nid(a), nid(d), nid(top)])
        assert len(j['edges']) == 3
    else:
        raise AssertionError(fmt)


@pytest.mark.parametrize('fmt', FORMATS)
def test_render_to_file(tmp_path, small, fmt):
    g, objs = small
    target = tmp_path / ('out.' + fmt)
    assert g.render(str(target), format=fmt) is True
    check_output(fmt, target.read_bytes(), objs)
    # nothing else next to the target (no temporary files)
    assert os.listdir(tmp_path) == ['out.' + fmt]
    assert g.render_note is None


@pytest.mark.parametrize('fmt', FORMATS)
def test_render_bytes(small, fmt):
    g, objs = small
    data = g.render_bytes(fmt)
    assert type(data) is bytes
    check_output(fmt, data, objs)


def test_render_default_format_is_ps(tmp_path, small):
    g, _ = small
    target = tmp_path / 'default'
    assert g.render(str(target)) is True
    assert target.read_bytes().startswith(b'%!PS-Adobe-')


def test_render_bytes_default_format_is_svg(small):
    g, objs = small
    check_output('svg', g.render_bytes(), objs)


def test_render_accepts_path_objects(tmp_path, small):
    g, _ = small
    target = tmp_path / 'p.svg'
    assert g.render(target, format='svg') is True
    ET.fromstring(target.read_bytes())


def test_render_replaces_an_existing_file(tmp_path, small):
    g, objs = small
    target = tmp_path / 'exists.svg'
    target.write_bytes(b'old content that is longer than nothing at all' * 100)
    assert g.render(str(target), format='svg') is True
    check_output('svg', target.read_bytes(), objs)
    assert os.listdir(tmp_path) == ['exists.svg']


@pytest.mark.parametrize('fmt', ['dot', 'plain', 'svg', 'json'])
def test_render_bytes_is_deterministic(small, fmt):
    g, _ = small
    assert g.render_bytes(fmt) == g.render_bytes(fmt)


def test_file_and_bytes_agree(tmp_path, small):
    g, _ = small
    target = tmp_path / 'g.plain'
    g.render(str(target), format='plain')
    assert target.read_bytes() == g.render_bytes('plain')


def test_pympler_node_options_applied(small):
    g, _ = small
    text = g.render_bytes('dot').decode()
    for opt in ('fontsize=10', 'style=filled', 'fillcolor="#E5EDB8"', 'color="#CCCCCC"', 'shape=box'):
        assert opt in text, opt
    svg = g.render_bytes('svg').decode()
    assert 'fill="#e5edb8"' in svg and 'stroke="#cccccc"' in svg


# --------------------------------------------------------------------------
# engines, unflatten


@pytest.mark.parametrize('engine', ENGINES)
def test_every_engine(small, engine):
    g, objs = small
    data = g.render_bytes('plain', cmd=engine)
    check_output('plain', data, objs)
    check_output('svg', g.render_bytes('svg', cmd=engine), objs)
    assert g.render_note is None


@pytest.mark.parametrize('engine', ENGINES)
def test_every_engine_to_file(tmp_path, small, engine):
    g, _ = small
    target = tmp_path / 'e.png'
    assert g.render(str(target), cmd=engine, format='png') is True
    w, h = png_size(target.read_bytes())
    assert w > 0 and h > 0


def test_engines_lay_out_differently(small):
    g, _ = small
    outputs = {e: g.render_bytes('plain', cmd=e) for e in ('dot', 'circo')}
    assert outputs['dot'] != outputs['circo']


def _fan_out():
    leaves = [['leaf %d' % i] for i in range(20)]
    hub = list(leaves)
    return ReferenceGraph([hub] + leaves), hub, leaves


def _plain_positions(data):
    pos = {}
    for line in data.decode().splitlines():
        if line.startswith('node '):
            f = line.split()
            pos[f[1]] = (float(f[2]), float(f[3]))
    return pos


def test_unflatten_changes_a_fan_out():
    g, hub, leaves = _fan_out()
    flat = g.render_bytes('plain')
    unflat = g.render_bytes('plain', unflatten=True)
    assert flat != unflat
    flat_pos, unflat_pos = _plain_positions(flat), _plain_positions(unflat)
    assert set(flat_pos) == set(unflat_pos) == {nid(o) for o in [hub] + leaves}
    # flat: all leaves on one rank; unflatten -l7 staggers them over several
    leaf_ranks = lambda pos: {pos[nid(l)][1] for l in leaves}
    assert len(leaf_ranks(flat_pos)) == 1
    assert len(leaf_ranks(unflat_pos)) > 1
    # and the unflattened picture is narrower
    assert max(x for x, y in unflat_pos.values()) < max(x for x, y in flat_pos.values())


def test_unflatten_to_file(tmp_path):
    g, _, _ = _fan_out()
    target = tmp_path / 'u.svg'
    assert g.render(str(target), format='svg', unflatten=True) is True
    assert len(svg_nodes(target.read_bytes())) == 21
    assert g.render_bytes('plain', unflatten=True) == g.render_bytes('plain', unflatten=True)


# --------------------------------------------------------------------------
# errors


def test_unknown_engine(tmp_path, small):
    g, _ = small
    for call in (lambda: g.render(str(tmp_path / 'x.svg'), cmd='nodot', format='svg'),
                 lambda: g.render_bytes('svg', cmd='nodot')):
        with pytest.raises(ValueError) as ei:
            call()
        msg = str(ei.value)
        assert 'nodot' in msg
        for e in ENGINES:
            assert e in msg
    assert os.listdir(tmp_path) == []


def test_unknown_format(tmp_path, small):
    g, _ = small
    for call in (lambda: g.render(str(tmp_path / 'x.gif'), format='gif'),
                 lambda: g.render_bytes('gif')):
        with pytest.raises(ValueError) as ei:
            call()
        msg = str(ei.value)
        assert 'gif' in msg
        for f in FORMATS:
            assert f in msg
    assert os.listdir(tmp_path) == []


def test_empty_graph_renders_nothing(tmp_path):
    g = ReferenceGraph([])
    target = tmp_path / 'empty.svg'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert g.render(str(target), format='svg') is False
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_reduced_empty_graph_renders_nothing(tmp_path):
    g = ReferenceGraph([[1], 2], reduce=True)
    assert g.render(str(tmp_path / 'r.png'), format='png') is False
    assert os.listdir(tmp_path) == []


def _check_failed_render(g, target, tmp_path, before):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert g.render(str(target), format='svg') is False
    assert len(w) == 1
    assert w[0].category is RuntimeWarning
    msg = str(w[0].message)
    assert str(target) in msg and len(msg) > len(str(target)) + 10
    assert sorted(os.listdir(tmp_path)) == before


def test_render_to_missing_directory(tmp_path, small):
    g, _ = small
    target = tmp_path / 'missing' / 'out.svg'
    _check_failed_render(g, target, tmp_path, [])
    assert 'No such file or directory' in _warning_message(g, target)
    assert not (tmp_path / 'missing').exists()


def test_render_onto_a_directory(tmp_path, small):
    # works even when the tests run as root (permissions would not stop it)
    g, _ = small
    target = tmp_path / 'adir'
    target.mkdir()
    (target / 'keep').write_text('x')
    _check_failed_render(g, target, tmp_path, ['adir'])
    assert target.is_dir() and os.listdir(target) == ['keep']


def test_render_below_a_regular_file(tmp_path, small):
    # a parent that is a file fails with ENOTDIR, for root too
    g, _ = small
    (tmp_path / 'afile').write_text('x')
    _check_failed_render(g, tmp_path / 'afile' / 'x.svg', tmp_path, ['afile'])
    assert (tmp_path / 'afile').read_text() == 'x'


def _warning_message(g, target):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        g.render(str(target), format='svg')
    return str(w[0].message)


def test_failed_render_warning_can_be_an_error(tmp_path, small):
    g, _ = small
    with warnings.catch_warnings():
        warnings.simplefilter('error', RuntimeWarning)
        with pytest.raises(RuntimeWarning):
            g.render(str(tmp_path / 'no' / 'x.svg'), format='svg')


def test_bad_argument_types(small):
    g, _ = small
    with pytest.raises(TypeError):
        g.render(None)
    with pytest.raises(TypeError):
        g.render_bytes(format=5)


# --------------------------------------------------------------------------
# large graphs


class Foo:
    def __init__(self):
        self.a = None
        self.b = None


@pytest.fixture
def gc_restored():
    debug, enabled, garbage = gc.get_debug(), gc.isenabled(), list(gc.garbage)
    del gc.garbage[:]      # GarbageGraph() graphs all of gc.garbage
    yield
    gc.set_debug(debug)
    gc.enable() if enabled else gc.disable()
    gc.garbage[:] = garbage


def test_10000_garbage_triangles(gc_restored, tmp_path):
    start_debug_garbage()
    try:
        for _ in range(10000):
            x, y, z = Foo(), Foo(), Foo()
            x.a, y.a, z.a = y, z, x
        del x, y, z
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    assert g.count == 30000
    t0 = time.monotonic()
    target = tmp_path / 'garbage.svg'
    assert g.render(str(target), format='svg') is True
    elapsed = time.monotonic() - t0
    assert elapsed < LIMIT, elapsed
    svg = target.read_bytes()
    nodes = svg_nodes(svg)
    assert len(nodes) == 3                       # one triangle drawn
    assert all(texts[-1] == 'Foo (x10000)' for texts in nodes.values())
    assert b'x10000' in svg
    note = g.render_note
    assert note.startswith('30000 objects in 10000 components')
    assert 'repeated shape' in note and '9999 components' in note
    assert svg_texts(svg)[0] == note             # drawn as the title
    assert os.listdir(tmp_path) == ['garbage.svg']


def test_a_graph_under_the_limit_has_no_note(small):
    g, _ = small
    g.render_bytes('plain')
    assert g.render_note is None
    objs = [[i] for i in range(1500)]
    big = ReferenceGraph(objs)
    big.render_bytes('plain', cmd='sfdp')
    assert big.render_note is None


def test_note_is_reset_by_the_next_render():
    objs = [['x'] for _ in range(2000)]
    holders = [[o] for o in objs]
    g = ReferenceGraph(objs + holders)
    g.render_bytes('plain')
    assert g.render_note is not None and 'repeated shape' in g.render_note
    # the drawing is simplified: one pair with the count in its type
    lines = g.render_bytes('plain').decode().splitlines()
    assert len([l for l in lines if l.startswith('node ')]) == 2
    svg = g.render_bytes('svg')
    assert svg_texts(svg) == [g.render_note, "['x']", 'list (x2000)', "[['x']]", 'list (x2000)']
    small = ReferenceGraph(objs[:3])
    small.render_bytes('plain')
    assert small.render_note is None


def test_note_of_a_copy_is_recomputed():
    objs = [['x'] for _ in range(2000)]
    loop = ['loop']
    loop.append(loop)
    g = ReferenceGraph(objs + [loop])
    g.render_bytes('plain')
    assert g.render_note.startswith('2001 objects in 2001 components')
    r = g.reduce_to_cycles()           # a copy of g, drawn afresh
    assert r.count == 2001 and len(r.objects) == 1
    assert len(svg_nodes(r.render_bytes('svg'))) == 1
    assert r.render_note is None
    assert g.render_note.startswith('2001 objects')


def _tangle(n, seed):
    rnd = random.Random(seed)
    objs = [Foo() for _ in range(n)]
    for o in objs:
        o.a = rnd.choice(objs)
        o.b = rnd.choice(objs)
    return objs


def test_tangle_of_3000_collapses_the_cycle():
    objs = _tangle(3000, 7)
    g = ReferenceGraph(objs)
    assert len(g.edges) > 5900
    t0 = time.monotonic()
    svg = g.render_bytes('svg')
    assert time.monotonic() - t0 < LIMIT
    note = g.render_note
    assert note.startswith('3000 objects in 1 components')
    assert '1 cycles drawn as one node each' in note
    nodes = svg_nodes(svg)
    assert 0 < len(nodes) <= 1500
    cycle_nodes = [t for t in nodes.values() if t[0].startswith('cycle of ')]
    assert len(cycle_nodes) == 1
    size = int(cycle_nodes[0][0].split()[2])
    assert 1500 < size < 3000
    assert cycle_nodes[0][1] == 'Foo x%d' % size
    for o in objs:                               # cut the cycles for the collector
        o.a = o.b = None


def test_tangle_of_20000_renders_in_time():
    objs = _tangle(20000, 11)
    g = ReferenceGraph(objs)
    t0 = time.monotonic()
    svg = g.render_bytes('svg')
    assert time.monotonic() - t0 < LIMIT
    ET.fromstring(svg)
    note = g.render_note
    assert note.startswith('20000 objects in 1 components')
    assert 'cycles' in note
    for o in objs:
        o.a = o.b = None


def test_concurrent_renders_from_threads():
    import threading
    engines = ['dot', 'neato', 'circo', 'twopi']
    graphs = []
    for k in range(4):
        objs = [[i, k] for i in range(30)]
        graphs.append(ReferenceGraph([list(objs)] + objs))
    expected = [g.render_bytes('plain', cmd=e) for g, e in zip(graphs, engines)]
    results, errors = {}, []

    def work(i):
        try:
            results[i] = [graphs[i].render_bytes('plain', cmd=engines[i]) for _ in range(5)]
        except BaseException as exc:   # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LIMIT)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    for i in range(4):
        assert results[i] == [expected[i]] * 5
