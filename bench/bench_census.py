#!/usr/bin/env python3
"""Benchmark the heap census: summary.summarize(muppy.get_objects()) and
SummaryTracker() + diff(), ours against Pympler 1.1 and against the floor.

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python PYMPLER_REFERENCE=/path/to/pympler-1.1 \\
        python3 bench/bench_census.py [--quick]

The heap is ``{i: [str(i)*3, (i, float(i)), {"k": i}] for i in range(N)}``
(N = 1,000,000; --quick: 100,000), about 5 objects per entry.  Each
implementation runs in its own fresh subprocess (this script in --child mode).

c1  summary.summarize(muppy.get_objects())
c2  SummaryTracker(), then 100,000 more objects, then diff()

The floor is what Pympler's semantics impose: its get_objects (and so ours)
starts with a full gc.collect(), then lists the collector's objects, so the
floor is gc.collect() + gc.get_objects() (the list freed at once, as the
census list is), timed in the same process as ours (c2 takes two censuses:
twice that).  The report also shows gc.get_objects() alone and the
collection alone: "census only" is the total minus that collection.

Exit status: 0 when every child ran and the cross-checks held (row counts of
the heap's types agree with Pympler's within 1%, the diff shows the 100,000
new objects); 1 otherwise.  Speed targets are reported (PASS/MISS), not
enforced.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import run_impl  # noqa: E402

TARGET_SPEEDUP = 20.0     # at least 20x faster than Pympler 1.1
TARGET_FLOOR_RATIO = 1.3  # within 1.3x of gc.collect() + gc.get_objects()
HEAP_TYPES = ('dict', 'list', 'str', 'tuple', 'int')


def build_heap(n):
    return {i: [str(i) * 3, (i, float(i)), {"k": i}] for i in range(n)}


class Leak:
    __slots__ = ('n',)

    def __init__(self, n):
        self.n = n


def child(case, n, repeat):
    import gc
    from pympler import muppy, summary, tracker
    heap = build_heap(n)
    gc.collect()
    out = {'n_heap': len(heap)}
    if case == 'c1':
        times, collects, floors, listings = [], [], [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            gc.get_objects()
            listings.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            gc.collect()
            collects.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            gc.collect()
            gc.get_objects()
            floors.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            rows = summary.summarize(muppy.get_objects())
            times.append(time.perf_counter() - t0)
        # Where the time goes (ours only; one more run, split in steps).
        parts = {}
        if repeat > 1:
            t0 = time.perf_counter()
            objs = muppy.get_objects()
            t1 = time.perf_counter()
            summary.summarize(objs)
            t2 = time.perf_counter()
            # What merely owning that many references costs: a copy of the
            # list increfs every item, freeing it decrefs them.
            objs[:]   # the copy is made and freed at once
            t5 = time.perf_counter()
            n_objs = len(objs)
            del objs
            t3 = time.perf_counter()
            parts = {'get_objects': t1 - t0, 'summarize': t2 - t1, 'release': t3 - t5,
                     'own': t5 - t2, 'n_objs': n_objs}
        out.update(time=min(times), times=times, collect=min(collects), floor=min(floors),
                   listing=min(listings),
                   parts=parts, rows={r[0]: r[1] for r in rows if r[0] in HEAP_TYPES})
    else:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            tr = tracker.SummaryTracker()
            t1 = time.perf_counter()
            more = [Leak(i) for i in range(100_000)]
            t2 = time.perf_counter()
            d = tr.diff()
            t3 = time.perf_counter()
            times.append((t1 - t0) + (t3 - t2))
            leak_rows = [r for r in d if r[0].endswith('Leak')]
            out['leak_count'] = leak_rows[0][1] if leak_rows else 0
            del more, tr, d
        floors = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(2):
                gc.collect()
                gc.get_objects()
            floors.append(time.perf_counter() - t0)
        out.update(time=min(times), times=times, floor=min(floors))
    print(json.dumps(out))


def verdict(ok):
    return 'PASS' if ok else 'MISS'


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true', help='100,000 entries instead of 1,000,000')
    ap.add_argument('--child', nargs=3, metavar=('CASE', 'N', 'REPEAT'), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return 0
    n = 100_000 if args.quick else 1_000_000
    failed = False
    print('census benchmark: heap of %d entries (~%d objects)' % (n, 5 * n))
    for case, title in (('c1', 'summarize(muppy.get_objects())'),
                        ('c2', 'SummaryTracker() + diff() after 100,000 new objects')):
        try:
            ours = run_impl('ours', __file__, (case, n, 5), 600)
            ref = run_impl('ref', __file__, (case, n, 1), 1800)
        except RuntimeError as e:
            print('%s: FAILED: %s' % (case, e))
            failed = True
            continue
        speedup = ref['time'] / ours['time']
        print('\n%s  %s' % (case, title))
        print('  Pympler 1.1  %8.3f s' % ref['time'])
        print('  ours         %8.3f s  (runs: %s)' % (
            ours['time'], ', '.join('%.3f' % t for t in ours['times'])))
        print('  speedup      %8.1fx  target >= %.0fx: %s' % (
            speedup, TARGET_SPEEDUP, verdict(speedup >= TARGET_SPEEDUP)))
        floor = ours['floor']
        print('  floor        %8.3f s  %s' % (floor, 'gc.collect() + gc.get_objects()' if case == 'c1'
                                            else 'twice gc.collect() + gc.get_objects() (two censuses)'))
        ratio = ours['time'] / floor
        print('  vs floor     %8.2fx  target <= %.1fx: %s' % (
            ratio, TARGET_FLOOR_RATIO, verdict(ratio <= TARGET_FLOOR_RATIO)))
        if case == 'c1':
            listing = ours['listing']
            census = ours['time'] - ours['collect']
            print('  gc.collect() %8.3f s  (Pympler\'s get_objects starts with it)' % ours['collect'])
            print('  listing      %8.3f s  gc.get_objects() alone' % listing)
            print('  census only  %8.1fx  gc.get_objects() (total minus the collection)' % (census / listing))
            p = ours.get('parts') or {}
            if p:
                print('  one run:     get_objects %.3f s (with the collection), summarize %.3f s, '
                      'freeing the list %.3f s' % (p['get_objects'], p['summarize'], p['release']))
                # The floor lists the ~n tracked objects; the census lists
                # ~5n.  The collection, holding references to them all and
                # summarize's one read of each cost this much before any
                # search: what any census with Pympler's result costs.
                bound = ours['collect'] + p['own'] + p['summarize']
                print('  bound        %8.2fx  the floor: the collection (%.3f s), a reference to each '
                      'of the %d listed objects taken and dropped (%.3f s, a list copy), summarize '
                      '(%.3f s)' % (bound / floor, ours['collect'], p['n_objs'], p['own'],
                                    p['summarize']))
            # The two processes import different modules: allow 1% of the
            # heap's n objects per type, or 10,000 on small heaps.
            slack = max(0.01 * n, 10_000)
            bad = [t for t in HEAP_TYPES
                   if abs(ours['rows'].get(t, 0) - ref['rows'].get(t, 0)) > slack
                   or ours['rows'].get(t, 0) < n]
            for t in bad:
                print('  MISMATCH %s: ours %d, Pympler %d' % (
                    t, ours['rows'].get(t, 0), ref['rows'].get(t, 0)))
            failed = failed or bool(bad)
            if not bad:
                print('  rows of %s agree with Pympler (within %d objects)' % (
                    '/'.join(HEAP_TYPES), slack))
        else:
            if ours['leak_count'] != 100_000 or ref['leak_count'] < 100_000:
                print('  MISMATCH: Leak rows: ours %d, Pympler %d' % (
                    ours['leak_count'], ref['leak_count']))
                failed = True
            else:
                print('  both diffs show the 100,000 new Leak objects')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
