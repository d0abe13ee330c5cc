"""A huge __len__ must not make Pympler's length functions loop or wrap.

(Found as a bug: pym_power_of_2 overflowed and looped forever.  Fixed by
saturating length arithmetic at sys.maxsize; docs/asizeof.md item 6.)

Repro (hangs, not interruptible by Ctrl-C)::

    class DH(dict):
        def __len__(self): return 2**62
    asizeof.leng(DH())                       # hangs; reference: 2**63
    class DT(DH):
        def __sizeof__(self): raise TypeError
    asizeof.asizeof(DT())                    # hangs (estimate path uses leng)
    asizeof.asizeof(DH({i: 'x' * 10 for i in range(100)}), stats=1)
                                             # hangs (ranks print 'leng N!')
    class DM(dict):
        def __len__(self): return sys.maxsize
    asizeof.leng(DM())                       # ours 2 (wrapped), reference 2**63

Diagnosis: lib/py/flatsize.c, ``pym_power_of_2(n)`` doubles a Py_ssize_t
``p`` while ``p < n``: for n > 2**62 ``p += p`` overflows (undefined
behaviour; in practice it wraps to negative/0 and the loop never ends).  The
callers compute ``v + 1`` (PYM_LEN_DICT) and ``v + v - 2`` (PYM_LEN_SET; only
exact sets use it, whose length cannot lie, so latent), which overflow too for
lengths near PY_SSIZE_T_MAX, and the estimate
``base + leng * item`` can overflow as well.  Pympler works with unbounded
Python ints (``_power_of_2(2**62 + 1) == 2**63``).  Fix: saturate or fail
cleanly (e.g. OverflowError, or compute in Python ints when n > 2**62).

UBSan (make SANITIZE=address,undefined) reports it at the first call:
``lib/py/flatsize.c:150:11: runtime error: signed integer overflow:
4611686018427387904 * 2 cannot be represented in type 'long int'``
(pym_power_of_2 <- pym_leng_raw <- mod_leng).

Each case runs in a child process with a timeout so a hang fails the test.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PRE = '''
import sys
from pympler import asizeof
class DH(dict):
    def __len__(self): return 2**62
class DT(DH):
    def __sizeof__(self): raise TypeError
class DM(dict):
    def __len__(self): return sys.maxsize
'''

CASES = {
    'leng_dict_2p62': 'print(asizeof.leng(DH()))',
    'leng_dict_maxsize': 'print(asizeof.leng(DM()))',
    'estimate': 'print(asizeof.asizeof(DT()))',
    'stats_rank': "print(asizeof.asizeof(DH({i: 'x' * 10 for i in range(100)}), stats=1))",
}


def _path():
    pp = os.environ.get('PYTHONPATH')
    if not pp:
        return str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)


@pytest.mark.parametrize('case', sorted(CASES))
def test_huge_len_terminates(case):
    env = dict(os.environ, PYTHONPATH=_path())
    try:
        p = subprocess.run([sys.executable, '-P', '-c', PRE + CASES[case]], env=env,
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail('%s: hangs' % case)
    # Pympler computes with unbounded ints (2**63 here); our lengths saturate
    # at sys.maxsize (docs/asizeof.md), never wrap
    assert p.returncode == 0, p.stderr
    out = int(p.stdout.split()[-1])
    if case.startswith('leng'):
        assert out == sys.maxsize, out
    else:
        assert out > 0, out
