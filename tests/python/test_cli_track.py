"""pympler track: a program run with classes tracked, the HTML report
written when it ends (also after an exception or sys.exit), and the
command's usage errors."""
import re

import pytest

from cli_helpers import FACES, OK, OUTPUT, PROGRAM, USAGE, cli

PROG = '''
import sys, time
class Node:
    def __init__(self, n):
        self.payload = list(range(n))

class Other:
    pass

nodes = []
for i in range(30):
    nodes.append(Node(i * 10))
    time.sleep(0.005)
others = [Other() for _ in range(5)]
print("made", len(nodes))
{end}
'''


def program(tmp_path, end=''):
    path = tmp_path / 'prog.py'
    path.write_text(PROG.format(end=end))
    return path


def rows_of(index_html, cls):
    """(instances, total) of cls in each snapshot table of the index."""
    pat = r'<a href="[^"]+">%s</a></td><td class="num">(\d+)</td><td class="num">([^<]+)</td>' % re.escape(cls)
    return re.findall(pat, index_html)


@pytest.mark.parametrize('face', FACES)
def test_track_writes_the_report_and_keeps_the_status(tmp_path, face):
    out = tmp_path / 'report.html'
    p = cli('track', '--class', '__main__.Node', '--class', '__main__.Other', '--interval', '0.05', '-o', out,
            program(tmp_path, 'sys.exit(3)'), face=face)
    assert p.returncode == 3, p.stderr
    assert p.stdout == 'made 30\n' and p.stderr == ''
    index = out.read_text()
    assert 'at the end of the program snapshot at' in index
    nodes, others = rows_of(index, '__main__.Node'), rows_of(index, '__main__.Other')
    assert nodes[-1][0] == '30' and others[-1][0] == '5'
    counts = [int(n) for n, _ in nodes]
    assert counts == sorted(counts) and len(counts) >= 2        # periodic snapshots, then the last
    pages = sorted(f.name for f in (tmp_path / 'report_files').iterdir() if f.suffix == '.html')
    assert pages == ['__main___Node.html', '__main___Other.html']
    assert '30 instances of __main__.Node were registered' in (tmp_path / 'report_files' / pages[0]).read_text()


def test_an_uncaught_exception_still_gets_its_report(tmp_path):
    out = tmp_path / 'r.html'
    p = cli('track', '--class', '__main__.Node', '--interval', '0', '-o', out,
            program(tmp_path, 'raise RuntimeError("boom")'))
    assert p.returncode == PROGRAM and 'RuntimeError: boom' in p.stderr
    assert rows_of(out.read_text(), '__main__.Node') == [('30', rows_of(out.read_text(), '__main__.Node')[0][1])]


def test_a_class_never_defined_is_named(tmp_path):
    out = tmp_path / 'r.html'
    p = cli('track', '--class', '__main__.Node', '--class', 'app.Missing', '--interval', '0', '-o', out,
            program(tmp_path))
    assert p.returncode == OK
    assert p.stderr == 'pympler track: class app.Missing was never defined by the program: not tracked\n'
    assert out.exists()


@pytest.mark.parametrize('args, message', [
    (('-o', 'r.html', 'prog.py'), '--class MODULE.CLASS is required'),
    (('--class', 'Node', '-o', 'r.html', 'prog.py'), '--class Node: name the class as MODULE.CLASS'),
    (('--class', '__main__.Node', 'prog.py'), '-o REPORT.html is required'),
    (('--class', '__main__.Node', '-o', 'r.txt', 'prog.py'), '-o r.txt: the report is HTML'),
    (('--class', '__main__.Node', '--interval', '-1', '-o', 'r.html', 'prog.py'), 'interval'),
])
def test_usage_errors(tmp_path, args, message):
    program(tmp_path)
    p = cli('track', *args, cwd=tmp_path)
    assert p.returncode == USAGE and message in p.stderr and p.stdout == ''
    assert not (tmp_path / 'r.html').exists()


def test_a_report_that_cannot_be_written_is_status_4(tmp_path):
    (tmp_path / 'r_files').write_text('in the way')
    p = cli('track', '--class', '__main__.Node', '--interval', '0', '-o', tmp_path / 'r.html', program(tmp_path))
    assert p.returncode == OUTPUT
    assert 'pympler track: the report was not written' in p.stderr and str(tmp_path / 'r_files') in p.stderr
    assert not (tmp_path / 'r.html').exists()
