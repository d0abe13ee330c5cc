#!/usr/bin/env python3
"""Benchmark pympler.classtracker: ours against Pympler 1.1 in the same run.

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python PYMPLER_REFERENCE=/path/to/pympler-1.1 \\
        python3 bench/bench_classtracker.py [--quick] [-n N]

N instances (20,000; --quick: 5,000) of a small class whose __init__ sets
two attributes.  Each implementation runs in its own fresh subprocess (this
script in --child mode):

construct   N instances of the class untracked, then with track_class (best
            of 3 each); the ratio tracked/untracked
bytes       tracemalloc's traced memory of N tracked instances minus that of
            N untracked ones, per instance: what tracking one instance costs
snap L0     create_snapshot() with the N instances tracked at resolution 0
snap L2     the same at resolution level 2 (referents named, two levels)

Exit status: 0 when both children ran and the snapshot totals agree
(tracked_total of ours equals Pympler's); 1 otherwise.  Targets are reported
(PASS/MISS), not enforced.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import fmt_time, print_header, print_table, ours_pythonpath, reference_dir, run_impl  # noqa: E402

TARGET_CONSTRUCT_RATIO = 2.0   # tracked construction at most 2x untracked
TARGET_BYTES = 400             # bytes of tracking per instance
TARGET_SNAPSHOT_SPEEDUP = 30.0  # snapshots at least 30x faster than Pympler


class Item:
    def __init__(self, i):
        self.i = i
        self.name = 'x'


def construct(n):
    return [Item(i) for i in range(n)]


def best_of(fn, k=3, reset=None):
    """The best time of k calls of fn (what reset() does between them, and
    freeing what fn made, is not timed)."""
    best = None
    for _ in range(k):
        t0 = time.perf_counter()
        r = fn()
        dt = time.perf_counter() - t0
        if reset:
            reset()
        del r
        best = dt if best is None or dt < best else best
    return best


def child(n):
    import gc
    import tracemalloc
    from pympler.classtracker import ClassTracker
    out = {}
    gc.collect()
    out['untracked_s'] = best_of(lambda: construct(n))
    ct = ClassTracker()
    ct.track_class(Item)

    def reset():  # forget them: every round starts empty
        ct.detach_all()
        ct.history.clear()
        ct.track_class(Item)

    out['tracked_s'] = best_of(lambda: construct(n), reset=reset)
    ct.detach_all()
    # bytes: traced memory of N tracked instances minus N untracked ones
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    plain = construct(n)
    mid = tracemalloc.get_traced_memory()[0]
    del plain
    gc.collect()
    ct.history.clear()
    ct.track_class(Item)
    base2 = tracemalloc.get_traced_memory()[0]
    objs = construct(n)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    out['bytes_per_instance'] = ((after - base2) - (mid - base)) / n
    for level in (0, 2):
        for t in ct.objects.values():
            t.set_resolution_level(level)
        gc.collect()
        t0 = time.perf_counter()
        ct.create_snapshot()
        out['snap_l%d_s' % level] = time.perf_counter() - t0
        out['tracked_total_l%d' % level] = ct.snapshots[-1].tracked_total
    ct.detach_all()
    del objs
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--quick', action='store_true', help='5,000 instances')
    ap.add_argument('-n', type=int, default=None, help='instances (default 20,000)')
    args, rest = ap.parse_known_args()
    n = args.n or (5000 if args.quick else 20000)
    if args.child:
        import json
        print(json.dumps(child(n)))
        return 0
    if not print_header('bench_classtracker: ClassTracker, ours vs Pympler 1.1', reference_dir(),
                        ours_pythonpath(None), 'N = {:,} instances'.format(n)):
        return 1
    rc = 0
    try:
        ours = run_impl('ours', __file__, ['-n', n], 900)
        ref = run_impl('ref', __file__, ['-n', n], 900)
    except RuntimeError as e:
        print('ERROR: %s' % e)
        return 1
    rows = []

    def ratio(a, b):
        return '%.1fx' % (a / b) if a and b else '-'

    c_ours = ours['tracked_s'] / ours['untracked_s']
    c_ref = ref['tracked_s'] / ref['untracked_s']
    rows.append(['construct untracked', fmt_time(ours['untracked_s']), fmt_time(ref['untracked_s']), '', ''])
    rows.append(['construct tracked', fmt_time(ours['tracked_s']), fmt_time(ref['tracked_s']),
                 ratio(ref['tracked_s'], ours['tracked_s']), ''])
    rows.append(['  tracked/untracked', '%.2fx' % c_ours, '%.1fx' % c_ref, '',
                 'PASS' if c_ours <= TARGET_CONSTRUCT_RATIO else 'MISS'])
    rows.append(['bytes per instance', '%.0f' % ours['bytes_per_instance'], '%.0f' % ref['bytes_per_instance'],
                 ratio(ref['bytes_per_instance'], ours['bytes_per_instance']),
                 'PASS' if ours['bytes_per_instance'] <= TARGET_BYTES else 'MISS'])
    for level in (0, 2):
        k = 'snap_l%d_s' % level
        sp = ref[k] / ours[k] if ours[k] else 0
        rows.append(['snapshot level %d' % level, fmt_time(ours[k]), fmt_time(ref[k]), '%.1fx' % sp,
                     'PASS' if sp >= TARGET_SNAPSHOT_SPEEDUP else 'MISS'])
        if ours['tracked_total_l%d' % level] != ref['tracked_total_l%d' % level]:
            print('MISMATCH: tracked_total at level %d: ours %s, Pympler %s' % (
                level, ours['tracked_total_l%d' % level], ref['tracked_total_l%d' % level]))
            rc = 1
    print_table(['case', 'ours', 'Pympler 1.1', 'speedup', 'target'], rows)
    print('')
    print('targets: tracked construction <= %.0fx untracked; <= %d bytes per tracked instance; '
          'snapshots >= %.0fx faster' % (TARGET_CONSTRUCT_RATIO, TARGET_BYTES, TARGET_SNAPSHOT_SPEEDUP))
    return rc


if __name__ == '__main__':
    sys.exit(main())
