"""ReferenceGraph and GarbageGraph show themselves in Jupyter: IPython's
display formatter finds _repr_svg_ and gets the annotated picture as SVG
text (no notebook server: the formatter is what a notebook calls)."""
import gc
import xml.etree.ElementTree as ET

from IPython.core.formatters import DisplayFormatter

from pympler import garbagegraph, refgraph

SVG = 'image/svg+xml'
NS = '{http://www.w3.org/2000/svg}'


def display_data(obj):
    data, _metadata = DisplayFormatter().format(obj)
    return data


def texts(svg):
    return [t.text for t in ET.fromstring(svg.encode()).iter(NS + 'text') if t.text]


class Car:
    def __init__(self):
        self.wheels = [Wheel(self) for _ in range(2)]


class Wheel:
    def __init__(self, car):
        self.car = car


def test_reference_graph_displays_as_svg_with_its_objects_and_edge_labels():
    car = Car()
    data = display_data(refgraph.ReferenceGraph([car, car.wheels] + car.wheels))
    assert set(data) >= {SVG, 'text/plain'}
    words = texts(data[SVG])
    # each object is its repr and its type's name
    assert words.count('Car') == 1 and words.count('Wheel') == 2 and words.count('list') == 1
    # annotated: the list's edges carry their index, attributes their name
    assert {'[0]', '[1]', 'wheels', 'car'} <= set(words)
    assert 'Legend' in words


def test_garbage_graph_displays_the_cycles_the_collector_found():
    gc.collect()
    kept = len(gc.garbage)
    car = Car()
    del car
    try:
        data = display_data(garbagegraph.GarbageGraph(restore=True))
        words = texts(data[SVG])
        assert words.count('Wheel') == 2 and words.count('Car') == 1 and words.count('list') == 1
    finally:
        del gc.garbage[kept:]


def test_an_empty_graph_falls_back_to_its_text():
    data = display_data(refgraph.ReferenceGraph([]))
    assert SVG not in data and data['text/plain'].startswith('<pympler.refgraph.ReferenceGraph')


class Hostile:
    def __repr__(self):
        return '<script>alert("x")</script> & <b>'


def test_hostile_reprs_are_text_in_the_svg():
    h = Hostile()
    svg = display_data(refgraph.ReferenceGraph([h, [h]]))[SVG]
    root = ET.fromstring(svg.encode())       # well-formed: nothing was injected
    assert not list(root.iter(NS + 'script')) and not list(root.iter('script'))
    # the repr as the picture shows reprs (double quotes as single ones, as in every label)
    assert "<script>alert('x')</script> & <b>" in texts(svg)


HTML = 'text/html'


def test_stats_display_as_html_with_the_chart_and_the_last_snapshot():
    from pympler.classtracker import ClassTracker
    from pympler.classtracker_stats import Stats

    class Sample:
        def __init__(self, n):
            self.data = list(range(n))
    tracker = ClassTracker()
    try:
        tracker.track_class(Sample, name='<Sample>')
        keep = [Sample(i) for i in range(3)]
        tracker.create_snapshot('first')
        keep += [Sample(i) for i in range(4)]
        tracker.create_snapshot('second & last')
        data = display_data(Stats(tracker=tracker))
    finally:
        tracker.close()
    html = data[HTML]
    assert '1 tracked class, 2 snapshots' in html
    assert '<caption>second &amp; last</caption>' in html and '<td>&lt;Sample&gt;</td><td>7</td>' in html
    svg = html[html.index('<svg'):html.index('</svg>') + 6]
    root = ET.fromstring(svg.encode())
    assert [g.find(NS + 'title').text for g in root.iter(NS + 'g') if g.get('class') == 'series'] == ['<Sample>']
    del keep


def test_empty_stats_display_says_so():
    from pympler.classtracker_stats import Stats
    html = display_data(Stats())[HTML]
    assert '0 tracked classes, 0 snapshots' in html and '<svg' not in html
