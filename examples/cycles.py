"""An example that makes garbage reference cycles.

A tree of nodes whose children point back at their parent: when the last
outside reference to the tree goes, reference counting cannot free it and
only the garbage collector can.  Some nodes have a __del__ method (on
CPython >= 3.4 the collector still frees them: they are collectable).

    pympler garbage examples/cycles.py                 # the text report
    pympler garbage -o cycles.svg examples/cycles.py   # the picture
    pympler garbage --fail-on any examples/cycles.py   # exit status 3
"""


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)


class Resource(Node):
    """A node that cleans up after itself."""

    def __del__(self):
        pass


def build_tree():
    root = Node("root")
    for i in range(2):
        Resource("child-%d" % i, root)
    return root


def main():
    for _ in range(3):
        build_tree()  # dropped at once: a garbage cycle each time
    ring = [Node("ring-%d" % i) for i in range(3)]
    for a, b in zip(ring, ring[1:] + ring[:1]):
        a.next = b  # a ring of three
    del ring
    print("built 3 trees and a ring")


if __name__ == "__main__":
    main()
