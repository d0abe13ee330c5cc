"""The hostile corpus as source text: run here, in a child process with the
reference Pympler (tests/python/test_hostile_corpus.py), and on the debug
interpreter (tests/refcount/loop_apis.py).  Plain Python, no test imports."""

CORPUS = '''
import sys
from pympler import asizeof, muppy, refgraph, summary

class Big:
    def __sizeof__(self): return sys.maxsize
class Big7:
    def __sizeof__(self): return sys.maxsize - 7
class Half:
    def __sizeof__(self): return sys.maxsize // 2 + 1
class Small:
    def __sizeof__(self): return 16
class H30:
    def __sizeof__(self): return 10 ** 30

class EndlessList(list):
    def __iter__(self):
        while True:
            yield 1
class EndlessDict(dict):
    def keys(self):
        while True:
            yield 1
    def items(self):
        while True:
            yield (1, 2)
    def __iter__(self):
        while True:
            yield 1
    def values(self):
        while True:
            yield 1
class SelfSet(set):
    def __iter__(self):
        while True:
            yield self
class PlainDict(dict):
    pass

def total_of(a, *objs):
    return a.asizeof(*objs), a.total

def graph_sizes():
    b1, b2 = Big(), Big()
    g = refgraph.ReferenceGraph([[b1, b2], b1, b2, 'x'])
    return sorted(m.size for m in g.metadata), g.total_size, sorted(p.total_size for p in g.split())
'''
