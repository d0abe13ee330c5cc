"""Settings of the test project: the debug toolbar with Pympler's memory panel."""
SECRET_KEY = 'tests-only'
DEBUG = True
ALLOWED_HOSTS = ['testserver', 'localhost']
ROOT_URLCONF = 'django_site.urls'
INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'django.contrib.staticfiles',
                  'debug_toolbar', 'pympler', 'django_site.shop']
MIDDLEWARE = ['debug_toolbar.middleware.DebugToolbarMiddleware']
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}
TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates', 'APP_DIRS': True, 'DIRS': []}]
STATIC_URL = '/static/'
USE_TZ = True
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
DEBUG_TOOLBAR_PANELS = ['debug_toolbar.panels.timer.TimerPanel', 'pympler.panels.MemoryPanel']
DEBUG_TOOLBAR_CONFIG = {'SHOW_TOOLBAR_CALLBACK': lambda request: True, 'IS_RUNNING_TESTS': False}
