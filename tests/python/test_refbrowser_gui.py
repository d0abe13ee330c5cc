"""InteractiveBrowser's window: Pympler's IDLE tree of referrers (_TreeNode,
_ReferrerTreeItem), on a virtual X screen (Xvfb, installed by
scripts/install-deps.sh).

The same script drives the window of ours and of the reference Pympler 1.1,
each in its own process: the tree after main(), after expanding nodes (the
referrers of a node past maxdepth are searched when it is expanded), after
"reload referrers", and the right-click menu with its commands.  The one
deliberate difference (docs/refbrowser.md): Pympler's own Python frames show
up as referrers in its tree; ours has none, so lines of frames are dropped
from the reference's output before comparing.
"""

import os
import shutil
import subprocess

import pytest

from reference_paths import our_path, reference_dir, run_python


@pytest.fixture(scope='module')
def display():
    xvfb = shutil.which('Xvfb')
    assert xvfb, 'Xvfb is missing: scripts/install-deps.sh installs the xvfb package'
    env = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}  # no sanitizer in the X server
    r, w = os.pipe()
    p = subprocess.Popen([xvfb, '-displayfd', str(w), '-nolisten', 'tcp', '-screen', '0', '1024x768x24'],
                         pass_fds=(w,), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r, 'rb') as f:  # the display number, once the server is ready
        number = f.readline().strip().decode()
    assert number, 'Xvfb did not start'
    yield ':' + number
    p.terminate()
    p.wait(10)


def run(code, path, display=None):
    """The code's output, run on the display (none: an empty DISPLAY)."""
    return run_python(code, path, env={'DISPLAY': display or ''})


WINDOW = r'''
import gc, tkinter
from pympler import refbrowser

def name(o):
    n = type(o).__name__
    return n + str(len(o)) if isinstance(o, (list, tuple)) else n

def show(n, depth=0):
    it = n.item
    print('  ' * depth + it.GetText(), it.IsExpandable(), it.GetIconName(), n.state,
          type(n).__name__, type(it).__name__)
    for ch in n.children:
        show(ch, depth + 1)

def main():
    root = ['the root']
    a = [root]
    b = {'k': root}
    c = (a, b)
    holder = [c, [c]]
    for _ in range(3):
        gc.collect()
    br = refbrowser.InteractiveBrowser(root, maxdepth=2, str_func=name)
    assert br.main() is None
    window = tkinter._default_root
    top, = [o for o in gc.get_objects() if isinstance(o, refbrowser._TreeNode) and o.parent is None]
    print('== after main'); show(top)
    for ch in top.children:
        ch.expand()
    print('== children expanded'); show(top)
    top.children[1].children[0].expand()
    print('== a node past maxdepth expanded: its referrers searched now'); show(top)
    holder.append([a])
    top.reload_referrers()
    print('== reloaded after one more referrer'); show(top)
    menu, = [w for w in top.canvas.winfo_children() if isinstance(w, tkinter.Menu)][:1]
    last = menu.index('end')
    print('== menu', [(menu.type(i), menu.type(i) != 'separator' and menu.entrycget(i, 'label'))
                      for i in range(last + 1)])
    print('bound', bool(top.label.bind('<Button-3>')))
    menu.invoke(1)  # print
    top.label.event_generate('<Button-3>', x=2, y=2)
    window.update()
    menu.unpost()
    window.destroy()
    del holder

main()
'''


def drop_frames(text):
    return '\n'.join(line for line in text.splitlines() if line.split()[:1] != ['frame'])


def test_tree_widget_matches_the_reference(display):
    ours = run(WINDOW, our_path(), display)
    ref = run(WINDOW, reference_dir(), display)
    assert 'frame' not in ours.split()
    assert ours.rstrip('\n') == drop_frames(ref)
    # Expanding the tuple, past maxdepth, searched its referrers then: the
    # holder and the list around it; after the reload the holder, one item
    # longer, is drawn again.
    expanded = ours.split('== a node past maxdepth')[1].split('== reloaded')[0].splitlines()
    assert expanded[-5:-2] == ['    tuple2 True None expanded _TreeNode _ReferrerTreeItem',
                               '      list2 True None collapsed _TreeNode _ReferrerTreeItem',
                               '      list1 True None collapsed _TreeNode _ReferrerTreeItem']
    assert '      list3 True None collapsed _TreeNode _ReferrerTreeItem' in ours.split('== reloaded')[1]
    assert ("== menu [('command', 'reload referrers'), ('command', 'print'), ('separator', False), "
            "('command', 'expand'), ('separator', False), ('command', 'Close Popup Menu')]") in ours
    assert ours.splitlines()[-2:] == ['bound True', "['the root']"]  # the menu's "print" entry


STANDALONE = r'''
import tkinter
from pympler import refbrowser

class Closing(tkinter.Tk):
    """A window that closes itself once mainloop() runs (scheduled from
    mainloop itself: the tree's own update() calls, however slow, must not
    see it go)."""
    def mainloop(self, n=0):
        self.after(50, self.destroy)
        super().mainloop(n)
        print('window closed')

tkinter.Tk = Closing
root = ['x']
print(refbrowser.InteractiveBrowser(root, maxdepth=1).main(standalone=True))
print(refbrowser.InteractiveBrowser(root, maxdepth=1).main(True))
'''


def test_main_standalone_runs_the_mainloop_until_the_window_closes(display):
    assert run(STANDALONE, our_path(), display).splitlines() == ['window closed', 'None'] * 2


def test_main_without_a_display_raises_tclerror():
    code = r'''
    import tkinter
    from pympler import refbrowser
    try:
        refbrowser.InteractiveBrowser(['x'], maxdepth=1).main()
    except tkinter.TclError as e:
        print('TclError')
    '''
    assert run(code, our_path()).split() == ['TclError']


def test_module_names_of_the_tree_widget():
    code = r'''
    import idlelib.tree, tkinter
    from pympler import refbrowser
    print(refbrowser.tkinter is tkinter, refbrowser._TreeWidget is idlelib.tree)
    print(refbrowser._TreeNode.__bases__ == (idlelib.tree.TreeNode,),
          refbrowser._ReferrerTreeItem.__bases__ == (idlelib.tree.TreeItem, tkinter.Label))
    print(refbrowser._TreeNode.__module__, refbrowser._ReferrerTreeItem.__qualname__)
    print(sorted(k for k in vars(refbrowser._ReferrerTreeItem) if not k.startswith('__') or k == '__init__'))
    print(sorted(k for k in vars(refbrowser._TreeNode) if not k.startswith('__')))
    print(refbrowser._TreeNode is refbrowser._TreeNode)
    print({'_TreeNode', '_ReferrerTreeItem', 'tkinter', '_TreeWidget', 'InteractiveBrowser'} <= set(dir(refbrowser)))
    try:
        refbrowser.nothing_here
    except AttributeError as e:
        print('AttributeError', e)
    '''
    assert run(code, our_path()).splitlines() == [
        'True True', 'True True', 'pympler.refbrowser _ReferrerTreeItem',
        "['GetIconName', 'GetSubList', 'GetText', 'IsExpandable', '__init__', '_clear_children']",
        "['drawtext', 'print_object', 'reload_referrers']", 'True', 'True',
        "AttributeError module 'pympler.refbrowser' has no attribute 'nothing_here'"]


def test_module_names_without_tkinter():
    code = r'''
    import sys
    sys.modules['tkinter'] = None
    from pympler import refbrowser
    print(refbrowser.tkinter, refbrowser._TreeWidget, '_TreeNode' in dir(refbrowser))
    for name in ('_TreeNode', '_ReferrerTreeItem'):
        try:
            getattr(refbrowser, name)
        except AttributeError as e:
            print('AttributeError', name in str(e))
    '''
    assert run(code, our_path()).split() == ['None', 'None', 'False', 'AttributeError', 'True', 'AttributeError',
                                             'True']


def test_tree_item_methods_check_their_arguments(display):
    code = r'''
    import tkinter
    from pympler import refbrowser
    w = tkinter.Tk()
    br = refbrowser.InteractiveBrowser(['x'], maxdepth=1)
    item = refbrowser._ReferrerTreeItem(w, br.get_tree(), br)
    for call in (lambda: refbrowser._ReferrerTreeItem(w), lambda: item.GetText(1),
                 lambda: refbrowser._TreeNode.print_object()):
        try:
            call()
        except TypeError as e:
            print('TypeError', e)
    item.node = 'a leaf, not a _Node'
    print(item.IsExpandable(), item.GetIconName(), item.GetText())
    w.destroy()
    '''
    out = run(code, our_path(), display).splitlines()
    assert out == ['TypeError _ReferrerTreeItem.__init__() takes 4 positional arguments (2 given)',
                   'TypeError _ReferrerTreeItem.GetText() takes 1 positional argument (2 given)',
                   'TypeError _TreeNode.print_object() takes 1 positional argument (0 given)',
                   'False python a leaf, not a _Node']


def test_tree_items_survive_children_changing_under_them(display):
    # isinstance() reads a __class__ property, and a _ReferrerTreeItem's
    # __init__ is Python code: both may change the children being walked.
    code = r'''
    import tkinter
    from pympler import refbrowser
    w = tkinter.Tk()
    class Sneaky:
        @property
        def __class__(self):
            tree.children.clear()
            return Sneaky
    br = refbrowser.InteractiveBrowser(['x'], maxdepth=1)
    tree = br.get_tree()
    tree.children.extend([Sneaky() for _ in range(5)])
    item = refbrowser._ReferrerTreeItem(w, tree, br)
    item._clear_children()
    print(len(tree.children) <= 5)
    class Shrinking(refbrowser._ReferrerTreeItem):
        def __init__(self, *args):
            super().__init__(*args)
            del tree.children[:2]
    refbrowser._ReferrerTreeItem = Shrinking  # Pympler's GetSubList uses the module's name
    tree.children[:] = list('abcdef')
    print([i.GetText() for i in item.GetSubList()])
    w.destroy()
    '''
    ours = run(code, our_path(), display)
    assert ours.splitlines() == ['True', "['a', 'd']"]  # each new item took two children away
    assert ours == run(code, reference_dir(), display)
