/* program.c: run the user's program in this interpreter as python3 runs it.
 *
 * The same machinery as CPython 3.11's Modules/main.c (pymain_run_python):
 *   SCRIPT   a file: __file__ (absolute), __cached__ None, __loader__ a
 *            SourceFileLoader, compiled and run in __main__'s dict by
 *            PyRun_FileExFlags, then __file__ and __cached__ removed again;
 *            a directory or zip file with __main__.py: put first on sys.path
 *            and run as runpy._run_module_as_main("__main__", False);
 *   -m MOD   runpy._run_module_as_main(MOD, True) (sets sys.argv[0]);
 *   -c CODE  PyRun_StringFlags in __main__'s dict, file name "<string>".
 * sys.argv is [SCRIPT | "-m" | "-c", ARGS...]; sys.path[0] is the script's
 * directory (symbolic links resolved), the current directory for -m, '' for
 * -c, nothing when sys.flags.safe_path (PYTHONSAFEPATH) is set.  A SystemExit
 * gives its code; another uncaught exception is printed by sys.excepthook and
 * gives 1.  Then, as Py_FinalizeEx does before anything else, the non-daemon
 * threads are joined (threading._shutdown) and the atexit handlers run, so the
 * report comes after everything the program prints.
 *
 * Under python -m pympler, __main__ is pympler's own: the program gets a
 * fresh __main__ module (as the interpreter creates it) and sys.path[0] is
 * replaced rather than added to.
 *
 * Whether the program started (pym_program_result.started) is told apart
 * without changing what python3 prints: a script or -c code that fails to
 * compile raises an exception that has no traceback (no frame ran); for -m
 * and a directory or zip, runpy._run_code is wrapped for the run, and the
 * program started when runpy calls it (runpy's own errors -- no module, no
 * __main__ -- and the module's compile errors come before that).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* CPython's _PyCompilerFlags_INIT (cpython/compile.h), spelled with the
 * struct's public fields: no flags, this version's grammar. */
#define COMPILER_FLAGS {.cf_flags = 0, .cf_feature_version = PY_MINOR_VERSION}

int pym_program_from_args(pym_program *prog, const char *cmd, const char **pos, int npos)
{
    struct stat st;
    int fd;

    if (npos == 0)
        return pym_usage_error(cmd, "%s", "no program given: SCRIPT, -m MODULE or -c CODE");
    prog->argc = npos - 1;
    prog->argv = (char **)pos + 1;
    if (!strcmp(pos[0], "-m") || !strcmp(pos[0], "-c")) {
        prog->kind = pos[0][1] == 'm' ? PYM_PROG_MODULE : PYM_PROG_COMMAND;
        if (npos < 2) /* after --, -m and -c come here without their value */
            return pym_usage_error(cmd, "option '%s' needs a value", pos[0]);
        prog->target = pos[1];
        prog->argc = npos - 2;
        prog->argv = (char **)pos + 2;
        if (prog->kind == PYM_PROG_MODULE && prog->target[0] == '\0')
            return pym_usage_error(cmd, "%s", "-m needs a module name");
        return -1;
    }
    prog->kind = PYM_PROG_SCRIPT;
    prog->target = pos[0];
    if (stat(prog->target, &st) != 0 || (!S_ISDIR(st.st_mode) && (fd = open(prog->target, O_RDONLY)) < 0)) {
        fprintf(stderr, "pympler %s: can't open file '%s': %s\n", cmd, prog->target, strerror(errno));
        return PYM_EXIT_USAGE;
    }
    if (!S_ISDIR(st.st_mode))
        close(fd);
    return -1;
}

/* ---------------------------------------------------------------- set-up */

/* A fresh __main__ module installed in sys.modules, as pylifecycle.c's
 * add_main_module makes it.  Returns its dict (borrowed: sys.modules owns
 * the module). */
static PyObject *fresh_main(void)
{
    PyObject *mod = PyModule_New("__main__"), *d, *builtins = NULL, *ann = NULL, *loader = NULL;
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    int rc = -1;

    if (mod == NULL)
        return NULL;
    d = PyModule_GetDict(mod);
    builtins = PyImport_ImportModule("builtins");
    ann = builtins ? PyDict_New() : NULL;
    loader = ann ? pym_import_attr("_frozen_importlib", "BuiltinImporter") : NULL;
    if (loader && PyDict_SetItemString(d, "__builtins__", builtins) == 0 &&
        PyDict_SetItemString(d, "__annotations__", ann) == 0 && PyDict_SetItemString(d, "__loader__", loader) == 0 &&
        PyDict_SetItemString(modules, "__main__", mod) == 0)
        rc = 0;
    Py_XDECREF(loader);
    Py_XDECREF(ann);
    Py_XDECREF(builtins);
    Py_DECREF(mod);
    return rc == 0 ? pym_main_dict() : NULL;
}

PyObject *pym_program_namespace(int embedded)
{
    return embedded ? pym_main_dict() : fresh_main();
}

PyObject *pym_setup_namespace(int embedded, const char *setup)
{
    PyObject *ns = pym_program_namespace(embedded);
    PyObject *r = ns && setup ? pym_run_code(setup, "<setup>", Py_file_input, ns) : NULL;
    if (ns && setup && !r)
        return NULL;
    Py_XDECREF(r);
    return ns;
}

/* sys.argv = [argv0, prog->argv...]. */
static int set_argv(const pym_program *prog)
{
    const char *argv0 = prog->kind == PYM_PROG_SCRIPT ? prog->target : prog->kind == PYM_PROG_MODULE ? "-m" : "-c";
    PyObject *list = PyList_New(prog->argc + 1);
    int rc;

    if (list == NULL)
        return -1;
    for (int i = 0; i <= prog->argc; i++) {
        PyObject *s = PyUnicode_DecodeFSDefault(i == 0 ? argv0 : prog->argv[i - 1]);
        if (s == NULL) {
            Py_DECREF(list);
            return -1;
        }
        PyList_SET_ITEM(list, i, s);
    }
    rc = PySys_SetObject("argv", list);
    Py_DECREF(list);
    return rc;
}

/* sys.flags.safe_path (0 when unknown). */
static int safe_path(void)
{
    PyObject *flags = PySys_GetObject("flags"); /* borrowed */
    PyObject *v = flags ? PyObject_GetAttrString(flags, "safe_path") : NULL;
    int r = v ? PyObject_IsTrue(v) : 0;

    if (v == NULL)
        PyErr_Clear();
    Py_XDECREF(v);
    return r > 0;
}

/* Put entry (a str) at sys.path[0]: inserted in the executable, replacing
 * python -m pympler's own path[0] otherwise (unless that was not added). */
static int set_path0(PyObject *entry, int embedded)
{
    PyObject *path = PySys_GetObject("path"); /* borrowed */

    if (path == NULL || !PyList_Check(path)) {
        PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
        return -1;
    }
    if (!embedded && !safe_path() && PyList_GET_SIZE(path) > 0)
        return PyList_SetItem(path, 0, Py_NewRef(entry));
    return PyList_Insert(path, 0, entry);
}

/* path0 of python3: the script's directory (realpath), '' for -c, the
 * current directory for -m. */
static PyObject *compute_path0(const pym_program *prog)
{
    char buf[PATH_MAX];
    char *slash;

    if (prog->kind == PYM_PROG_COMMAND)
        return PyUnicode_FromString("");
    if (prog->kind == PYM_PROG_MODULE) {
        if (getcwd(buf, sizeof buf) == NULL)
            return PyErr_SetFromErrno(PyExc_OSError);
        return PyUnicode_DecodeFSDefault(buf);
    }
    if (realpath(prog->target, buf) == NULL)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, prog->target);
    slash = strrchr(buf, '/');
    if (slash != NULL)
        *(slash == buf ? slash + 1 : slash) = '\0';
    return PyUnicode_DecodeFSDefault(buf);
}

/* The absolute script path as python3 makes __file__ (cwd joined, not
 * normalised). */
static PyObject *absolute_script(const char *target)
{
    char cwd[PATH_MAX];
    PyObject *dir, *name, *r = NULL;

    if (target[0] == '/')
        return PyUnicode_DecodeFSDefault(target);
    if (getcwd(cwd, sizeof cwd) == NULL)
        return PyErr_SetFromErrno(PyExc_OSError);
    dir = PyUnicode_DecodeFSDefault(cwd);
    name = dir ? PyUnicode_DecodeFSDefault(target) : NULL;
    if (name != NULL)
        r = PyUnicode_FromFormat("%U/%U", dir, name);
    Py_XDECREF(name);
    Py_XDECREF(dir);
    return r;
}

/* ---------------------------------------------------------------- running */

/* ---------------------------------------------------------------- did it start? */

/* Set by run_code_hook when runpy begins to run the module's code. */
static int main_code_started;

/* runpy._run_code while run_module runs: puts the original (self) back,
 * notes that the program starts, and calls it. */
static PyObject *run_code_hook(PyObject *orig, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *runpy = PyImport_ImportModule("runpy");
    int rc = runpy ? PyObject_SetAttrString(runpy, "_run_code", orig) : -1;

    Py_XDECREF(runpy);
    if (rc < 0)
        return NULL;
    main_code_started = 1;
    return PyObject_Vectorcall(orig, args, (size_t)nargs, kwnames);
}

static PyMethodDef run_code_hook_def = {"_run_code", (PyCFunction)(void (*)(void))run_code_hook,
                                        METH_FASTCALL | METH_KEYWORDS, NULL};

/* runpy._run_module_as_main(name, alter_argv), with runpy._run_code wrapped
 * meanwhile: *started is 1 when the module's code began to run. */
static PyObject *run_module(const char *name, int alter_argv, int *started)
{
    PyObject *runpy = PyImport_ImportModule("runpy"), *fn = NULL, *orig = NULL, *hook = NULL, *r = NULL;
    PyObject *type, *value, *tb, *now;

    *started = 0;
    main_code_started = 0;
    fn = runpy ? PyObject_GetAttrString(runpy, "_run_module_as_main") : NULL;
    orig = fn ? PyObject_GetAttrString(runpy, "_run_code") : NULL;
    hook = orig ? PyCFunction_New(&run_code_hook_def, orig) : NULL;
    if (hook == NULL || PyObject_SetAttrString(runpy, "_run_code", hook) < 0)
        goto done;
    r = PyObject_CallFunction(fn, "sO", name, alter_argv ? Py_True : Py_False);
    *started = main_code_started;
    /* put the original back when runpy never called the hook */
    PyErr_Fetch(&type, &value, &tb);
    now = PyObject_GetAttrString(runpy, "_run_code");
    if (now == hook && PyObject_SetAttrString(runpy, "_run_code", orig) < 0)
        PyErr_Clear();
    if (now == NULL)
        PyErr_Clear();
    Py_XDECREF(now);
    PyErr_Restore(type, value, tb);
done:
    Py_XDECREF(hook);
    Py_XDECREF(orig);
    Py_XDECREF(fn);
    Py_XDECREF(runpy);
    return r;
}

/* 1 when the pending exception went through a frame (the code ran), 0 when
 * it was raised before any (compiling). */
static int pending_has_traceback(void)
{
    PyObject *type, *value, *tb;
    int has;

    PyErr_Fetch(&type, &value, &tb);
    has = tb != NULL;
    PyErr_Restore(type, value, tb);
    return has;
}

/* A script file in dict d. */
static PyObject *run_file(const char *target, PyObject *d)
{
    PyCompilerFlags cf = COMPILER_FLAGS;
    PyObject *file = absolute_script(target), *fsname = NULL, *loader = NULL, *cls = NULL, *r = NULL;
    FILE *fp;

    if (file == NULL)
        return NULL;
    cls = pym_import_attr("importlib.machinery", "SourceFileLoader");
    loader = cls ? PyObject_CallFunction(cls, "sO", "__main__", file) : NULL;
    fsname = loader ? PyUnicode_EncodeFSDefault(file) : NULL;
    if (fsname == NULL || PyDict_SetItemString(d, "__file__", file) < 0 ||
        PyDict_SetItemString(d, "__cached__", Py_None) < 0 || PyDict_SetItemString(d, "__loader__", loader) < 0)
        goto done;
    fp = fopen(target, "rb");
    if (fp == NULL) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, target);
        goto done;
    }
    r = PyRun_FileExFlags(fp, PyBytes_AS_STRING(fsname), Py_file_input, d, d, 1, &cf);
    /* python3 removes them again (pythonrun.c, _PyRun_SimpleFileObject) */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (PyDict_DelItemString(d, "__file__") < 0)
        PyErr_Clear();
    if (PyDict_DelItemString(d, "__cached__") < 0)
        PyErr_Clear();
    PyErr_Restore(type, value, tb);
done:
    Py_XDECREF(fsname);
    Py_XDECREF(loader);
    Py_XDECREF(cls);
    Py_DECREF(file);
    return r;
}

/* A directory or zip file with __main__.py: 1 (and *importer_path set) when
 * sys.path_hooks know it, as pymain_get_importer decides; 0 for a plain
 * file; -1 with an exception.  The path is made absolute, as python3 makes
 * it. */
static int main_importer(const char *target, PyObject **importer_path)
{
    PyObject *p = absolute_script(target), *imp;

    if (p == NULL)
        return -1;
    imp = PyImport_GetImporter(p);
    if (imp == NULL) {
        Py_DECREF(p);
        return -1;
    }
    if (imp == Py_None) {
        Py_DECREF(imp);
        Py_DECREF(p);
        return 0;
    }
    Py_DECREF(imp);
    *importer_path = p;
    return 1;
}

/* What Py_FinalizeEx does first: join the non-daemon threads, run the atexit
 * handlers; errors are reported as unraisable, as there. */
static void run_exit_work(void)
{
    PyObject *name = PyUnicode_FromString("threading"), *threading, *r;

    threading = name ? PyImport_GetModule(name) : NULL;
    Py_XDECREF(name);
    if (threading != NULL) {
        r = PyObject_CallMethod(threading, "_shutdown", NULL);
        if (r == NULL)
            PyErr_WriteUnraisable(threading);
        Py_XDECREF(r);
        Py_DECREF(threading);
    }
    PyErr_Clear();
    r = pym_import_attr("atexit", "_run_exitfuncs");
    if (r != NULL) {
        PyObject *rr = PyObject_CallNoArgs(r);
        Py_XDECREF(rr);
        Py_DECREF(r);
    }
    if (PyErr_Occurred())
        PyErr_WriteUnraisable(NULL);
    if (pym_stdio_flush() < 0)
        PyErr_Clear();
}

int pym_program_run(const pym_program *prog, int embedded, pym_program_result *res)
{
    PyCompilerFlags cf = COMPILER_FLAGS;
    PyObject *d, *path0 = NULL, *importer_path = NULL, *r;
    int is_importer = 0;

    memset(res, 0, sizeof *res);
    d = pym_program_namespace(embedded);
    if (d == NULL || set_argv(prog) < 0)
        return -1;
    if (prog->kind == PYM_PROG_SCRIPT && (is_importer = main_importer(prog->target, &importer_path)) < 0)
        return -1;
    if (is_importer) {
        /* sys.path[0] is the directory or zip itself, even with safe_path */
        int rc = set_path0(importer_path, embedded || safe_path());
        Py_DECREF(importer_path);
        if (rc < 0)
            return -1;
    } else if (!safe_path()) {
        path0 = compute_path0(prog);
        if (path0 == NULL || set_path0(path0, embedded) < 0) {
            Py_XDECREF(path0);
            return -1;
        }
        Py_DECREF(path0);
    }
    if (pym_stdio_flush() < 0)
        return -1;

    /* the program: from here on, its errors are its own */
    if (is_importer) {
        r = run_module("__main__", 0, &res->started);
    } else if (prog->kind == PYM_PROG_MODULE) {
        r = run_module(prog->target, 1, &res->started);
    } else {
        if (prog->kind == PYM_PROG_SCRIPT)
            r = run_file(prog->target, d);
        else
            r = PyRun_StringFlags(prog->target, Py_file_input, d, d, &cf);
        res->started = r != NULL || pending_has_traceback();
    }
    if (r == NULL) {
        int system_exit = PyErr_ExceptionMatches(PyExc_SystemExit);
        res->status = pym_report_exception();
        res->interrupted = res->status == PYM_EXIT_INTERRUPT && !system_exit;
    }
    Py_XDECREF(r);
    if (pym_stdio_flush() < 0)
        PyErr_Clear();
    run_exit_work();
    return 0;
}
