"""Headless Chromium (Debian's chromium and chromium-driver, driven by
selenium) for the tests of what a person sees in a browser: the HTML
reports, the charts, the web frontend.

    with chromium() as page:
        seen = page.open(url_or_path, 'report-index')
        assert seen.console_errors == [] and seen.broken_images == []

Every page opened is kept as a screenshot under <build>/screenshots/NAME.png
(the build whose package is under test: build/ or build-py313/), for a
person to look at."""
import contextlib
import os
import pathlib
from dataclasses import dataclass, field

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

import pympler

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
SCREENSHOTS = pathlib.Path(pympler.__file__).resolve().parents[2] / 'screenshots'


@dataclass
class Seen:
    """What a page showed: console messages of level SEVERE (script errors,
    resources that failed to load), images that did not load, and the
    screenshot's path."""
    console_errors: list = field(default_factory=list)
    broken_images: list = field(default_factory=list)
    screenshot: pathlib.Path = None


class Page:
    def __init__(self, driver):
        self.driver = driver

    def open(self, target, name):
        """Load a URL or a file path, wait for it, and say what it showed."""
        url = target if '://' in str(target) else pathlib.Path(target).resolve().as_uri()
        self.driver.get(url)
        self.driver.execute_script('return document.readyState')
        seen = Seen()
        seen.console_errors = [e['message'] for e in self.driver.get_log('browser') if e['level'] == 'SEVERE']
        seen.broken_images = self.driver.execute_script(
            'return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)')
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        seen.screenshot = SCREENSHOTS / (name + '.png')
        # the whole page, not only the window: as tall as its content
        height = self.driver.execute_script('return Math.max(document.body.scrollHeight, 300)')
        self.driver.set_window_size(1280, min(int(height) + 40, 6000))
        self.driver.save_screenshot(str(seen.screenshot))
        return seen

    def script(self, js, *args):
        return self.driver.execute_script(js, *args)


@contextlib.contextmanager
def chromium():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--window-size=1280,900', '--hide-scrollbars'):
        opts.add_argument(arg)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    # the browser is not the program under test: no sanitizer runtime preloaded into it (make
    # test-sanitize preloads one into the tests' interpreter, and chromedriver would inherit it)
    env = {k: v for k, v in os.environ.items()
           if k not in ('LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'PYTHONMALLOC')}
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=opts)
    try:
        yield Page(driver)
    finally:
        driver.quit()
