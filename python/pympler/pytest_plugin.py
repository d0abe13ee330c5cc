"""pytest plugin: fail tests that leave garbage reference cycles or leak
objects (docs/pytest.md).

Registered by the ``pytest11`` entry point ``pympler`` when the package is
installed; ``-p pympler.pytest_plugin`` from a build tree.  Off unless
``--pympler-cycles`` or ``--pympler-leaks`` is given.  The checks are C
(``pympler._testcheck``); this file holds only the hooks pytest finds by
name.
"""
import pytest

from pympler import _testcheck

MARKERS = (
    'pympler_ignore_cycles: --pympler-cycles does not check this test',
    'pympler_ignore_leaks: --pympler-leaks does not check this test',
    'pympler_leaks(runs=N): --pympler-leaks runs the body of this test N times (default %d)'
    % _testcheck.DEFAULT_RUNS,
)


def pytest_addoption(parser):
    group = parser.getgroup('pympler', 'memory checks (pympler)')
    group.addoption('--pympler-cycles', action='store_true',
                    help='fail a test that leaves new reference cycles for the garbage collector')
    group.addoption('--pympler-leaks', action='store_true',
                    help='fail a test whose body, run again, keeps adding live objects; name who keeps them')
    group.addoption('--pympler-artifacts', metavar='DIR',
                    help='for every test failed by these checks, an SVG and a JSON file of the findings in DIR')


def pytest_configure(config):
    for line in MARKERS:
        config.addinivalue_line('markers', line)
    where = config.getoption('pympler_artifacts')
    problem = _testcheck.check_artifacts(where) if where else None
    if problem:
        raise pytest.UsageError(problem)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    state = _testcheck.begin(item)
    try:
        result = yield
    except BaseException:
        _testcheck.end(item, state, True)
        raise
    _testcheck.end(item, state, False)
    return result
