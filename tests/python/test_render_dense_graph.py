"""Regression (was pending): dense graphs of few nodes (many edges) are not handled.

1. Too many edges: 600 nodes with 90,300 edges (300 instances with
   materialised dicts, each dict referring to all 300 instances).  The
   simplification of docs/refgraph.md only looks at the node count (1,500), so
   nothing is simplified and the renderer refuses: render_bytes raises
   RuntimeError "graph too large to lay out: 600 nodes and 90300 edges (limits
   12000 and 36000); collapse it first", render() returns False with a warning.
   docs/refgraph.md: "Large graphs always give a picture".

2. Too slow: 200 nodes with 10,100 edges (100 instances).  neato takes about
   120 s here and twopi about 40 s, without switching to sfdp and without a
   note: the cost model in render/measure.c estimates neato and twopi from the
   node count only (neato (n/570)^2, twopi n/10000), edges are ignored.
   render/render.c says every cap aims at < 10 s.  (dot, fdp and circo switch
   to sfdp here.)  Run in a child process with a 30 s limit.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DENSE = '''
from pympler.refgraph import ReferenceGraph
class C:
    def __init__(self, i):
        self.i = i
    def __repr__(self):
        return 'C%d' % self.i
def dense(n):
    cs = [C(i) for i in range(n)]
    for c in cs:
        for j in range(n):
            setattr(c, 'r%d' % j, cs[j])
    return ReferenceGraph(cs + [c.__dict__ for c in cs])
'''


def test_many_edges_still_give_a_picture():
    ns = {}
    exec(DENSE, ns)
    g = ns['dense'](300)
    assert len(g.edges) == 90300
    svg = g.render_bytes('svg')       # RuntimeError today
    assert svg.startswith(b'<?xml')
    assert g.render_note is not None


@pytest.mark.parametrize('engine', ['neato', 'twopi'])
def test_dense_graph_renders_in_time(engine):
    pp = os.environ.get('PYTHONPATH') or str(REPO / 'build' / 'python')
    code = DENSE + textwrap.dedent('''
        import time
        g = dense(100)
        t = time.monotonic()
        g.render_bytes('svg', cmd=%r)
        print(time.monotonic() - t, g.render_note)
        ''' % engine)
    try:
        p = subprocess.run([sys.executable, '-P', '-c', code], env=dict(os.environ, PYTHONPATH=pp),
                           capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail('%s on 200 nodes / 10,100 edges took more than 30 s' % engine)
    assert p.returncode == 0, p.stderr[-2000:]
