"""Build Pympler-in-C with setuptools: `pip install .`

The engine (lib/py/*.c, lib/core/*.c and render/*.c, linked with Graphviz's
libgvc and libpng) is one extension module, pympler._engine, built first.
Every other python/pympler/**/NAME.c is a thin module pympler.NAME (or
pympler.SUBPACKAGE.NAME) linked against that shared object with an $ORIGIN
run path, as the Makefile does, so the engine is loaded once per process.
The Makefile is the development build; this file exists for pip.
"""
import glob
import os
import subprocess
import sys

# The engine knows the object layout of these CPython versions only
# (lib/py/pyver.h); any other would be sized wrongly, so refuse to build.
SUPPORTED = ((3, 11), (3, 13))
if sys.version_info[:2] not in SUPPORTED:
    sys.exit("pympler supports CPython 3.11 and 3.13")

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def sources(pattern):
    # setuptools wants paths relative to setup.py
    return sorted(os.path.relpath(p, HERE)
                  for p in glob.glob(os.path.join(HERE, pattern), recursive=True))


def module_name(path):
    """python/pympler/util/stringutils.c -> pympler.util.stringutils"""
    rel = os.path.relpath(os.path.splitext(path)[0], "python")
    return ".".join(rel.split(os.sep))


ENGINE = sources("lib/py/*.c") + sources("lib/core/*.c") + sources("render/*.c")
HEADERS = sources("lib/py/*.h") + sources("lib/core/*.h") + sources("render/*.h") + sources("cli/*.h")
# pympler._cli (python -m pympler) is the command's own sources but its main()
CLI = [p for p in sources("cli/*.c") if os.path.basename(p) != "main.c"]
# render/ lays graphs out with the Graphviz C libraries (libgraphviz-dev 2.42)
# and libpng (libpng-dev), as the Makefile's GV_LIBS.
GRAPHVIZ_INCLUDES = ["/usr/include/graphviz", "/usr/include/libpng16"]
GRAPHVIZ_LIBRARIES = ["gvc", "cgraph", "cdt", "png"]

INCLUDE_DIRS = ["lib/core", "lib/py", "render", "cli"] + GRAPHVIZ_INCLUDES
ENGINE_MODULE = "pympler._engine"
# Libraries of one module only: pympler.web's HTTP server (libmicrohttpd-dev).
MODULE_LIBRARIES = {"pympler.web": ["microhttpd"]}


def pkg_config(package):
    """(cflags, libs) of a pkg-config package, as lists."""
    def ask(what):
        return subprocess.run(["pkg-config", what, package], check=True, capture_output=True,
                              text=True).stdout.split()
    return ask("--cflags"), ask("--libs")


def module_extension(path):
    name = module_name(path)
    if name == ENGINE_MODULE:
        return Extension(name, sources=[path] + ENGINE, depends=HEADERS, include_dirs=INCLUDE_DIRS,
                         libraries=GRAPHVIZ_LIBRARIES + ["m"],
                         extra_compile_args=["-std=c11", "-fno-semantic-interposition"])
    if name == "pympler.charts":  # PNG charts: librsvg on cairo, linked into this module alone
        cflags, libs = pkg_config("librsvg-2.0")
        return Extension(name, sources=[path], depends=HEADERS, include_dirs=INCLUDE_DIRS,
                         extra_compile_args=["-std=c11", "-fvisibility=hidden"] + cflags, extra_link_args=libs)
    return Extension(name, sources=[path] + (CLI if path.endswith("_cli.c") else []), depends=HEADERS,
                     include_dirs=INCLUDE_DIRS, libraries=MODULE_LIBRARIES.get(name, []),
                     extra_compile_args=["-std=c11", "-fvisibility=hidden"])


class BuildWithEngine(build_ext):
    """Builds pympler._engine first, then links every other module with it."""

    def build_extensions(self):
        self.extensions.sort(key=lambda ext: ext.name != ENGINE_MODULE)
        super().build_extensions()

    def build_extension(self, ext):
        engine_file = os.path.basename(self.get_ext_filename(ENGINE_MODULE))
        if ext.name == ENGINE_MODULE:
            # soname = file name: the modules' DT_NEEDED names what the run path finds
            ext.extra_link_args = ["-Wl,-soname," + engine_file, "-Wl,-Bsymbolic"]
        else:
            depth = ext.name.count(".") - 1  # pympler.util.compat: one folder below the engine
            origin = "$ORIGIN" + "/.." * depth
            # after the module's own libraries (pkg-config's, set in module_extension)
            ext.extra_link_args = [self.get_ext_fullpath(ENGINE_MODULE), "-Wl,-rpath," + origin] + \
                list(ext.extra_link_args or [])
        super().build_extension(ext)


ext_modules = [module_extension(path) for path in sources("python/pympler/**/*.c")]

setup(
    package_dir={"": "python"},
    packages=find_packages("python", include=["pympler", "pympler.*"]),
    package_data={"pympler": ["templates/*", "static/*", "py.typed"]},
    # the module sources sit in the package directories: keep them out of the wheel
    exclude_package_data={"": ["*.c", "*.h", "*.inc"]},
    ext_modules=ext_modules,
    # `man pympler` after pip install: <prefix>/share/man/man1 is on man's
    # path for a venv or prefix whose bin/ is on PATH
    data_files=[("share/man/man1", ["docs/pympler.1"])],
    cmdclass={"build_ext": BuildWithEngine},
    # keep setuptools' own build tree apart from the Makefile's
    options={"build": {"build_base": "build/setuptools"}},
)
