"""pympler.panels.MemoryPanel in a Django project (tests/python/django_site):
a request through the debug toolbar's middleware, then the panel as the
toolbar shows it (its render_panel view), in a process of its own."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

CLIENT = r'''
import json, re, sys
import django
django.setup()
from django.test import Client
from django_site.shop.models import Order

c = Client()
page = c.get('/orders/', {'n': '7', 'keep': '1'})
html = page.content.decode()
request_id = re.search(r'data-request-id="([^"]+)"', html).group(1)
subtitle = re.search(r'id="djdt-MemoryPanel".*?<small>\s*(.*?)\s*</small>', html, re.S)
panel = c.get('/__debug__/render_panel/', {'request_id': request_id, 'panel_id': 'MemoryPanel'}).json()
plain = Client().get('/orders/', {'n': '2'})
print(json.dumps({'status': page.status_code, 'subtitle': subtitle and subtitle.group(1), 'panel': panel['content'],
                  'kept': len(sys.modules['django_site.urls'].KEPT),
                  'init_restored': Order.__init__ is django.db.models.Model.__init__,
                  'plain_status': plain.status_code}))
'''


def run():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE='django_site.settings',
               PYTHONPATH=os.pathsep.join([os.environ.get('PYTHONPATH', ''), HERE]))
    p = subprocess.run([sys.executable, '-P', '-c', CLIENT], env=env, capture_output=True, text=True, timeout=120,
                       cwd=HERE)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.splitlines()[-1])


def test_the_panel_shows_memory_and_the_models_of_the_request():
    r = run()
    assert r['status'] == 200 and r['plain_status'] == 200 and r['kept'] == 7
    # the toolbar's subtitle: the RSS after the request, as Pympler's ("12.34 MB" or "12.34 MB (+1.00 KB)")
    assert r['subtitle'] and r['subtitle'].split()[1] in ('KB', 'MB', 'GB')
    panel = r['panel']
    assert '<th>Resource</th><th>Value</th>' in panel
    for row in ('Resident set size', 'Virtual size', 'Resident set size (delta)'):
        assert '<td>%s</td>' % row in panel
    # the tracked classes alive after the request: the 7 kept orders, their counts as they were made;
    # the view's Template and Context were freed with the request (Pympler lists only what is alive)
    assert '<td>django_site.shop.models.Order</td><td>1, 2, 3, 4, 5, 6, 7</td>' in panel
    assert 'django.template.base.Template' not in panel
    # the tracker let go of the model's __init__ when the request was done
    assert r['init_restored']
    assert '<script' not in panel
