#!/usr/bin/env python3
"""Benchmark the HTML report: HtmlStats(tracker).create_html() of 20 classes
x 20 snapshots x 1,000 instances (target: under 2 s, every page under 1 MB).
Only ours: Pympler 1.1's HtmlStats writes no charts without matplotlib (and
none that work with it), so there is no like for like.

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python python3 bench/bench_html.py [--classes N] [--snapshots N] [--instances N]

Prints the time, the number of files, the largest page and the total size.
Exit status 0 unless the report fails to be written.
"""
import argparse
import os
import sys
import tempfile
import time

TARGET_S = 2.0
TARGET_PAGE = 1_000_000


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--classes', type=int, default=20)
    ap.add_argument('--snapshots', type=int, default=20)
    ap.add_argument('--instances', type=int, default=1000)
    args = ap.parse_args(argv)
    from pympler import classtracker
    from pympler.classtracker_stats import HtmlStats

    classes = [type('Class%02d' % k, (), {'__init__': lambda self, n=k: setattr(self, 'data', list(range(n)))})
               for k in range(args.classes)]
    tracker = classtracker.ClassTracker()
    for cls in classes:
        tracker.track_class(cls, resolution_level=1)
    keep = []
    per_snapshot = max(1, args.instances // args.snapshots)
    t0 = time.perf_counter()
    for s in range(args.snapshots):
        for cls in classes:
            keep.extend(cls() for _ in range(per_snapshot))
        tracker.create_snapshot('snapshot %d' % s)
    snap_time = time.perf_counter() - t0
    print('HTML report benchmark: %d classes x %d snapshots x %d instances each (%d tracked)' % (
        args.classes, args.snapshots, per_snapshot * args.snapshots, len(keep)))
    print('  (the %d snapshots took %.2f s)' % (args.snapshots, snap_time))
    with tempfile.TemporaryDirectory() as where:
        out = os.path.join(where, 'report.html')
        t0 = time.perf_counter()
        HtmlStats(tracker=tracker).create_html(out)
        elapsed = time.perf_counter() - t0
        files = [os.path.join(where, 'report.html')] + [
            os.path.join(where, 'report_files', f) for f in os.listdir(os.path.join(where, 'report_files'))]
        sizes = {os.path.basename(f): os.path.getsize(f) for f in files}
    tracker.close()
    pages = {f: s for f, s in sizes.items() if f.endswith('.html')}
    biggest = max(pages, key=pages.get)
    print('  create_html    %7.2f s   target < %.0f s: %s' % (elapsed, TARGET_S, 'PASS' if elapsed < TARGET_S else 'MISS'))
    print('  files          %7d     (%d pages, %d charts and graphs)' % (len(sizes), len(pages), len(sizes) - len(pages)))
    print('  largest page   %7.0f KB  %s; target < 1 MB: %s' % (pages[biggest] / 1024, biggest,
                                                               'PASS' if pages[biggest] < TARGET_PAGE else 'MISS'))
    print('  largest file   %7.0f KB  %s' % (max(sizes.values()) / 1024, max(sizes, key=sizes.get)))
    print('  total          %7.0f KB' % (sum(sizes.values()) / 1024))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
