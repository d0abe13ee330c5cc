"""Every name the reference Pympler 1.1's modules show is there in ours, as the
same thing: the functions and classes of the API, and what the modules import
and so re-export (typing names, inspect helpers, subprocess.Popen, sibling
pympler modules...), which ours imports on first access (lib/py/pyrt.h,
pym_reexport).  Left out on purpose, and documented: Pympler's private
helpers of asizeof (docs/asizeof.md, 9), refbrowser's sample leftovers
(docs/refbrowser.md) and refgraph's popen_flags (we never run Graphviz's
program).
"""

import json

import pytest

from reference_paths import our_path, reference_dir, run_python

MODULES = ['pympler.asizeof', 'pympler.muppy', 'pympler.summary', 'pympler.tracker', 'pympler.refbrowser',
           'pympler.refgraph', 'pympler.garbagegraph', 'pympler.process', 'pympler.util.stringutils',
           'pympler.util.compat', 'pympler.classtracker', 'pympler.classtracker_stats', 'pympler.mprofile']

# What each name is: a module's name, or (module, qualname, type) of an object.
DESCRIBE = r'''
import importlib, inspect, json, sys
out = {}
for m in sys.argv[1:]:
    mod = importlib.import_module(m)
    out[m] = d = {}
    for k in dir(mod):
        if k.startswith('__'):
            continue
        v = getattr(mod, k)
        if inspect.ismodule(v):
            d[k] = ['module', v.__name__]
        else:
            d[k] = ['object', getattr(v, '__module__', None),
                    getattr(v, '__qualname__', None) or getattr(v, '__name__', None), type(v).__name__]
print(json.dumps(out))
'''

LEFT_OUT = {
    'pympler.refbrowser': {'foo', 'i', 'print_sample', 'root', 'superlist', 'tmp', 'write_sample'},
    'pympler.refgraph': {'popen_flags'},
}


def describe(path):
    return json.loads(run_python(DESCRIBE, path, *MODULES))


@pytest.fixture(scope='module')
def names():
    return describe(our_path()), describe(reference_dir())


def left_out(module, name, what):
    if name in LEFT_OUT.get(module, ()):
        return True
    # asizeof's private helpers: Pympler's own code, not imported names
    return module == 'pympler.asizeof' and name.startswith('_') and what[0] == 'object' and \
        (what[1] == 'pympler.asizeof' or what[1] is None)


@pytest.mark.parametrize('module', MODULES)
def test_every_name_of_the_reference_module_is_there(names, module):
    ours, ref = names[0][module], names[1][module]
    missing = sorted(k for k, what in ref.items() if k not in ours and not left_out(module, k, what))
    assert missing == []


@pytest.mark.parametrize('module', MODULES)
def test_imported_names_are_the_same_objects(names, module):
    ours, ref = names[0][module], names[1][module]
    imported = {k: what for k, what in ref.items()
                if what[0] == 'module' or (what[1] and not what[1].startswith('pympler'))}
    assert imported, 'the reference module imports nothing?'
    assert {k: ours.get(k) for k in imported} == imported


def test_the_known_imports_resolve_to_the_real_objects():
    code = r'''
    import inspect, subprocess, typing, gc
    from pympler import asizeof, garbagegraph, muppy, process, refbrowser, refgraph, summary, tracker
    from pympler.util import stringutils, compat
    assert asizeof.isclass is inspect.isclass and asizeof.Dict is typing.Dict and asizeof.sys is __import__('sys')
    assert refgraph.Popen is subprocess.Popen and refgraph.Asizer is asizeof.Asizer
    assert garbagegraph.ReferenceGraph is refgraph.ReferenceGraph and garbagegraph.pp is stringutils.pp
    assert muppy.summary is summary and tracker.compat is compat and refbrowser.gc is gc
    assert process.PIPE == subprocess.PIPE and summary.stringutils is stringutils
    assert 'isclass' in dir(asizeof) and 'Popen' in dir(refgraph) and 'summary' in dir(muppy)
    try:
        refgraph.no_such_name
    except AttributeError as e:
        print(e)
    '''
    assert run_python(code, our_path()) == "module 'pympler.refgraph' has no attribute 'no_such_name'\n"


def test_instances_know_their_module_as_pymplers_do():
    code = r'''
    from pympler import asizeof, garbagegraph, process, refbrowser, refgraph, tracker
    objs = [asizeof.Asizer(), asizeof.Asized(1, 1), refgraph.ReferenceGraph([[]]), tracker.SummaryTracker(),
            tracker.ObjectTracker(), process.ProcessMemoryInfo(), refbrowser.RefBrowser(1), refbrowser._Node(1),
            garbagegraph.GarbageGraph()]
    print([(type(o).__name__, o.__module__) for o in objs])
    '''
    outs = [run_python(code, path) for path in (our_path(), reference_dir())]
    assert "('Asizer', 'pympler.asizeof')" in outs[0] and "('GarbageGraph', 'pympler.garbagegraph')" in outs[0]
    assert outs[0] == outs[1]
