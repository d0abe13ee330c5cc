#!/usr/bin/env python3
"""Benchmark pympler.web: requests per second on /, /garbage and a tracked
class page from 8 client threads, ours (libmicrohttpd, in C) against Pympler
1.1's bottle server (wsgiref, one thread).

Usage (normally via ``make bench``)::

    PYTHONPATH=build/python PYMPLER_REFERENCE=/path/to/pympler-1.1 \\
        python3 bench/bench_web.py [--seconds S]

Each server runs in a fresh subprocess (this script in --serve mode, with
pympler from ours or from the reference): a ClassTracker tracking 50
instances of a class with one snapshot, and 20 garbage cycles.  The clients
are 8 threads of bench/loadgen.c (C, so that the client is never what is
measured; compiled into <build>/bench/loadgen, <build> being the folder of
$PYTHONPATH's python/), each sending requests one after the other for S
seconds (default 3): over one keep-alive connection where the server keeps
it (ours: HTTP/1.1), else a new connection per request (Pympler's wsgiref
answers HTTP/1.0 and closes).  Ours is also measured with a new connection
per request, for the like-for-like number.  Without a pympler.classtracker
in ours (it is written on another branch), its class page is served from a
stand-in Stats of the same shape.

Exit status: 0 when every server answered 200 throughout; 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import child_env, ours_pythonpath, print_header, print_table, reference_dir  # noqa: E402

CLIENTS = 8
CLASS = '__main__.Payload'
PATHS = {'/': '/', '/garbage': '/garbage', 'class page': '/tracker/class/' + CLASS}


class _Asized:
    def __init__(self, name, size, refs=()):
        self.name, self.size, self.refs = name, size, list(refs)


def fake_stats(objs):
    """A Stats-shaped object (classtracker_stats's documented attributes)."""
    import time as _t
    now = _t.time()

    class Tracked:
        def __init__(self, o):
            self.name, self.id, self.repr = 'Payload', id(o), repr(o)
            self.birth, self.death, self.trace = now, None, None
            self.snapshots = [(now, _Asized(repr(o), 400, [_Asized('__dict__', 300)]))]

        def get_max_size(self):
            return 400

    class Snap:
        timestamp, desc, overhead, tracked_total, total = now, '', 1000, 20000, 50 << 20
        classes = {CLASS: {'active': len(objs), 'sum': 20000, 'avg': 400, 'pct': 1.0,
                           'merged': _Asized(CLASS, 20000, [_Asized('__dict__', 15000)])}}
        system_total = None

    class Stats:
        tracked_classes = [CLASS]
        index = {CLASS: [Tracked(o) for o in objs]}
        snapshots = [Snap()]

        def annotate(self):
            pass

    return Stats()


def serve():
    """--serve: start the frontend, print its port, serve until stdin closes."""
    import gc
    import threading

    class Payload:
        def __init__(self, i):
            self.i, self.data = i, list(range(20))

    Payload.__module__ = '__main__'
    objs = [Payload(i) for i in range(50)]
    try:
        from pympler.classtracker import ClassTracker
        tracker = ClassTracker()
        tracker.track_class(Payload)
        objs = [Payload(i) for i in range(50)]
        tracker.create_snapshot()
        stats, kind = tracker.stats, 'ClassTracker'
    except ImportError:
        stats, kind = fake_stats(objs), 'stand-in Stats'
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    from pympler import web
    if hasattr(web, 'ProfilerThread') and 'pympler-1.1' not in web.__file__:
        web.start_in_background(port=port, stats=stats)
    else:  # the reference: bottle on wsgiref, quiet
        import io
        sys.stderr = io.StringIO()
        threading.Thread(target=web.start_profiler, kwargs=dict(host='127.0.0.1', port=port, stats=stats, quiet=True),
                         daemon=True).start()
    import urllib.request
    for _ in range(100):
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=5).read()
            break
        except OSError:
            time.sleep(0.05)
    # the garbage: 20 small cycles and nothing else (the warm-up's is collected)
    gc.collect()
    gc.disable()
    for _ in range(20):
        a = [list(range(10))]
        a.append(a)
    del a
    for path in PATHS.values():  # the caches warm: /garbage's graphs are computed once
        urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=60).read()
    print(json.dumps({'port': port, 'stats': kind}), flush=True)
    sys.stdin.read()
    del objs


def build_loadgen():
    """bench/loadgen.c compiled into <build>/bench/loadgen (once per change)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'loadgen.c')
    first = (ours_pythonpath(None).split(os.pathsep) or [''])[0]
    build = (os.path.dirname(first) if os.path.basename(first) == 'python'  # <build>/python
             else os.path.join(os.path.dirname(os.path.dirname(src)), 'build'))
    exe = os.path.join(build, 'bench', 'loadgen')
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        subprocess.run([os.environ.get('CC', 'cc'), '-std=c11', '-O2', '-pthread', '-o', exe, src], check=True)
    return exe


def measure(loadgen, port, path, seconds, keepalive):
    """Requests per second of CLIENTS client threads on path; (rate, errors)."""
    out = subprocess.run([loadgen, str(port), path, str(seconds), str(CLIENTS), str(int(keepalive))],
                         capture_output=True, text=True, timeout=seconds * 10 + 60, check=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    return res['ok'] / res['seconds'], res['errors'] + res['n'] - res['ok']


def start_server(pypath):
    p = subprocess.Popen([sys.executable, '-P', os.path.abspath(__file__), '--serve'], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=child_env(pypath))
    info = json.loads(p.stdout.readline())
    return p, info


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seconds', type=float, default=3.0)
    ap.add_argument('--serve', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve()
        return 0
    ref_dir, ours = reference_dir(), ours_pythonpath(None)
    if not print_header('web benchmark: requests/s from %d client threads' % CLIENTS, ref_dir, ours,
                        '%g s per measurement' % args.seconds):
        return 1
    rows, ok = [], True
    servers = {}
    loadgen = build_loadgen()
    try:
        servers['ours'] = start_server(ours)
        servers['ref'] = start_server(os.path.abspath(ref_dir))
        print('tracker pages: ours from a %s, Pympler from a ClassTracker' % servers['ours'][1]['stats'])
        for label, path in PATHS.items():
            ref, rbad = measure(loadgen, servers['ref'][1]['port'], path, args.seconds, False)
            mine, obad = measure(loadgen, servers['ours'][1]['port'], path, args.seconds, True)
            mine_new, nbad = measure(loadgen, servers['ours'][1]['port'], path, args.seconds, False)
            ok = ok and not (rbad or obad or nbad)
            print('  %-10s Pympler %8.0f/s  ours %8.0f/s keep-alive, %8.0f/s new connections' % (
                label, ref, mine, mine_new), flush=True)
            if not ref:
                print('FAILED: Pympler answered no request on %s' % path)
                return 1
            rows.append((label, '%.0f' % ref, '%.0f' % mine, '%.0f' % mine_new, '%.1fx' % (mine / ref),
                         '%.1fx' % (mine_new / ref), rbad + obad + nbad))
    finally:
        for p, _ in servers.values():
            p.stdin.close()
            p.wait(timeout=30)
    print_table(['page', 'Pympler 1.1', 'ours keep-alive', 'ours new conn', 'ratio', 'ratio new conn', 'errors'],
                rows)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
