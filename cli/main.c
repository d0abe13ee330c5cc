/* main.c: the pympler executable -- parse the command line, start the
 * interpreter it was built against, run the command, stop the interpreter.
 * Everything else is shared with python -m pympler (cli.h). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Start the interpreter with our own argv: no option parsing by Python
 * (PYTHON* environment variables apply, as for python3).  Returns 0, or the
 * exit status after Python reported why it could not start. */
static int python_start(int argc, char **argv)
{
    PyConfig config;
    PyStatus status;

    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    status = PyConfig_SetBytesString(&config, &config.program_name, argv[0]);
    if (PyStatus_Exception(status))
        goto error;
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (PyStatus_Exception(status))
        goto error;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status))
        goto error;
    PyConfig_Clear(&config);
    return 0;

error:
    PyConfig_Clear(&config);
    if (PyStatus_IsExit(status))
        return status.exitcode;
    Py_ExitStatusException(status); /* prints the message, exits 1 */
    return PYM_EXIT_OUTPUT;
}

/* <dir of the executable>/../python when it holds the package (a build
 * tree), into dir (PATH_MAX bytes); 0 when found. */
static int build_package_dir(char *dir)
{
    char exe[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;

    if (n <= 0)
        return -1;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    if (snprintf(probe, sizeof probe, "%s/../python", exe) >= (int)sizeof probe || realpath(probe, dir) == NULL)
        return -1;
    if (snprintf(probe, sizeof probe, "%s/pympler/__init__.py", dir) >= (int)sizeof probe)
        return -1;
    return access(probe, R_OK) == 0 ? 0 : -1;
}

/* Import pympler from the build tree beside the executable when there is
 * one, with that directory on sys.path only meanwhile: the package's
 * submodules are found through pympler.__path__, and the user's program sees
 * the sys.path python3 would give it.  Returns 0, or -1 with an exception. */
static int import_package(void)
{
    char dir[PATH_MAX];
    PyObject *path, *entry, *mod;
    Py_ssize_t i;

    if (build_package_dir(dir) != 0)
        return 0;
    path = PySys_GetObject("path"); /* borrowed */
    if (path == NULL || !PyList_Check(path)) {
        PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
        return -1;
    }
    entry = PyUnicode_DecodeFSDefault(dir);
    if (entry == NULL || PyList_Insert(path, 0, entry) < 0) {
        Py_XDECREF(entry);
        return -1;
    }
    mod = PyImport_ImportModule("pympler");
    Py_XDECREF(mod);
    /* remove our entry again, wherever the import left it */
    for (i = 0; i < PyList_GET_SIZE(path); i++)
        if (PyList_GET_ITEM(path, i) == entry) {
            if (PyList_SetSlice(path, i, i + 1, NULL) < 0 && mod != NULL)
                mod = NULL;
            break;
        }
    Py_DECREF(entry);
    return mod ? 0 : -1;
}

int main(int argc, char **argv)
{
    pym_cli_invocation *inv;
    int code;

    /* A file size limit (ulimit -f) makes write() fail with EFBIG, reported
     * as a write error, instead of killing the command (the interpreter
     * ignores SIGXFSZ too, once started). */
#ifdef SIGXFSZ
    signal(SIGXFSZ, SIG_IGN);
#endif
    code = pym_cli_parse(argc, argv, &inv);
    if (code < 0) {
        code = python_start(argc, argv);
        if (code == 0) {
            if (import_package() < 0) {
                PyErr_Print();
                code = PYM_EXIT_OUTPUT;
            } else {
                code = pym_cli_execute(inv, 1);
            }
            /* fails when flushing sys.stdout/sys.stderr fails */
            if (Py_FinalizeEx() < 0 && code == PYM_EXIT_OK)
                code = PYM_EXIT_OUTPUT;
        }
        pym_cli_free(&inv);
    }
    /* A failed output was reported already: one line per error.  A closed
     * pipe is quiet (output.c). */
    if (fclose(stdout) != 0 && code == PYM_EXIT_OK) {
        if (errno == EPIPE) {
            code = PYM_EXIT_PIPE;
        } else {
            fprintf(stderr, "pympler: error writing output to stdout: %s\n", strerror(errno));
            code = PYM_EXIT_OUTPUT;
        }
    }
    return code;
}
