"""pympler.charts: the charts drawn in C (render/chart.c), as SVG text that a
browser shows: _chart_svg's three kinds, its argument checks, and the
charts in headless Chromium (screenshots in <build>/screenshots/)."""
import math
import xml.etree.ElementTree as ET

import pytest

from browser import chromium
from pympler import charts

NS = '{http://www.w3.org/2000/svg}'


def parse(svg):
    return ET.fromstring(svg.encode())


def series_titles(root):
    return [g.find(NS + 'title').text for g in root.iter(NS + 'g') if g.get('class') == 'series']


def legend_names(root):
    return [t.find(NS + 'title').text for t in root.iter(NS + 'text') if t.get('class') == 'legend-name']


def test_stacked_chart_of_three_classes():
    times = [0.0, 1.0, 2.5, 4.0]
    series = [('app.Node', [1024, 2048, 4096, 8192]), ('app.Edge', [512, 512, None, 0]),
              ('app.<Cache> & "co"', [0, 100, 200, 300])]
    root = parse(charts._chart_svg('stacked', times, series, title='Memory', y_label='memory'))
    assert series_titles(root) == ['app.Node', 'app.Edge', 'app.<Cache> & "co"']
    assert legend_names(root) == ['app.<Cache> & "co"', 'app.Edge', 'app.Node']   # top of the stack first
    labels = [t.text for t in root.iter(NS + 'text')]
    # the highest stack is 8,492 B: an axis of 0 to 10 KB in 2 KB steps
    assert {'0 B', '2 KB', '8 KB', '10 KB'} <= set(labels) and '12 KB' not in labels
    assert {'0 s', '1 s', '4 s'} <= set(labels)
    assert len([p for p in root.iter(NS + 'path')]) == 3


def test_share_lines_and_one_snapshot():
    root = parse(charts._chart_svg('share', [0, 1], [('a', [1, 3]), ('b', [1, 1])]))
    assert '100%' in [t.text for t in root.iter(NS + 'text')]
    root = parse(charts._chart_svg('lines', [0, 1, 2], [('x', [10, None, 30]), ('y', [None, 5, 6])]))
    # x has two lone points (dots), y one line
    assert len(list(root.iter(NS + 'circle'))) == 2 and len(list(root.iter(NS + 'polyline'))) == 1
    root = parse(charts._chart_svg('stacked', [3.0], [('only', [4096])]))
    assert len(list(root.iter(NS + 'rect'))) >= 3 and not list(root.iter(NS + 'path'))


def test_a_thousand_snapshots_of_twenty_classes_stay_small():
    times = [i * 0.25 for i in range(1000)]
    series = [('mod.C%d' % k, [1000 * (k + 1) + 10 * i for i in range(1000)]) for k in range(20)]
    svg = charts._chart_svg('stacked', times, series)
    assert len(svg.encode()) < 300_000
    root = parse(svg)
    assert len(series_titles(root)) == 20
    assert any(t.get('class') == 'legend-more' for t in root.iter(NS + 'text'))


@pytest.mark.parametrize('args, error, message', [
    (('pie', [0], [('a', [1])]), ValueError, "unknown chart kind 'pie'"),
    (('lines', [1, 0], [('a', [1, 2])]), ValueError, 'ascending'),
    (('lines', [0], [('a', [1, 2])]), ValueError, "series 'a' has 2 values for 1 times"),
    (('lines', [0], [('a', ['x'])]), TypeError, 'numbers or None, not str'),
    (('lines', [0], [('a', [math.inf])]), ValueError, 'finite'),
    (('lines', [0], [('a', [-1])]), ValueError, 'not negative'),
    (('lines', [], []), ValueError, 'at least one time'),
    (('lines', [0], [1]), TypeError, '(name, values) pairs'),
    (('lines', 5, [('a', [1])]), TypeError, 'times must be a sequence'),
])
def test_bad_input_is_a_clear_error(args, error, message):
    with pytest.raises(error, match=message.replace('(', r'\(').replace(')', r'\)')):
        charts._chart_svg(*args)


class Str:
    """A name whose str() is hostile markup with a lone surrogate."""
    def __str__(self):
        return '<script>alert(1)</script>\ud800'


def test_names_are_text_whatever_they_hold():
    root = parse(charts._chart_svg('lines', [0, 1], [(Str(), [1, 2])]))
    assert series_titles(root) == ['<script>alert(1)</script>?'] or \
        series_titles(root) == ['<script>alert(1)</script>\ufffd']
    assert not [e for e in root.iter() if e.tag.endswith('script')]


def test_charts_in_chromium(tmp_path):
    times = [i * 7.5 for i in range(120)]
    classes = [('app.models.Order', lambda i: 40_000 + 900 * i), ('app.models.Customer', lambda i: 20_000 + 150 * i),
               ('app.cache.Entry', lambda i: 5_000 + (i % 30) * 2_000), ('<Weird & "name">', lambda i: 3_000)]
    series = [(n, [f(i) for i in range(120)]) for n, f in classes]
    lines = [('Order 0x%x' % k, [None] * (k * 10) + [2_000 + 50 * i for i in range(120 - k * 10)]) for k in range(6)]
    (tmp_path / 'stacked.svg').write_text(charts._chart_svg('stacked', times, series, title='Memory per class',
                                                            y_label='memory'))
    page_html = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>charts</title></head><body>'
                 '<h1>Charts</h1><img id="stacked" src="stacked.svg" alt="stacked">' +
                 charts._chart_svg('share', times, series, title='Share of each class') +
                 charts._chart_svg('lines', times, lines, title='Order instances over their lifetimes') +
                 charts._chart_svg('stacked', [2.0], [(n, v[:1]) for n, v in series[:2]], title='One snapshot') + '</body></html>')
    (tmp_path / 'charts.html').write_text(page_html)
    with chromium() as page:
        seen = page.open(tmp_path / 'charts.html', 'charts')
        assert seen.console_errors == [] and seen.broken_images == []
        assert page.script('return document.getElementById("stacked").naturalWidth') == 760
        inline = page.script('return [...document.querySelectorAll("body > svg")].map('
                             's => [s.getBBox().width > 600, s.querySelectorAll("g.series").length])')
        assert inline == [[True, 4], [True, 6], [True, 2]]
        # the hostile name is text in the legend, not markup
        assert page.script('return document.querySelectorAll("script").length') == 0
        assert '<Weird & "name">' in page.script(
            'return [...document.querySelectorAll("text.legend-name")].map(t => t.textContent).join("|")')
    assert seen.screenshot.stat().st_size > 10_000


class Snap:
    def __init__(self, t, classes):
        self.timestamp, self.classes = t, classes


class FakeStats:
    """What tracker_timespace reads of a classtracker_stats.Stats: annotate(), snapshots with
    timestamp and classes[name]['sum'], tracked_classes."""
    tracked_classes = ['app.Node', 'app.Edge']

    def __init__(self, n=10):
        self.annotated = 0
        self.snapshots = [Snap(i * 2.0, {'app.Node': {'sum': 1000 * i + 500}, 'app.Edge': {'sum': 300 * i}})
                          for i in range(n)]
        if self.snapshots:
            self.snapshots[0].classes = None   # a snapshot taken before any instance

    def annotate(self):
        self.annotated += 1


def test_tracker_timespace_writes_svg_or_png_by_the_suffix(tmp_path):
    import struct
    stats = FakeStats()
    charts.tracker_timespace(str(tmp_path / 'ts.svg'), stats)
    root = parse((tmp_path / 'ts.svg').read_text())
    assert series_titles(root) == ['app.Node', 'app.Edge'] and stats.annotated == 1
    assert '10 KB' in [t.text for t in root.iter(NS + 'text')]      # 9,500 + 2,700 B at 18 s
    charts.tracker_timespace(tmp_path / 'ts.png', stats)              # a PathLike too
    data = (tmp_path / 'ts.png').read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', data[16:24]) == (760, 360)
    assert len(data) > 5000


def test_tracker_timespace_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        charts.tracker_timespace(str(tmp_path / 'missing' / 'ts.png'), FakeStats())
    with pytest.raises(OSError, match='No space left'):
        charts.tracker_timespace('/dev/full', FakeStats())
    empty = FakeStats(0)
    with pytest.raises(ValueError, match='no snapshots'):
        charts.tracker_timespace(str(tmp_path / 'ts.svg'), empty)
    with pytest.raises(AttributeError):
        charts.tracker_timespace(str(tmp_path / 'ts.svg'), object())
