/* pympler.process: process-level memory metrics and thread information, as
 * Pympler 1.1's process module, in C.  See docs/process.md.
 *
 * The classes keep their metrics as ordinary instance attributes (a real
 * __dict__), as Pympler's do: vars(), subclasses that set or override them,
 * and pickles (classtracker's dump_stats stores _ProcessMemoryInfoProc
 * objects by their __dict__) behave the same in both directions.
 *
 * Every update() reads what it needs in C -- /proc files, getrusage() -- and
 * never raises for unreadable or malformed /proc content: it returns False
 * and leaves the fields as they were (a malformed /proc/self/status line is
 * skipped).  Exceptions come only from the Python side: an attribute the
 * user deleted or set to something that does not compute.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dictobj.h"
#include "module.h"
#include "summarize.h" /* pym_pp_size: stringutils.pp */

PyMODINIT_FUNC PyInit_process(void);

/* ======================================================================
 * limits and state
 * ====================================================================== */

/* The largest /proc file read; /proc/self/status is about 1.5 KB, stat about
 * 300 bytes.  A bigger file is treated as unreadable (update() -> False). */
#define PROC_FILE_MAX (1 << 20)
/* The longest /proc root _set_proc_root() accepts. */
#define PROC_ROOT_MAX 1024

/* What one import of the module keeps (its module state).  Every instance
 * of its types keeps its attributes in its __dict__ (lib/py/dictobj.h). */
typedef struct {
    PyTypeObject *pmi_type, *proc_type, *ps_type, *resource_type, *threadinfo_type;
    PyObject *threading;
    /* where update() finds the proc filesystem: "/proc" unless a test
     * pointed it at a directory of fake files with _set_proc_root() */
    char proc_root[PROC_ROOT_MAX];
} process_state;

static struct PyModuleDef module_def;

static process_state *state_of(PyObject *m)
{
    return (process_state *)PyModule_GetState(m);
}

/* ======================================================================
 * reading /proc
 * ====================================================================== */

/* The whole file at root + rel, NUL-terminated, in *out (malloc'd, the
 * caller frees it; kept off the Python heap).  0, or -1 when the file cannot
 * be opened or read or is larger than PROC_FILE_MAX (no Python error set). */
static int proc_read(const char *proc_root, const char *rel, char **out)
{
    char path[PROC_ROOT_MAX + 64];
    int n = snprintf(path, sizeof path, "%s%s", proc_root, rel);
    *out = NULL;
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        goto fail;
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= PROC_FILE_MAX)
                goto fail;
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                goto fail;
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    return 0;
fail:
    free(buf);
    close(fd);
    return -1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The fields of /proc/<pid>/stat that Pympler uses: vsize (field 23, bytes),
 * rss (field 24, pages) and majflt (field 12).  Fields are counted after the
 * last ')', so a command name with spaces or parentheses does not shift them
 * (Pympler splits the whole line on whitespace).  0, or -1 if malformed. */
static int parse_stat(const char *text, unsigned long long *vsize, long long *rss, unsigned long long *majflt)
{
    const char *p = strrchr(text, ')');
    if (!p)
        return -1;
    p++;
    int have = 0;
    /* token k after ')' is Pympler's stats[k + 2] */
    for (int k = 0; k <= 21; k++) {
        while (is_space(*p))
            p++;
        if (!*p)
            return -1;
        const char *tok = p;
        while (*p && !is_space(*p))
            p++;
        if (k != 9 && k != 20 && k != 21)
            continue;
        char *end;
        errno = 0;
        if (k == 21) {
            *rss = strtoll(tok, &end, 10);
        }
        else {
            if (*tok == '-')
                return -1;
            unsigned long long v = strtoull(tok, &end, 10);
            *(k == 9 ? majflt : vsize) = v;
        }
        if (errno || end == tok || end != p)
            return -1;
        have++;
    }
    return have == 3 ? 0 : -1;
}

/* The first word of a "Key:  value kB" value as an int times 1024 (Pympler's
 * size_in_bytes), parsed as int() parses it.  New reference, or NULL with no
 * error set when the value is not a number. */
static PyObject *size_in_bytes(const char *value, size_t vlen)
{
    size_t i = 0, j;
    char tok[64];
    while (i < vlen && is_space(value[i]))
        i++;
    for (j = i; j < vlen && !is_space(value[j]); j++)
        ;
    if (j == i || j - i >= sizeof tok)
        return NULL;
    memcpy(tok, value + i, j - i);
    tok[j - i] = '\0';
    PyObject *n = PyLong_FromString(tok, NULL, 10);
    if (!n) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *k = PyLong_FromLong(1024);
    PyObject *b = k ? PyNumber_Multiply(n, k) : NULL;
    Py_XDECREF(k);
    Py_DECREF(n);
    if (!b)
        PyErr_Clear();
    return b;
}

/* The next line of text at *p (without its '\n') in *line and *len; *p
 * moves past it.  0 at the end of the text. */
static int next_line(const char **p, const char **line, size_t *len)
{
    if (!**p)
        return 0;
    const char *nl = strchr(*p, '\n');
    *line = *p;
    *len = nl ? (size_t)(nl - *p) : strlen(*p);
    *p += *len + (nl ? 1 : 0);
    return 1;
}

/* ======================================================================
 * helpers
 * ====================================================================== */

/* setattr(self, name, value), stealing value (which may be NULL after a
 * failed call: then -1 with its error). */
static int set_steal(PyObject *self, const char *name, PyObject *value)
{
    if (!value)
        return -1;
    int r = PyObject_SetAttrString(self, name, value);
    Py_DECREF(value);
    return r;
}

static int set_ll(PyObject *self, const char *name, long long v)
{
    return set_steal(self, name, PyLong_FromLongLong(v));
}

static int set_ull(PyObject *self, const char *name, unsigned long long v)
{
    return set_steal(self, name, PyLong_FromUnsignedLongLong(v));
}

/* ======================================================================
 * _ProcessMemoryInfo
 * ====================================================================== */

/* __init__(): the fields at their defaults, then available = self.update()
 * (whatever update returns, as Pympler stores it). */
static int PMI_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds && PyDict_GET_SIZE(kwds))) {
        PyObject *name = PyType_GetName(Py_TYPE(self));
        if (name)
            PyErr_Format(PyExc_TypeError, "%U() takes no arguments (%zd given)", name,
                         PyTuple_GET_SIZE(args) + (kwds ? PyDict_GET_SIZE(kwds) : 0));
        Py_XDECREF(name);
        return -1;
    }
    static const char *const zero[] = {"rss", "vsz", "pagefaults"};
    static const char *const segments[] = {"data_segment", "code_segment", "shared_segment", "stack_segment"};
    if (set_ll(self, "pid", (long long)getpid()) < 0)
        return -1;
    for (size_t i = 0; i < sizeof zero / sizeof *zero; i++)
        if (set_ll(self, zero[i], 0) < 0)
            return -1;
    if (set_steal(self, "os_specific", PyList_New(0)) < 0)
        return -1;
    for (size_t i = 0; i < sizeof segments / sizeof *segments; i++)
        if (set_ll(self, segments[i], 0) < 0)
            return -1;
    return set_steal(self, "available", PyObject_CallMethod(self, "update", NULL));
}

static PyObject *PMI_update(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    Py_RETURN_FALSE;
}

/* "<%s vsz=%d rss=%d>" % (self.__class__.__name__, self.vsz, self.rss) */
static PyObject *PMI_repr(PyObject *self)
{
    PyObject *cls = PyObject_GetAttrString(self, "__class__");
    PyObject *name = cls ? PyObject_GetAttrString(cls, "__name__") : NULL;
    PyObject *vsz = name ? PyObject_GetAttrString(self, "vsz") : NULL;
    PyObject *rss = vsz ? PyObject_GetAttrString(self, "rss") : NULL;
    PyObject *args = rss ? PyTuple_Pack(3, name, vsz, rss) : NULL;
    PyObject *fmt = args ? PyUnicode_FromString("<%s vsz=%d rss=%d>") : NULL;
    PyObject *r = fmt ? PyUnicode_Format(fmt, args) : NULL;
    Py_XDECREF(fmt);
    Py_XDECREF(args);
    Py_XDECREF(rss);
    Py_XDECREF(vsz);
    Py_XDECREF(name);
    Py_XDECREF(cls);
    return r;
}

/* self - other: [('Resident set size (delta)', self.rss - other.rss),
 * ('Virtual size (delta)', self.vsz - other.vsz)].  Any other with rss and
 * vsz will do, as in Pympler; without them NotImplemented, so that Python
 * raises TypeError (Pympler raises AttributeError). */
static PyObject *PMI_sub(PyObject *a, PyObject *b)
{
    /* nb_subtract is tried for both operands: a may be another type's */
    if (!PyType_GetModuleByDef(Py_TYPE(a), &module_def)) {
        PyErr_Clear();
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *brss = NULL, *bvsz = NULL, *arss = NULL, *avsz = NULL, *drss = NULL, *dvsz = NULL, *r = NULL;
    brss = pym_getattr_optional(b, "rss");
    if (brss)
        bvsz = pym_getattr_optional(b, "vsz");
    if (!bvsz && !PyErr_Occurred()) { /* no rss or no vsz */
        r = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    if (!bvsz || !(arss = PyObject_GetAttrString(a, "rss")) || !(drss = PyNumber_Subtract(arss, brss)))
        goto done;
    if (!(avsz = PyObject_GetAttrString(a, "vsz")) || !(dvsz = PyNumber_Subtract(avsz, bvsz)))
        goto done;
    r = Py_BuildValue("[(sO)(sO)]", "Resident set size (delta)", drss, "Virtual size (delta)", dvsz);
done:
    Py_XDECREF(brss);
    Py_XDECREF(bvsz);
    Py_XDECREF(arss);
    Py_XDECREF(avsz);
    Py_XDECREF(drss);
    Py_XDECREF(dvsz);
    return r;
}

static PyMethodDef PMI_methods[] = {
    {"update", PMI_update, METH_NOARGS,
     "update() -> bool\n\nRefresh the information using platform instruments. Returns true if\n"
     "this operation yields useful values on the current platform (never, here)."},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyType_Slot PMI_slots[] = {
    PYM_DICTOBJ_HEAP_SLOTS,
    {Py_tp_doc, "_ProcessMemoryInfo()\n\n"
              "Process-level memory metrics: the virtual size in vsz, the physical memory in rss,\n"
              "the major page faults in pagefaults; on Linux data_segment, code_segment,\n"
              "shared_segment and stack_segment in bytes, and os_specific, a list of\n"
              "(label, pretty size).  The base class of the platform implementations."},
    {Py_tp_repr, PMI_repr},
    {Py_nb_subtract, PMI_sub},
    {Py_tp_methods, PMI_methods},
    {Py_tp_init, PMI_init},
    {0, NULL}};

static PyType_Spec PMI_spec = {
    .name = "pympler.process._ProcessMemoryInfo",
    .basicsize = sizeof(pym_dictobj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = PMI_slots,
};

/* ======================================================================
 * _ProcessMemoryInfoProc
 * ====================================================================== */

/* Pympler's key_map, in its order. */
static const char *const key_map_items[][2] = {
    {"VmPeak", "Peak virtual memory size"},
    {"VmSize", "Virtual memory size"},
    {"VmLck", "Locked memory size"},
    {"VmHWM", "Peak resident set size"},
    {"VmRSS", "Resident set size"},
    {"VmStk", "Size of stack segment"},
    {"VmData", "Size of data segment"},
    {"VmExe", "Size of code segment"},
    {"VmLib", "Shared library code size"},
    {"VmPTE", "Page table entries size"},
};

/* The status keys that fill the segment attributes. */
static const char *const segment_keys[][2] = {
    {"VmData", "data_segment"},
    {"VmExe", "code_segment"},
    {"VmLib", "shared_segment"},
    {"VmStk", "stack_segment"},
};

/* self.key_map.get(key, ''), for a dict or any mapping with get(). */
static PyObject *key_map_get(PyObject *key_map, PyObject *key)
{
    if (PyDict_CheckExact(key_map)) {
        PyObject *v = PyDict_GetItemWithError(key_map, key);
        if (v)
            return Py_NewRef(v);
        return PyErr_Occurred() ? NULL : PyUnicode_FromString("");
    }
    return PyObject_CallMethod(key_map, "get", "Os", key, "");
}

/* One "Key: value" line of /proc/self/status: the segment attribute and the
 * os_specific entry it gives.  0, or -1 with an error.  A value that is not
 * a number is skipped (Pympler raises ValueError). */
static int status_line(PyObject *self, PyObject *key_map, PyObject *os_specific, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return 0;
    size_t klen = (size_t)(colon - line);
    const char *value = colon + 1;
    size_t vlen = len - klen - 1;
    PyObject *bytes = NULL, *key = NULL, *label = NULL, *entry = NULL;
    int r = -1;
    for (size_t i = 0; i < sizeof segment_keys / sizeof *segment_keys; i++) {
        if (strlen(segment_keys[i][0]) == klen && memcmp(segment_keys[i][0], line, klen) == 0) {
            if (!(bytes = size_in_bytes(value, vlen)))
                return 0;
            if (PyObject_SetAttrString(self, segment_keys[i][1], bytes) < 0)
                goto done;
        }
    }
    if (!(key = PyUnicode_DecodeUTF8(line, (Py_ssize_t)klen, "surrogateescape")) ||
        !(label = key_map_get(key_map, key)))
        goto done;
    int t = PyObject_IsTrue(label);
    if (t < 0)
        goto done;
    if (t && (bytes || (bytes = size_in_bytes(value, vlen)))) {
        double d = PyLong_AsDouble(bytes);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear(); /* beyond a double: not a size */
            r = 0;
            goto done;
        }
        PyObject *pp = pym_pp_size(d);
        if (!pp || !(entry = PyTuple_Pack(2, label, pp))) {
            Py_XDECREF(pp);
            goto done;
        }
        Py_DECREF(pp);
        PyObject *res = PyList_CheckExact(os_specific) ? (PyList_Append(os_specific, entry) < 0 ? NULL : Py_NewRef(Py_None))
                                                       : PyObject_CallMethod(os_specific, "append", "O", entry);
        if (!res)
            goto done;
        Py_DECREF(res);
    }
    r = 0;
done:
    Py_XDECREF(entry);
    Py_XDECREF(label);
    Py_XDECREF(key);
    Py_XDECREF(bytes);
    return r;
}

/* update(): vsz, rss (pages * self.pagesize) and pagefaults from
 * /proc/self/stat; the segments and os_specific (appended to, as Pympler
 * does on every update) from /proc/self/status.  False, fields untouched,
 * when either file is unreadable or stat is malformed. */
static PyObject *Proc_update(PyObject *self, PyObject *unused)
{
    (void)unused;
    char *stat = NULL, *status = NULL;
    PyObject *pagesize = NULL, *pages = NULL, *key_map = NULL, *os_specific = NULL, *r = NULL;
    unsigned long long vsize = 0, majflt = 0;
    long long rss = 0;
    process_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return NULL;
    if (proc_read(st->proc_root, "/self/stat", &stat) < 0 || proc_read(st->proc_root, "/self/status", &status) < 0 ||
        parse_stat(stat, &vsize, &rss, &majflt) < 0) {
        r = Py_NewRef(Py_False);
        goto done;
    }
    if (!(pagesize = PyObject_GetAttrString(self, "pagesize")) || !(pages = PyLong_FromLongLong(rss)))
        goto done;
    if (set_ull(self, "vsz", vsize) < 0 || set_steal(self, "rss", PyNumber_Multiply(pages, pagesize)) < 0 ||
        set_ull(self, "pagefaults", majflt) < 0)
        goto done;
    if (!(key_map = PyObject_GetAttrString(self, "key_map")) ||
        !(os_specific = PyObject_GetAttrString(self, "os_specific")))
        goto done;
    const char *p = status, *line;
    size_t len;
    while (next_line(&p, &line, &len))
        if (status_line(self, key_map, os_specific, line, len) < 0)
            goto done;
    r = Py_NewRef(Py_True);
done:
    free(stat);
    free(status);
    Py_XDECREF(pagesize);
    Py_XDECREF(pages);
    Py_XDECREF(key_map);
    Py_XDECREF(os_specific);
    return r;
}

static PyMethodDef Proc_methods[] = {
    {"update", Proc_update, METH_NOARGS,
     "update() -> bool\n\nRead the virtual size, resident set size and page faults from /proc/self/stat,\n"
     "the segment sizes and os_specific from /proc/self/status. False if they cannot be read."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot Proc_slots[] = {
    {Py_tp_doc, "_ProcessMemoryInfoProc()\n\nProcess memory metrics from /proc/self/stat and /proc/self/status (Linux)."},
    {Py_tp_methods, Proc_methods},
    {0, NULL}};

static PyType_Spec Proc_spec = {
    .name = "pympler.process._ProcessMemoryInfoProc",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC, size, slots: inherited */,
    .slots = Proc_slots,
};

/* ======================================================================
 * _ProcessMemoryInfoPS
 * ====================================================================== */

/* Pympler runs `/bin/ps -p<pid> -o rss,vsz` and multiplies the KiB it prints
 * by 1024.  On Linux, procps-ng's ps takes both columns from
 * /proc/<pid>/status (VmRSS and VmSize, in KiB), so this reads that file for
 * self.pid instead of starting a process: the same fields, no fork in the
 * profiled program.  Where there is no /proc (BSD, macOS) it returns False,
 * and is_available()/ProcessMemoryInfo fall through to getrusage. */
static PyObject *PS_update(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *pid = PyObject_GetAttrString(self, "pid");
    if (!pid)
        return NULL;
    long long p = PyLong_Check(pid) ? PyLong_AsLongLong(pid) : -1;
    Py_DECREF(pid);
    if (p == -1 && PyErr_Occurred())
        PyErr_Clear(); /* ps rejects such a pid: False */
    if (p <= 0)
        Py_RETURN_FALSE;
    process_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return NULL;
    char rel[64], *status = NULL;
    snprintf(rel, sizeof rel, "/%lld/status", p);
    if (proc_read(st->proc_root, rel, &status) < 0)
        Py_RETURN_FALSE;
    /* The kB of VmRSS and VmSize, times 1024, as for the segments. */
    PyObject *rss = NULL, *vsz = NULL;
    const char *at = status, *line;
    size_t len;
    while (next_line(&at, &line, &len)) {
        PyObject **slot = len > 6 && !memcmp(line, "VmRSS:", 6) ? &rss : len > 7 && !memcmp(line, "VmSize:", 7) ? &vsz : NULL;
        if (slot) {
            size_t key = slot == &rss ? 6 : 7;
            Py_XSETREF(*slot, size_in_bytes(line + key, len - key));
        }
    }
    free(status);
    if (!rss || !vsz) {
        Py_XDECREF(rss);
        Py_XDECREF(vsz);
        Py_RETURN_FALSE;
    }
    int r = PyObject_SetAttrString(self, "vsz", vsz) < 0 || PyObject_SetAttrString(self, "rss", rss) < 0 ? -1 : 0;
    Py_DECREF(rss);
    Py_DECREF(vsz);
    if (r < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyMethodDef PS_methods[] = {
    {"update", PS_update, METH_NOARGS,
     "update() -> bool\n\nThe virtual and resident size of process self.pid as ps reports them\n"
     "(read from /proc/<pid>/status, where Linux's ps reads them). False if unavailable."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot PS_slots[] = {
    {Py_tp_doc, "_ProcessMemoryInfoPS()\n\nThe virtual and resident size as ps reports them."},
    {Py_tp_methods, PS_methods},
    {0, NULL}};

static PyType_Spec PS_spec = {
    .name = "pympler.process._ProcessMemoryInfoPS",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC, size, slots: inherited */,
    .slots = PS_slots,
};

/* ======================================================================
 * _ProcessMemoryInfoResource
 * ====================================================================== */

/* update(): getrusage(RUSAGE_SELF) -- the peak rss, and on Linux zeros for
 * the integral segment sizes; vsz is their sum.  True if rss is not 0. */
static PyObject *Resource_update(PyObject *self, PyObject *unused)
{
    (void)unused;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        Py_RETURN_FALSE;
    long long rss = (long long)ru.ru_maxrss * 1024, data = (long long)ru.ru_idrss * 1024;
    long long shared = (long long)ru.ru_ixrss * 1024, stack = (long long)ru.ru_isrss * 1024;
    if (set_ll(self, "rss", rss) < 0 || set_ll(self, "data_segment", data) < 0 ||
        set_ll(self, "shared_segment", shared) < 0 || set_ll(self, "stack_segment", stack) < 0 ||
        set_ll(self, "vsz", data + shared + stack) < 0 || set_ll(self, "pagefaults", (long long)ru.ru_majflt) < 0)
        return NULL;
    return PyBool_FromLong(rss != 0);
}

static PyMethodDef Resource_methods[] = {
    {"update", Resource_update, METH_NOARGS,
     "update() -> bool\n\nMemory metrics from getrusage(RUSAGE_SELF): accumulated statistics (peak rss).\n"
     "True if rss is not 0."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot Resource_slots[] = {
    {Py_tp_doc, "_ProcessMemoryInfoResource()\n\nProcess memory metrics from getrusage (the Unix fallback)."},
    {Py_tp_methods, Resource_methods},
    {0, NULL}};

static PyType_Spec Resource_spec = {
    .name = "pympler.process._ProcessMemoryInfoResource",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC, size, slots: inherited */,
    .slots = Resource_slots,
};

/* ======================================================================
 * ThreadInfo and the module functions
 * ====================================================================== */

/* ThreadInfo(thread): ident, name and daemon of thread. */
static int ThreadInfo_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"thread", NULL};
    static const char *const attrs[] = {"ident", "name", "daemon"};
    PyObject *thread;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:ThreadInfo", kwlist, &thread))
        return -1;
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
        PyObject *v = pym_getattr_optional(thread, attrs[i]);
        if (!v && !PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "ThreadInfo() argument must be a thread (with ident, name and daemon), not %.100s",
                         Py_TYPE(thread)->tp_name);
        if (set_steal(self, attrs[i], v) < 0)
            return -1;
    }
    return 0;
}

static PyMethodDef ThreadInfo_methods[] = {
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyType_Slot ThreadInfo_slots[] = {
    PYM_DICTOBJ_HEAP_SLOTS,
    {Py_tp_doc, "ThreadInfo(thread)\n\nInformation about an active thread: ident, name, daemon."},
    {Py_tp_methods, ThreadInfo_methods},
    {Py_tp_init, ThreadInfo_init},
    {0, NULL}};

static PyType_Spec ThreadInfo_spec = {
    .name = "pympler.process.ThreadInfo",
    .basicsize = sizeof(pym_dictobj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = ThreadInfo_slots,
};


/* is_available(): ProcessMemoryInfo().update(), with the module's current
 * ProcessMemoryInfo (m is this module). */
static PyObject *is_available(PyObject *m, PyObject *unused)
{
    (void)unused;
    PyObject *cls = PyObject_GetAttrString(m, "ProcessMemoryInfo");
    PyObject *pmi = cls ? PyObject_CallNoArgs(cls) : NULL;
    PyObject *r = pmi ? PyObject_CallMethod(pmi, "update", NULL) : NULL;
    Py_XDECREF(pmi);
    Py_XDECREF(cls);
    return r;
}

static PyObject *get_current_threads(PyObject *m, PyObject *unused)
{
    (void)unused;
    process_state *st = state_of(m);
    PyObject *threads = PyObject_CallMethod(st->threading, "enumerate", NULL);
    PyObject *it = threads ? PyObject_GetIter(threads) : NULL, *out = it ? PyList_New(0) : NULL, *t;
    if (!out)
        goto done;
    while ((t = PyIter_Next(it))) {
        PyObject *info = PyObject_CallOneArg((PyObject *)st->threadinfo_type, t);
        Py_DECREF(t);
        if (!info || PyList_Append(out, info) < 0) {
            Py_XDECREF(info);
            Py_CLEAR(out);
            goto done;
        }
        Py_DECREF(info);
    }
    if (PyErr_Occurred())
        Py_CLEAR(out);
done:
    Py_XDECREF(it);
    Py_XDECREF(threads);
    return out;
}

static PyObject *get_current_thread_id(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    return PyLong_FromUnsignedLong(PyThread_get_thread_ident()); /* = threading.get_ident() */
}

/* _set_proc_root(path=None): read "<path>/self/stat" etc. instead of /proc
 * (None: /proc again).  For tests with fake /proc files; not in Pympler. */
static PyObject *set_proc_root(PyObject *m, PyObject *args)
{
    char *proc_root = state_of(m)->proc_root;
    PyObject *path = Py_None, *bytes = NULL;
    if (!PyArg_ParseTuple(args, "|O:_set_proc_root", &path))
        return NULL;
    if (path == Py_None) {
        snprintf(proc_root, PROC_ROOT_MAX, "%s", "/proc");
        Py_RETURN_NONE;
    }
    if (!PyUnicode_Check(path) && !PyBytes_Check(path) && !PyObject_HasAttrString(path, "__fspath__")) {
        PyErr_Format(PyExc_TypeError, "_set_proc_root() argument must be a path or None, not %.100s",
                     Py_TYPE(path)->tp_name);
        return NULL;
    }
    if (!PyUnicode_FSConverter(path, &bytes))
        return NULL;
    if (PyBytes_GET_SIZE(bytes) >= PROC_ROOT_MAX) {
        Py_DECREF(bytes);
        PyErr_Format(PyExc_ValueError, "_set_proc_root(): path longer than %d bytes", PROC_ROOT_MAX - 1);
        return NULL;
    }
    snprintf(proc_root, PROC_ROOT_MAX, "%s", PyBytes_AS_STRING(bytes));
    Py_DECREF(bytes);
    Py_RETURN_NONE;
}

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"Iterable", "typing", "Iterable"},
    {"List", "typing", "List"},
    {"Tuple", "typing", "Tuple"},
    {"Popen", "subprocess", "Popen"},
    {"PIPE", "subprocess", "PIPE"},
    {"logging", "logging", NULL},
    {"pp", "pympler.util.stringutils", "pp"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"is_available", is_available, METH_NOARGS,
     "is_available() -> bool\n\nWhether this platform is supported: ProcessMemoryInfo().update()."},
    {"get_current_threads", get_current_threads, METH_NOARGS,
     "get_current_threads() -> list\n\nA ThreadInfo for each thread of threading.enumerate()."},
    {"get_current_thread_id", get_current_thread_id, METH_NOARGS,
     "get_current_thread_id() -> int\n\nThe ID of the current thread (threading.get_ident())."},
    {"_set_proc_root", set_proc_root, METH_VARARGS,
     "_set_proc_root(path=None)\n\nTesting hook: read the proc files under path instead of /proc."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

/* ======================================================================
 * module
 * ====================================================================== */


/* The first of Proc, PS, Resource whose fresh instance's update() is true,
 * else the base class -- Pympler's choice at import.  Borrowed. */
static PyTypeObject *choose_class(process_state *st)
{
    PyTypeObject *order[] = {st->proc_type, st->ps_type, st->resource_type};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        PyObject *o = PyObject_CallNoArgs((PyObject *)order[i]);
        PyObject *r = o ? PyObject_CallMethod(o, "update", NULL) : NULL;
        int t = r ? PyObject_IsTrue(r) : -1;
        Py_XDECREF(r);
        Py_XDECREF(o);
        if (t < 0)
            PyErr_Clear();
        if (t > 0)
            return order[i];
    }
    return st->pmi_type;
}

static int set_class_attr(PyTypeObject *tp, const char *name, PyObject *v)
{
    int e = v ? PyObject_SetAttrString((PyObject *)tp, name, v) : -1;
    Py_XDECREF(v);
    return e;
}

static int module_exec(PyObject *m)
{
    process_state *st = state_of(m);
    if (pym_module_attach(m) < 0)
        return -1;
    snprintf(st->proc_root, PROC_ROOT_MAX, "%s", "/proc");
    long pagesize = sysconf(_SC_PAGESIZE); /* what mmap.PAGESIZE is */
    if (pagesize <= 0)
        pagesize = 4096;
    if (!(st->threading = PyImport_ImportModule("threading")))
        return -1;
    if (!(st->pmi_type = pym_module_add_type(m, &PMI_spec, NULL)) ||
        !(st->proc_type = pym_module_add_type(m, &Proc_spec, st->pmi_type)) ||
        !(st->ps_type = pym_module_add_type(m, &PS_spec, st->pmi_type)) ||
        !(st->resource_type = pym_module_add_type(m, &Resource_spec, st->pmi_type)) ||
        !(st->threadinfo_type = pym_module_add_type(m, &ThreadInfo_spec, NULL)))
        return -1;
    /* class attributes: _ProcessMemoryInfo.pagesize, _ProcessMemoryInfoProc.key_map */
    if (set_class_attr(st->pmi_type, "pagesize", PyLong_FromLong(pagesize)) < 0)
        return -1;
    PyObject *key_map = PyDict_New();
    for (size_t i = 0; key_map && i < sizeof key_map_items / sizeof *key_map_items; i++) {
        PyObject *v = PyUnicode_FromString(key_map_items[i][1]);
        if (!v || PyDict_SetItemString(key_map, key_map_items[i][0], v) < 0)
            Py_CLEAR(key_map);
        Py_XDECREF(v);
    }
    if (set_class_attr(st->proc_type, "key_map", key_map) < 0)
        return -1;
    if (PyModule_AddIntConstant(m, "PAGESIZE", pagesize) < 0 || pym_module_add(m, "getpid", "os", "getpid") < 0 ||
        pym_module_add(m, "getrusage", "resource", "getrusage") < 0 ||
        pym_module_add(m, "RUSAGE_SELF", "resource", "RUSAGE_SELF") < 0 ||
        PyModule_AddObjectRef(m, "threading", st->threading) < 0 ||
        PyModule_AddObjectRef(m, "ProcessMemoryInfo", (PyObject *)choose_class(st)) < 0) {
        return -1;
    }
    return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    process_state *st = state_of(m);
    Py_VISIT(st->pmi_type);
    Py_VISIT(st->proc_type);
    Py_VISIT(st->ps_type);
    Py_VISIT(st->resource_type);
    Py_VISIT(st->threadinfo_type);
    Py_VISIT(st->threading);
    return 0;
}

static int module_clear(PyObject *m)
{
    process_state *st = state_of(m);
    Py_CLEAR(st->pmi_type);
    Py_CLEAR(st->proc_type);
    Py_CLEAR(st->ps_type);
    Py_CLEAR(st->resource_type);
    Py_CLEAR(st->threadinfo_type);
    Py_CLEAR(st->threading);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.process",
    .m_doc = "Process memory allocation metrics from the operating system, as Pympler's process\n"
             "module, in C: /proc/self/stat and /proc/self/status on Linux, else ps's figures,\n"
             "else getrusage.  ProcessMemoryInfo is the first class whose update() works.\n\n"
             "    >>> from pympler.process import ProcessMemoryInfo\n"
             "    >>> pmi = ProcessMemoryInfo()\n"
             "    >>> print (\"Virtual size [Byte]: \" + str(pmi.vsz)) # doctest: +ELLIPSIS\n"
             "    Virtual size [Byte]: ...\n",
    .m_size = sizeof(process_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_process(void)
{
    return PyModuleDef_Init(&module_def);
}
