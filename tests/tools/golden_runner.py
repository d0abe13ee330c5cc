#!/usr/bin/env python3
"""Replay a golden corpus (tests/golden/*_golden.json) and write the outcomes.

Usage::

    PYTHONHASHSEED=0 python3 golden_runner.py GOLDEN.json OUT.json [options]

It imports ``pympler`` from whatever is on ``sys.path`` (our build, or the
reference Pympler 1.1) and replays the cases exactly as
``tests/golden/GOLDEN_README.md`` describes: all selected cases in order, in
this one process; per case ``gc.collect()``, a fresh namespace with the
helpers, ``exec(expr)``, ``exec(py)``, then the JSON conversion of
``ns["result"]`` (or ``{"raises": ..., "message": ...}``).

Output
    ``OUT.json`` is a JSON object ``{"meta": {...}, "outcomes": [...]}`` with one
    record ``{"index": i, "id": case_id, "outcome": <json>}`` per case run, in
    order.  While running, every record is also appended (and flushed) to
    ``OUT.json.partial`` (one JSON record per line, first line = meta), so that
    a case that kills the process does not lose the outcomes before it: the
    parent reads the partial file when ``OUT.json`` is missing.

Options (all optional; the plain form is what the golden tests use)
    ``--only I,J,...``   run only these case indices (still in ascending order);
    ``--start K``        run only cases with index >= K (resume after a crash);
    ``--keepalive``      apply the keep-alive patch of ``stable_reference.py`` to
                         a pure-Python ``pympler.asizeof`` (reference only);
    ``--deep``           run the cases in a thread with a big stack and a
                         recursion limit of 100000 (reference only);
    ``--expr-filename F`` compile each case's expr as file F (default
                         ``<string>``; summary_golden.json was made with
                         ``<golden-expr>``, which frame reprs show).

This file is deliberately not named ``test_*`` so pytest does not collect it.
"""

import gc
import importlib
import io
import json
import math
import os
import re
import sys

# --------------------------------------------------------------------------
# helpers of the golden namespace (GOLDEN_README.md)

_HEX = re.compile(r'0x[0-9a-fA-F]+')


def norm(s):
    """Every ``0x`` followed by hex digits replaced by ``0x?``."""
    return _HEX.sub('0x?', s)


def capture(fn, *args, **kw):
    """What ``fn(*args, **kw)`` writes to ``sys.stdout``, as a string."""
    saved = sys.stdout
    buf = io.StringIO()
    sys.stdout = buf
    try:
        fn(*args, **kw)
    finally:
        sys.stdout = saved
    return buf.getvalue()


_DOT_ID = re.compile(r'Xx[0-9a-fA-F]+')


def dot_norm(text, objs):
    """Refgraph DOT text with node ids ``X`` + ``hex(id(o))[1:]`` replaced by
    ``X<index of o in objs>`` (``X?`` for unknown ids), and the edge lines
    (those containing ``->``) sorted and placed just before the closing ``}``."""
    index = {}
    for i, o in enumerate(objs):
        index.setdefault('X' + hex(id(o))[1:], i)

    def sub(m):
        i = index.get(m.group(0))
        return 'X?' if i is None else 'X%d' % i

    lines = _DOT_ID.sub(sub, text).split('\n')
    edges = sorted(ln for ln in lines if '->' in ln)
    rest = [ln for ln in lines if '->' not in ln]
    close = None
    for k in range(len(rest) - 1, -1, -1):
        if rest[k].strip() == '}':
            close = k
            break
    if close is None:
        rest.extend(edges)
    else:
        rest[close:close] = edges
    return '\n'.join(rest)


# --------------------------------------------------------------------------
# JSON conversion of a result

MAX_DEPTH = 50


def to_json(x, depth=0):
    """Convert a result as GOLDEN_README.md says."""
    if depth > MAX_DEPTH:
        return {"__repr__": "<too deep>"}
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is float and math.isfinite(x):
        return x
    if t is list or t is tuple:
        return [to_json(v, depth + 1) for v in x]
    if t is dict:
        out = {}
        for k, v in x.items():
            key = k if type(k) is str else repr(k)
            out[key] = to_json(v, depth + 1)
        return out
    return {"__repr__": norm(repr(x))}


# --------------------------------------------------------------------------
# namespace

PYMPLER_MODULES = ('asizeof', 'summary', 'muppy', 'tracker', 'refbrowser',
                   'refgraph', 'garbagegraph', 'classtracker', 'process')


def load_helpers(meta):
    """Import the pympler modules that exist. Missing ones are left out;
    modules that exist but fail to import are reported in ``meta``."""
    helpers = {}
    missing, broken = [], {}

    def _imp(name):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (exc.name == name or
                                         name.startswith(exc.name + '.')):
                missing.append(name)
                return None
            broken[name] = '%s: %s' % (type(exc).__name__, exc)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            broken[name] = '%s: %s' % (type(exc).__name__, exc)
        return None

    pkg = _imp('pympler')
    meta['pympler_file'] = getattr(pkg, '__file__', None)
    for name in PYMPLER_MODULES:
        m = _imp('pympler.' + name)
        if m is not None:
            helpers[name] = m
    ct = helpers.get('classtracker')
    if ct is not None and hasattr(ct, 'ClassTracker'):
        helpers['ClassTracker'] = ct.ClassTracker
    su = _imp('pympler.util.stringutils')
    if su is not None:
        helpers['stringutils'] = su
    if 'asizeof' in helpers:
        meta['asizeof_file'] = getattr(helpers['asizeof'], '__file__', None)
    meta['missing_modules'] = missing
    meta['broken_modules'] = broken
    for name, msg in broken.items():
        sys.stderr.write('golden_runner: cannot import %s: %s\n' % (name, msg))
    helpers.update(sys=sys, gc=gc, io=io, re=re, norm=norm, capture=capture,
                   dot_norm=dot_norm)
    return helpers


EXPR_FILENAME = '<string>'


def run_case(case, helpers):
    """Run one case; return its JSON outcome."""
    gc.collect()
    ns = {'__name__': '__golden__'}
    ns.update(helpers)
    try:
        exec(compile(case['expr'], EXPR_FILENAME, 'exec'), ns)
        exec(case['py'], ns)
        return to_json(ns['result'])
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - every outcome is recorded
        return {"raises": type(exc).__name__, "message": norm(str(exc))}


def run(cases, indices, out_path, meta, helpers):
    partial = out_path + '.partial'
    outcomes = []
    with open(partial, 'w', encoding='utf-8') as fp:
        fp.write(json.dumps(meta) + '\n')
        fp.flush()
        for i in indices:
            case = cases[i]
            rec = {"index": i, "id": case.get('id')}
            # mark the start, so a crash is attributed to the right case
            fp.write(json.dumps({"start": i}) + '\n')
            fp.flush()
            rec["outcome"] = run_case(case, helpers)
            try:
                line = json.dumps(rec)
            except (TypeError, ValueError) as exc:
                rec["outcome"] = {"raises": "JSONError", "message": str(exc)}
                line = json.dumps(rec)
            fp.write(line + '\n')
            fp.flush()
            outcomes.append(rec)
    tmp = out_path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as fp:
        json.dump({"meta": meta, "outcomes": outcomes}, fp, indent=1)
    os.replace(tmp, out_path)
    os.remove(partial)


def read_partial(out_path):
    """Read ``OUT.json.partial`` (after a crash): returns
    ``(meta, outcomes, started_but_unfinished_index_or_None)``."""
    meta, outcomes, started = {}, [], None
    try:
        with open(out_path + '.partial', encoding='utf-8') as fp:
            lines = fp.read().split('\n')
    except OSError:
        return meta, outcomes, started
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            break  # torn last line
        if n == 0:
            meta = rec
        elif 'start' in rec:
            started = rec['start']
        else:
            outcomes.append(rec)
            started = None
    return meta, outcomes, started


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('golden')
    ap.add_argument('out')
    ap.add_argument('--only', default=None)
    ap.add_argument('--start', type=int, default=0)
    ap.add_argument('--keepalive', action='store_true')
    ap.add_argument('--deep', action='store_true')
    ap.add_argument('--expr-filename', default='<string>',
                    help="file name the case's expr is compiled with (the summary goldens "
                         "were made with '<golden-expr>')")
    args = ap.parse_args(argv)
    global EXPR_FILENAME
    EXPR_FILENAME = args.expr_filename

    with open(args.golden, encoding='utf-8') as fp:
        cases = json.load(fp)['cases']
    if args.only:
        indices = sorted({int(x) for x in args.only.split(',') if x.strip()})
    else:
        indices = list(range(len(cases)))
    indices = [i for i in indices if i >= args.start]

    meta = {"python": sys.version, "PYTHONHASHSEED": os.environ.get('PYTHONHASHSEED'),
            "keepalive": args.keepalive, "deep": args.deep}
    if os.environ.get('PYTHONHASHSEED') != '0':
        sys.stderr.write('golden_runner: warning: PYTHONHASHSEED is %r, not 0\n'
                         % os.environ.get('PYTHONHASHSEED'))
    helpers = load_helpers(meta)
    if args.keepalive:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import stable_reference
        stable_reference.apply_keepalive(helpers['asizeof'])

    if args.deep:
        import threading
        sys.setrecursionlimit(100000)
        threading.stack_size(1 << 30)
        err = []

        def body():
            try:
                run(cases, indices, args.out, meta, helpers)
            except BaseException as exc:  # noqa: BLE001
                err.append(exc)
        th = threading.Thread(target=body)
        th.start()
        th.join()
        if err:
            raise err[0]
    else:
        run(cases, indices, args.out, meta, helpers)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
