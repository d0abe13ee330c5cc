#!/usr/bin/env python3
"""Benchmark the pytest plugin: the overhead of --pympler-cycles on a suite
of 300 small tests (target: at most 1.5x the suite's time without it), and
of --pympler-leaks for comparison (no target: it runs each body four times
with a census of the heap after each; measured once).

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python python3 bench/bench_pytest.py [--tests N]

Each configuration runs pytest in a fresh process, 3 times; the minimum of
the wall times (process start to exit, as a CI step sees it) is used.  Only
ours: Pympler 1.1 has no pytest plugin.  Exit status 0 unless a run fails
otherwise than expected (the suite is clean: every run must pass).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ours_pythonpath  # noqa: E402

TARGET = 1.5

# Small tests such as real suites have: some arithmetic, a dict, a class instance, a string join.
SUITE = '''
import pytest


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm2(self):
        return self.x * self.x + self.y * self.y


@pytest.mark.parametrize('i', range({n}))
def test_small(i):
    d = {{k: str(k) for k in range(i % 20)}}
    p = Point(i, i + 1)
    assert p.norm2() == i * i + (i + 1) ** 2
    assert ','.join(d.values()).count(',') == max(len(d) - 1, 0)
'''


def run(folder, env, args):
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-p',
                        'pympler.pytest_plugin', *args, 'test_suite.py'], cwd=folder, env=env,
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError('pytest %s exited %d:\n%s' % (' '.join(args), p.returncode, p.stdout[-2000:]))
    return elapsed


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tests', type=int, default=300)
    ap.add_argument('--repeat', type=int, default=3)
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=ours_pythonpath(None))
    print('pytest plugin benchmark: %d small tests, best of %d runs each' % (args.tests, args.repeat))
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, 'test_suite.py'), 'w') as f:
            f.write(SUITE.format(n=args.tests))
        try:
            times = {name: min(run(folder, env, opts) for _ in range(repeat))
                     for name, opts, repeat in (('plain', [], args.repeat),
                                                ('cycles', ['--pympler-cycles'], args.repeat),
                                                ('leaks', ['--pympler-leaks'], 1))}   # a minute: once
        except RuntimeError as e:
            print('FAILED: %s' % e)
            return 1
    ratio = times['cycles'] / times['plain']
    print('  without the checks     %7.2f s' % times['plain'])
    print('  --pympler-cycles       %7.2f s  %.2fx  target <= %.1fx: %s' % (
        times['cycles'], ratio, TARGET, 'PASS' if ratio <= TARGET else 'MISS'))
    print('  --pympler-leaks        %7.2f s  %.2fx  (no target: 4 runs and 4 censuses per test)' % (
        times['leaks'], times['leaks'] / times['plain']))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
