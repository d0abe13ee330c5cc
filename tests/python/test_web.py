"""pympler.web: the web frontend served in C by libmicrohttpd.

A server on a free port (start_in_background(port=0)), every route fetched
with urllib (statuses, content types, content), hostile reprs shown as text,
404s and 400s, a burst of requests from 8 threads while the main thread makes
garbage, a stop and a restart, requests while the interpreter exits (in a
subprocess), and the pages in headless Chromium (screenshots in
<build>/screenshots/web-*.png)."""
import gc
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.client import HTTPConnection

import pytest

from pympler import web
from pympler.garbagegraph import end_debug_garbage, start_debug_garbage

# ---------------------------------------------------------------- stand-ins for classtracker's Stats

class FakeAsized:
    def __init__(self, name, size, refs=()):
        self.name, self.size, self.refs = name, size, list(refs)


class FakeTracked:
    """A TrackedObject as classtracker_stats documents it."""
    def __init__(self, name, oid, repr_text, t0):
        self.name, self.id, self.repr = name, oid, repr_text
        self.birth, self.death = t0, None
        self.trace = [('/src/app.py', 12, 'make', ['    obj = Thing()\n'])]
        self.snapshots = [(t0 + 1, FakeAsized(repr_text, 4096, [FakeAsized('__dict__', 3000, [
            FakeAsized('[V] x: 1', 32)])]))]

    def get_max_size(self):
        return max(s.size for _, s in self.snapshots)


class FakeProc:
    available = True
    vsz, rss, pagefaults = 100 << 20, 30 << 20, 7
    os_specific = [('Peak memory', '12 MB')]


class FakeSnapshot:
    def __init__(self, t, desc, classes):
        self.timestamp, self.desc, self.classes = t, desc, classes
        self.overhead, self.tracked_total, self.total = 1000, 8192, 50 << 20
        self.system_total = FakeProc()


class FakeStats:
    """The attributes the tracker pages read (API.md A.5/A.6)."""
    def __init__(self):
        t0 = 1000.0
        cls = 'app.<b>Thing</b>'
        self.tracked_classes = [cls, 'app.Other']
        self.index = {cls: [FakeTracked('Thing', 0x1234, '<script>alert(1)</script>', t0),
                            FakeTracked('Thing', 0x5678, 'thing 2', t0)],
                      'app.Other': []}
        merged = FakeAsized(cls, 8192, [FakeAsized('__dict__', 6000)])
        self.snapshots = [
            FakeSnapshot(t0 + i, 'snap %d' % i,
                         {cls: {'active': 2, 'sum': 8192 + i, 'avg': 4096, 'pct': 12.5, 'merged': merged}})
            for i in range(3)]
        self.annotated = 0

    def annotate(self):
        self.annotated += 1


class Hostile:
    """A repr that is markup, and one that raises."""
    def __repr__(self):
        return '<script>alert("x")</script>&amp;'


class Raising:
    def __repr__(self):
        raise ValueError('no repr for you')

    def __str__(self):
        raise ValueError('no str either')


# ---------------------------------------------------------------- helpers

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def fetch(base, path, method='GET'):
    """(status, headers, body bytes); redirects are not followed."""
    host, port = base.split('//')[1].split(':')
    conn = HTTPConnection(host, int(port.rstrip('/')), timeout=20)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def frame_locals_ref(page, function):
    """The /objects id of the locals of `function`'s frame on a traceback page."""
    for frame in page.split('<div class="stackframe">')[1:]:
        if '<span class="function">%s</span>' % function in frame:
            return re.search(r'href="/objects/(\d+)"', frame).group(1)
    raise AssertionError('no frame of %s in %s' % (function, page))


@pytest.fixture(scope='module')
def stats():
    return FakeStats()


@pytest.fixture(scope='module')
def srv(stats):
    t = web.start_in_background(port=0, stats=stats, quiet=True, debug=True)
    assert t.port and t.is_alive()
    yield 'http://127.0.0.1:%d' % t.port
    t.stop(timeout=10)
    assert not t.is_alive()


# ---------------------------------------------------------------- the API

def test_start_in_background_returns_a_named_daemon_thread(srv):
    t = [t for t in threading.enumerate() if isinstance(t, web.ProfilerThread)]
    assert t and all(x.daemon and x.name == 'Pympler web frontend' for x in t)
    assert issubclass(web.ProfilerThread, threading.Thread)
    assert isinstance(web.server, web.ServerState)
    assert web.server.server.startswith('http://')


def test_get_ref_and_get_obj_round_trip():
    class W:
        pass
    w, d = W(), {'k': 1}
    rw, rd = web.get_ref(w), web.get_ref(d)
    assert rw == str(id(w)) and rd == str(id(d))
    assert web.get_obj(rw) is w and web.get_obj(rd) is d
    assert web.server.id2ref[id(w)] is w and web.server.id2obj[id(d)] is d
    with pytest.raises(KeyError):
        web.get_obj(str(id(object())))
    with pytest.raises(ValueError):
        web.get_obj('not a number')


def test_arguments_are_checked():
    with pytest.raises(TypeError, match='port must be an int'):
        web.start_profiler(port='80')
    with pytest.raises(ValueError, match='port must be 0 to 65535'):
        web.start_profiler(port=70000)
    with pytest.raises(TypeError, match='host must be a str'):
        web.start_profiler(host=1)
    with pytest.raises(TypeError, match='keyword arguments only'):
        web.start_in_background(1)


def test_a_port_in_use_is_an_oserror():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        with pytest.raises(OSError, match='cannot listen'):
            web.start_profiler(port=s.getsockname()[1])


def test_a_public_host_is_warned_about(capsys):
    t = web.start_in_background(host='0.0.0.0', port=0)
    try:
        assert t.port
    finally:
        t.stop(timeout=10)
    assert 'not a loopback address' in capsys.readouterr().err


# ---------------------------------------------------------------- the routes

def test_index(srv):
    s, h, body = fetch(srv, '/')
    page = body.decode()
    assert s == 200 and h['Content-Type'] == 'text/html; charset=utf-8'
    assert page.startswith('<!DOCTYPE html>') and 'Process overview' in page
    # (under AddressSanitizer the virtual size is terabytes: its shadow memory)
    assert re.search(r'Virtual size:</th><td class="num">\s*[\d.]+ [KMGTP]?B', page)
    assert 'http://' not in page.replace('http://www.w3.org', '')  # nothing from elsewhere
    assert h['Content-Security-Policy'].startswith("default-src 'self'")
    # the numbers are ProcessMemoryInfo's (read from /proc/self/stat without the GIL)
    from pympler.process import ProcessMemoryInfo
    from pympler.util.stringutils import pp
    before = ProcessMemoryInfo()
    page = fetch(srv, '/')[2].decode()
    after = ProcessMemoryInfo()
    faults = int(re.search(r'Major pagefaults:</th><td class="num">(\d+)<', page).group(1))
    assert before.pagefaults <= faults <= after.pagefaults
    vsz = re.search(r'Virtual size:</th><td class="num">([^<]*)<', page).group(1)
    assert vsz in {pp(before.vsz), pp(after.vsz)} or abs(before.vsz - after.vsz) > 0


def test_process_lists_the_threads(srv):
    page = fetch(srv, '/process')[2].decode()
    assert 'Thread information' in page and 'Pympler web frontend' in page
    assert '/traceback/%d' % threading.main_thread().ident in page


def test_traceback_of_this_thread_links_its_locals(srv):
    marker = Hostile()  # noqa: F841 (seen in this frame's locals)
    s, _, body = fetch(srv, '/traceback/%d' % threading.get_ident())
    page = body.decode()
    assert s == 200 and 'test_traceback_of_this_thread_links_its_locals' in page
    ref = frame_locals_ref(page, 'test_traceback_of_this_thread_links_its_locals')
    # this test's frame: its locals hold the marker
    s, _, body = fetch(srv, '/objects/%s' % ref)
    page = body.decode()
    assert s == 200 and 'marker' in page
    assert '<script>' not in page and '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' in page


def test_traceback_of_an_unknown_thread_and_a_bad_id(srv):
    s, _, body = fetch(srv, '/traceback/12345')
    assert s == 200 and b'Cannot retrieve stacktrace for thread 12345.' in body
    # Pympler answers 500 there, and its own test expects it (gui/test_web.py): kept
    assert fetch(srv, '/traceback/gabelstapler')[0] == 500
    assert fetch(srv, '/traceback/-1')[0] == 500
    assert fetch(srv, '/traceback/' + '9' * 40)[0] == 500


def test_objects_shows_referents_and_referrers_with_links(srv):
    holder = {'hostile': Hostile(), 'raising': Raising(), 'n': 42}
    outer = [holder]
    ref = web.get_ref(holder)
    s, _, body = fetch(srv, '/objects/' + ref)
    page = body.decode()
    assert s == 200 and 'Referents' in page and 'Referrers' in page
    assert '<script>' not in page
    assert 'N/A' in page  # the raising repr
    assert 'id="%d_' % id(holder['hostile']) in page
    assert 'id="%d_' % id(outer) in page  # a referrer
    # every linked id was handed out: each one opens
    for oid in sorted(set(re.findall(r'href="/objects/(\d+)"', page)))[:10]:
        assert fetch(srv, '/objects/' + oid)[0] == 200


def test_objects_never_dereferences_an_address(srv):
    never = object()
    assert fetch(srv, '/objects/%d' % id(never))[0] == 404
    assert fetch(srv, '/objects/1')[0] == 404
    assert fetch(srv, '/objects/abc')[0] == 404
    assert fetch(srv, '/objects/')[0] == 404


def test_garbage_pages_and_graphs(srv):
    start_debug_garbage()
    try:
        flags = gc.get_debug()
        a = ['spam', 'eggs']
        a.append(a)
        h = Hostile()
        h.self = h
        del a, h
        assert fetch(srv, '/refresh')[0] == 303
        s, _, body = fetch(srv, '/garbage')
        page = body.decode()
        assert s == 200 and 'reference cycle' in page and '/garbage/0' in page
        assert gc.get_debug() == flags and gc.garbage == []  # the collector as found
        n = len(re.findall(r'href="/garbage/(\d+)"', page))
        assert n >= 2
        for i in range(n):
            s, _, body = fetch(srv, '/garbage/%d' % i)
            page = body.decode()
            assert s == 200 and '/garbage/graph/%d' % i in page and '<script>' not in page
            s, h, png = fetch(srv, '/garbage/graph/%d' % i)
            assert s == 200 and h['Content-Type'] == 'image/png' and png[:8] == b'\x89PNG\r\n\x1a\n'
            s, h, png = fetch(srv, '/garbage/graph/%d?reduce=on' % i)
            assert s == 200 and png[:4] == b'\x89PNG'
        assert fetch(srv, '/garbage/%d' % n)[0] == 404
        assert fetch(srv, '/garbage/graph/%d' % n)[0] == 404
        assert fetch(srv, '/garbage/x')[0] == 404
        assert fetch(srv, '/garbage/-1')[0] == 404
    finally:
        end_debug_garbage()
        assert fetch(srv, '/refresh')[0] == 303


def test_tracker_pages(srv, stats):
    s, _, body = fetch(srv, '/tracker')
    page = body.decode()
    assert s == 200 and stats.annotated >= 1
    assert 'Memory distribution over time' in page and '<svg' in page
    assert 'snap 0 snapshot at' in page and '12.50%' in page
    assert 'app.&lt;b&gt;Thing&lt;/b&gt;' in page and '<b>' not in page
    assert 'href="/tracker/class/app.%3Cb%3EThing%3C%2Fb%3E"' in page
    s, _, body = fetch(srv, '/tracker/class/app.%3Cb%3EThing%3C%2Fb%3E')
    page = body.decode()
    assert s == 200 and '2 instances of app.&lt;b&gt;Thing&lt;/b&gt; were registered' in page
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in page and '<script>' not in page
    assert '0x00001234' in page and '/src/app.py' in page and '[V] x: 1' in page
    s, _, body = fetch(srv, '/tracker/class/app.Other')
    assert s == 200 and b'0 instances of app.Other were registered' in body
    assert fetch(srv, '/tracker/class/no.such.Class')[0] == 404


def test_tracker_without_stats_is_404():
    t = web.start_in_background(port=0)
    try:
        base = 'http://127.0.0.1:%d' % t.port
        s, _, body = fetch(base, '/tracker')
        assert s == 404 and b'No tracker' in body
        assert fetch(base, '/tracker/class/x.Y')[0] == 404
    finally:
        t.stop(timeout=10)


def test_redirects_static_files_and_404s(srv):
    s, h, _ = fetch(srv, '/refresh')
    assert s == 303 and h['Location'] == '/'
    s, h, _ = fetch(srv, '/help')
    assert s == 303 and h['Location'] == 'https://pympler.readthedocs.io/en/latest/'
    s, h, css = fetch(srv, '/static/style.css')
    assert s == 200 and h['Content-Type'].startswith('text/css') and b'nav.related' in css
    assert fetch(srv, '/static/jquery.flot.min.js')[0] == 200
    for path in ['/static/../web.c', '/static/.hidden', '/static/nope.css', '/static/%2e%2e%2fweb.c',
                 '/nope', '/process/', '/garbage/graph/', '/tracker/class/']:
        s, h, body = fetch(srv, path)
        assert s == 404, path
        assert h['Content-Type'] == 'text/html; charset=utf-8' and b'Not found' in body
    assert fetch(srv, '/', method='POST')[0] == 405
    s, h, body = fetch(srv, '/', method='HEAD')
    assert s == 200 and body == b''


def test_an_error_in_a_page_is_a_500_and_the_server_goes_on(srv, stats):
    saved = stats.snapshots
    stats.snapshots = 42  # not a sequence
    try:
        s, _, body = fetch(srv, '/tracker')
        assert s == 500 and b'TypeError' in body
    finally:
        stats.snapshots = saved
    assert fetch(srv, '/tracker')[0] == 200
    assert fetch(srv, '/')[0] == 200


# ---------------------------------------------------------------- load, restart, exit

def test_a_burst_from_8_threads_while_the_heap_changes(srv):
    paths = ['/', '/process', '/garbage', '/tracker', '/static/style.css', '/nope', '/traceback/1',
             '/tracker/class/app.Other']
    errors, statuses = [], []
    lock = threading.Lock()

    def client(k):
        conn = HTTPConnection('127.0.0.1', int(srv.rsplit(':', 1)[1]), timeout=30)  # keep-alive
        try:
            for i in range(50):
                p = paths[(k + i) % len(paths)]
                conn.request('GET', p)
                r = conn.getresponse()
                r.read()
                with lock:
                    statuses.append((p, r.status))
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    junk = []
    while any(t.is_alive() for t in threads):
        a = [list(range(50))]
        a.append(a)  # garbage cycles
        junk.append({'n': len(junk)})
        if len(junk) > 5000:
            del junk[:2500]
        if len(junk) % 500 == 0:
            gc.collect()
    for t in threads:
        t.join()
    assert errors == []
    assert len(statuses) == 400
    for p, s in statuses:
        assert s == (404 if p == '/nope' else 200), (p, s)


def test_stopped_and_started_again():
    port = free_port()
    for _ in range(2):
        t = web.start_in_background(port=port)
        assert t.port == port
        assert fetch('http://127.0.0.1:%d' % port, '/')[0] == 200
        t.stop(timeout=10)
        assert not t.is_alive()
        with pytest.raises(OSError):
            fetch('http://127.0.0.1:%d' % port, '/')


EXIT_SCRIPT = r'''
import socket, sys, threading, time
from pympler import web
t = web.start_in_background(port=0)
done = []
# Plain sockets, not urllib: urlopen builds an SSL context on every call, and OpenSSL
# crashes when a daemon thread is inside it while the interpreter's exit frees libcrypto.
def get(path):
    with socket.create_connection(('127.0.0.1', t.port), timeout=5) as s:
        s.sendall(b'GET ' + path.encode() + b' HTTP/1.0\r\nHost: x\r\n\r\n')
        reply = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    if not reply.startswith(b'HTTP/1.0 200') and not reply.startswith(b'HTTP/1.1 200'):
        raise ValueError(reply[:40])
def hammer():
    while True:
        for p in ('/', '/garbage', '/process'):
            try:
                get(p)
                done.append(p)
            except Exception:
                pass
for _ in range(4):
    threading.Thread(target=hammer, daemon=True).start()
while len(done) < 30:
    time.sleep(0.01)
print('served', len(done))
sys.stdout.flush()
'''


@pytest.mark.parametrize('round_', range(3))
def test_requests_while_the_interpreter_exits(round_):
    p = subprocess.run([sys.executable, '-P', '-c', EXIT_SCRIPT], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.startswith('served')


def test_start_profiler_blocks_until_keyboardinterrupt():
    script = ('import signal, threading, os, time\n'
              'from pympler import web\n'
              'threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n'
              't0 = time.time()\n'
              'print(web.start_profiler(port=0))\n'
              'print("returned", round(time.time() - t0))\n')
    p = subprocess.run([sys.executable, '-P', '-c', script], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ['None', 'returned', '1']


# ---------------------------------------------------------------- in a browser

def test_pages_in_chromium(srv):
    from browser import chromium
    start_debug_garbage()
    try:
        a = [Hostile()]
        a.append(a)
        del a
        assert fetch(srv, '/refresh')[0] == 303
        with chromium() as page:
            for path, name in [('/', 'web-index'), ('/process', 'web-process'), ('/garbage', 'web-garbage'),
                               ('/garbage/0', 'web-garbage-cycle'), ('/tracker', 'web-tracker'),
                               ('/tracker/class/app.%3Cb%3EThing%3C%2Fb%3E', 'web-tracker-class'),
                               ('/traceback/%d' % threading.get_ident(), 'web-traceback'),
                               ('/nope', 'web-404')]:
                seen = page.open(srv + path, name)
                errors = [e for e in seen.console_errors if not (name == 'web-404' and '404' in e)]
                assert errors == [], (path, seen.console_errors)
                assert seen.broken_images == [], path
                assert page.script('return document.querySelectorAll("script").length') == 0
            ref = frame_locals_ref(fetch(srv, '/traceback/%d' % threading.get_ident())[2].decode(),
                                   'test_pages_in_chromium')
            seen = page.open(srv + '/objects/' + ref, 'web-objects')
            assert seen.console_errors == [] and seen.broken_images == []
    finally:
        end_debug_garbage()
        fetch(srv, '/refresh')


def test_sizes_and_times_are_written_as_pp_and_pp_timestamp():
    """The pages format sizes and times in C; the text is stringutils' own."""
    import html
    import random
    from pympler.util.stringutils import pp, pp_timestamp
    rnd = random.Random(5)
    values = [0, 1, 1023, 1024, 1025, 2047, 1536, 10 ** 6, 2 ** 30, 2 ** 40 - 1, 2 ** 50, 2 ** 53 - 1, 2 ** 60,
              2 ** 70, 3.7, 1024.0, 1024.5, 5e9 + 0.5, -5, -3.5]
    values += [rnd.randrange(10 ** rnd.randrange(1, 16)) for _ in range(200)]
    values += [rnd.random() * 10 ** rnd.randrange(0, 15) for _ in range(200)]
    times = [0.0, 59.999, 3599.995, 86400.0, 1.7e9 + 0.125] + [rnd.random() * 1e10 for _ in range(50)]
    st = FakeStats()
    st.snapshots = [FakeSnapshot(t, 'at', {}) for t in sorted(times)]
    st.snapshots[0].classes = {'c%03d' % i: {'active': 1, 'sum': v, 'avg': v, 'pct': 1.0}
                               for i, v in enumerate(values)}
    t = web.start_in_background(port=0, stats=st)
    try:
        page = fetch('http://127.0.0.1:%d' % t.port, '/tracker')[2].decode()
    finally:
        t.stop(timeout=10)
    for i, v in enumerate(values):
        row = re.search(r'>c%03d</a></td><td class="num">1</td><td class="num">([^<]*)</td>' % i, page).group(1)
        try:
            want = pp(v)
        except IndexError:  # past 'EB': Pympler raises; the page shows the number
            want = str(v)
        assert html.unescape(row) == want, (v, row)
    shown = re.findall(r'<h3>at snapshot at ([^<]*)</h3>', page)
    assert shown == [pp_timestamp(x) for x in sorted(times)]


def test_stopped_while_requests_are_in_flight():
    t = web.start_in_background(port=0)
    port, stop, seen = t.port, threading.Event(), []

    def hammer():
        while not stop.is_set():
            try:
                seen.append(fetch('http://127.0.0.1:%d' % port, '/garbage')[0])
            except OSError:
                pass

    clients = [threading.Thread(target=hammer) for _ in range(4)]
    for c in clients:
        c.start()
    while len(seen) < 40:
        time.sleep(0.01)
    t.stop(timeout=20)
    assert not t.is_alive()
    stop.set()
    for c in clients:
        c.join()
    assert set(seen) <= {200, 503}, set(seen)


def test_stop_of_a_thread_never_started_returns_at_once():
    t = web.ProfilerThread(port=0)
    t0 = time.time()
    t.stop()
    assert time.time() - t0 < 1 and t.kwargs == {'port': 0} and t.name == 'Pympler web frontend'
