"""What the benchmarks share: where the reference is, running one measurement
in a fresh child process that prints a JSON line, and the tables."""

import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def reference_dir():
    """$PYMPLER_REFERENCE, else .deps/pympler-1.1 (make deps), else /opt/refpympler."""
    env = os.environ.get('PYMPLER_REFERENCE')
    if env:
        return env
    default = os.path.join(REPO, '.deps', 'pympler-1.1')
    return default if os.path.isdir(default) else '/opt/refpympler'


def select_cases(spec, known):
    """The case names of the comma-separated spec, or None (after saying
    which are unknown) when one is not in known or there are none."""
    cases = [c.strip() for c in spec.split(',') if c.strip()]
    bad = [c for c in cases if c not in known]
    if bad or not cases:
        print('unknown case(s): %s (valid: %s)' % (','.join(bad) or '(none)', ','.join(sorted(known))),
              file=sys.stderr)
        return None
    return cases


def ours_pythonpath(explicit):
    """The PYTHONPATH ours is imported from (explicit, else the environment's),
    every entry absolute: children run with another working directory."""
    path = explicit if explicit is not None else os.environ.get('PYTHONPATH', '')
    return os.pathsep.join(os.path.abspath(p) for p in path.split(os.pathsep) if p)


def print_header(title, ref_dir, ours_path, mode):
    """The run's context: what ran, where, against what.  False (after an
    ERROR line) when the reference directory does not exist."""
    print(title)
    print('date:      %s' % datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M:%S %Z'))
    print('python:    %s (%s)' % (sys.version.replace('\n', ' '), sys.executable))
    print('platform:  %s' % platform.platform())
    print('cpus:      %s' % os.cpu_count())
    print('reference: %s' % ref_dir)
    print('ours:      %s' % (ours_path or '(empty PYTHONPATH!)'))
    print('mode:      %s' % mode)
    if not os.path.isdir(ref_dir):
        print('ERROR: reference directory %s does not exist' % ref_dir)
        return False
    if not ours_path:
        print('WARNING: PYTHONPATH is empty; "ours" will import whatever pympler is installed, if any')
    elif os.path.realpath(ours_path) == os.path.realpath(ref_dir):
        print('NOTE: "ours" points at the reference (self-test run)')
    print('')
    sys.stdout.flush()
    return True


def child_env(pypath):
    """The environment of a child that imports pympler from pypath only."""
    env = dict(os.environ, PYTHONPATH=pypath)
    env.pop('PYTHONSTARTUP', None)
    return env


def run_impl(impl, script, args, timeout):
    """Run `python3 -P script --child args...` with pympler from the reference
    (impl 'ref') or from ours (PYTHONPATH, entries made absolute); the
    result dict of its JSON line.  RuntimeError when the child failed."""
    path = os.path.abspath(reference_dir()) if impl == 'ref' else ours_pythonpath(None)
    res, err = run_json([sys.executable, '-P', os.path.abspath(script), '--child'] + [str(a) for a in args],
                        child_env(path), timeout, None)
    if err:
        raise RuntimeError('%s %s failed: %s' % (impl, ' '.join(str(a) for a in args), err))
    return res


def run_json(cmd, env, timeout, cwd):
    """Run cmd; (result dict from its last JSON line on stdout, None), or
    (None, why it failed).  The result gets 'wall_s' and the child's stderr."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None, 'timed out after %ss' % timeout
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        lines = p.stderr.strip().splitlines()
        if p.returncode < 0:
            try:
                why = 'killed by %s' % signal.Signals(-p.returncode).name
            except ValueError:
                why = 'killed by signal %d' % -p.returncode
        else:
            why = 'exit status %d' % p.returncode
        if lines:
            why += ': ' + lines[-1].strip()[:200]
        return None, '%s\n%s' % (why, '\n'.join(lines[-15:]))
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith('{')]
    if not lines:
        return None, 'no JSON result on stdout:\n%s\n%s' % (p.stdout[-2000:], p.stderr[-2000:])
    try:
        res = json.loads(lines[-1])
    except ValueError as e:
        return None, 'bad JSON (%s): %r' % (e, lines[-1][:500])
    res['wall_s'] = wall
    if p.stderr.strip():
        res['stderr'] = p.stderr.strip()[-2000:]
    return res, None


def fmt_time(s):
    if s is None:
        return '-'
    if s >= 1:
        return '%.2f s' % s
    if s >= 1e-3:
        return '%.1f ms' % (s * 1e3)
    return '%.0f us' % (s * 1e6)


def fmt_int(v):
    if v is None:
        return '-'
    if isinstance(v, int) and not isinstance(v, bool):
        return '{:,}'.format(v)
    return str(v)


def print_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows))
              for i, h in enumerate(headers)]
    line = '  '.join(str(h).rjust(w) if i else str(h).ljust(w)
                     for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print('-' * len(line))
    for r in rows:
        print('  '.join(str(c).rjust(w) if i else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
