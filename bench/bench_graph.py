#!/usr/bin/env python3
"""Benchmark pympler.refgraph / pympler.garbagegraph: ours against Pympler 1.1.

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python PYMPLER_REFERENCE=/path/to/pympler-1.1 \\
        python3 bench/bench_graph.py [--quick] [--cases g1,g3]

Every (case, implementation) pair runs in its own fresh subprocess (this
same script in ``--child`` mode), so the two implementations are never
imported into one process and no run inherits another's heap.  Rendering is
only ever asked of ours: the reference's ``render`` runs the Graphviz program
as a process, which this benchmark never does.

Exit status: 0 if every child ran and every cross-check held (counts, edges,
total sizes, subgraphs of ours, valid SVG/PNG output); 1 on a mismatch, a
crash or a timeout; 2 on usage errors.  The speed targets are reported
(PASS/MISS) but do not affect the exit status, nor does a different DOT text
(reported as "DOT equal") or a render method that is not available yet.

See bench/README.md for how to read the output.
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (child_env, fmt_int, fmt_time, ours_pythonpath,  # noqa: E402
                    print_header, print_table, reference_dir, run_json, select_cases)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Targets (reported, not asserted).
TARGET_G1_SPEEDUP = 100.0   # ours >= 100x faster, GarbageGraph + split_and_sort
TARGET_G2_TOTAL_S = 2.0     # ours: 100k cycles, GarbageGraph + split_and_sort
TARGET_RENDER_S = 30.0      # ours: every render_bytes('svg') call of g5
# g5 children get at most this long (10x the target); a g5 child that times
# out is reported as a MISS, not as a failure.
G5_TIMEOUT_S = 300

CASES = {
    # key: (full size, description, implementations)
    'g1': (10_000, 'GarbageGraph(reduce=True) + split_and_sort, N 3-cycles',
           ('ref', 'ours')),
    'g2': (100_000, 'GarbageGraph(reduce=True) + split_and_sort, N 3-cycles',
           ('ours',)),
    'g3': (10_000, 'ReferenceGraph of N objects (N/2 instances + dicts), '
           'write_graph', ('ref', 'ours')),
    'g4': (1_000, 'render N-node graph (g3 construction) to SVG bytes and '
           'a PNG file', ('ours',)),
    'g5': ((1_000, 10_000, 100_000), 'render_bytes(svg) of garbage graphs of '
           'N nodes (3-cycles / random cyclic)', ('ours',)),
}
G5_KINDS = ('cycles', 'random')
QUICK_DIVISOR = 10

REPEATS = 3          # ours; the reference runs g1 once (minutes at full size)
REPEAT_BUDGET_S = 5  # no further repeats once one call took longer than this
SEED = 12345

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


# --------------------------------------------------------------------------
# child side
# --------------------------------------------------------------------------

# Module level, so that both implementations show the same repr
# (<__main__.GNode object at 0x...>) in node labels.
class Foo:
    pass


class GNode(object):
    pass


def _make_cycles(ncycles):
    """Create `ncycles` garbage 3-cycles of Foo instances (a.b, b.c, c.a)."""
    for _ in range(ncycles):
        a = Foo()
        b = Foo()
        c = Foo()
        a.b = b
        b.c = c
        c.a = a
    # the last cycle's names go away on return


def _make_random_garbage(n, seed=SEED):
    """Create `n` garbage Foo instances, each referring to 2 random others."""
    rnd = random.Random(seed)
    nodes = [Foo() for _ in range(n)]
    for node in nodes:
        node.x = rnd.choice(nodes)
        node.y = rnd.choice(nodes)
    del nodes[:]  # the instances are now only reachable from each other


def _make_gnodes(n_instances, seed=SEED):
    """The g3/g4 objects: instances, 80% with attrs a, b -> random instances,
    then their __dict__s, materialised here so that both implementations get
    the same object list.  Returns instances + dicts."""
    rnd = random.Random(seed)
    nodes = [GNode() for _ in range(n_instances)]
    for node in nodes:
        if rnd.random() < 0.8:
            node.a = rnd.choice(nodes)
            node.b = rnd.choice(nodes)
    return nodes + [node.__dict__ for node in nodes]


def _timed(fn):
    t = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t


def _check_import(mod, expect_dir):
    mod_file = getattr(mod, '__file__', None) or '?'
    if expect_dir:
        real = os.path.realpath(mod_file)
        dirs = [os.path.realpath(d) for d in expect_dir.split(os.pathsep) if d]
        if not any(real.startswith(d + os.sep) for d in dirs):
            raise SystemExit('child: %s imported from %s, expected it under %s'
                             % (mod.__name__, mod_file, expect_dir))
    return mod_file


def _notes(graph):
    """Attributes of `graph` that look like notes (e.g. render_note)."""
    out = {}
    for name in dir(graph):
        if 'note' in name.lower() and not name.startswith('__'):
            try:
                v = getattr(graph, name)
            except Exception as e:  # a broken property is worth reporting
                v = '<%s: %s>' % (type(e).__name__, e)
            if callable(v):
                continue
            out[name] = v if isinstance(v, (str, int, float, type(None))) \
                else repr(v)
    return out


def _count_summary(subgraphs):
    counts = [sg.count for sg in subgraphs]
    return {
        'subgraphs': len(subgraphs),
        'sub_min': min(counts) if counts else None,
        'sub_max': max(counts) if counts else None,
        'sub_sum': sum(counts),
        'sub_total_size_sum': sum(sg.total_size for sg in subgraphs),
        'sorted_desc': all(counts[i] >= counts[i + 1]
                           for i in range(len(counts) - 1)),
        'indices_ok': [sg.index for sg in subgraphs] ==
                      list(range(len(subgraphs))),
    }


def _garbage_run(gg, ncycles, repeats):
    """g1/g2: build garbage, time GarbageGraph(reduce=True), split_and_sort."""
    import gc
    runs = []
    info = None
    for k in range(repeats):
        gg.start_debug_garbage()
        _make_cycles(ncycles)
        g, t_gg = _timed(lambda: gg.GarbageGraph(reduce=True))
        subs, t_split = _timed(g.split_and_sort)
        runs.append({'gg_s': t_gg, 'split_s': t_split,
                     'total_s': t_gg + t_split})
        if info is None:
            info = {'count': g.count, 'num_in_cycles': g.num_in_cycles,
                    'edges': len(g.edges), 'metadata': len(g.metadata),
                    'total_size': g.total_size}
            info.update(_count_summary(subs))
        del g, subs
        gg.end_debug_garbage()
        del gc.garbage[:]  # the reference leaves the garbage there
        gc.collect()
        if k == 0 and runs[0]['total_s'] > REPEAT_BUDGET_S:
            break
    out = dict(info)
    out['runs'] = runs
    out['repeats'] = len(runs)
    for key in ('gg_s', 'split_s', 'total_s'):
        out[key] = statistics.median(r[key] for r in runs)
    return out


_HEX = re.compile(r'(0x|Xx)([0-9a-f]+)(\.\.\.)?')


def _normalise_dot(text, objects):
    """DOT text with every address of one of `objects` replaced by the
    object's index (also addresses cut short by label truncation, when the
    prefix is unique) and the edge lines sorted."""
    index = {'%x' % id(o): i for i, o in enumerate(objects)}
    prefix_maps = {}

    def by_prefix(h):
        m = prefix_maps.get(len(h))
        if m is None:
            m = {}
            for full, i in index.items():
                p = full[:len(h)]
                m[p] = -1 if p in m else i
            prefix_maps[len(h)] = m
        return m.get(h, -1)

    def sub(m):
        lead, h, cut = m.group(1), m.group(2), m.group(3)
        if not cut:
            i = index.get(h)
            return '%s#%s' % (lead, i) if i is not None else lead + '#?'
        i = by_prefix(h)
        return '%s#%s~...' % (lead, i) if i >= 0 else lead + '#?...'

    nodes, edges, other = [], [], []
    for line in text.splitlines():
        line = _HEX.sub(sub, line)
        if line.startswith('    X') and ' -> ' in line:
            edges.append(line)
        elif line.startswith('    "X'):
            nodes.append(line)
        else:
            other.append(line)
    # header lines, nodes in object order, sorted edges, closing brace
    head = [ln for ln in other if ln != '}']
    tail = [ln for ln in other if ln == '}']
    return '\n'.join(head + nodes + sorted(edges) + tail) + '\n'


def _render_call(fn):
    """(result, seconds, None) or (None, None, why) if not available."""
    try:
        r, t = _timed(fn)
    except (AttributeError, NotImplementedError) as e:
        return None, None, '%s: %s' % (type(e).__name__, e)
    return r, t, None


def child(case, n, impl, expect_dir, workdir, kind):
    import gc
    gc.enable()
    out = {'case': case, 'n': n, 'impl': impl, 'kind': kind,
           'python': sys.version.split()[0]}

    if case in ('g1', 'g2'):
        from pympler import garbagegraph as gg
        out['module_file'] = _check_import(gg, expect_dir)
        repeats = 1 if impl == 'ref' else REPEATS
        out.update(_garbage_run(gg, n, repeats))

    elif case == 'g3':
        objects = _make_gnodes(n // 2)
        gc.collect()
        from pympler import refgraph
        out['module_file'] = _check_import(refgraph, expect_dir)
        runs = []
        dot_path = os.path.join(workdir, 'g3-%s.dot' % impl)
        for k in range(REPEATS):
            g, t_build = _timed(lambda: refgraph.ReferenceGraph(objects))
            _, t_write = _timed(lambda: g.write_graph(dot_path))
            runs.append({'build_s': t_build, 'write_s': t_write})
            if k == 0:
                out.update({'count': g.count, 'edges': len(g.edges),
                            'metadata': len(g.metadata),
                            'total_size': g.total_size})
            else:
                out['consistent'] = out.get('consistent', True) and (
                    g.count, len(g.edges), g.total_size) == (
                    out['count'], out['edges'], out['total_size'])
            del g
            gc.collect()
        with open(dot_path) as f:
            text = f.read()
        out['dot_bytes'] = len(text.encode())
        norm = _normalise_dot(text, objects)
        with open(dot_path + '.norm', 'w') as f:
            f.write(norm)
        out['dot_norm'] = dot_path + '.norm'
        out['runs'] = runs
        out['repeats'] = len(runs)
        out['build_s'] = statistics.median(r['build_s'] for r in runs)
        out['write_s'] = statistics.median(r['write_s'] for r in runs)
        out['first_build_s'] = runs[0]['build_s']

    elif case == 'g4':
        objects = _make_gnodes(n // 2)
        gc.collect()
        from pympler import refgraph
        out['module_file'] = _check_import(refgraph, expect_dir)
        g = refgraph.ReferenceGraph(objects)
        out.update({'count': g.count, 'edges': len(g.edges)})
        svg, t, why = _render_call(lambda: g.render_bytes('svg'))
        if why:
            out['svg'] = {'available': False, 'why': why}
        else:
            data = svg if isinstance(svg, bytes) else None
            out['svg'] = {'available': True, 'time_s': t,
                          'type': type(svg).__name__,
                          'bytes': len(data) if data is not None else None,
                          'valid': data is not None and (
                              data.lstrip().startswith(b'<?xml') or
                              b'<svg' in data)}
        png_path = os.path.join(workdir, 'g4.png')
        ok, t, why = _render_call(lambda: g.render(png_path, format='png'))
        if why:
            out['png'] = {'available': False, 'why': why}
        else:
            data = b''
            if os.path.exists(png_path):
                with open(png_path, 'rb') as f:
                    data = f.read()
            out['png'] = {'available': True, 'time_s': t, 'returned': repr(ok),
                          'bytes': len(data),
                          'valid': data.startswith(PNG_SIGNATURE)}
        out['notes'] = _notes(g)

    elif case == 'g5':
        from pympler import garbagegraph as gg
        out['module_file'] = _check_import(gg, expect_dir)
        gg.start_debug_garbage()
        if kind == 'cycles':
            _make_cycles(max(1, n // 3))
        else:
            _make_random_garbage(n)
        g, t_gg = _timed(gg.GarbageGraph)
        out.update({'count': g.count, 'edges': len(g.edges), 'gg_s': t_gg})
        svg, t, why = _render_call(lambda: g.render_bytes('svg'))
        if why:
            out['svg'] = {'available': False, 'why': why}
        else:
            data = svg if isinstance(svg, bytes) else None
            out['svg'] = {'available': True, 'time_s': t,
                          'type': type(svg).__name__,
                          'bytes': len(data) if data is not None else None,
                          'valid': data is not None and (
                              data.lstrip().startswith(b'<?xml') or
                              b'<svg' in data)}
        out['notes'] = _notes(g)
        del g
        gg.end_debug_garbage()
    else:
        raise SystemExit('unknown case %r' % (case,))

    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()


# --------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------


def run_child(case, n, impl, pypath, timeout, workdir, kind=None):
    env = child_env(pypath)
    cmd = [sys.executable]
    if sys.version_info >= (3, 11):
        cmd.append('-P')  # no script/current directory on sys.path
    cmd += [os.path.abspath(__file__), '--child', case, '--n', str(n),
            '--impl', impl, '--expect-dir', pypath, '--workdir', workdir]
    if kind:
        cmd += ['--kind', kind]
    return run_json(cmd, env, timeout, workdir)


def _ratio(a, b):
    return a / b if (a is not None and b) else None


def _fmt_ratio(r):
    return '-' if r is None else '%.1fx' % r


def _first_diff(a_path, b_path):
    with open(a_path) as f:
        a = f.read().splitlines()
    with open(b_path) as f:
        b = f.read().splitlines()
    if a == b:
        return None
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return 'line %d (%d vs %d lines):\n      ref:  %s\n      ours: %s' \
                % (i + 1, len(a), len(b), x[:160], y[:160])
    return 'one is a prefix of the other (%d vs %d lines)' % (len(a), len(b))


class Report(object):
    def __init__(self):
        self.failures = []
        self.notes = []

    def fail(self, msg):
        print('!!! ' + msg.replace('\n', '\n!!!   '))
        self.failures.append(msg.splitlines()[0])

    def note(self, msg):
        print('note: ' + msg)
        self.notes.append(msg)


def _render_cell(r):
    """(time, bytes, valid) cells of one render result."""
    if r is None:
        return '-', '-', '-'
    if not r.get('available'):
        return 'not available', '-', '-'
    return (fmt_time(r['time_s']), fmt_int(r.get('bytes')),
            'yes' if r.get('valid') else 'NO!')


def _check_render(rep, label, r):
    if r is None:
        return
    if not r.get('available'):
        rep.note('%s: not available (%s)' % (label, r.get('why')))
    elif not r.get('valid'):
        rep.fail('%s: output is not valid (%s, %s bytes)' % (
            label, r.get('type', r.get('returned')), r.get('bytes')))


def parent(args):
    cases = select_cases(args.cases, CASES)
    if cases is None:
        return 2
    ref_dir = os.path.abspath(reference_dir())
    ours_path = ours_pythonpath(args.ours_path)
    mode = '%s, cases %s' % ('QUICK (sizes / %d)' % QUICK_DIVISOR if args.quick else 'full', ','.join(cases))
    if not print_header('pympler.refgraph / pympler.garbagegraph benchmark', ref_dir, ours_path, mode):
        return 1

    workdir = tempfile.mkdtemp(prefix='bench_graph.')
    try:
        return _run_all(args, cases, ref_dir, ours_path, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _scaled(n, quick):
    return max(1, n // QUICK_DIVISOR) if quick else n


def _run_all(args, cases, ref_dir, ours_path, workdir):
    rep = Report()
    results = {}
    paths = {'ref': ref_dir, 'ours': ours_path}

    # ---- run the children ----
    for case in cases:
        full, desc, impls = CASES[case]
        results[case] = {}
        if case == 'g5':
            jobs = [('ours', kind, _scaled(size, args.quick))
                    for kind in G5_KINDS for size in full]
        else:
            jobs = [(impl, None, _scaled(full, args.quick)) for impl in impls]
        for impl, kind, n in jobs:
            key = impl if kind is None else '%s/%s/%d' % (impl, kind, n)
            print('  running case %s (%s, n=%s%s) with %s ...' % (
                case, desc, fmt_int(n), ', ' + kind if kind else '', impl),
                end='')
            sys.stdout.flush()
            timeout = args.timeout
            if case == 'g5':
                timeout = min(timeout, G5_TIMEOUT_S)
            res, err = run_child(case, n, impl, paths[impl], timeout,
                                 workdir, kind)
            if err and case == 'g5' and err.startswith('timed out'):
                print(' TIMED OUT')
                rep.note('case %s, %s: %s (a MISS, not a failure)'
                         % (case, key, err))
                res = {'timed_out': err, 'wall_s': timeout}
            elif err:
                print(' FAILED')
                rep.fail('case %s, %s: child failed: %s' % (case, key, err))
            else:
                print(' done (wall %.1f s)' % res['wall_s'])
            sys.stdout.flush()
            results[case][key] = res
    print('')

    # ---- checks and tables ----
    for case in cases:
        REPORTS[case](rep, results[case], args)
        print('')

    # ---- details ----
    print('details:')
    for case in cases:
        for key, res in results[case].items():
            if not res or res.get('timed_out'):
                print('  %s %-4s  %s' % (case, key, 'FAILED' if not res
                                         else res['timed_out']))
                continue
            times = []
            for r in res.get('runs', []):
                times.append('/'.join('%s %s' % (k[:-2], fmt_time(v))
                                      for k, v in r.items()))
            if not times:  # g4/g5: one call each
                parts = []
                if 'gg_s' in res:
                    parts.append('GarbageGraph %s' % fmt_time(res['gg_s']))
                for what in ('svg', 'png'):
                    r = res.get(what)
                    if r:
                        parts.append('%s %s' % (what, fmt_time(
                            r['time_s']) if r.get('available')
                            else 'not available'))
                times = [', '.join(parts)] if parts else []
            print('  %s %-4s  %s%s' % (
                case, key, '; '.join(times) or '-',
                ('; ' + res['module_file']) if res.get('module_file') else ''))
            if res.get('stderr'):
                print('      stderr: ' + res['stderr'].replace(
                    '\n', '\n      stderr: '))

    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'quick': args.quick, 'reference': ref_dir,
                       'ours': ours_path, 'results': results,
                       'failures': rep.failures, 'notes': rep.notes},
                      f, indent=1)
        print('  raw results written to %s' % args.json)

    print('')
    if rep.failures:
        print('FAILED (%d problem%s):' % (len(rep.failures),
                                          '' if len(rep.failures) == 1
                                          else 's'))
        for f in rep.failures:
            print('  - ' + f)
        return 1
    unavailable = [n for n in rep.notes if 'not available' in n]
    print('OK: every cross-check held (targets above are informational)%s'
          % ('; %d render call%s not available' % (
              len(unavailable), '' if len(unavailable) == 1 else 's')
             if unavailable else ''))
    return 0


# ---- per-case reports -----------------------------------------------------

def _report_g1(rep, res, args):
    ref, ours = res.get('ref'), res.get('ours')
    ncycles = _scaled(CASES['g1'][0], args.quick)
    print('case g1: %s cycles of 3 Foo instances, GarbageGraph(reduce=True) '
          '+ split_and_sort()' % fmt_int(ncycles))
    _check_garbage(rep, 'g1', ours, ncycles, 'ours')
    _check_garbage(rep, 'g1', ref, ncycles, 'ref')
    if ref and ours:
        for k in ('count', 'num_in_cycles', 'total_size'):
            if ref[k] != ours[k]:
                rep.fail('MISMATCH g1 %s: reference %s, ours %s'
                         % (k, fmt_int(ref[k]), fmt_int(ours[k])))
        if ref['subgraphs'] != ours['subgraphs']:
            rep.note('g1: the reference split gives %s subgraphs, ours %s '
                     '(the reference split is a greedy pass; not a failure)'
                     % (fmt_int(ref['subgraphs']),
                        fmt_int(ours['subgraphs'])))
    ratio = _ratio(ref and ref['total_s'], ours and ours['total_s'])
    rows = []
    for name, r in (('ref', ref), ('ours', ours)):
        rows.append([name] + (['FAILED'] + ['-'] * 7 if not r else [
            fmt_int(r['count']), fmt_int(r['num_in_cycles']),
            fmt_int(r['subgraphs']), fmt_int(r['total_size']),
            fmt_time(r['gg_s']), fmt_time(r['split_s']),
            fmt_time(r['total_s'])]))
    print('')
    print_table(['impl', 'objects', 'in cycles', 'subgraphs', 'total_size',
                  'GarbageGraph', 'split_and_sort', 'both'], rows)
    print('')
    print('speedup (reference / ours, GarbageGraph + split_and_sort): %s; '
          'target >= %gx: %s' % (
              _fmt_ratio(ratio), TARGET_G1_SPEEDUP,
              '-' if ratio is None else
              'PASS' if ratio >= TARGET_G1_SPEEDUP else 'MISS'))
    print('(ours: median of %s runs, each on fresh garbage; reference: one '
          'run)' % (ours['repeats'] if ours else '-'))


def _check_garbage(rep, case, r, ncycles, impl):
    if not r:
        return
    expect = 3 * ncycles
    for k in ('count', 'num_in_cycles', 'sub_sum'):
        if r[k] != expect:
            rep.fail('MISMATCH %s %s: %s is %s, expected %s' % (
                case, impl, k, fmt_int(r[k]), fmt_int(expect)))
    if r['sub_total_size_sum'] != r['total_size']:
        rep.fail('MISMATCH %s %s: subgraph total_sizes add up to %s, '
                 'total_size is %s' % (case, impl,
                                       fmt_int(r['sub_total_size_sum']),
                                       fmt_int(r['total_size'])))
    if not r['sorted_desc'] or not r['indices_ok']:
        rep.fail('%s %s: split_and_sort result not sorted by size or '
                 'indices not 0..n-1' % (case, impl))
    if impl == 'ours' and (r['subgraphs'] != ncycles or r['sub_min'] != 3
                           or r['sub_max'] != 3):
        rep.fail('MISMATCH %s ours: %s subgraphs of %s..%s objects, expected '
                 '%s of 3' % (case, fmt_int(r['subgraphs']), r['sub_min'],
                              r['sub_max'], fmt_int(ncycles)))


def _report_g2(rep, res, args):
    ours = res.get('ours')
    ncycles = _scaled(CASES['g2'][0], args.quick)
    print('case g2: %s cycles of 3 Foo instances, ours only' %
          fmt_int(ncycles))
    _check_garbage(rep, 'g2', ours, ncycles, 'ours')
    if not ours:
        print_table(['impl', 'result'], [['ours', 'FAILED']])
        return
    print('')
    ok = ours['total_s'] < TARGET_G2_TOTAL_S
    print_table(['impl', 'objects', 'in cycles', 'subgraphs', 'total_size',
                  'GarbageGraph', 'split_and_sort', 'both',
                  'target < %g s' % TARGET_G2_TOTAL_S],
                 [['ours', fmt_int(ours['count']),
                   fmt_int(ours['num_in_cycles']),
                   fmt_int(ours['subgraphs']), fmt_int(ours['total_size']),
                   fmt_time(ours['gg_s']), fmt_time(ours['split_s']),
                   fmt_time(ours['total_s']), 'PASS' if ok else 'MISS']])
    print('(median of %d runs, each on fresh garbage)' % ours['repeats'])


def _report_g3(rep, res, args):
    ref, ours = res.get('ref'), res.get('ours')
    n = _scaled(CASES['g3'][0], args.quick)
    print('case g3: ReferenceGraph of %s objects (%s GNode instances + their '
          '__dict__s), write_graph' % (fmt_int(n), fmt_int(n // 2)))
    same = '-'
    dot_equal = '-'
    for name, r in (('ref', ref), ('ours', ours)):
        if r and not r.get('consistent', True):
            rep.fail('g3 %s: count/edges/total_size differ between repeated '
                     'builds' % name)
    if ref and ours:
        bad = [k for k in ('count', 'edges', 'total_size')
               if ref[k] != ours[k]]
        for k in bad:
            rep.fail('MISMATCH g3 %s: reference %s, ours %s' % (
                k, fmt_int(ref[k]), fmt_int(ours[k])))
        same = 'NO!' if bad else 'yes'
        diff = _first_diff(ref['dot_norm'], ours['dot_norm'])
        dot_equal = 'yes' if diff is None else 'no'
        if diff:
            rep.note('g3: normalised DOT files differ at ' + diff)
    rows = []
    for name, r in (('ref', ref), ('ours', ours)):
        rows.append([name] + (['FAILED'] + ['-'] * 5 if not r else [
            fmt_int(r['count']), fmt_int(r['edges']),
            fmt_int(r['total_size']), fmt_int(r['dot_bytes']),
            fmt_time(r['build_s']), fmt_time(r['write_s'])]))
    print('')
    print_table(['impl', 'objects', 'edges', 'total_size', 'DOT bytes',
                  'build', 'write_graph'], rows)
    print('')
    print('same count/edges/total_size: %s; DOT equal (normalised ids, '
          'sorted edges): %s' % (same, dot_equal))
    print('speedup (reference / ours): build %s, write_graph %s; no target '
          '(medians of %d runs)' % (
              _fmt_ratio(_ratio(ref and ref['build_s'],
                                ours and ours['build_s'])),
              _fmt_ratio(_ratio(ref and ref['write_s'],
                                ours and ours['write_s'])), REPEATS))


def _report_g4(rep, res, args):
    ours = res.get('ours')
    n = _scaled(CASES['g4'][0], args.quick)
    print('case g4: render a %s-node graph (g3 construction), ours only'
          % fmt_int(n))
    if not ours:
        print_table(['impl', 'result'], [['ours', 'FAILED']])
        return
    _check_render(rep, 'g4 render_bytes(svg)', ours.get('svg'))
    _check_render(rep, 'g4 render(png)', ours.get('png'))
    rows = []
    for what, key in (("render_bytes('svg')", 'svg'),
                      ("render(path, format='png')", 'png')):
        t, b, v = _render_cell(ours.get(key))
        rows.append([what, fmt_int(ours['count']), fmt_int(ours['edges']),
                     t, b, v])
    print('')
    print_table(['call', 'nodes', 'edges', 'time', 'bytes', 'valid'], rows)
    for k, v in sorted((ours.get('notes') or {}).items()):
        print('%s: %s' % (k, v))


def _report_g5(rep, res, args):
    print('case g5: render_bytes(svg) of GarbageGraph() (no reduce), ours '
          'only; target: every call < %g s' % TARGET_RENDER_S)
    print('("cycles N": N/3 3-cycles of instances.  "random N": N instances '
          'each referring to 2 random others;')
    print(' their __dict__s are garbage too, and instances nobody refers to '
          'are freed by refcounting instead)')
    rows = []
    notes = []
    for kind in G5_KINDS:
        for size in CASES['g5'][0]:
            n = _scaled(size, args.quick)
            key = 'ours/%s/%d' % (kind, n)
            r = res.get(key)
            label = '%s %s' % (kind, fmt_int(n))
            if not r:
                rows.append([label, 'FAILED'] + ['-'] * 6)
                continue
            if r.get('timed_out'):
                rows.append([label, '-', '-', '-', '> %ds' % r['wall_s'],
                             '-', '-', 'MISS'])
                continue
            svg = r.get('svg')
            _check_render(rep, 'g5 %s' % label, svg)
            t, b, v = _render_cell(svg)
            target = '-'
            if svg and svg.get('available'):
                target = 'PASS' if svg['time_s'] < TARGET_RENDER_S else 'MISS'
            rows.append([label, fmt_int(r['count']), fmt_int(r['edges']),
                         fmt_time(r['gg_s']), t, b, v, target])
            for k, val in sorted((r.get('notes') or {}).items()):
                notes.append('%s: %s = %s' % (label, k, val))
    print('')
    print_table(['graph', 'nodes', 'edges', 'GarbageGraph', 'render svg',
                  'bytes', 'valid', 'target'], rows)
    for ln in notes:
        print(ln)


REPORTS = {'g1': _report_g1, 'g2': _report_g2, 'g3': _report_g3,
           'g4': _report_g4, 'g5': _report_g5}


def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Benchmark pympler.refgraph / garbagegraph (ours vs. '
                    'reference Pympler 1.1), each in a fresh subprocess per '
                    'case.')
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
    ap.add_argument('--workdir', help=argparse.SUPPRESS)
    ap.add_argument('--kind', help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.impl, args.expect_dir, args.workdir,
              args.kind)
        return 0
    return parent(args)


if __name__ == '__main__':
    sys.exit(main())
