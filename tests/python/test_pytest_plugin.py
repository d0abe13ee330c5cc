"""pympler.pytest_plugin: a test suite run through pytester, in a process of
its own each time (the checks freeze and collect the collector's heap), with
-p pympler.pytest_plugin as from a build tree."""
import json
import os
import xml.etree.ElementTree as ET

import pytest

import pympler

pytest_plugins = ['pytester']


@pytest.fixture(autouse=True)
def package_under_test(monkeypatch):
    """The pytester subprocess runs elsewhere: the package by an absolute path."""
    monkeypatch.setenv('PYTHONPATH', os.path.dirname(os.path.dirname(os.path.abspath(pympler.__file__))))

SAMPLE = '''
import gc
import pytest

_cache = []


class Car:
    def __init__(self):
        self.wheels = [Wheel(self) for _ in range(4)]


class Wheel:
    def __init__(self, car):
        self.car = car


class Leaky:
    pass


def test_clean():
    assert sorted({3, 1, 2}) == [1, 2, 3]


def test_car_wheel_cycle():
    Car()


def test_module_cache_leak():
    _cache.append([Leaky()])


@pytest.mark.pympler_ignore_cycles
def test_cycle_ignored():
    Car()


@pytest.mark.pympler_ignore_leaks
def test_leak_ignored():
    _cache.append([Leaky()])


@pytest.mark.pympler_leaks(runs=6)
def test_leak_six_runs():
    _cache.append([Leaky()])


_filled = {}


def test_cache_that_fills_once():
    if not _filled:
        _filled.update((i, [i]) for i in range(100))


def test_plain_failure():
    Car()
    assert 1 == 2


@pytest.mark.pympler_ignore_cycles       # not checked itself: the earlier checks' state is seen
@pytest.mark.pympler_ignore_leaks
def test_collector_left_as_found():
    assert gc.get_freeze_count() == 0 and gc.garbage == [] and gc.get_debug() == 0
'''

FIXTURES = '''
import pytest


class Node:
    def __init__(self):
        self.me = self


@pytest.fixture(scope='module')
def shared():
    return {'graph': [Node() for _ in range(10)], 'cache': []}


@pytest.fixture
def node():
    n = Node()
    yield n
    del n                # garbage made at teardown, not by the body


def test_uses_the_module_fixture(shared):
    assert len(shared['graph']) == 10


def test_uses_a_function_fixture(node):
    assert node.me is node
'''

CHECKS = ('-p', 'pympler.pytest_plugin', '--pympler-cycles', '--pympler-leaks')


def outcomes(result):
    """{test name: 'passed'/'failed'} from the -rA summary lines."""
    seen = {}
    for line in result.outlines:
        for word in ('PASSED', 'FAILED'):
            if line.startswith(word + ' ') and '::' in line:
                seen[line.split('::')[1].split()[0]] = word.lower()
    return seen


def failure(result, name):
    """The failure section of one test."""
    text = '\n'.join(result.outlines)
    start = text.index('_ %s _' % name)
    ends = [e for e in (text.find('\n____', start + 1), text.find('\n====', start + 1)) if e > 0]
    return text[start:min(ends) if ends else len(text)]


def test_sample_suite_fails_the_cycle_and_the_leaks(pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess(*CHECKS, '-rA', '-p', 'no:randomly')
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert outcomes(result) == {
        'test_clean': 'passed', 'test_car_wheel_cycle': 'failed', 'test_module_cache_leak': 'failed',
        'test_cycle_ignored': 'passed', 'test_leak_ignored': 'passed', 'test_leak_six_runs': 'failed',
        'test_cache_that_fills_once': 'passed', 'test_plain_failure': 'failed',
        'test_collector_left_as_found': 'passed'}
    cycle = failure(result, 'test_car_wheel_cycle')
    assert 'pympler: this test left 1 reference cycle for the garbage collector' in cycle
    assert 'Garbage: 6 objects' in cycle
    # the members' types and sizes, as `pympler garbage` prints them
    rows = [line.split() for line in cycle.splitlines() if line.strip().endswith(('Wheel', 'Car', 'list'))]
    assert ['4', 'Wheel'] == [rows[0][0], rows[0][2]] and rows[1][0] == '1' and rows[1][2] == 'Car'
    leak = failure(result, 'test_module_cache_leak')
    assert 'this test leaks' in leak and '(4 runs; the first fills caches)' in leak
    assert 'test_sample.Leaky: +1 per run (alive after each run: 1, 2, 3, 4)' in leak
    assert 'kept alive by test_sample._cache (module global) -> list -> list -> Leaky' in leak
    six = failure(result, 'test_leak_six_runs')
    assert '(6 runs;' in six and 'alive after each run: 6, 7, 8, 9, 10, 11)' in six   # test_leak_ignored added one
    plain = failure(result, 'test_plain_failure')
    assert 'assert 1 == 2' in plain and 'pympler:' not in plain


def test_off_unless_asked(pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess('-p', 'pympler.pytest_plugin', '-rA')
    assert [t for t, o in outcomes(result).items() if o == 'failed'] == ['test_plain_failure']


def test_fixtures_of_wider_scope_are_not_the_tests(pytester):
    pytester.makepyfile(test_fixtures=FIXTURES)
    result = pytester.runpytest_subprocess(*CHECKS, '-rA')
    assert result.ret == pytest.ExitCode.OK
    assert outcomes(result) == {'test_uses_the_module_fixture': 'passed', 'test_uses_a_function_fixture': 'passed'}


def test_artifacts_picture_and_findings(pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    where = pytester.path / 'memory-artifacts'
    result = pytester.runpytest_subprocess(*CHECKS, '--pympler-artifacts', str(where), '-k',
                                           'car_wheel or module_cache')
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    files = sorted(os.listdir(where))
    assert files == ['test_sample.py__test_car_wheel_cycle.json', 'test_sample.py__test_car_wheel_cycle.svg',
                     'test_sample.py__test_module_cache_leak.json', 'test_sample.py__test_module_cache_leak.svg']
    assert 'artifacts: %s/test_sample.py__test_car_wheel_cycle.svg' % where in '\n'.join(result.outlines)
    ns = '{http://www.w3.org/2000/svg}'
    texts = [t.text for t in ET.parse(where / files[1]).iter(ns + 'text')]
    assert texts.count('Wheel') == 4 and texts.count('Car') == 1
    cycles = json.loads((where / files[0]).read_text())
    assert cycles['version'] == 1 and cycles['test'] == 'test_sample.py::test_car_wheel_cycle'
    assert cycles['cycles']['summary']['cycles'] == 1 and cycles['cycles']['summary']['objects'] == 6
    assert {m['type'] for c in cycles['cycles']['cycles'] for m in c['members']} == {'Car', 'Wheel', 'list'}
    leaks = json.loads((where / files[2]).read_text())
    assert leaks['cycles'] is None
    leaky = [f for f in leaks['leaks'] if f['type'] == 'test_sample.Leaky']
    assert leaky[0]['chain'] == ['test_sample._cache (module global)', 'list', 'list', 'Leaky']
    assert leaky[0]['counts'] == [1, 2, 3, 4] and leaky[0]['growth'] == [1, 1, 1]
    texts = [t.text for t in ET.parse(where / files[3]).iter(ns + 'text')]
    assert 'Leaky' in texts


def test_an_artifacts_path_that_cannot_be_written_is_a_usage_error(pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    (pytester.path / 'plain-file').write_text('x')
    bad = pytester.path / 'plain-file' / 'artifacts'
    result = pytester.runpytest_subprocess(*CHECKS, '--pympler-artifacts', str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = '\n'.join(result.errlines)
    assert "--pympler-artifacts '%s' cannot be written" % bad in err and 'Not a directory' in err
    assert 'Traceback' not in err and 'INTERNALERROR' not in err


def test_a_bad_runs_marker_is_named(pytester):
    pytester.makepyfile(test_runs='''
import pytest

@pytest.mark.pympler_leaks(runs=1)
def test_one():
    pass
''')
    result = pytester.runpytest_subprocess(*CHECKS)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert 'pympler_leaks(runs=1): runs must be an int from 3 to 1000' in '\n'.join(result.outlines)


def test_with_xdist_each_worker_checks_its_tests(pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess(*CHECKS, '-n', '2', '-rA')
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failed = sorted(t for t, o in outcomes(result).items() if o == 'failed')
    assert failed == ['test_car_wheel_cycle', 'test_leak_six_runs', 'test_module_cache_leak', 'test_plain_failure']
    text = '\n'.join(result.outlines)
    assert 'kept alive by test_sample._cache (module global) -> list -> list -> Leaky' in text
