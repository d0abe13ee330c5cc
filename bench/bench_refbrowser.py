"""Time RefBrowser.get_tree() on a root with ~1000 referrers, maxdepth 3, in a
heap of about 10**6 gc-tracked objects.  Run once per implementation:

    PYTHONPATH=build/python python3 -P bench/bench_refbrowser.py
    PYTHONPATH=.deps/pympler-1.1 python3 -P bench/bench_refbrowser.py
"""
import gc
import sys
import time

from pympler import refbrowser


def main():
    filler = [[i] for i in range(10 ** 6)]   # 10**6 tracked lists
    root = object()
    holders = [[root] for _ in range(1000)]  # 1000 referrers of root
    groups = [holders[i::10] for i in range(10)]
    top = [groups]
    gc.collect()
    print('tracked objects:', len(gc.get_objects()))
    t0 = time.perf_counter()
    tree = refbrowser.RefBrowser(root, maxdepth=3, str_func=lambda o: type(o).__name__).get_tree()
    dt = time.perf_counter() - t0
    nodes, stack = 0, [tree]
    while stack:
        n = stack.pop()
        nodes += 1
        stack.extend(c for c in n.children if isinstance(c, refbrowser._Node))
    print('%s: get_tree %.3f s, %d nodes, %d children of root' % (
        refbrowser.__file__.rsplit('/', 1)[-1], dt, nodes, len(tree.children)))
    del filler, top


main()
