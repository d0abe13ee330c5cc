"""The census, summaries, trackers, refbrowser and asizeof while other threads
allocate, mutate and drop containers (and make garbage cycles) under a tiny
switch interval, so that every call that runs Python code (a __sizeof__,
a str_func, gc callbacks) lets them in.

Runs in a subprocess: a crash there is this test's failure, with its output.
"""

import os

from reference_paths import our_path, run_python

CODE = r'''
import sys, threading
from pympler import asizeof, muppy, refbrowser, summary, tracker

stop = False
shared = []

class Clearing:
    """Its size is asked for while the census list is summarised: it empties
    a list the other threads share."""
    def __sizeof__(self):
        shared.clear()
        return 10

class Marker:
    pass

def churn():
    while not stop:
        x = [[i, {i: str(i)}] for i in range(300)]
        shared.append(x)
        if len(shared) > 40:
            del shared[:20]
        y = []
        y.append(y)

threads = [threading.Thread(target=churn) for _ in range(3)]
for t in threads:
    t.start()
sys.setswitchinterval(1e-5)
tr = tracker.SummaryTracker()
markers = []
try:
    for rnd in range(1, ROUNDS + 1):
        markers.append(Marker())
        objs = muppy.get_objects()
        rows = summary.summarize(objs + [Clearing()])
        del objs
        assert all(isinstance(r[1], int) and r[1] > 0 and r[2] > 0 for r in rows), rows[:3]
        mine = [r for r in rows if r[0] == '__main__.Marker']
        assert mine and mine[0][1] == rnd, (rnd, mine)
        assert isinstance(tr.diff(), list)
        tree = refbrowser.RefBrowser(markers[-1], maxdepth=4, str_func=repr).get_tree()
        assert tree.o is markers[-1]
        assert asizeof.asizeof(shared) > 0
finally:
    stop = True
    for t in threads:
        t.join()
print('rounds', rnd)
'''


def test_census_and_friends_while_threads_mutate_the_heap():
    rounds = 25 if 'LD_PRELOAD' not in os.environ else 10  # sanitizer runs: fewer
    out = run_python(CODE.replace('ROUNDS', str(rounds)), our_path(), timeout=600)
    assert out.split() == ['rounds', str(rounds)]
