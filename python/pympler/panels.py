"""The django-debug-toolbar panel: the process's memory before and after each
request, and the instances of the project's models and of Django's Context
and Template (docs/web.md).

    DEBUG_TOOLBAR_PANELS = [..., 'pympler.panels.MemoryPanel']
    INSTALLED_APPS = [..., 'debug_toolbar', 'pympler']

Django needs a Python class; the work is C (pympler._panel).
"""
from pympler import _panel
from pympler.classtracker import ClassTracker  # noqa: F401 (Pympler's module shows these names)
from pympler.process import ProcessMemoryInfo  # noqa: F401
from pympler.util.stringutils import pp  # noqa: F401

try:
    from debug_toolbar.panels import Panel
    from django.template import Context, Template
except ImportError:  # Pympler's stand-ins, so that the module imports without Django
    class Panel:
        pass

    class Context:
        pass

    class Template:
        pass


class MemoryPanel(Panel):
    name = 'pympler'
    title = 'Memory'
    template = 'memory_panel.html'
    classes = [Context, Template]

    def process_request(self, request):
        return _panel.process_request(self, request, super().process_request)

    def enable_instrumentation(self):
        _panel.enable_instrumentation(self)

    def disable_instrumentation(self):
        _panel.disable_instrumentation(self)

    def nav_subtitle(self):
        return _panel.nav_subtitle(self.get_stats())

    @property
    def content(self):
        return _panel.content(self.get_stats())
