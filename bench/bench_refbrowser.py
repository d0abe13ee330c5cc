#!/usr/bin/env python3
"""Benchmark refbrowser: RefBrowser(root, maxdepth=3).get_tree() on a root
with 1000 referrers, ours against Pympler 1.1.

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python PYMPLER_REFERENCE=/path/to/pympler-1.1 \\
        python3 bench/bench_refbrowser.py [--heap N]

The heap holds N gc-tracked filler lists (default 100,000).  Pympler makes
one gc.get_referrers() heap scan per node of the 5003-node tree: 55 s at the
default here, 49 s at N = 20,000, 166 s at N = 10**6.  Each implementation
runs in its own fresh subprocess (this script in --child mode); ours is also
timed at N = 10**6.

Exit status: 0 when every child ran and both trees have the same shape (node
count, children of the root); 1 otherwise.
"""

import argparse
import gc
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import run_impl  # noqa: E402


def child(n):
    from pympler import refbrowser
    filler = [[i] for i in range(n)]         # n tracked lists
    root = object()
    holders = [[root] for _ in range(1000)]  # 1000 referrers of root
    groups = [holders[i::10] for i in range(10)]
    top = [groups]
    gc.collect()
    tracked = len(gc.get_objects())
    t0 = time.perf_counter()
    tree = refbrowser.RefBrowser(root, maxdepth=3, str_func=lambda o: type(o).__name__).get_tree()
    dt = time.perf_counter() - t0
    nodes, stack = 0, [tree]
    while stack:
        node = stack.pop()
        nodes += 1
        stack.extend(c for c in node.children if isinstance(c, refbrowser._Node))
    print(json.dumps({'time': dt, 'tracked': tracked, 'nodes': nodes,
                      'root_children': len(tree.children)}))
    del filler, top


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--heap', type=int, default=100_000, help='filler lists (default 100,000)')
    ap.add_argument('--child', type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        child(args.child)
        return 0
    print('refbrowser benchmark: get_tree(maxdepth=3), root with 1000 referrers')
    try:
        ours = min((run_impl('ours', __file__, (args.heap,), 300) for _ in range(3)), key=lambda r: r['time'])
        ref = run_impl('ref', __file__, (args.heap,), 1800)
        big = run_impl('ours', __file__, (10 ** 6,), 300)
    except RuntimeError as e:
        print('FAILED: %s' % e)
        return 1
    print('  heap of %d tracked objects:' % ours['tracked'])
    print('    Pympler 1.1  %8.3f s' % ref['time'])
    print('    ours         %8.3f s  (best of 3)' % ours['time'])
    print('    speedup      %8.0fx' % (ref['time'] / ours['time']))
    print('  heap of %d tracked objects: ours %.3f s' % (big['tracked'], big['time']))
    same = all(ours[k] == ref[k] == big[k] for k in ('nodes', 'root_children'))
    if same:
        print('  both trees: %d nodes, %d children of the root' % (ours['nodes'], ours['root_children']))
    else:
        print('  MISMATCH: nodes ours %d / %d, Pympler %d; root children ours %d / %d, Pympler %d' % (
            ours['nodes'], big['nodes'], ref['nodes'],
            ours['root_children'], big['root_children'], ref['root_children']))
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
