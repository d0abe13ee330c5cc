"""Pympler 1.1's documented refgraph and garbagegraph examples, run as
doctests against this package (the examples of the ReferenceGraph,
ReferenceGraph.split and GarbageGraph docstrings).  Rendering happens
in-process; the files are written in a temporary directory."""

import doctest
import gc

import pytest

REFGRAPH_EXAMPLE = '''
>>> from pympler.refgraph import ReferenceGraph
>>> a = 42
>>> b = 'spam'
>>> c = {a: b}
>>> gb = ReferenceGraph([a,b,c])
>>> gb.render('spam.eps')
True
'''

SPLIT_EXAMPLE = '''
>>> from pympler.refgraph import ReferenceGraph
>>> a = 42
>>> b = 'spam'
>>> c = {a: b}
>>> t = (1,2,3)
>>> rg = ReferenceGraph([a,b,c,t])
>>> for subgraph in rg.split():
...   print (subgraph.index)
0
1
'''

GARBAGE_EXAMPLE = '''
>>> from pympler.garbagegraph import GarbageGraph, start_debug_garbage
>>> start_debug_garbage()
>>> l = []
>>> l.append(l)
>>> del l
>>> gb = GarbageGraph()
>>> gb.render('garbage.eps')
True
'''


def run(text, name):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize('name,text,drawing', [('refgraph', REFGRAPH_EXAMPLE, 'spam.eps'),
                                               ('split', SPLIT_EXAMPLE, None),
                                               ('garbagegraph', GARBAGE_EXAMPLE, 'garbage.eps')])
def test_documented_example(tmp_path, monkeypatch, name, text, drawing):
    monkeypatch.chdir(tmp_path)
    # the garbage example leaves DEBUG_SAVEALL set and its list in gc.garbage,
    # as Pympler's GarbageGraph does: put the collector back
    debug, enabled, garbage = gc.get_debug(), gc.isenabled(), list(gc.garbage)
    try:
        result = run(text, name)
    finally:
        gc.set_debug(debug)
        (gc.enable if enabled else gc.disable)()
        gc.garbage[:] = garbage
    assert result.attempted > 0
    assert result.failed == 0
    if drawing:
        data = (tmp_path / drawing).read_bytes()
        assert data.startswith(b'%!PS-Adobe'), data[:40]
        assert b'%%EOF' in data[-200:]
