/* output.c: where reports go -- sys.stdout (so that they follow the
 * program's own output in order), or a file written atomically: a temporary
 * file in the same directory, fsync, rename.  A failed write leaves nothing
 * at the path (a file already there is untouched).  A path that is not a
 * regular file (/dev/null, /dev/full, a FIFO, /dev/stdout) is written in
 * place, never replaced.
 *
 * Write errors: every one is PYM_EXIT_OUTPUT with one line on stderr naming
 * the target, except a closed pipe on stdout (EPIPE: `pympler ... | head`),
 * which ends the command quietly with PYM_EXIT_PIPE, the status a shell
 * shows for a tool that SIGPIPE ended.  After a failed write on stdout,
 * descriptor 1 is /dev/null, so that the interpreter's last flush at exit
 * neither fails again nor prints "Exception ignored".
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

static int is_stdout(const pym_output *out)
{
    return out->path == NULL || !strcmp(out->path, "-");
}

int pym_format_is_machine(const char *fmt)
{
    static const char *const machine[] = {"json", "svg", "png", "pdf", "dot"};

    for (size_t i = 0; fmt && i < sizeof machine / sizeof machine[0]; i++)
        if (!strcmp(fmt, machine[i]))
            return 1;
    return 0;
}

int pym_format_is_binary(const char *fmt)
{
    return fmt && (!strcmp(fmt, "png") || !strcmp(fmt, "pdf"));
}

/* Flush what Python and C buffered for stdout (errors ignored: the
 * descriptor is about to change); a pending exception is kept. */
static void flush_stdout(void)
{
    PyObject *type, *value, *tb;

    PyErr_Fetch(&type, &value, &tb);
    if (pym_stdio_flush() < 0)
        PyErr_Clear();
    fflush(stdout);
    PyErr_Restore(type, value, tb);
}

int pym_output_divert(const pym_output *out)
{
    int explicit_stdout = out->path != NULL && !strcmp(out->path, "-");

    if (!explicit_stdout && !(is_stdout(out) && pym_format_is_machine(out->format)))
        return -1;
    flush_stdout();
    int saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (saved < 0)
        return -1;
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        close(saved);
        return -1;
    }
    return saved;
}

void pym_output_undivert(int saved)
{
    if (saved < 0)
        return;
    flush_stdout();
    dup2(saved, STDOUT_FILENO);
    close(saved);
}

/* Descriptor 1 on /dev/null (see the file comment). */
static void stdout_to_null(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (fd != STDOUT_FILENO) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
}

/* errno of the pending exception when it is an OSError, else 0. */
static int pending_errno(void)
{
    PyObject *type, *value, *tb, *e;
    int err = 0;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value && PyErr_GivenExceptionMatches(value, PyExc_OSError)) {
        e = PyObject_GetAttrString(value, "errno");
        if (e && PyLong_Check(e))
            err = (int)PyLong_AsLong(e);
        Py_XDECREF(e);
        PyErr_Clear();
    }
    PyErr_Restore(type, value, tb);
    return err;
}

int pym_stdout_error(void)
{
    int err = pending_errno();

    stdout_to_null();
    if (err == EPIPE) {
        PyErr_Clear();
        return PYM_EXIT_PIPE;
    }
    if (err != 0) {
        fprintf(stderr, "pympler: error writing output to stdout: %s\n", strerror(err));
    } else {
        PyObject *type, *value, *tb, *msg;
        PyErr_Fetch(&type, &value, &tb);
        msg = value ? PyObject_Str(value) : NULL;
        const char *text = msg ? PyUnicode_AsUTF8(msg) : NULL;
        fprintf(stderr, "pympler: error writing output to stdout: %s\n", text ? text : "?");
        Py_XDECREF(msg);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    PyErr_Clear();
    return PYM_EXIT_OUTPUT;
}

/* The directory of path into dir (size PATH_MAX): "." when it has none. */
static int dir_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (slash == NULL) {
        strcpy(dir, ".");
        return 0;
    }
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= PATH_MAX)
        return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return 0;
}

static int cannot_write(const char *path, int err)
{
    fprintf(stderr, "pympler: cannot write '%s': %s\n", path, strerror(err));
    return PYM_EXIT_OUTPUT;
}

int pym_output_check(const pym_output *out)
{
    char dir[PATH_MAX];
    struct stat st;

    if (is_stdout(out))
        return -1;
    if (out->path[0] == '\0')
        return cannot_write(out->path, ENOENT);
    /* a device or FIFO is written in place: it needs to be writable, not its
     * directory */
    if (stat(out->path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return access(out->path, W_OK) == 0 ? -1 : cannot_write(out->path, errno);
    if (dir_of(out->path, dir) < 0)
        return cannot_write(out->path, ENAMETOOLONG);
    if (stat(dir, &st) != 0)
        return cannot_write(out->path, errno);
    if (!S_ISDIR(st.st_mode))
        return cannot_write(out->path, ENOTDIR);
    if (access(dir, W_OK | X_OK) != 0)
        return cannot_write(out->path, errno);
    if (stat(out->path, &st) == 0 && S_ISDIR(st.st_mode))
        return cannot_write(out->path, EISDIR);
    return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write n bytes into an existing file that is not a regular one (a device,
 * a FIFO): in place.  Returns 0 or an errno value. */
static int write_in_place(const char *path, const char *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC), err;

    if (fd < 0)
        return errno;
    if (write_all(fd, data, n) != 0) {
        err = errno;
        close(fd);
        return err;
    }
    return close(fd) != 0 ? errno : 0;
}

/* Write n bytes to path atomically (in place when it exists and is not a
 * regular file).  Returns 0, or an errno value (nothing left behind). */
static int write_file_atomic(const char *path, const char *data, size_t n)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 32];
    const char *base = strrchr(path, '/');
    struct stat st;
    mode_t mask;
    int fd, err;

    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return write_in_place(path, data, n);
    if (dir_of(path, dir) < 0)
        return ENAMETOOLONG;
    base = base ? base + 1 : path;
    if (snprintf(tmp, sizeof tmp, "%s/.%.200s.XXXXXX", dir, base) >= (int)sizeof tmp)
        return ENAMETOOLONG;
    fd = mkstemp(tmp);
    if (fd < 0)
        return errno;
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || write_all(fd, data, n) != 0 || fsync(fd) != 0) {
        err = errno;
        close(fd);
        unlink(tmp);
        return err;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        return err;
    }
    return 0;
}

/* str data encoded as sys.stdout (out) encodes: its encoding and errors. */
static PyObject *encode_as(PyObject *out, PyObject *data)
{
    PyObject *enc = PyObject_GetAttrString(out, "encoding"), *errs = enc ? PyObject_GetAttrString(out, "errors") : NULL;
    const char *e = enc && PyUnicode_Check(enc) ? PyUnicode_AsUTF8(enc) : NULL;
    const char *r = errs && PyUnicode_Check(errs) ? PyUnicode_AsUTF8(errs) : NULL;
    PyObject *bytes;

    PyErr_Clear(); /* a stream without them: UTF-8, strict */
    bytes = PyUnicode_AsEncodedString(data, e ? e : "utf-8", r ? r : "strict");
    Py_XDECREF(errs);
    Py_XDECREF(enc);
    return bytes;
}

/* Write to stdout.  sys.stdout is flushed first (what the program and the
 * command printed comes before the report).  When sys.stdout is on
 * descriptor 1, the report's bytes are written there directly, every
 * write checked and a short one continued: io's buffered writer takes the
 * short write that a file size limit or a pipe closing meanwhile gives for
 * success and drops the rest.  Otherwise (sys.stdout replaced by something
 * else) through sys.stdout, bytes through its .buffer. */
static int write_stdout(PyObject *data)
{
    PyObject *out = PySys_GetObject("stdout"); /* borrowed */
    PyObject *target, *r, *bytes;
    int fd, rc, err = 0;

    if (out == NULL || out == Py_None) { /* descriptor 1 was closed at start */
        errno = EBADF;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    if (pym_stdio_flush() < 0)
        return -1;
    fd = PyObject_AsFileDescriptor(out);
    if (fd < 0)
        PyErr_Clear();
    if (fd == STDOUT_FILENO) {
        bytes = PyUnicode_Check(data) ? encode_as(out, data) : Py_NewRef(data);
        if (bytes == NULL)
            return -1;
        if (!PyBytes_Check(bytes)) {
            Py_DECREF(bytes);
            PyErr_SetString(PyExc_TypeError, "the report is not text or bytes");
            return -1;
        }
        Py_BEGIN_ALLOW_THREADS
        rc = write_all(STDOUT_FILENO, PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
        if (rc != 0)
            err = errno;
        Py_END_ALLOW_THREADS
        Py_DECREF(bytes);
        if (rc != 0) {
            errno = err;
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        return 0;
    }
    if (PyUnicode_Check(data))
        return PyFile_WriteObject(data, out, Py_PRINT_RAW) < 0 ? -1 : pym_stdio_flush();
    target = PyObject_GetAttrString(out, "buffer");
    if (target == NULL)
        return -1;
    r = PyObject_CallMethod(target, "write", "O", data);
    Py_XDECREF(r);
    if (r != NULL) {
        r = PyObject_CallMethod(target, "flush", NULL);
        Py_XDECREF(r);
    }
    Py_DECREF(target);
    return r ? 0 : -1;
}

int pym_output_write(const pym_output *out, PyObject *data)
{
    PyObject *bytes;
    int err;

    if (is_stdout(out))
        return write_stdout(data) == 0 ? -1 : pym_stdout_error();
    bytes = PyUnicode_Check(data) ? PyUnicode_AsUTF8String(data) : Py_NewRef(data);
    if (bytes == NULL || !PyBytes_Check(bytes)) {
        PyErr_Clear();
        Py_XDECREF(bytes);
        fprintf(stderr, "pympler: cannot write '%s': the report is not text or bytes\n", out->path);
        return PYM_EXIT_OUTPUT;
    }
    err = write_file_atomic(out->path, PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return err ? cannot_write(out->path, err) : -1;
}

int pym_stdio_flush(void)
{
    const char *names[] = {"stdout", "stderr"};

    for (int i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(names[i]), *r; /* borrowed */
        if (f == NULL || f == Py_None)
            continue;
        r = PyObject_CallMethod(f, "flush", NULL);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}
