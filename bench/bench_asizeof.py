#!/usr/bin/env python3
"""Benchmark pympler.asizeof: our C package against the reference Pympler 1.1.

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python PYMPLER_REFERENCE=/path/to/pympler-1.1 \\
        python3 bench/bench_asizeof.py [--quick] [--cases a,c]

Every (case, implementation) pair runs in its own fresh subprocess (this
same script in ``--child`` mode), so the two implementations are never
imported into one process and no run inherits another's heap.

Exit status: 0 if every child ran and ours reported exactly the same size
as the reference for every case; 1 on any size mismatch or child failure;
2 on usage errors.  The speed/memory targets are reported (PASS/MISS) but
do not affect the exit status.

See bench/README.md for how to read the output.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (child_env, fmt_int, fmt_time, ours_pythonpath,  # noqa: E402
                    print_header, print_table, reference_dir, run_json, select_cases)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Targets (reported, not asserted).
TARGET_SPEEDUP = 30.0        # ours must be >= 30x faster than the reference
TARGET_BYTES_PER_OBJ = 40.0  # ours: <= 40 bytes peak extra RSS per object visited

CASES = {
    # key: (full size, description)
    'a': (1_000_000, 'list of N ints'),
    'b': (200_000, 'dict of N str -> [3 ints]'),
    'c': (100_000, 'binary tree of N instances (3 attrs)'),
    'd': (1_000_000, 'dict of N int -> [str, (int, float), {k: int}]'),
}
QUICK_DIVISOR = 10

REPEATS = 3


# --------------------------------------------------------------------------
# child side
# --------------------------------------------------------------------------

def _build(case, n):
    if case == 'a':
        return list(range(n))
    if case == 'b':
        return {str(i): [i, i + 1, i + 2] for i in range(n)}
    if case == 'c':
        class Node(object):
            def __init__(self, value):
                self.value = value
                self.left = None
                self.right = None

        nodes = [Node(i) for i in range(n)]
        for i in range(n):
            lft = 2 * i + 1
            rgt = lft + 1
            if lft < n:
                nodes[i].left = nodes[lft]
            if rgt < n:
                nodes[i].right = nodes[rgt]
        return nodes[0]  # the list `nodes` is dropped on return
    if case == 'd':
        return {i: [str(i) * 3, (i, float(i)), {"k": i}] for i in range(n)}
    raise ValueError('unknown case %r' % (case,))


def _status_kb(field):
    """Value of `field` (e.g. 'VmRSS', 'VmHWM') in /proc/self/status, in kB."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _maxrss_kb():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kB, macOS bytes.
    return r // 1024 if sys.platform == 'darwin' else r


def _reset_peak():
    """Reset the kernel's peak-RSS counter (VmHWM).  True on success."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


class _PeakMeter(object):
    """Measures peak RSS above the RSS at start() for one timed call."""

    def __init__(self):
        self.method = None
        self.note = None

    def start(self):
        self.rss0 = _status_kb('VmRSS')
        if self.rss0 is not None and _reset_peak() and \
                _status_kb('VmHWM') is not None:
            self.method = 'VmHWM (reset via /proc/self/clear_refs)'
        else:
            self.method = 'ru_maxrss (peak counter NOT resettable)'
            self.note = ('could not reset peak RSS; ru_maxrss is monotonic, '
                         'so peak extra is under-reported whenever an earlier '
                         'phase (e.g. building) peaked higher')
            if self.rss0 is None:
                # No /proc: best effort baseline is the current max.
                self.rss0 = _maxrss_kb()

    def stop(self):
        if self.method.startswith('VmHWM'):
            peak = _status_kb('VmHWM')
        else:
            peak = _maxrss_kb()
        return max(0, (peak - self.rss0) * 1024), peak * 1024, self.rss0 * 1024


def child(case, n, impl, expect_dir):
    import gc

    t0 = time.perf_counter()
    obj = _build(case, n)
    build_s = time.perf_counter() - t0
    gc.collect()

    from pympler import asizeof  # imported after building, outside timing
    mod_file = getattr(asizeof, '__file__', None) or '?'
    if expect_dir:
        real = os.path.realpath(mod_file)
        dirs = [os.path.realpath(d) for d in expect_dir.split(os.pathsep) if d]
        if not any(real.startswith(d + os.sep) for d in dirs):
            raise SystemExit('child: pympler.asizeof imported from %s, '
                             'expected it under %s' % (mod_file, expect_dir))

    if impl == 'ref' and case == 'd':
        repeats = 1
    else:
        repeats = REPEATS

    meter = _PeakMeter()
    runs = []
    counts = None
    for k in range(repeats):
        gc.collect()
        meter.start()
        t = time.perf_counter()
        a = asizeof.Asizer()
        size = a.asizeof(obj)
        t = time.perf_counter() - t
        extra, peak, rss0 = meter.stop()
        runs.append({'time_s': t, 'size': size, 'peak_extra_bytes': extra,
                     'rss_before_bytes': rss0, 'peak_rss_bytes': peak})
        if counts is None or k == repeats - 1:
            counts = {'sized': a.sized, 'seen': a.seen, 'total': a.total}
        del a

    times = [r['time_s'] for r in runs]
    out = {
        'case': case,
        'n': n,
        'impl': impl,
        'python': sys.version.split()[0],
        'module_file': mod_file,
        'build_s': build_s,
        'repeats': repeats,
        'runs': runs,
        'first_time_s': times[0],
        'median_time_s': statistics.median(times),
        'size': runs[0]['size'],
        'sizes_consistent': all(r['size'] == runs[0]['size'] for r in runs),
        # Max over runs: the first run normally dominates, because later
        # runs can reuse heap pages freed by earlier ones without raising
        # the RSS high-water mark.
        'peak_extra_bytes': max(r['peak_extra_bytes'] for r in runs),
        'first_peak_extra_bytes': runs[0]['peak_extra_bytes'],
        'peak_method': meter.method,
        'peak_note': meter.note,
    }
    out.update(counts)
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()


# --------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------


def run_child(case, n, impl, pypath, timeout):
    env = child_env(pypath)
    cmd = [sys.executable, os.path.abspath(__file__), '--child', case,
           '--n', str(n), '--impl', impl, '--expect-dir', pypath]
    return run_json(cmd, env, timeout, HERE)


def _bpo(res):
    if not res or not res.get('sized'):
        return None
    return res['peak_extra_bytes'] / float(res['sized'])


def parent(args):
    cases = select_cases(args.cases, CASES)
    if cases is None:
        return 2
    ref_dir = os.path.abspath(reference_dir())
    ours_path = ours_pythonpath(args.ours_path)
    mode = '%s, cases %s' % ('QUICK (sizes / %d)' % QUICK_DIVISOR if args.quick else 'full', ','.join(cases))
    if not print_header('pympler.asizeof benchmark', ref_dir, ours_path, mode):
        return 1

    failures = []
    results = {}
    for case in cases:
        n = CASES[case][0]
        if args.quick:
            n //= QUICK_DIVISOR
        results[case] = {}
        for impl, path in (('ref', ref_dir), ('ours', ours_path)):
            print('  running case %s (%s, n=%s) with %s ...' % (
                case, CASES[case][1], fmt_int(n), impl), end='')
            sys.stdout.flush()
            res, err = run_child(case, n, impl, path, args.timeout)
            if err:
                print(' FAILED')
                msg = 'case %s, %s: child failed: %s' % (case, impl, err)
                print('!!! ' + msg.replace('\n', '\n!!!   '))
                failures.append(msg.splitlines()[0])
            else:
                print(' %s (wall %.1f s)' % (
                    fmt_time(res['median_time_s']), res['wall_s']))
                if res.get('peak_note'):
                    print('     note: ' + res['peak_note'])
                if not res['sizes_consistent']:
                    msg = ('case %s, %s: size differs between repeated '
                           'calls: %s' % (case, impl,
                                          [r['size'] for r in res['runs']]))
                    print('!!! ' + msg)
                    failures.append(msg)
            sys.stdout.flush()
            results[case][impl] = res

    # ---- size check ----
    print('')
    mismatched = set()
    for case in cases:
        ref = results[case].get('ref')
        ours = results[case].get('ours')
        if not ref or not ours:
            continue
        if ref['size'] != ours['size'] or any(
                r['size'] != ref['size'] for r in ours['runs']):
            msg = ('SIZE MISMATCH case %s: reference %s bytes, ours %s bytes'
                   % (case, fmt_int(ref['size']),
                      ', '.join(fmt_int(r['size']) for r in ours['runs'])))
            print('!' * 72)
            print('!!! ' + msg)
            print('!' * 72)
            failures.append(msg)
            mismatched.add(case)
        for key in ('sized', 'seen'):
            if ref.get(key) != ours.get(key):
                print('note: case %s: %s differs: reference %s, ours %s' % (
                    case, key, fmt_int(ref.get(key)),
                    fmt_int(ours.get(key))))

    # ---- table ----
    headers = ['case', 'objects', 'size (bytes)', 'same', 'ref time',
               'our time', 'speedup', 'ours B/obj', 'ref B/obj', 'speed',
               'mem']
    rows = []
    for case in cases:
        ref = results[case].get('ref')
        ours = results[case].get('ours')
        any_res = ref or ours
        if ref and ours:
            same = 'yes' if case not in mismatched else 'NO!'
        else:
            same = '-'
        # Case (c): the reference materialises instance __dict__s on the
        # first call, so the first call is the honest comparison.
        key = 'first_time_s' if case == 'c' else 'median_time_s'
        rt = ref[key] if ref else None
        ot = ours[key] if ours else None
        ratio = rt / ot if (rt is not None and ot) else None
        obpo, rbpo = _bpo(ours), _bpo(ref)
        speed = '-' if ratio is None else (
            'PASS' if ratio >= TARGET_SPEEDUP else 'MISS')
        mem = '-' if obpo is None else (
            'PASS' if obpo <= TARGET_BYTES_PER_OBJ else 'MISS')
        rows.append([
            case + (' (1st)' if case == 'c' else ''),
            fmt_int(any_res['sized']) if any_res else '-',
            fmt_int(any_res['size']) if any_res else '-', same,
            fmt_time(rt), fmt_time(ot),
            '-' if ratio is None else '%.1fx' % ratio,
            '-' if obpo is None else '%.1f' % obpo,
            '-' if rbpo is None else '%.1f' % rbpo,
            speed, mem])
    print('')
    print_table(headers, rows)
    print('')
    print('objects = Asizer.sized (distinct objects visited), size = '
          'reference result; same = ours == reference;')
    print('speedup = reference time / our time')
    print('(median of repeats; case c uses the FIRST call). B/obj = peak '
          'RSS growth during sizing / objects.')
    print('targets: speedup >= %gx, ours <= %g B/obj (reported only, not '
          'part of the exit status)' % (TARGET_SPEEDUP, TARGET_BYTES_PER_OBJ))

    # ---- details ----
    print('')
    print('details:')
    for case in cases:
        for impl in ('ref', 'ours'):
            res = results[case].get(impl)
            if not res:
                print('  %s %-4s  FAILED' % (case, impl))
                continue
            print('  %s %-4s  build %s; times %s; first %s, median %s; '
                  'sized %s, seen %s; peak extra %s B (first call %s B); %s'
                  % (case, impl, fmt_time(res['build_s']),
                     '/'.join(fmt_time(r['time_s']) for r in res['runs']),
                     fmt_time(res['first_time_s']),
                     fmt_time(res['median_time_s']),
                     fmt_int(res['sized']), fmt_int(res['seen']),
                     fmt_int(res['peak_extra_bytes']),
                     fmt_int(res['first_peak_extra_bytes']),
                     res['module_file']))
    methods = sorted({r['peak_method'] for c in results.values()
                      for r in c.values() if r})
    if methods:
        print('  peak memory measured with: %s' % '; '.join(methods))

    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'quick': args.quick, 'reference': ref_dir,
                       'ours': ours_path, 'results': results,
                       'failures': failures}, f, indent=1)
        print('  raw results written to %s' % args.json)

    print('')
    if failures:
        print('FAILED (%d problem%s):' % (len(failures),
                                          '' if len(failures) == 1 else 's'))
        for f in failures:
            print('  - ' + f)
        return 1
    print('OK: sizes match the reference for all cases (targets above are '
          'informational)')
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Benchmark pympler.asizeof (ours vs. reference Pympler '
                    '1.1), each in a fresh subprocess per case.')
    ap.add_argument('--quick', action='store_true',
                    help='scale every case down %dx (smoke test)'
                    % QUICK_DIVISOR)
    ap.add_argument('--cases', default=','.join(sorted(CASES)),
                    help='comma-separated subset of %s (default: all)'
                    % ','.join(sorted(CASES)))
    ap.add_argument('--timeout', type=float, default=900,
                    help='per-child timeout in seconds (default 900)')
    ap.add_argument('--json', metavar='FILE',
                    help='also write raw results as JSON to FILE')
    # Hidden: override the PYTHONPATH used for "ours" (self-testing).
    ap.add_argument('--ours-path', metavar='DIR', help=argparse.SUPPRESS)
    # Internal: child mode.
    ap.add_argument('--child', help=argparse.SUPPRESS)
    ap.add_argument('--n', type=int, help=argparse.SUPPRESS)
    ap.add_argument('--impl', help=argparse.SUPPRESS)
    ap.add_argument('--expect-dir', help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.impl, args.expect_dir)
        return 0
    return parent(args)


if __name__ == '__main__':
    sys.exit(main())
