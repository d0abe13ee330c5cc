"""The command runs the user's program as python3 would (cli/program.c):
sys.argv, __main__, sys.path[0], __file__, exit statuses, tracebacks, atexit
handlers and threads before the report -- in the executable and under
python -m pympler."""

import json
import os
import re
import sys

import pytest

from cli_helpers import BIN, FACES, HAVE_BIN, OK, PROGRAM, USAGE, as_unprivileged, cli, one_line_error, python


def test_the_command_is_built():
    assert HAVE_BIN, 'no executable %s: make builds it (PYMPLER_BIN points elsewhere)' % BIN

PROBE = r'''
import json, sys
print("PROBE" + json.dumps({"argv": sys.argv, "path0": sys.path[0], "name": __name__,
                            "file": globals().get("__file__"),
                            "loader": type(__loader__).__name__ if not isinstance(__loader__, type)
                                      else __loader__.__name__,
                            "main_is_me": sys.modules["__main__"].__dict__ is globals(),
                            "keys": sorted(k for k in globals() if k.startswith("__"))}))
'''


def probe(out):
    for line in out.splitlines():
        if line.startswith('PROBE'):
            return json.loads(line[5:])
    raise AssertionError(out)


@pytest.fixture
def script(tmp_path):
    d = tmp_path / 'dir'
    d.mkdir()
    p = d / 'prog.py'
    p.write_text(PROBE)
    return p


@pytest.mark.parametrize('face', FACES)
def test_script_sees_what_python_gives_it(face, script, tmp_path):
    rel = os.path.relpath(script, tmp_path)
    p = cli('summary', '-n', '1', rel, 'a', '--b', face=face, cwd=tmp_path)
    assert p.returncode == OK, p.stderr
    q = python(rel, 'a', '--b', cwd=tmp_path)
    assert probe(p.stdout) == probe(q.stdout)
    got = probe(p.stdout)
    assert got['argv'] == [rel, 'a', '--b']
    assert got['path0'] == str(script.parent)
    assert got['file'] == str(tmp_path / rel)
    assert got['name'] == '__main__' and got['main_is_me']


@pytest.mark.parametrize('face', FACES)
def test_command_sees_what_python_gives_it(face, tmp_path):
    p = cli('summary', '-n', '1', '-c', PROBE, 'x', face=face, cwd=tmp_path)
    q = python('-c', PROBE, 'x', cwd=tmp_path)
    assert p.returncode == OK, p.stderr
    assert probe(p.stdout) == probe(q.stdout)
    assert probe(p.stdout)['argv'] == ['-c', 'x'] and probe(p.stdout)['path0'] == ''


@pytest.mark.parametrize('face', FACES)
def test_module_sees_what_python_gives_it(face, tmp_path):
    (tmp_path / 'probe_mod.py').write_text(PROBE)
    p = cli('summary', '-n', '1', '-m', 'probe_mod', 'y', face=face, cwd=tmp_path)
    q = python('-m', 'probe_mod', 'y', cwd=tmp_path)
    assert p.returncode == OK, p.stderr
    assert probe(p.stdout) == probe(q.stdout)
    assert probe(p.stdout)['argv'] == [str(tmp_path / 'probe_mod.py'), 'y']
    assert probe(p.stdout)['path0'] == str(tmp_path)


def test_directory_with_main(tmp_path):
    (tmp_path / 'app').mkdir()
    (tmp_path / 'app' / '__main__.py').write_text(PROBE)
    p = cli('summary', '-n', '1', 'app', face='bin', cwd=tmp_path)
    assert p.returncode == OK, p.stderr
    assert probe(p.stdout) == probe(python('app', cwd=tmp_path).stdout)


def test_safe_path_adds_nothing(script, tmp_path):
    p = cli('summary', '-n', '1', script, env={'PYTHONSAFEPATH': '1'})
    q = python(script, cwd=tmp_path)
    assert p.returncode == OK, p.stderr
    assert probe(p.stdout)['path0'] != str(script.parent)
    assert probe(q.stdout)['path0'] == str(script.parent)


@pytest.mark.parametrize('face', FACES)
@pytest.mark.parametrize('code, status, err', [
    ('import sys; sys.exit(0)', 0, ''),
    ('import sys; sys.exit(7)', 7, ''),
    ('import sys; sys.exit()', 0, ''),
    ('import sys; sys.exit("bye")', 1, 'bye\n'),
    ('raise SystemExit(5)', 5, ''),
])
def test_system_exit_gives_the_status(face, code, status, err):
    for cmd in ('summary', 'garbage'):
        p = cli(cmd, '-c', code, face=face)
        assert p.returncode == status, (cmd, p.stderr)
        assert p.stderr == err
        assert p.stdout  # the report still comes


@pytest.mark.parametrize('face', FACES)
def test_uncaught_exception_prints_the_traceback_and_exits_1(face, tmp_path):
    s = tmp_path / 'boom.py'
    s.write_text('def f():\n    raise KeyError("k")\nf()\n')
    p = cli('summary', s, face=face)
    q = python(s)
    assert p.returncode == PROGRAM == q.returncode
    assert p.stderr == q.stderr
    assert p.stderr.startswith('Traceback (most recent call last):')
    assert 'File "%s", line 3, in <module>' % s in p.stderr


def test_syntax_error_as_python(tmp_path):
    s = tmp_path / 'bad.py'
    s.write_text('x = (\n')
    p = cli('garbage', s)
    q = python(s)
    assert p.returncode == PROGRAM == q.returncode
    assert p.stderr == q.stderr


def test_report_after_threads_and_atexit():
    code = ('import atexit, threading, time\n'
            'atexit.register(print, "atexit")\n'
            'def w():\n    time.sleep(0.3); print("thread")\n'
            'threading.Thread(target=w).start()\nprint("main")\n')
    for cmd in ('summary', 'garbage'):
        p = cli(cmd, '-c', code)
        assert p.returncode == OK, p.stderr
        lines = p.stdout.splitlines()
        assert lines[:3] == ['main', 'thread', 'atexit'], p.stdout
        assert len(lines) > 3


@pytest.mark.parametrize('face', FACES)
def test_expressions_run_in_a_fresh_main(face):
    # python -m pympler runs in pympler's own __main__: --setup and the
    # expressions must not see (or change) its names, as with the executable
    p = cli('asizeof', '--setup', 'x = [1]', '-c', 'x', '-c', '__name__', face=face)
    main = (sys.getsizeof('__main__') + 7) & ~7  # 64 on 3.11, 56 on 3.13
    assert p.stdout == "[1] size=96 flat=64\n'__main__' size=%d flat=%d\n" % (main, main), p.stderr
    p = cli('asizeof', '-c', 'main', face=face)
    assert p.returncode == PROGRAM and "NameError: name 'main' is not defined" in p.stderr
    p = cli('refgraph', '--format', 'dot', '[__file__]', face=face)
    assert p.returncode == PROGRAM and "NameError: name '__file__' is not defined" in p.stderr


def test_output_order_to_a_pipe():
    p = cli('garbage', '-c', 'print("first")')
    assert p.stdout.startswith('first\nGarbage: ')


@pytest.mark.parametrize('args, needle', [
    (('summary', 'no/such/script.py'), "can't open file 'no/such/script.py'"),
    (('garbage', 'no_such.py'), "can't open file 'no_such.py'"),
    (('summary',), 'no program given'),
    (('summary', '-m'), "option '-m' needs a value"),
    (('summary', '--', '-m'), "option '-m' needs a value"),
    (('garbage', '--', '-c'), "option '-c' needs a value"),
    (('summary', '--sort', 'weight', '-c', 'pass'), "'weight'"),
    (('summary', '-n', 'x', '-c', 'pass'), "'x'"),
    (('summary', '--bogus', '-c', 'pass'), "unknown option '--bogus'"),
    (('garbage', '--format', 'gif', '-c', 'pass'), "'gif'"),
    (('garbage', '--fail-on', 'some', '-c', 'pass'), "'some'"),
    (('refgraph',), 'no expression given'),
    (('refgraph', '--format', 'jpeg', '1'), "'jpeg'"),
    (('frobnicate',), "unknown command 'frobnicate'"),
    ((), 'missing command'),
])
@pytest.mark.parametrize('face', FACES)
def test_usage_errors_one_line_status_2(face, args, needle):
    p = cli(*args, face=face)
    assert needle in one_line_error(p, USAGE)
    assert p.stdout == ''


def test_unreadable_script(tmp_path):
    ok, s = tmp_path / 'ok.py', tmp_path / 'secret.py'
    for f in (ok, s):
        f.write_text('print(1)\n')
    s.chmod(0)
    # root reads everything: then the command runs without that privilege
    if not os.access(s, os.R_OK):
        p = cli('summary', s)
    else:
        control = as_unprivileged('summary', ok)
        assert control.returncode == OK, control.stderr
        assert control.stdout.startswith('1\n')
        p = as_unprivileged('summary', s)
    assert one_line_error(p, USAGE) == "pympler summary: can't open file '%s': Permission denied" % s


def test_options_after_the_script_are_the_programs(script):
    p = cli('summary', script, '--diff', '-n', '3')
    assert p.returncode == OK, p.stderr
    assert probe(p.stdout)['argv'][1:] == ['--diff', '-n', '3']


@pytest.mark.parametrize('face', FACES)
def test_help(face):
    p = cli('--help', face=face)
    assert p.returncode == OK and p.stdout.startswith('usage: pympler COMMAND')
    for name in ('summary', 'garbage', 'asizeof', 'refgraph', 'exit status'):
        assert name in p.stdout
    for cmd in ('summary', 'garbage', 'asizeof', 'refgraph'):
        for flag in ('--help', '-h'):
            p = cli(cmd, flag, face=face)
            assert p.returncode == OK, p.stderr
            assert p.stdout.startswith('usage: pympler ' + cmd)
            assert 'exit status:' in p.stdout and p.stderr == ''


def test_exit_statuses_documented_alike():
    from cli_helpers import REPO
    help_text = cli('--help').stdout
    md = (REPO / 'docs' / 'cli.md').read_text()
    man = (REPO / 'docs' / 'pympler.1').read_text()
    for status in ('0', '1', '2', '3', '4', '130'):
        assert re.search(r'^  %s  ' % status, help_text, re.M)
        assert '| %s |' % status in md
        assert '.B %s\n' % status in man
    readme = (REPO / 'README.md').read_text()
    assert 'pympler garbage -o build/cycles.svg examples/cycles.py' in readme
