"""Very deep structures: no recursion limit, exact sizes, deep Asized trees.

Pympler recurses in Python and, with a large ``limit``, swallows the
RecursionError (``missed``) and returns a partial size that depends on the
caller's stack.  Ours walks with an explicit stack (docs/asizeof.md, "Where we
deliberately differ", item 2): a million levels are sized completely, and the
expected values below are computed independently from ``sys.getsizeof``.
"""

import gc
import sys

import pytest

from pympler import asizeof

N = 10**6


def _al(n):
    return (n + 7) & ~7


def _nested_list(n):
    a = []
    cur = a
    for _ in range(n):
        nxt = []
        cur.append(nxt)
        cur = nxt
    return a


class Node:
    def __init__(self, nxt=None):
        self.next = nxt


def _chain(n):
    head = None
    for _ in range(n):
        head = Node(head)
    return head


class Slotted:
    __slots__ = ('next',)

    def __repr__(self):  # cheap names for asized
        return 'S'


def _slotted_chain(n):
    head = None
    for _ in range(n):
        s = Slotted()
        s.next = head
        head = s
    return head


@pytest.fixture(scope='module')
def deep_list():
    a = _nested_list(N)
    yield a
    # dismantle iteratively: a recursive dealloc of 10**6 levels is CPython's
    # business (it has a trashcan), but keep the teardown cheap and safe
    while a:
        a = a.pop()


def test_deep_list_sized_completely(deep_list):
    expected = 0
    cur = deep_list
    while True:
        expected += _al(sys.getsizeof(cur))
        if not cur:
            break
        cur = cur[0]
    # every list but the innermost holds one item (appended: 4 slots)
    assert expected == N * 88 + 56
    rlimit = sys.getrecursionlimit()
    z = asizeof.Asizer(limit=2_000_000)
    assert z.asizeof(deep_list) == expected
    assert z.missed == 0
    assert sys.getrecursionlimit() == rlimit
    assert asizeof.asizeof(deep_list, limit=2_000_000) == expected
    assert sys.getrecursionlimit() == rlimit


def test_deep_list_default_limit(deep_list):
    # default limit=100: levels 0..100 sized (the one at depth 100 flat only),
    # nothing below; the golden value for a 5000-deep list
    one = _al(sys.getsizeof(deep_list))
    assert asizeof.asizeof(deep_list) == 101 * one == 8888
    z = asizeof.Asizer()
    assert z.asizeof(deep_list) == 8888
    assert z.missed == 0


def test_deep_instance_chain():
    a = _chain(N)
    b = _chain(N)  # identical chain whose __dict__s we materialise
    expected = 0
    keys = set()
    cur = b
    while cur is not None:
        expected += _al(sys.getsizeof(cur))
        d = cur.__dict__
        expected += _al(sys.getsizeof(d))
        for k in d:  # the key 'next' is shared: counted once
            if id(k) not in keys:
                keys.add(id(k))
                expected += _al(sys.getsizeof(k))
        cur = cur.next
    expected += _al(sys.getsizeof(None))  # the last .next
    rlimit = sys.getrecursionlimit()
    # instance -> __dict__ -> next instance: 2 levels per node
    z = asizeof.Asizer(limit=2_000_000)
    assert z.asizeof(a) == expected
    assert z.missed == 0
    assert sys.getrecursionlimit() == rlimit
    # chain A was not materialised by sizing it
    assert not any(type(r) is dict for r in gc.get_referents(a))


def test_deep_asized_format_lines(deep_list):
    # Scaled down from detail=50_000: the text of a 50,000-deep tree is
    # ~5 GB (each line is indented 4 spaces per level), and every node's name
    # is the repr of a nested list (quadratic).  1,500 levels still exceed the
    # interpreter's recursion limit (repr of the top lists fails -> 'N/A').
    r = asizeof.asized(deep_list, detail=1_500, limit=2_000)
    text = r.format()
    lines = text.split('\n')
    assert len(lines) == 1_501
    assert lines[0].startswith('N/A size=')
    # the node at depth 1,500 sums levels 1,500..2,000 (limit)
    assert lines[-1] == ' ' * (4 * 1_500) + 'N/A size=%d flat=88' % (501 * 88)
    assert r.size == 2_001 * 88


def test_deep_asized_tree_50k():
    n = 50_000
    head = _slotted_chain(n)
    rlimit = sys.getrecursionlimit()
    r = asizeof.asized(head, detail=60_000, limit=60_000)
    assert sys.getrecursionlimit() == rlimit
    one = _al(sys.getsizeof(head))
    assert r.size == n * one + _al(sys.getsizeof(None))
    # walk the tree iteratively: every node has __class__ and next
    depth, node = 0, r
    while node.refs:
        assert [k.name for k in node.refs] == ['__class__', 'next']
        node = node.refs[1]
        depth += 1
    assert depth == n
    assert node.name == 'next' and node.flat == node.size == 16  # the final None
    # a depth-limited format of the huge tree
    assert r.format(depth=3).count('\n') == 6
    # full format of a smaller one: 2 lines per node plus the root
    small = asizeof.asized(_slotted_chain(2_000), detail=3_000, limit=3_000)
    assert len(small.format().split('\n')) == 2 * 2_000 + 1
    del r, node


def test_delete_deep_asized_tree():
    head = _slotted_chain(200_000)
    r = asizeof.asized(head, detail=300_000, limit=300_000)
    assert r.size == 200_000 * 40 + 16
    del r  # must not overflow the C stack
    gc.collect()
    assert asizeof.asizeof([1, 2, 3]) == 184
