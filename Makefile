# Pympler in C -- build, tests, benchmarks.
#
#   make                 libraries, the Python package and the command (target: all)
#   make test            C tests (CUnit) then Python tests (pytest)
#   make test-sanitize   the same, built with ASan+UBSan into build-asan/
#   make test-py313      the same on CPython 3.13 (scripts/python313.sh), in build-py313/
#   make test-install    pip install . into fresh venvs of $(PYTHON) and of CPython 3.13;
#                        every module imports, the installed command runs
#   make test-refcount   every public API in a loop on python3.11-dbg (build-dbg/):
#                        fails when sys.gettotalrefcount() grows
#   make example         run pympler garbage on examples/cycles.py: report + build/cycles.svg
#   make bench           benchmark against the reference Pympler 1.1
#   make deps            install missing system/Python dependencies (runs once)
#   make clean           remove the build trees
#
# Variables: BUILD=dir (default build), PYTHON=interpreter (default python3),
# V=1 (show commands), WERROR=1 (warnings are errors), SANITIZE=address,undefined,
# CC, CFLAGS, LDFLAGS (appended to the computed flags).
#
# Outputs, all under $(BUILD):
#   lib/libpymcore.a                 lib/core/*.c  (pure C, -fPIC)
#   lib/libpympy.a                   lib/py/*.c    (Python-aware engine, -fPIC)
#   lib/libpymrender.a               render/*.c    (Graphviz in-process, -fPIC)
#   python/pympler/_engine$(EXT_SUFFIX)  the three libraries above as one shared object, the
#                                    engine: every other module links it (DT_NEEDED + $ORIGIN
#                                    run path), so it is loaded once per process
#   python/pympler/**/NAME$(EXT_SUFFIX)  python/pympler/**/NAME.c, one extension module each
#                                    (python/pympler/util/stringutils.c: pympler.util.stringutils)
#   python/pympler/...               pympler/**/*.py and package data, copied
#   lib/libpymcli.a                  cli/*.c but cli/main.c: the command (-fPIC)
#   bin/pympler                      cli/main.c + libpymcli.a, embeds the interpreter $(PYTHON)
#   python/pympler/_cli$(EXT_SUFFIX)  python/pympler/_cli.c + libpymcli.a + the engine: python -m pympler
#   tests/c_tests                    tests/c/*.c, the CUnit runner

BUILD ?= build
PYTHON ?= python3
V ?= 0
WERROR ?= 0
SANITIZE ?=
ASAN_BUILD = build-asan
REFERENCE = $(CURDIR)/.deps/pympler-1.1
# Pympler 1.1's source release, for its test suite (tests/python/test_pympler_suite.py)
SDIST = $(CURDIR)/.deps/pympler-1.1-sdist

# ---------------------------------------------------------------- interpreter
# One query of the interpreter: extension suffix, libdir, its own -config.
# The -config script must be the one of this exact interpreter (not the
# python3-config shim on PATH), and the command gets an rpath to its libdir:
# otherwise the binary silently loads Debian's libpython3.11.so (same soname).
PY_VARS := $(shell $(PYTHON) -c 'import sysconfig as s; v = s.get_config_var; \
	print(v("EXT_SUFFIX"), v("LIBDIR"), v("BINDIR") + "/python" + v("LDVERSION") + "-config")' 2>/dev/null)
EXT_SUFFIX := $(word 1,$(PY_VARS))
PY_LIBDIR := $(word 2,$(PY_VARS))
PYTHON_CONFIG ?= $(word 3,$(PY_VARS))
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
ifeq ($(EXT_SUFFIX),)
$(error cannot query sysconfig of '$(PYTHON)'; set PYTHON=/path/to/python3)
endif
PY_INCLUDES := $(shell $(PYTHON_CONFIG) --includes)
PY_EMBED_LIBS := $(shell $(PYTHON_CONFIG) --embed --ldflags) -Wl,-rpath,$(PY_LIBDIR)
endif
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)
# Graphviz (libgvc 2.42) and libpng, for render/ and everything linking it.
GV_CFLAGS := $(shell pkg-config --cflags libgvc libpng 2>/dev/null || echo -I/usr/include/graphviz -I/usr/include/libpng16)
GV_LIBS := $(shell pkg-config --libs libgvc libpng 2>/dev/null || echo -lgvc -lcgraph -lcdt -lpng16) -lm
# libmicrohttpd: the HTTP server of pympler.web, linked into that module only
# (MODULE_LIBS below), not into the engine the other modules load.
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)

# ---------------------------------------------------------------- flags
STD = -std=c11
OPT ?= -O2
DEBUG ?= -g
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
VISIBILITY = -fvisibility=hidden
PIC = -fPIC
DEPFLAGS = -MMD -MP
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif

FINAL_CFLAGS = $(STD) $(OPT) $(DEBUG) $(WARN) $(SAN_FLAGS) $(CFLAGS)
FINAL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

# The engine's functions are exported from _engine.so (default visibility)
# but bound inside it (no interposition: calls stay direct); the modules and
# the command export nothing but their PyInit_ functions.
ENGINE_VIS = -fno-semantic-interposition
CORE_CFLAGS = $(FINAL_CFLAGS) $(ENGINE_VIS) $(PIC) -Ilib/core
ENGINE_PY_CFLAGS = $(FINAL_CFLAGS) $(ENGINE_VIS) $(PIC) -Ilib/core -Ilib/py -Irender -Icli $(PY_INCLUDES)
PY_CFLAGS = $(FINAL_CFLAGS) $(VISIBILITY) $(PIC) -Ilib/core -Ilib/py -Irender -Icli $(PY_INCLUDES)
RENDER_CFLAGS = $(FINAL_CFLAGS) $(ENGINE_VIS) $(PIC) -Ilib/core -Irender $(GV_CFLAGS)
CLI_CFLAGS = $(FINAL_CFLAGS) $(VISIBILITY) $(PIC) -Ilib/core -Irender $(PY_INCLUDES)
CTEST_CFLAGS = $(FINAL_CFLAGS) -Ilib/core -Irender $(GV_CFLAGS)
EXT_LDFLAGS = -shared $(FINAL_LDFLAGS)
EXT_LIBS = $(GV_LIBS)
CLI_LIBS = $(PY_EMBED_LIBS)
CTEST_LIBS = $(CUNIT_LIBS) $(GV_LIBS)

# ---------------------------------------------------------------- sources
rwildcard = $(foreach d,$(wildcard $(1:=/*)),$(call rwildcard,$d,$2) $(filter $2,$d))

CORE_SRC := $(wildcard lib/core/*.c)
PY_SRC := $(wildcard lib/py/*.c)
RENDER_SRC := $(wildcard render/*.c)
# python/pympler/**/NAME.c: extension module pympler.[SUBPACKAGE.]NAME
MOD_SRC := $(call rwildcard,python/pympler,%.c)
CLI_SRC := $(wildcard cli/*.c)
CLI_MAIN := cli/main.c
CTEST_SRC := $(wildcard tests/c/*.c)
# Every file of the package tree except C sources and build leftovers is
# copied: python/pympler/**/*.py and package data (templates, static, py.typed).
PKG_ALL := $(call rwildcard,python/pympler,%)
PKG_DATA := $(foreach f,$(PKG_ALL),$(if $(wildcard $f/.),,$f))
PKG_DATA := $(filter-out %.c %.h %.inc %.o %.d %.pyc %.so,$(PKG_DATA))

OBJ = $(BUILD)/obj
CORE_OBJ = $(CORE_SRC:%.c=$(OBJ)/%.o)
PY_OBJ = $(PY_SRC:%.c=$(OBJ)/%.o)
RENDER_OBJ = $(RENDER_SRC:%.c=$(OBJ)/%.o)
MOD_OBJ = $(MOD_SRC:%.c=$(OBJ)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(OBJ)/%.o)
CLI_MAIN_OBJ = $(CLI_MAIN:%.c=$(OBJ)/%.o)
CLI_LIB_OBJ = $(filter-out $(CLI_MAIN_OBJ),$(CLI_OBJ))
CTEST_OBJ = $(CTEST_SRC:%.c=$(OBJ)/%.o)
ALL_OBJ = $(CORE_OBJ) $(PY_OBJ) $(RENDER_OBJ) $(MOD_OBJ) $(CLI_OBJ) $(CTEST_OBJ)

CORE_LIB = $(BUILD)/lib/libpymcore.a
PY_LIB = $(BUILD)/lib/libpympy.a
RENDER_LIB = $(BUILD)/lib/libpymrender.a
CLI_LIB = $(BUILD)/lib/libpymcli.a
PYDIR = $(BUILD)/python
MODULES = $(MOD_SRC:python/pympler/%.c=$(PYDIR)/pympler/%$(EXT_SUFFIX))
ENGINE_NAME = _engine$(EXT_SUFFIX)
ENGINE_SO = $(PYDIR)/pympler/$(ENGINE_NAME)
PKG_FILES = $(PKG_DATA:python/%=$(PYDIR)/%)
BIN = $(BUILD)/bin/pympler
CTESTS = $(BUILD)/tests/c_tests

DEPS_STAMP = $(BUILD)/.deps-ok
FLAGS_STAMP = $(BUILD)/.flags

# ---------------------------------------------------------------- test environment
comma := ,
empty :=
space := $(empty) $(empty)
SAN_RUNTIME_address = libasan.so
SAN_RUNTIME_undefined = libubsan.so
SAN_PRELOAD = $(subst $(space),:,$(strip $(foreach s,$(subst $(comma), ,$(SANITIZE)),\
	$(if $(SAN_RUNTIME_$s),$(shell $(CC) -print-file-name=$(SAN_RUNTIME_$s))))))
ABS_BUILD = $(abspath $(BUILD))
PYTEST_FLAGS = -q
PY_TEST_ENV = PYTHONPATH=$(ABS_BUILD)/python PYMPLER_REFERENCE=$(REFERENCE) \
	PYMPLER_BIN=$(ABS_BUILD)/bin/pympler
ifneq ($(SANITIZE),)
# The interpreter is not instrumented: the sanitizer runtimes must be loaded
# first. CPython leaks at exit, so no leak check there; the C tests keep it.
# PYTHONMALLOC=malloc routes Python objects through ASan's malloc so overruns
# of object memory are caught (pymalloc would hide them).
# --capture=sys: pytest's default fd capture would swallow the report of a
# sanitizer that kills the interpreter.
PY_TEST_ENV += LD_PRELOAD=$(SAN_PRELOAD) ASAN_OPTIONS=detect_leaks=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PYTHONMALLOC=malloc
PYTEST_FLAGS += --capture=sys
# Graphviz leaks inside itself (tests/c/lsan.supp); its libraries have no
# frame pointers, so the slow unwinder is needed for the suppressions to see
# the functions.
C_TEST_ENV = ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/c/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
endif

# ---------------------------------------------------------------- quiet output
ifeq ($(V),1)
QUIET_CC =
QUIET_AR =
QUIET_LINK =
QUIET_CP =
else
QUIET_CC = @printf '    %-5s %s\n' CC $@ 1>&2;
QUIET_AR = @printf '    %-5s %s\n' AR $@ 1>&2;
QUIET_LINK = @printf '    %-5s %s\n' LINK $@ 1>&2;
QUIET_CP = @printf '    %-5s %s\n' CP $@ 1>&2;
endif

# ---------------------------------------------------------------- targets
.PHONY: all test test-sanitize test-py313 test-install test-refcount test-valgrind bench example deps clean distclean FORCE

all: $(CORE_LIB) $(PY_LIB) $(RENDER_LIB) $(CLI_LIB) $(MODULES) $(PKG_FILES) $(BIN)

deps: $(DEPS_STAMP)

# The script is idempotent and cheap; the stamp makes it run once per build
# tree, again when the script changes or the reference install or Pympler's
# unpacked source release disappears.
$(DEPS_STAMP): scripts/install-deps.sh $(if $(and $(wildcard $(REFERENCE)/pympler/asizeof.py),$(wildcard $(SDIST)/test/runtest.py)),,FORCE)
	PYTHON=$(PYTHON) sh scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

# Rewritten only when the compiler or the flags change, so that switching
# WERROR, SANITIZE or CFLAGS in one build tree recompiles everything.
FLAGS_NOW = $(CC) | $(FINAL_CFLAGS) | $(PY_INCLUDES) | $(FINAL_LDFLAGS) | $(PY_EMBED_LIBS) | $(GV_CFLAGS) | $(GV_LIBS)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(FLAGS_NOW)' | cmp -s - $@ || printf '%s\n' '$(FLAGS_NOW)' > $@

$(OBJ)/lib/core/%.o: lib/core/%.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CORE_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/lib/py/%.o: lib/py/%.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(ENGINE_PY_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/render/%.o: render/%.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(RENDER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/python/pympler/%.o: python/pympler/%.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(PY_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/cli/%.o: cli/%.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CLI_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/tests/c/%.o: tests/c/%.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(CTEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

# rm first: ar would keep members of deleted sources.
$(CORE_LIB): $(CORE_OBJ)
	@mkdir -p $(@D)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

$(PY_LIB): $(PY_OBJ)
	@mkdir -p $(@D)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

$(RENDER_LIB): $(RENDER_OBJ)
	@mkdir -p $(@D)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

$(CLI_LIB): $(CLI_LIB_OBJ)
	@mkdir -p $(@D)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

# Extension modules do not link libpython: the interpreter provides it.
# The engine: all of the three libraries, under its file name as soname, so
# that the modules' DT_NEEDED names the file the run path finds.
$(ENGINE_SO): $(OBJ)/python/pympler/_engine.o $(PY_LIB) $(RENDER_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(EXT_LDFLAGS) -Wl,-soname,$(ENGINE_NAME) -Wl,-Bsymbolic -o $@ $< \
		-Wl,--whole-archive $(PY_LIB) $(RENDER_LIB) $(CORE_LIB) -Wl,--no-whole-archive $(EXT_LIBS)

# A module of a subpackage (util/stringutils) finds the engine one folder up.
ENGINE_RPATH = -Wl,-rpath,'$$ORIGIN$(if $(findstring /,$*),/..)'
$(PYDIR)/pympler/%$(EXT_SUFFIX): $(OBJ)/python/pympler/%.o $(ENGINE_SO)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(EXT_LDFLAGS) -o $@ $< $(ENGINE_SO) $(ENGINE_RPATH) $(MODULE_LIBS)

# Modules with a library of their own, linked into them alone (not into the
# engine every module loads).  charts: PNG charts, the SVG drawn by librsvg
# on a cairo surface; web: the HTTP server (libmicrohttpd).  Deferred (=):
# pkg-config runs after install-deps.
RSVG_CFLAGS = $(shell pkg-config --cflags librsvg-2.0)
RSVG_LIBS = $(shell pkg-config --libs librsvg-2.0)
$(OBJ)/python/pympler/charts.o: PY_CFLAGS += $(RSVG_CFLAGS)
$(PYDIR)/pympler/charts$(EXT_SUFFIX): MODULE_LIBS = $(RSVG_LIBS)
$(PYDIR)/pympler/web$(EXT_SUFFIX): MODULE_LIBS = $(MHD_LIBS)

# python -m pympler: the command's own sources, as a module.
$(PYDIR)/pympler/_cli$(EXT_SUFFIX): $(OBJ)/python/pympler/_cli.o $(CLI_LIB) $(ENGINE_SO)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(EXT_LDFLAGS) -o $@ $< $(CLI_LIB) $(ENGINE_SO) $(ENGINE_RPATH)

$(PYDIR)/pympler/%: python/pympler/%
	@mkdir -p $(@D)
	$(QUIET_CP)cp $< $@

$(BIN): $(CLI_MAIN_OBJ) $(CLI_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(FINAL_LDFLAGS) -o $@ $(CLI_MAIN_OBJ) $(CLI_LIB) $(CORE_LIB) $(CLI_LIBS)

$(CTESTS): $(CTEST_OBJ) $(RENDER_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(FINAL_LDFLAGS) -o $@ $(CTEST_OBJ) $(RENDER_LIB) $(CORE_LIB) $(CTEST_LIBS)

# pytest exits 5 when it collects nothing: any non-zero status fails the target.
# -P: "python -m" would put the current directory first on sys.path, and the
# source tree's pympler/ (no extension modules) would shadow $(BUILD)/python.
test: all $(CTESTS)
	$(C_TEST_ENV) $(CTESTS)
	@$(PYTHON) -c 'import sys; print("python: " + sys.version.replace("\n", " ") + " (" + sys.executable + ")")'
	$(PY_TEST_ENV) $(PYTHON) -P -m pytest $(PYTEST_FLAGS) tests/python

test-sanitize:
	$(MAKE) BUILD=$(ASAN_BUILD) SANITIZE=address,undefined test

# The whole suite on CPython 3.13 (found or installed by scripts/python313.sh).
test-py313:
	py=$$(sh scripts/python313.sh) && $(MAKE) BUILD=build-py313 PYTHON="$$py" WERROR=$(WERROR) test

# What a user's `pip install .` gives, on both interpreters.
test-install: $(DEPS_STAMP)
	PYTHON=$(PYTHON) sh scripts/check-install.sh
	py=$$(sh scripts/python313.sh) && PYTHON="$$py" sh scripts/check-install.sh

# Debian's debug interpreter counts references (REFCOUNT=1: install-deps.sh
# installs it, and skips pip); tests/refcount/loop_apis.py prints the growth
# per API.
REFCOUNT_PYTHON = python3.11-dbg
REFCOUNT_BUILD = build-dbg
test-refcount:
	REFCOUNT=1 PYTHON=$(REFCOUNT_PYTHON) sh scripts/install-deps.sh
	REFCOUNT=1 $(MAKE) BUILD=$(REFCOUNT_BUILD) PYTHON=$(REFCOUNT_PYTHON) all
	PYTHONPATH=$(abspath $(REFCOUNT_BUILD))/python $(REFCOUNT_PYTHON) -P tests/refcount/loop_apis.py

# The C tests under valgrind: no invalid access, no definite or indirect leak
# (but Graphviz's own, tests/c/valgrind.supp).
test-valgrind: $(CTESTS)
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --suppressions=tests/c/valgrind.supp $(CTESTS) > $(BUILD)/valgrind.log 2>&1 || (cat $(BUILD)/valgrind.log; exit 1)
	@tail -6 $(BUILD)/valgrind.log

# The main job: the garbage cycles of a program, as text and as a picture.
example: all
	$(BIN) garbage examples/cycles.py
	$(BIN) garbage -o $(BUILD)/cycles.svg examples/cycles.py
	@echo "picture of the garbage cycles: $(BUILD)/cycles.svg"

bench: all
	rc=0; for b in asizeof graph census refbrowser classtracker html pytest web; do PYTHONPATH=$(ABS_BUILD)/python PYMPLER_REFERENCE=$(REFERENCE) $(PYTHON) bench/bench_$$b.py || rc=1; done; exit $$rc

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(REFCOUNT_BUILD) build-py313 pympler.egg-info dist

# Also drop the reference Pympler 1.1 installed by scripts/install-deps.sh.
distclean: clean
	rm -rf .deps

FORCE:

# Objects reached only through pattern rules would count as intermediate and
# be deleted after each build, forcing relinks.
.SECONDARY: $(ALL_OBJ)

-include $(ALL_OBJ:.o=.d)
