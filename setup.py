"""Build Pympler-in-C with setuptools: `pip install .`

One Extension per python/pympler/**/NAME.c (module pympler.NAME, or
pympler.SUBPACKAGE.NAME in a subpackage), each compiled with
the whole engine (lib/py/*.c), core (lib/core/*.c) and renderer (render/*.c,
linked with Graphviz's libgvc and libpng).  The Makefile is the
development build; this file exists for pip.
"""
import glob
import os
import sys

# The engine knows the object layout of these CPython versions only
# (lib/py/pyver.h); any other would be sized wrongly, so refuse to build.
SUPPORTED = ((3, 11), (3, 13))
if sys.version_info[:2] not in SUPPORTED:
    sys.exit("pympler supports CPython 3.11 and 3.13")

from setuptools import Extension, find_packages, setup

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

ext_modules = [
    Extension(
        module_name(module),
        sources=[module] + ENGINE + (CLI if module.endswith("_cli.c") else []),
        depends=HEADERS,
        include_dirs=["lib/core", "lib/py", "render", "cli"] + GRAPHVIZ_INCLUDES,
        libraries=GRAPHVIZ_LIBRARIES + ["m"],
        extra_compile_args=["-std=c11"],
    )
    for module in sources("python/pympler/**/*.c")
]

setup(
    package_dir={"": "python"},
    packages=find_packages("python", include=["pympler", "pympler.*"]),
    package_data={"pympler": ["templates/*", "static/*", "py.typed"]},
    # the module sources sit in the package directories: keep them out of the wheel
    exclude_package_data={"": ["*.c", "*.h", "*.inc"]},
    ext_modules=ext_modules,
    # keep setuptools' own build tree apart from the Makefile's
    options={"build": {"build_base": "build/setuptools"}},
)
