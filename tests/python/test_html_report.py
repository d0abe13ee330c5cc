"""classtracker_stats.HtmlStats.create_html: Pympler's pages with the same
numbers (the reference writes the same program's report in a process of its
own), the charts and reference graphs drawn in C, escaping, bad input, and
the pages in headless Chromium (screenshots in <build>/screenshots/)."""
import json
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser

import pytest

from browser import chromium
from reference_paths import our_path, reference_dir

# The same program for both: classes tracked at resolution levels 0-2, snapshots, a trace.
PROGRAM = textwrap.dedent('''
    import os, sys
    from pympler import classtracker
    from pympler.classtracker_stats import HtmlStats

    class Foo:
        def __init__(self, n):
            self.a = list(range(n))

    class Bar:
        pass

    tracker = classtracker.ClassTracker()
    tracker.track_class(Foo, name='Foo', resolution_level=2)
    tracker.track_class(Bar, name='Bar', trace=True)
    keep = []
    for i in range(3):
        keep += [Foo(10 * i + k) for k in range(4)] + [Bar()]
        tracker.create_snapshot('step %d' % i)
    del keep[0]
    tracker.create_snapshot('after del')
    HtmlStats(tracker=tracker).create_html(os.path.join(sys.argv[1], 'footest.html'))
''')


class Tables(HTMLParser):
    """Every table row's cell texts, in order; and every link and image."""
    def __init__(self):
        super().__init__()
        self.rows, self.links, self.images, self._row, self._cell = [], [], [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == 'tr':
            self._row = []
        elif tag in ('td', 'th'):
            self._cell = ''
        elif tag == 'a':
            self.links.append(dict(attrs).get('href'))
        elif tag == 'img':
            self.images.append(dict(attrs).get('src'))

    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self._row is not None and self._cell is not None:
            self._row.append(' '.join(self._cell.split()))
            self._cell = None
        elif tag == 'tr' and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def parse(path):
    t = Tables()
    t.feed(open(path, encoding='utf-8').read())
    return t


def class_rows(rows):
    """(class, instances, total, average) of the snapshot tables: the numbers both reports show."""
    return [tuple(r[:4]) for r in rows if len(r) == 5 and r[0] in ('Foo', 'Bar')]


def write_report(path, where):
    p = subprocess.run([sys.executable, '-P', '-c', PROGRAM, str(where)], env=dict(os.environ, PYTHONPATH=path),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return where / 'footest.html'


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    ours = write_report(our_path(), tmp_path_factory.mktemp('ours'))
    ref = write_report(reference_dir(), tmp_path_factory.mktemp('ref'))
    return ours, ref


def test_the_same_pages_as_pympler(reports):
    ours, ref = reports
    assert sorted(p for p in os.listdir(ours.parent / 'footest_files') if p.endswith('.html')) == \
        sorted(p for p in os.listdir(ref.parent / 'footest_files') if p.endswith('.html')) == ['Bar.html', 'Foo.html']
    # Pympler's test: relative links
    assert '<a href="footest_files/Foo.html">' in ours.read_text()


def test_the_same_numbers_as_pympler(reports):
    ours, ref = reports
    mine, theirs = parse(ours), parse(ref)
    assert class_rows(mine.rows) == class_rows(theirs.rows)
    assert len(class_rows(mine.rows)) == 8            # 2 classes x 4 snapshots
    for page in ('Foo.html', 'Bar.html'):
        a = open(ours.parent / 'footest_files' / page).read()
        b = open(ref.parent / 'footest_files' / page).read()
        summary = r'<p>(\d+) instances of \w+ were registered. The\s+average size is (.*?), the minimal size is (.*?), ' \
                  r'the maximum size\s+is (.*?)\.</p>'
        assert re.search(summary, a).groups() == re.search(summary, b).groups()
        # the coalesced referents of every snapshot: names, sizes, shares
        heads = r'<h3>Snapshot: (.*?), (.*?) occupied by instances\s+of class (\w+)</h3>'
        assert re.findall(heads, a) == re.findall(heads, b)
        refs_a = [r for r in parse(ours.parent / 'footest_files' / page).rows if len(r) == 3]
        refs_b = [r for r in parse(ref.parent / 'footest_files' / page).rows if len(r) == 3]
        assert refs_a == refs_b
        # per instance: the sizes at each snapshot (time column left out: the runs differ)
        sizes = [r[1] for r in parse(ours.parent / 'footest_files' / page).rows
                 if len(r) == 2 and re.fullmatch(r'\d\d:\d\d:\d\d\.\d\d', r[0])]
        sizes_ref = [r[1] for r in parse(ref.parent / 'footest_files' / page).rows
                     if len(r) == 2 and re.fullmatch(r'\d\d:\d\d:\d\d\.\d\d', r[0])]
        assert [s.split()[0:2] for s in sizes] == [s.split()[0:2] for s in sizes_ref]


def test_charts_and_graphs_are_there(reports):
    ours, _ = reports
    index = parse(ours)
    assert index.images == ['footest_files/timespace.svg', 'footest_files/share.svg']
    foo = parse(ours.parent / 'footest_files' / 'Foo.html')
    assert foo.images == ['Foo-lt.svg', 'Foo-graph.svg']
    files = set(os.listdir(ours.parent / 'footest_files'))
    assert {'timespace.svg', 'share.svg', 'Foo-lt.svg', 'Foo-graph.svg', 'Bar-lt.svg', 'Bar-graph.svg'} <= files
    import xml.etree.ElementTree as ET
    ns = '{http://www.w3.org/2000/svg}'
    chart = ET.parse(ours.parent / 'footest_files' / 'timespace.svg')
    assert [g.find(ns + 'title').text for g in chart.iter(ns + 'g') if g.get('class') == 'series'] == ['Bar', 'Foo']
    graph = ET.parse(ours.parent / 'footest_files' / 'Foo-graph.svg')
    texts = [t.text for t in graph.iter(ns + 'text')]
    assert texts.count('Foo') == 11 and 'a' in texts     # the live instances and their lists
    assert all(os.path.getsize(ours.parent / 'footest_files' / f) < 1_000_000 for f in files)


def test_pages_in_chromium(reports):
    ours, _ = reports
    with chromium() as page:
        for path, name in ((ours, 'report-index'), (ours.parent / 'footest_files' / 'Foo.html', 'report-class')):
            seen = page.open(path, name)
            assert seen.console_errors == [] and seen.broken_images == []
            widths = page.script('return [...document.images].map(i => i.naturalWidth)')
            assert widths and all(w > 300 for w in widths)
        # the class link leads to the class page
        page.open(ours, 'report-index')
        page.script('document.querySelector("a[href=\\"footest_files/Bar.html\\"]").click()')
        assert page.script('return document.querySelector("h1").textContent') == 'Bar'


HOSTILE = textwrap.dedent('''
    import os, sys
    from pympler import classtracker
    from pympler.classtracker_stats import HtmlStats

    class Evil:
        def __repr__(self):
            return '<script>alert("repr")</script> & \\ud800 \\n line'

    tracker = classtracker.ClassTracker()
    tracker.track_class(Evil, name='<b>Evil</b> & "co" / #1\\n\\ud800', trace=True)
    keep = [Evil() for _ in range(3)]
    tracker.create_snapshot('<i>snap</i> & "x"')
    HtmlStats(tracker=tracker).create_html(os.path.join(sys.argv[1], 'evil.html'))
''')


def test_hostile_names_and_reprs_are_text(tmp_path):
    p = subprocess.run([sys.executable, '-P', '-c', HOSTILE, str(tmp_path)], env=dict(os.environ, PYTHONPATH=our_path()),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    index = (tmp_path / 'evil.html').read_text()
    assert '<script' not in index and '<b>' not in index and '<i>' not in index
    assert '&lt;i&gt;snap&lt;/i&gt; &amp; &quot;x&quot;' in index
    pages = [f for f in os.listdir(tmp_path / 'evil_files') if f.endswith('.html')]
    assert len(pages) == 1 and '/' not in pages[0] and '\n' not in pages[0]
    # the link is the page's name, percent-encoded
    href = re.search(r'<a href="(evil_files/[^"]+)">', index).group(1)
    from urllib.parse import unquote
    assert unquote(href) == 'evil_files/' + pages[0]
    page = (tmp_path / 'evil_files' / pages[0]).read_text()
    assert '<script' not in page and '&lt;script&gt;alert(&quot;repr&quot;)&lt;/script&gt; &amp;' in page
    with chromium() as browser:
        seen = browser.open(tmp_path / 'evil.html', 'report-hostile')
        assert seen.console_errors == [] and seen.broken_images == []
        assert browser.script('return document.querySelectorAll("script, b, i").length') == 0
        browser.script('document.querySelector("table.tl a").click()')
        assert browser.script('return document.querySelector("h1").textContent').startswith('<b>Evil</b> & "co" / #1')


def test_no_snapshots_says_so(tmp_path):
    from pympler import classtracker
    from pympler.classtracker_stats import HtmlStats
    tracker = classtracker.ClassTracker()
    try:
        HtmlStats(tracker=tracker).create_html(str(tmp_path / 'empty.html'))
    finally:
        tracker.close()
    text = (tmp_path / 'empty.html').read_text()
    assert 'No snapshots were taken' in text and '<img' not in text


def test_an_unwritable_folder_is_an_oserror_and_leaves_no_report(tmp_path):
    from pympler import classtracker
    from pympler.classtracker_stats import HtmlStats

    class Thing:
        pass
    tracker = classtracker.ClassTracker()
    tracker.track_class(Thing)
    keep = Thing()
    tracker.create_snapshot()
    # the pages' folder is a file: nothing can go into it (root included)
    (tmp_path / 'r_files').write_text('in the way')
    try:
        with pytest.raises(OSError) as e:
            HtmlStats(tracker=tracker).create_html(str(tmp_path / 'r.html'))
        assert str(tmp_path / 'r_files') in str(e.value)
        assert sorted(os.listdir(tmp_path)) == ['r_files']          # no index, no temporary file
        with pytest.raises(OSError) as e:
            HtmlStats(tracker=tracker).create_html(str(tmp_path / 'missing' / 'r.html'))
        assert str(tmp_path / 'missing' / 'r_files') in str(e.value)
    finally:
        tracker.close()
        del keep


def test_reference_cycles_among_the_instances_are_drawn_apart(tmp_path):
    from pympler import classtracker
    from pympler.classtracker_stats import HtmlStats

    class Node:
        def __init__(self, parent=None):
            self.parent, self.children = parent, []
            if parent:
                parent.children.append(self)
    tracker = classtracker.ClassTracker()
    try:
        tracker.track_class(Node, name='Node')
        root = Node()
        kids = [Node(root) for _ in range(3)]
        leaf = Node()                                   # on no cycle
        tracker.create_snapshot('tree')
        HtmlStats(tracker=tracker).create_html(str(tmp_path / 'r.html'))
    finally:
        tracker.close()
    page = (tmp_path / 'r_files' / 'Node.html').read_text()
    assert '<h3>Reference cycles among them</h3>' in page and 'src="Node-cycles.svg"' in page
    import xml.etree.ElementTree as ET
    ns = '{http://www.w3.org/2000/svg}'
    texts = [t.text for t in ET.parse(tmp_path / 'r_files' / 'Node-cycles.svg').iter(ns + 'text')]
    assert texts.count('Node') == 4 and texts.count('list') == 1     # root, its kids, its children list
    texts = [t.text for t in ET.parse(tmp_path / 'r_files' / 'Node-graph.svg').iter(ns + 'text')]
    assert texts.count('Node') == 5
    del root, kids, leaf
