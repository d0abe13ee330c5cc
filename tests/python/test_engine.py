"""One engine per process: pympler/_engine.so holds lib/core, lib/py and
render once; every other module of the package links it and defines none of
its functions; the dynamic loader maps it once; modules are multi-phase
(PEP 489), so a re-import works and a subinterpreter gets ImportError, never
a crash."""

import glob
import os
import re
import subprocess
import sys

import pytest

import pympler

from reference_paths import our_path, run_python

PKG = os.path.dirname(os.path.abspath(pympler.__file__))
SHARED = sorted(glob.glob(os.path.join(PKG, '**', '*.so'), recursive=True))
ENGINE = [p for p in SHARED if os.path.basename(p).startswith('_engine.')]
# Every C source of the package is one extension module (python/pympler/**/NAME.c; _engine.c is the
# engine's): the modules the build must have made.
SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python')
MODULES = sorted([os.path.relpath(c, SOURCES)[:-2].replace(os.sep, '.')
                  for c in glob.glob(os.path.join(SOURCES, 'pympler', '**', '*.c'), recursive=True)])


def tool(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def defined_pym_symbols(path):
    """The pym_* functions and variables a shared object defines (local ones too)."""
    out = set()
    for line in tool('nm', '--defined-only', path).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TtDdBbRr' and parts[2].startswith('pym_'):
            out.add(parts[2])
    return out


def test_package_has_one_engine():
    assert len(ENGINE) == 1, SHARED
    built = sorted(os.path.relpath(p, os.path.dirname(PKG)).split('.cpython-')[0].replace(os.sep, '.') for p in SHARED)
    assert built == MODULES


def test_each_engine_function_is_defined_once():
    owners = {}
    for path in SHARED:
        for sym in defined_pym_symbols(path):
            owners.setdefault(sym, []).append(os.path.basename(path))
    twice = {s: o for s, o in owners.items() if len(o) > 1}
    assert twice == {}
    engine = os.path.basename(ENGINE[0])
    in_engine = [s for s, o in owners.items() if o == [engine]]
    # the traversal engine, sizer, census, graph toolkit and renderer
    for sym in ('pym_rt_init', 'pym_gc_foreach', 'pym_graph_new', 'pym_module_attach'):
        assert sym in in_engine, sym
    assert len(in_engine) > 150


def test_modules_link_the_engine_through_origin():
    soname = os.path.basename(ENGINE[0])
    for path in SHARED:
        if path in ENGINE:
            assert f'Library soname: [{soname}]' in tool('readelf', '-d', path)
            continue
        dyn = tool('readelf', '-d', path)
        assert f'Shared library: [{soname}]' in dyn, path
        depth = os.path.relpath(os.path.dirname(path), PKG).count(os.sep) + (os.path.dirname(path) != PKG)
        runpath = re.search(r'Library (?:runpath|rpath): \[([^\]]*)\]', dyn).group(1)
        assert runpath == '$ORIGIN' + '/..' * depth, (path, runpath)


def test_engine_is_mapped_once_per_process():
    out = run_python('''
        import importlib, sys
        for m in sys.argv[1:]:
            importlib.import_module(m)
        maps = {line.split()[-1] for line in open('/proc/self/maps') if '_engine.' in line}
        print(len(maps))
        import pympler._engine as e
        print(e.python_version)
    ''', our_path(), *MODULES)
    assert out.split() == ['1', '%d.%d' % sys.version_info[:2]]


def test_reimport_gives_working_modules():
    out = run_python('''
        import importlib, sys
        import pympler.asizeof, pympler.summary, pympler.refgraph
        before = pympler.asizeof.asizeof([1, 2, 3], {'a': (1.5,)})
        for m in ('pympler.asizeof', 'pympler.summary', 'pympler.refgraph', 'pympler.refbrowser'):
            sys.modules.pop(m, None)
        a = importlib.import_module('pympler.asizeof')
        s = importlib.import_module('pympler.summary')
        g = importlib.import_module('pympler.refgraph')
        after = a.asizeof([1, 2, 3], {'a': (1.5,)})
        rows = s.summarize([1, 'x', 2.5])
        graph = g.ReferenceGraph([[1], {}])
        print(before == after, before, *sorted(r[1] for r in rows), graph.count)
    ''', our_path())
    same, size, *counts, nodes = out.split()
    assert same == 'True' and int(size) > 0
    assert counts == ['1', '1', '1'] and int(nodes) >= 2


# Two imports of a module that keeps state (its heap types, the shared
# Asizer, the proc root, the debug-garbage flags) are independent: each
# works with its own types and state, and the first one's types are freed
# with it (module state, not C statics).
REIMPORT = r'''
    import gc, importlib, io, json, sys, weakref
    gc.disable()
    MODS = ['asizeof', 'summary', 'refbrowser', 'process', 'garbagegraph']
    old = {m: importlib.import_module('pympler.' + m) for m in MODS}
    for m in MODS:
        sys.modules.pop('pympler.' + m)
    new = {m: importlib.import_module('pympler.' + m) for m in MODS}
    out = {}
    oa, na = old['asizeof'], new['asizeof']
    out['distinct'] = [oa.Asizer is not na.Asizer, oa.Asized is not na.Asized, oa._asizer is not na._asizer,
                       type(oa._asizer) is oa.Asizer, type(na._asizer) is na.Asizer,
                       old['process'].ThreadInfo is not new['process'].ThreadInfo,
                       old['refbrowser']._Node is not new['refbrowser']._Node,
                       old['garbagegraph'].GarbageGraph is not new['garbagegraph'].GarbageGraph]
    x = [1, 2, (3.5, 'abc')]
    ao, an = oa.asized(x, detail=1), na.asized(x, detail=1)
    out['asized'] = [type(ao) is oa.Asized, type(an) is na.Asized, type(ao.refs[0]) is oa.Asized,
                     ao.size == an.size == na.asizeof(x) == oa.asizeof(x)]
    op, np_ = old['process'], new['process']
    op._set_proc_root('/nonexistent')
    out['proc_root'] = [op._ProcessMemoryInfoProc().update(), np_._ProcessMemoryInfoProc().update()]
    root = ['root']
    holder = [root]
    out['browse'] = []
    for b in (old['refbrowser'], new['refbrowser']):
        s = io.StringIO()
        b.StreamBrowser(root, maxdepth=1, str_func=lambda o: type(o).__name__, stream=s).print_tree()
        out['browse'].append(s.getvalue().splitlines()[0])
    og, ng = old['garbagegraph'], new['garbagegraph']
    class Cyc:
        pass
    c = Cyc()
    c.me = c
    del c
    g = og.GarbageGraph(restore=True)   # the flags below are the debug-garbage calls' alone
    out['garbage'] = [type(g) is og.GarbageGraph, [type(o).__name__ for o in g.objects].count('Cyc')]
    og.start_debug_garbage()
    gc.set_debug(gc.DEBUG_LEAK)
    ng.end_debug_garbage()  # nothing saved in this import: flags 0, collector enabled
    out['flags'] = [gc.get_debug(), gc.isenabled()]
    gc.set_debug(gc.DEBUG_STATS)
    og.end_debug_garbage()  # what the old import saved: 0 and disabled
    out['flags'] += [gc.get_debug(), gc.isenabled()]
    gc.disable()
    refs = [weakref.ref(t) for t in (oa.Asizer, oa.Asized, op._ProcessMemoryInfo, old['refbrowser']._Node,
                                     og.GarbageGraph)]
    del oa, ao, op, og, g, old, b
    gc.collect()
    out['freed'] = [r() is None for r in refs]
    out['after'] = [na.asizeof(x) == an.size, ng.GarbageGraph().count >= 0]
    print(json.dumps(out))
'''


def test_reimport_keeps_two_independent_imports():
    import json
    out = json.loads(run_python(REIMPORT, our_path()))
    assert out['distinct'] == [True] * 8
    assert out['asized'] == [True, True, True, True]
    assert out['proc_root'] == [False, True]
    assert out['browse'] == ['list-+-list', 'list-+-list']
    assert out['garbage'] == [True, 1]
    assert out['flags'] == [0, True, 0, False]
    assert out['freed'] == [True] * 5
    assert out['after'] == [True, True]


SUBINTERP = r'''
    import _testcapi, sys
    for m in sys.argv[1:]:
        sys.stdout.flush()
        code = f"try:\n    import {m}\n    print('imported')\nexcept ImportError as e:\n    print('ImportError:', e)\n"
        assert _testcapi.run_in_subinterp(code) == 0
    import pympler.asizeof
    print('main', pympler.asizeof.asizeof(7) > 0)
'''


def test_subinterpreter_import_raises_import_error():
    out = run_python(SUBINTERP, our_path(), *MODULES).splitlines()
    assert out[-1] == 'main True'
    assert len(out) == len(MODULES) + 1
    for m, line in zip(MODULES, out):
        assert line == (f"ImportError: {m} cannot be imported in a subinterpreter: pympler's C engine is "
                        "shared by the whole process and serves the main interpreter only"), (m, line)
    if sys.version_info >= (3, 13):
        # an isolated interpreter (own GIL): refused by Py_mod_multiple_interpreters already
        out = run_python('''
            import _interpreters
            exc = _interpreters.exec(_interpreters.create(), "import pympler.asizeof")
            print(exc.type.__name__, exc.msg)
        ''', our_path())
        assert out.startswith('ImportError ') and 'pympler.asizeof' in out


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNSUPPORTED = 'pympler supports CPython 3.11 and 3.13'


@pytest.mark.parametrize('version', [(3, 10, 14), (3, 12, 4), (3, 14, 0)])
def test_setup_refuses_other_versions(version):
    code = (f'import sys; sys.version_info = {version!r}; sys.argv = ["setup.py", "--version"]; '
            'exec(compile(open("setup.py").read(), "setup.py", "exec"))')
    p = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout, p.stderr.strip()) == (1, '', UNSUPPORTED)


@pytest.mark.parametrize('hexversion', ['0x030A0EF0', '0x030C04F0', '0x030E00F0'])
def test_the_version_layer_refuses_to_compile_for_other_versions(tmp_path, hexversion):
    # a stand-in Python.h that says another version: the layer must stop
    # before it reads any layout
    (tmp_path / 'Python.h').write_text(f'#define PY_VERSION_HEX {hexversion}\n')
    p = subprocess.run(['cc', '-fsyntax-only', '-I', str(tmp_path), '-x', 'c',
                        os.path.join(REPO, 'lib', 'py', 'pyver.h')], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    errors = [line for line in p.stderr.splitlines() if 'error' in line]
    assert errors and '#error "%s"' % UNSUPPORTED in errors[0], p.stderr
