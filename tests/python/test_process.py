"""pympler.process: ProcessMemoryInfo and friends, against the reference
Pympler 1.1 (always in a subprocess) and against independent reads of /proc.

Values that differ between processes are compared either with this
process's own /proc files read here, or with the reference reading this
process's files (its open() redirected from /proc/self to /proc/<our pid>),
or, exactly, with both implementations reading the same fake /proc tree
(pympler.process._set_proc_root).
"""

import gc
import json
import os
import pickle
import re
import resource
import subprocess
import sys
import textwrap
import threading
import weakref

import pytest

from pympler import process
from pympler.process import (ProcessMemoryInfo, ThreadInfo, _ProcessMemoryInfo, _ProcessMemoryInfoProc,
                             _ProcessMemoryInfoPS, _ProcessMemoryInfoResource)

from reference_paths import reference_dir

HAVE_REF = os.path.isfile(os.path.join(reference_dir(), 'pympler', 'process.py'))
MB = 1 << 20
FIELDS = ['pid', 'rss', 'vsz', 'pagefaults', 'os_specific', 'data_segment', 'code_segment', 'shared_segment',
          'stack_segment', 'available']


def test_the_reference_is_installed():
    assert HAVE_REF, 'reference Pympler 1.1 missing: run make deps (%s)' % reference_dir()


def run_ref(code):
    """Run code with the reference Pympler in a fresh interpreter; its stdout as JSON."""
    e = dict(os.environ, PYTHONPATH=reference_dir())
    # the reference is pure Python: no sanitizer runtime (under
    # LD_PRELOAD=libasan the /bin/ps it starts hangs)
    for k in ('LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'PYTHONMALLOC'):
        e.pop(k, None)
    r = subprocess.run([sys.executable, '-P', '-c', textwrap.dedent(code)], env=e, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# The reference's open() redirected: '/proc/self/...' -> ROOT + '/self/...'.
REDIRECT = '''
import builtins
_open = builtins.open
def _redirected(f, *a, **k):
    if isinstance(f, str) and f.startswith('/proc/'):
        f = %r + f[len('/proc'):]
    return _open(f, *a, **k)
builtins.open = _redirected
'''


@pytest.fixture
def proc_root():
    """Point our module at a directory of fake proc files; /proc again after."""
    yield
    process._set_proc_root(None)


def proc_fields():
    """/proc/self/stat (split after the command) and status, read here."""
    with open('/proc/self/stat') as f:
        stat = f.read()
    fields = stat[stat.rindex(')') + 2:].split()
    status = {}
    with open('/proc/self/status') as f:
        for line in f:
            k, _, v = line.partition(':')
            status[k] = v.strip()
    with open('/proc/self/statm') as f:
        statm = [int(x) for x in f.read().split()]
    return fields, status, statm


def kb(status, key):
    return int(status[key].split()[0]) * 1024


# ---------------------------------------------------------------- the API, as the reference's

def test_process_memory_info_is_the_proc_class_as_in_the_reference():
    ref = run_ref('''
        import json
        from pympler import process as p
        print(json.dumps([p.ProcessMemoryInfo.__name__, p.is_available(), p._ProcessMemoryInfo.pagesize,
                          p.PAGESIZE, p.RUSAGE_SELF, [c.__name__ for c in p.ProcessMemoryInfo.__mro__]]))
    ''')
    assert ProcessMemoryInfo is _ProcessMemoryInfoProc
    ours = [ProcessMemoryInfo.__name__, process.is_available(), _ProcessMemoryInfo.pagesize, process.PAGESIZE,
            process.RUSAGE_SELF, [c.__name__ for c in ProcessMemoryInfo.__mro__]]
    assert ours == ref
    assert ProcessMemoryInfo.pagesize == os.sysconf('SC_PAGESIZE')
    assert process.getpid is os.getpid
    assert process.getrusage is resource.getrusage
    assert process.threading is threading


def test_key_map_is_the_references():
    ref = run_ref('''
        import json
        from pympler.process import _ProcessMemoryInfoProc
        print(json.dumps(list(_ProcessMemoryInfoProc.key_map.items())))
    ''')
    assert list(_ProcessMemoryInfoProc.key_map.items()) == [tuple(i) for i in ref]
    assert type(ProcessMemoryInfo.key_map) is dict
    assert not hasattr(_ProcessMemoryInfo, 'key_map')


def test_classes_and_names_are_the_references():
    ref = run_ref('''
        import json
        from pympler import process as p
        names = ['ProcessMemoryInfo', 'ThreadInfo', '_ProcessMemoryInfo', '_ProcessMemoryInfoPS',
                 '_ProcessMemoryInfoProc', '_ProcessMemoryInfoResource', 'get_current_thread_id',
                 'get_current_threads', 'is_available', 'PAGESIZE', 'getpid', 'getrusage', 'RUSAGE_SELF',
                 'threading']
        print(json.dumps({n: [hasattr(p, n), getattr(getattr(p, n), '__module__', None),
                              [b.__name__ for b in getattr(p, n).__bases__] if isinstance(getattr(p, n), type)
                              else None] for n in names}))
    ''')
    for name, (present, module, bases) in ref.items():
        assert present and hasattr(process, name), name
        obj = getattr(process, name)
        if isinstance(obj, type):
            assert obj.__module__ == module, name
            assert [b.__name__ for b in obj.__bases__] == bases, name


def test_instance_attributes_in_the_references_order():
    ref = run_ref('''
        import json
        from pympler import process as p
        print(json.dumps({c: list(vars(getattr(p, c)())) for c in
                          ['_ProcessMemoryInfo', '_ProcessMemoryInfoProc', '_ProcessMemoryInfoPS',
                           '_ProcessMemoryInfoResource']}))
    ''')
    for cls in (_ProcessMemoryInfo, _ProcessMemoryInfoProc, _ProcessMemoryInfoPS, _ProcessMemoryInfoResource):
        assert list(vars(cls())) == ref[cls.__name__] == FIELDS


def test_the_base_class_is_unavailable_with_defaults():
    pmi = _ProcessMemoryInfo()
    assert vars(pmi) == dict(pid=os.getpid(), rss=0, vsz=0, pagefaults=0, os_specific=[], data_segment=0,
                             code_segment=0, shared_segment=0, stack_segment=0, available=False)
    assert pmi.update() is False
    assert repr(pmi) == '<_ProcessMemoryInfo vsz=0 rss=0>'


def test_os_specific_labels_and_order_are_the_references():
    ref = run_ref('''
        import json
        from pympler.process import ProcessMemoryInfo
        pmi = ProcessMemoryInfo()
        first = [l for l, _ in pmi.os_specific]
        pmi.update()
        print(json.dumps([first, [l for l, _ in pmi.os_specific]]))
    ''')
    pmi = ProcessMemoryInfo()
    assert [l for l, _ in pmi.os_specific] == ref[0]
    assert len(ref[0]) == 10
    # Pympler appends to os_specific on every update(); so do we
    pmi.update()
    assert [l for l, _ in pmi.os_specific] == ref[1] == ref[0] * 2


# ---------------------------------------------------------------- real values of this process

def test_values_are_this_processes():
    before = proc_fields()
    pmi = ProcessMemoryInfo()
    after = proc_fields()
    page = os.sysconf('SC_PAGESIZE')
    assert pmi.available is True
    assert pmi.pid == os.getpid()
    for (fields, status, statm) in (before, after):
        assert statm[0] * page == int(fields[20])  # vsize in stat is statm's size
    lo, hi = sorted((int(before[0][20]), int(after[0][20])))
    assert lo - MB <= pmi.vsz <= hi + MB and pmi.vsz > 0
    lo, hi = sorted((before[2][1] * page, after[2][1] * page))
    assert lo - MB <= pmi.rss <= hi + MB and pmi.rss > 0
    assert int(before[0][9]) <= pmi.pagefaults <= int(after[0][9])
    assert pmi.code_segment == kb(after[1], 'VmExe')
    assert pmi.shared_segment == kb(after[1], 'VmLib')
    assert pmi.stack_segment > 0 and abs(pmi.stack_segment - kb(after[1], 'VmStk')) <= MB
    assert abs(pmi.data_segment - kb(after[1], 'VmData')) <= 4 * MB
    assert len(pmi.os_specific) == 10
    assert all(type(l) is str and type(s) is str for l, s in pmi.os_specific)
    assert dict(pmi.os_specific)['Size of code segment'] == process_pp(kb(after[1], 'VmExe'))


def process_pp(i):
    """stringutils.pp, computed here."""
    degree, pattern = 0, '%4d     %s'
    while i > 1024:
        pattern, i, degree = '%7.2f %s', i / 1024.0, degree + 1
    return pattern % (i, ['B', 'KB', 'MB', 'GB', 'TB', 'EB'][degree])


def test_the_reference_reading_this_processes_files_agrees():
    """The reference's _ProcessMemoryInfoProc, its open() redirected to our
    /proc/<pid>, read while this process waits for it: sandwiched between
    two of our reads."""
    root = '/proc/%d' % os.getpid()
    code = (REDIRECT.replace("f[len('/proc'):]", "f[len('/proc/self'):]") % root) + textwrap.dedent('''
        import json
        from pympler.process import _ProcessMemoryInfoProc
        pmi = _ProcessMemoryInfoProc()
        print(json.dumps(vars(pmi)))
    ''')
    a = ProcessMemoryInfo()
    ref = run_ref(code)
    b = ProcessMemoryInfo()
    assert ref['available'] is True
    for f in ('vsz', 'rss', 'data_segment', 'stack_segment'):
        lo, hi = sorted((getattr(a, f), getattr(b, f)))
        assert lo - MB <= ref[f] <= hi + MB, f
    for f in ('code_segment', 'shared_segment'):
        assert ref[f] == getattr(a, f) == getattr(b, f), f
    assert [l for l, _ in ref['os_specific']] == [l for l, _ in a.os_specific]
    assert dict(ref['os_specific'])['Size of code segment'] == dict(a.os_specific)['Size of code segment']


def test_update_sees_50_mb_more_and_sub_gives_the_delta():
    pmi = ProcessMemoryInfo()
    before = ProcessMemoryInfo()
    block = b'\x01' * (50 * MB)  # written, so resident
    assert pmi.update() is True
    assert pmi.rss - before.rss >= 40 * MB
    assert pmi.vsz - before.vsz >= 40 * MB
    delta = pmi - before
    assert delta == [('Resident set size (delta)', pmi.rss - before.rss),
                     ('Virtual size (delta)', pmi.vsz - before.vsz)]
    assert type(delta) is list and delta[0][1] >= 40 * MB
    assert before - pmi == [('Resident set size (delta)', before.rss - pmi.rss),
                            ('Virtual size (delta)', before.vsz - pmi.vsz)]
    del block


def test_sub_takes_anything_with_rss_and_vsz_as_the_reference():
    class Fake:
        rss, vsz = 10, 20
    pmi = _ProcessMemoryInfo()
    pmi.rss, pmi.vsz = 15, 50
    assert pmi - Fake() == [('Resident set size (delta)', 5), ('Virtual size (delta)', 30)]
    ref = run_ref('''
        import json
        from pympler.process import _ProcessMemoryInfo
        class Fake:
            rss, vsz = 10, 20
        pmi = _ProcessMemoryInfo()
        pmi.rss, pmi.vsz = 15, 50
        print(json.dumps(pmi - Fake()))
    ''')
    assert [list(t) for t in pmi - Fake()] == ref


def test_repr_as_the_reference():
    pmi = ProcessMemoryInfo()
    assert repr(pmi) == '<_ProcessMemoryInfoProc vsz=%d rss=%d>' % (pmi.vsz, pmi.rss)
    assert re.fullmatch(r'<_ProcessMemoryInfoProc vsz=\d+ rss=\d+>', repr(pmi))
    pmi.vsz, pmi.rss = 12.7, 3
    assert repr(pmi) == '<_ProcessMemoryInfoProc vsz=12 rss=3>'
    pmi.vsz = 'x'
    with pytest.raises(TypeError):
        repr(pmi)


# ---------------------------------------------------------------- the other classes

def test_ps_class_gives_what_the_references_ps_gives_for_this_pid():
    a = _ProcessMemoryInfoPS()
    ref = run_ref('''
        import json
        from pympler.process import _ProcessMemoryInfoPS
        pmi = _ProcessMemoryInfoPS.__new__(_ProcessMemoryInfoPS)
        _ProcessMemoryInfoPS.__init__(pmi)
        pmi.pid = %d
        ok = pmi.update()
        print(json.dumps([ok, pmi.vsz, pmi.rss]))
    ''' % os.getpid())
    b = _ProcessMemoryInfoPS()
    assert a.available is True and b.available is True and ref[0] is True
    for i, f in ((1, 'vsz'), (2, 'rss')):
        lo, hi = sorted((getattr(a, f), getattr(b, f)))
        assert lo - MB <= ref[i] <= hi + MB, f
        assert ref[i] % 1024 == 0 and getattr(a, f) % 1024 == 0
    assert a.os_specific == [] and a.data_segment == 0 and a.pagefaults == 0


def test_ps_class_for_another_and_a_missing_pid():
    pmi = _ProcessMemoryInfoPS()
    pmi.pid = os.getppid()
    assert pmi.update() is True
    with open('/proc/%d/status' % os.getppid()) as f:
        status = dict(l.split(':', 1) for l in f if ':' in l)
    assert pmi.vsz == int(status['VmSize'].split()[0]) * 1024
    for pid in (0, -1, 2 ** 40, 'x', None):
        pmi.pid = pid
        assert pmi.update() is False
    del pmi.pid
    with pytest.raises(AttributeError):
        pmi.update()


def test_resource_class_is_getrusage():
    lo = resource.getrusage(resource.RUSAGE_SELF)
    pmi = _ProcessMemoryInfoResource()
    hi = resource.getrusage(resource.RUSAGE_SELF)
    assert pmi.available is True
    assert lo.ru_maxrss * 1024 <= pmi.rss <= hi.ru_maxrss * 1024
    assert pmi.data_segment == lo.ru_idrss * 1024
    assert pmi.vsz == pmi.data_segment + pmi.shared_segment + pmi.stack_segment
    assert lo.ru_majflt <= pmi.pagefaults <= hi.ru_majflt
    assert pmi.os_specific == [] and pmi.code_segment == 0


def test_is_available_uses_the_current_process_memory_info(monkeypatch):
    assert process.is_available() is True

    class Never(_ProcessMemoryInfo):
        def update(self):
            return 'no'
    monkeypatch.setattr(process, 'ProcessMemoryInfo', Never)
    assert process.is_available() == 'no'


# ---------------------------------------------------------------- fake /proc: exact against the reference

STAT = ('4242 (python3) S 1 4242 4242 0 -1 4194304 1000 0 %(majflt)d 0 10 5 0 0 20 0 1 0 100 '
        '%(vsize)d %(rss)d 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 3 0 0 0 0 0\n')
STATUS = '''Name:\tpython3
Umask:\t0022
State:\tS (sleeping)
Tgid:\t4242
VmPeak:\t  123456 kB
VmSize:\t  120000 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t   55555 kB
VmRSS:\t   %(rsskb)d kB
RssAnon:\t   40000 kB
VmData:\t   70000 kB
VmStk:\t     132 kB
VmExe:\t       4 kB
VmLib:\t    4700 kB
VmPTE:\t     200 kB
VmSwap:\t       0 kB
Threads:\t1
'''


def fake_proc(tmp_path, stat=None, status=None, pid=None):
    """A fake proc root: self/stat and self/status (and <pid>/status)."""
    values = dict(majflt=7, vsize=120000 * 1024, rss=12345, rsskb=49380)
    d = tmp_path / 'proc'
    (d / 'self').mkdir(parents=True)
    if stat is not False:
        (d / 'self' / 'stat').write_bytes((stat if stat is not None else STAT % values).encode('latin-1')
                                          if isinstance(stat, str) or stat is None else stat)
    if status is not False:
        (d / 'self' / 'status').write_bytes((status if status is not None else STATUS % values).encode('latin-1')
                                            if isinstance(status, str) or status is None else status)
    if pid is not None:
        (d / str(pid)).mkdir()
        (d / str(pid) / 'status').write_text(STATUS % values)
    return str(d)


def ref_on(root, cls='_ProcessMemoryInfoProc'):
    return run_ref((REDIRECT % root) + textwrap.dedent('''
        import json
        from pympler import process as p
        pmi = getattr(p, %r)()
        d = vars(pmi)
        d.pop('pid')
        print(json.dumps(d))
    ''' % cls))


def ours_on(root, cls=_ProcessMemoryInfoProc):
    process._set_proc_root(root)
    d = vars(cls())
    assert d.pop('pid') == os.getpid()
    return json.loads(json.dumps(d))


def test_fake_proc_files_give_exactly_the_references_fields(tmp_path, proc_root):
    root = fake_proc(tmp_path)
    ours, ref = ours_on(root), ref_on(root)
    assert ours == ref
    assert ours['vsz'] == 120000 * 1024 and ours['rss'] == 12345 * 4096 and ours['pagefaults'] == 7
    assert ours['data_segment'] == 70000 * 1024 and ours['code_segment'] == 4096
    assert ours['shared_segment'] == 4700 * 1024 and ours['stack_segment'] == 132 * 1024
    assert ours['os_specific'][0] == ['Peak virtual memory size', ' 120.56 MB']
    assert ours['os_specific'][2] == ['Locked memory size', '   0     B']


def test_fake_proc_big_and_odd_values_as_the_reference(tmp_path, proc_root):
    status = (STATUS % dict(rsskb=1)).replace('VmPeak:\t  123456 kB', 'VmPeak:\t 9999999999999 kB') \
        .replace('VmLck:\t       0 kB', 'VmLck:\t 1025') .replace('VmPTE:\t     200 kB', 'VmPTE:  +1_0 kB')
    root = fake_proc(tmp_path, status=status)
    ours, ref = ours_on(root), ref_on(root)
    assert ours == ref
    assert ours['os_specific'][0] == ['Peak virtual memory size', '   9.09 EB']  # Pympler's scale
    assert ['Page table entries size', '  10.00 KB'] in ours['os_specific']
    assert ['Locked memory size', '   1.00 MB'] in ours['os_specific']


def test_command_names_with_spaces_and_parentheses(tmp_path, proc_root):
    """Fields are counted after the last ')' (Pympler's split() would shift)."""
    stat = (STAT % dict(majflt=7, vsize=5 * MB, rss=3)).replace('(python3)', '(a b) (c d))')
    process._set_proc_root(fake_proc(tmp_path, stat=stat))
    pmi = ProcessMemoryInfo()
    assert (pmi.available, pmi.vsz, pmi.rss, pmi.pagefaults) == (True, 5 * MB, 3 * 4096, 7)


@pytest.mark.parametrize('stat', [
    '', '4242 (python3) S 1 2 3', 'garbage', '4242 python3 S ' + '1 ' * 50,
    '4242 (python3) S 1 4242 4242 0 -1 4194304 1000 0 7 0 10 5 0 0 20 0 1 0 100 12x 3 5',
    '4242 (python3) S 1 4242 4242 0 -1 4194304 1000 0 7 0 10 5 0 0 20 0 1 0 100 -5 3 5',
    '4242 (python3) S 1 4242 4242 0 -1 4194304 1000 0 7 0 10 5 0 0 20 0 1 0 100 99999999999999999999999 3 5',
    b'4242 (\xff\xfe) S \x00\x00', False])
def test_malformed_or_missing_stat_is_unavailable_not_an_error(tmp_path, proc_root, stat):
    process._set_proc_root(fake_proc(tmp_path, stat=stat))
    pmi = ProcessMemoryInfo()
    assert pmi.available is False
    assert (pmi.vsz, pmi.rss, pmi.pagefaults, pmi.os_specific, pmi.data_segment) == (0, 0, 0, [], 0)
    assert process.is_available() is False


@pytest.mark.parametrize('status', [False, ''])
def test_missing_or_empty_status(tmp_path, proc_root, status):
    process._set_proc_root(fake_proc(tmp_path, status=status))
    pmi = ProcessMemoryInfo()
    if status is False:  # unreadable: as Pympler, False
        assert (pmi.available, pmi.vsz, pmi.os_specific) == (False, 0, [])
    else:
        assert (pmi.available, pmi.vsz, pmi.os_specific) == (True, 120000 * 1024, [])


BIG = 10 ** 30


def test_malformed_status_lines_are_skipped(tmp_path, proc_root):
    status = (STATUS % dict(rsskb=100)).replace('VmRSS:\t   100 kB', 'VmRSS:\t lots kB') \
        .replace('VmData:\t   70000 kB', 'VmData:') .replace('VmExe:\t       4 kB', 'VmExe \t 4 kB') \
        .replace('Name:\tpython3', 'Name:\t\xff\xfe no utf-8') \
        .replace('VmLib:\t    4700 kB', 'VmLib:\t %d kB' % BIG) + 'no colon here\n\n:\nVmLck:\t %s kB' % ('9' * 70)
    root = fake_proc(tmp_path, status=status.encode('latin-1'))
    process._set_proc_root(root)
    pmi = ProcessMemoryInfo()
    assert pmi.available is True
    labels = [l for l, _ in pmi.os_specific]
    assert labels == ['Peak virtual memory size', 'Virtual memory size', 'Locked memory size',
                      'Peak resident set size', 'Size of stack segment', 'Shared library code size',
                      'Page table entries size']  # the 70-digit VmLck is not a size: skipped
    assert (pmi.data_segment, pmi.code_segment, pmi.stack_segment) == (0, 0, 132 * 1024)
    assert pmi.shared_segment == BIG * 1024
    # beyond Pympler's scale (it raises IndexError): still EB
    assert dict(pmi.os_specific)['Shared library code size'] == '%7.2f EB' % (BIG * 1024 / 1024 ** 5)


def test_ps_on_fake_files(tmp_path, proc_root):
    root = fake_proc(tmp_path, pid=os.getpid())
    process._set_proc_root(root)
    pmi = _ProcessMemoryInfoPS()
    assert (pmi.available, pmi.vsz, pmi.rss) == (True, 120000 * 1024, 49380 * 1024)
    process._set_proc_root(str(tmp_path / 'nowhere'))
    assert pmi.update() is False and pmi.vsz == 120000 * 1024


def test_no_proc_at_all_falls_back_to_getrusage(tmp_path, proc_root):
    process._set_proc_root(str(tmp_path / 'nowhere'))
    assert _ProcessMemoryInfoProc().available is False
    assert _ProcessMemoryInfoPS().available is False
    assert _ProcessMemoryInfoResource().available is True
    assert process.is_available() is False  # ProcessMemoryInfo was chosen at import
    process._set_proc_root(None)
    assert process.is_available() is True


# ---------------------------------------------------------------- subclasses, pickles, bad arguments

def test_subclasses_override_update_and_class_attributes(tmp_path, proc_root):
    class Mine(ProcessMemoryInfo):
        def update(self):
            self.rss = 5
            return 'yes'
    m = Mine()
    assert m.available == 'yes' and m.rss == 5 and m.vsz == 0
    assert repr(m) == '<Mine vsz=0 rss=5>'
    assert isinstance(m, _ProcessMemoryInfo)

    class Pages(_ProcessMemoryInfoProc):
        pagesize = 1
        key_map = {'VmRSS': 'rss!', 'Name': 'name!'}
    process._set_proc_root(fake_proc(tmp_path))
    p = Pages()
    assert p.rss == 12345
    assert [l for l, _ in p.os_specific] == ['rss!']  # 'Name' is not a number: skipped

    class Init(_ProcessMemoryInfoResource):
        def __init__(self, extra):
            self.extra = extra
            super().__init__()
    i = Init(3)
    assert i.extra == 3 and i.available is True and list(vars(i))[1:] == FIELDS


def test_instances_take_attributes_weakrefs_and_are_collected():
    pmi = ProcessMemoryInfo()
    pmi.note = 'x'
    pmi.os_specific.append(pmi)  # a cycle through the __dict__
    r = weakref.ref(pmi)
    del pmi
    gc.collect()
    assert r() is None


def test_pickles_go_both_ways_with_the_reference():
    """classtracker's dump_stats pickles _ProcessMemoryInfoProc objects."""
    pmi = ProcessMemoryInfo()
    info = ThreadInfo(threading.current_thread())
    mine = [pickle.dumps((pmi, info), p).hex() for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    ref = run_ref('''
        import json, pickle, threading
        from pympler.process import ProcessMemoryInfo, ThreadInfo
        out = []
        for h in %r:
            o, t = pickle.loads(bytes.fromhex(h))
            out.append([type(o).__name__, vars(o), type(t).__name__, vars(t)])
        back = [pickle.dumps((ProcessMemoryInfo(), ThreadInfo(threading.current_thread())), p).hex()
                for p in range(pickle.HIGHEST_PROTOCOL + 1)]
        print(json.dumps([out, back]))
    ''' % mine)
    for name, state, tname, tstate in ref[0]:
        assert (name, tname) == ('_ProcessMemoryInfoProc', 'ThreadInfo')
        assert state == json.loads(json.dumps(vars(pmi)))
        assert tstate == vars(info)
    for h in ref[1]:
        theirs, t = pickle.loads(bytes.fromhex(h))
        assert type(theirs) is _ProcessMemoryInfoProc and type(t) is ThreadInfo
        assert list(vars(theirs)) == FIELDS and theirs.available is True and theirs.pid != os.getpid()
        assert t.name == 'MainThread'
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        assert vars(pickle.loads(pickle.dumps(pmi, proto))) == vars(pmi)

    class Custom(_ProcessMemoryInfo):
        def __reduce__(self):
            return (int, (7,))
    assert pickle.loads(pickle.dumps(Custom(), 0)) == 7
    assert pickle.loads(pickle.dumps(Custom(), 2)) == 7


def test_bad_arguments_raise_type_error():
    with pytest.raises(TypeError, match='takes no arguments'):
        ProcessMemoryInfo(1)
    with pytest.raises(TypeError, match='takes no arguments'):
        _ProcessMemoryInfo(x=1)
    pmi = ProcessMemoryInfo()
    with pytest.raises(TypeError):
        pmi.update(1)
    with pytest.raises(TypeError, match='unsupported operand'):
        pmi - 1
    with pytest.raises(TypeError, match='unsupported operand'):
        1 - pmi
    with pytest.raises(TypeError, match='unsupported operand'):
        pmi - object()
    with pytest.raises(TypeError):
        ThreadInfo()
    with pytest.raises(TypeError, match='must be a thread'):
        ThreadInfo(1)
    with pytest.raises(TypeError):
        process.get_current_threads(1)
    with pytest.raises(TypeError):
        process._set_proc_root(1)
    with pytest.raises(ValueError):
        process._set_proc_root('x' * 5000)
    odd = _ProcessMemoryInfo()
    odd.rss = 'a'
    with pytest.raises(TypeError):
        odd - pmi


def test_update_without_init_needs_its_attributes():
    bare = _ProcessMemoryInfoProc.__new__(_ProcessMemoryInfoProc)
    with pytest.raises(AttributeError):  # os_specific, as in Pympler
        bare.update()


# ---------------------------------------------------------------- threads

def test_threads_are_threading_enumerate():
    go = threading.Event()
    t = threading.Thread(target=go.wait, name='pympler-worker', daemon=True)
    t.start()
    try:
        infos = process.get_current_threads()
        assert type(infos) is list and all(type(i) is ThreadInfo for i in infos)
        got = {(i.ident, i.name, i.daemon) for i in infos}
        assert got == {(th.ident, th.name, th.daemon) for th in threading.enumerate()}
        assert (t.ident, 'pympler-worker', True) in got
        assert (threading.main_thread().ident, 'MainThread', False) in got
        assert vars(infos[0]).keys() == {'ident', 'name', 'daemon'}
    finally:
        go.set()
        t.join()


def test_current_thread_id():
    assert process.get_current_thread_id() == threading.get_ident()
    seen = []
    t = threading.Thread(target=lambda: seen.append((process.get_current_thread_id(), threading.get_ident())))
    t.start()
    t.join()
    assert seen[0][0] == seen[0][1] != threading.get_ident()


def test_thread_info_takes_any_thread_like_object():
    class T:
        ident, name, daemon = 1, 'n', False
    i = ThreadInfo(thread=T())
    assert (i.ident, i.name, i.daemon) == (1, 'n', False)
