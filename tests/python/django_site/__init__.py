"""A Django project for the tests of pympler.panels.MemoryPanel (test_django_panel.py)."""
