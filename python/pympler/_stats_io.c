/* pympler._stats_io: dump and load of ClassTracker statistics (what
 * classtracker_stats.Stats.dump_stats and load_stats keep in a file), in C.
 * See docs/stats_format.md.
 *
 *   dump(fdump, index, snapshots)   writes our format, a versioned, tagged
 *                                   binary format (magic, version, length,
 *                                   CRC-32, then two values)
 *   load(fdump) -> (index_states, snapshot_states)
 *                                   reads our format, or a dump written by
 *                                   Pympler 1.1 (two pickles), through a
 *                                   restricted unpickler
 *
 * Nothing here recurses in C over the data: the writer, the reader, the
 * pickle pre-scan and the conversion of unpickled objects all keep explicit
 * stacks, with a depth limit that gives ValueError.
 *
 * A Pympler pickle is first scanned opcode by opcode (pk_scan): the stack
 * is simulated, so that only admitted globals are named, REDUCE applies only
 * to collections.defaultdict and NEWOBJ only to the admitted classes,
 * lengths stay within the data, memo indices are dense, and tuples and
 * frozensets (whose hash recurses in C) nest at most PK_MAX_HASH_DEPTH
 * deep.  Only then is it given to a subclass of _pickle.Unpickler whose
 * find_class (C) returns placeholders that capture state; the placeholders
 * are then converted to dicts, Asized and ProcessMemoryInfo objects.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "module.h"
#include "strbuf.h"

PyMODINIT_FUNC PyInit__stats_io(void);

/* ======================================================================
 * limits and format constants
 * ====================================================================== */

/* Containers nested deeper than this (our format, the conversion of a
 * pickle, dump's input) give ValueError. */
#define MAX_DEPTH 10000
/* Tuples and frozensets of a pickle nested deeper than this are refused
 * before unpickling: hashing them (as dict keys) recurses in C. */
#define PK_MAX_HASH_DEPTH 1000

static const unsigned char MAGIC[13] = {0x89, 'P', 'Y', 'M', 'S', 'T', 'A', 'T', 'S', '\r', '\n', 0x1a, '\n'};
#define FORMAT_VERSION 1
#define HEADER_SIZE (13 + 2 + 2 + 8 + 4)

/* value tags */
#define T_NONE 'N'
#define T_FALSE 'F'
#define T_TRUE 'T'
#define T_INT 'i'    /* varint: an int64, zigzag-encoded */
#define T_BIGINT 'I' /* varint n, n bytes two's complement big-endian */
#define T_FLOAT 'd'  /* IEEE-754 binary64, big-endian */
#define T_STR 's'    /* varint n, n bytes UTF-8 (surrogates as 3 bytes); joins the str table */
#define T_STRREF 'r' /* varint k: the k-th T_STR of the file (from 0) */
#define T_BYTES 'b'  /* varint n, n bytes */
#define T_LIST 'l'   /* varint n, n values */
#define T_TUPLE 't'  /* varint n, n values */
#define T_DICT 'm'   /* varint n, n (key, value) pairs */
#define T_ASIZED 'A' /* size, flat, name, refs (a tuple) */
#define T_PMI 'P'    /* class name (str), attributes (dict) */

/* the process classes a ProcessMemoryInfo may be, most derived first */
static const char *const PMI_NAMES[4] = {"_ProcessMemoryInfoProc", "_ProcessMemoryInfoPS",
                                         "_ProcessMemoryInfoResource", "_ProcessMemoryInfo"};

/* placeholder kinds (the classes a Pympler pickle may instantiate) */
enum { PH_TRACKED, PH_SNAPSHOT, PH_ASIZED, PH_PMI0, PH_PMI1, PH_PMI2, PH_PMI3, PH_COUNT };

typedef struct {
    PyObject *asized_type;   /* pympler.asizeof.Asized */
    PyObject *pmi_types[4];  /* pympler.process classes, as PMI_NAMES */
    PyTypeObject *ph_types[PH_COUNT];
    PyObject *unpickler;     /* the restricted Unpickler subclass */
    PyObject *list_sentinel; /* what builtins.list unpickles to */
    PyObject *defaultdict_fn;
    PyObject *bytesio;       /* io.BytesIO */
    PyObject *in_progress;   /* conversion memo marker */
} sio_state;

static struct PyModuleDef module_def;

static sio_state *state_of(PyObject *m)
{
    return (sio_state *)PyModule_GetState(m);
}

/* ======================================================================
 * CRC-32 (IEEE 802.3, as zlib's crc32)
 * ====================================================================== */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1; /* the GIL is held: no race */
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xFF);
        v >>= 8;
    }
}

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ======================================================================
 * errors
 * ====================================================================== */

/* Replace the current exception (if any: it becomes the cause) with
 * ValueError "<what>: <msg>[: <cause>]".  Always returns NULL. */
static PyObject *value_error(PyObject *what, const char *msg)
{
    PyObject *et = NULL, *ev = NULL, *tb = NULL, *cause = NULL;
    if (PyErr_Occurred()) {
        PyErr_Fetch(&et, &ev, &tb);
        PyErr_NormalizeException(&et, &ev, &tb);
        if (tb && ev)
            PyException_SetTraceback(ev, tb);
        cause = ev ? PyObject_Str(ev) : NULL;
        if (!cause)
            PyErr_Clear();
    }
    if (cause && PyUnicode_GET_LENGTH(cause) > 0)
        PyErr_Format(PyExc_ValueError, "%S: %s: %S", what, msg, cause);
    else
        PyErr_Format(PyExc_ValueError, "%S: %s", what, msg);
    if (ev) {
        PyObject *nt, *nv, *ntb;
        PyErr_Fetch(&nt, &nv, &ntb);
        PyErr_NormalizeException(&nt, &nv, &ntb);
        if (nv) {
            PyException_SetCause(nv, Py_NewRef(ev));
            PyException_SetContext(nv, Py_NewRef(ev));
        }
        PyErr_Restore(nt, nv, ntb);
    }
    Py_XDECREF(cause);
    Py_XDECREF(et);
    Py_XDECREF(ev);
    Py_XDECREF(tb);
    return NULL;
}

/* A load failure: ValueError naming the file, keeping MemoryError and
 * exceptions that are not Exceptions (KeyboardInterrupt) as they are. */
static PyObject *load_error(PyObject *what, const char *msg)
{
    if (PyErr_Occurred() && (PyErr_ExceptionMatches(PyExc_MemoryError) || !PyErr_ExceptionMatches(PyExc_Exception)))
        return NULL;
    return value_error(what, msg);
}

/* ======================================================================
 * the writer (our format)
 * ====================================================================== */

typedef struct {
    PyObject *items; /* owned: list or tuple of the values still to write */
    Py_ssize_t next;
} wframe;

typedef struct {
    wframe *v;
    size_t n, cap;
} wstack;

static int wstack_push(wstack *s, PyObject *items_steal)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        wframe *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv) {
            Py_DECREF(items_steal);
            PyErr_NoMemory();
            return -1;
        }
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n].items = items_steal;
    s->v[s->n].next = 0;
    s->n++;
    return 0;
}

static void wstack_free(wstack *s)
{
    for (size_t i = 0; i < s->n; i++)
        Py_DECREF(s->v[i].items);
    free(s->v);
}

/* tag, then n as an unsigned LEB128 varint (7 bits a byte, low first). */
static void w_tag_len(pym_strbuf *b, char tag, uint64_t n)
{
    unsigned char h[11];
    size_t k = 0;
    h[k++] = (unsigned char)tag;
    do {
        unsigned char c = n & 0x7F;
        n >>= 7;
        h[k++] = (unsigned char)(c | (n ? 0x80 : 0));
    } while (n);
    pym_strbuf_append(b, (const char *)h, k);
}

static int w_count(pym_strbuf *b, char tag, Py_ssize_t n)
{
    w_tag_len(b, tag, (uint64_t)n);
    return 0;
}

static int w_int(pym_strbuf *b, PyObject *v)
{
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (!overflow) { /* zigzag: 0, -1, 1, -2, ... as 0, 1, 2, 3, ... */
        uint64_t u = (uint64_t)x;
        w_tag_len(b, T_INT, x < 0 ? ~(u << 1) : u << 1);
        return 0;
    }
    /* n.to_bytes((n.bit_length() + 8) // 8, 'big', signed=True) */
    PyObject *bits = PyObject_CallMethod(v, "bit_length", NULL), *bytes = NULL;
    if (!bits)
        return -1;
    Py_ssize_t nb = PyLong_AsSsize_t(bits);
    Py_DECREF(bits);
    if (nb < 0)
        return -1;
    Py_ssize_t n = (nb + 8) / 8;
    PyObject *args = Py_BuildValue("(ns)", n, "big"), *kw = Py_BuildValue("{sO}", "signed", Py_True);
    PyObject *meth = PyObject_GetAttrString(v, "to_bytes");
    if (args && kw && meth)
        bytes = PyObject_Call(meth, args, kw);
    Py_XDECREF(meth);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (!bytes)
        return -1;
    int r = w_count(b, T_BIGINT, PyBytes_GET_SIZE(bytes));
    if (r == 0)
        pym_strbuf_append(b, PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return r;
}

/* A str: a reference to the same str written before (table: exact str ->
 * its index), else its bytes, which join the table. */
static int w_str(pym_strbuf *b, PyObject *v, PyObject *table)
{
    PyObject *key = PyUnicode_CheckExact(v) ? Py_NewRef(v) : PyUnicode_FromObject(v);
    if (!key)
        return -1;
    PyObject *k = PyDict_GetItemWithError(table, key);
    if (k || PyErr_Occurred()) {
        Py_DECREF(key);
        if (!k)
            return -1;
        w_tag_len(b, T_STRREF, (size_t)PyLong_AsSize_t(k));
        return 0;
    }
    Py_ssize_t n = PyDict_GET_SIZE(table);
    PyObject *idx = n <= 0x7FFFFFFF ? PyLong_FromSsize_t(n) : NULL;
    int e = idx ? PyDict_SetItem(table, key, idx) : 0;
    Py_XDECREF(idx);
    Py_DECREF(key);
    if (e < 0)
        return -1;
    PyObject *u = PyUnicode_AsEncodedString(v, "utf-8", "surrogatepass");
    if (!u)
        return -1;
    int r = w_count(b, T_STR, PyBytes_GET_SIZE(u));
    if (r == 0)
        pym_strbuf_append(b, PyBytes_AS_STRING(u), (size_t)PyBytes_GET_SIZE(u));
    Py_DECREF(u);
    return r;
}

/* A key of a dict: a scalar (its hash does not recurse). */
static int is_scalar(PyObject *v)
{
    return v == Py_None || PyBool_Check(v) || PyLong_Check(v) || PyFloat_Check(v) || PyUnicode_Check(v) ||
           PyBytes_Check(v);
}

/* [k0, v0, k1, v1, ...] of a dict; keys must be scalars. */
static PyObject *dict_flat(PyObject *d, const char *who)
{
    PyObject *out = PyList_New(0), *k, *v;
    Py_ssize_t pos = 0;
    if (!out)
        return NULL;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (!is_scalar(k)) {
            PyErr_Format(PyExc_TypeError, "%s: a dict key must be None, a bool, int, float, str or bytes, not %.100s",
                         who, Py_TYPE(k)->tp_name);
            goto fail;
        }
        if (PyList_Append(out, k) < 0 || PyList_Append(out, v) < 0)
            goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* Write the value v and everything in it, with an explicit stack. */
static int w_value(sio_state *st, pym_strbuf *b, PyObject *root, PyObject *table)
{
    wstack s = {NULL, 0, 0};
    PyObject *first = PyTuple_Pack(1, root);
    if (!first || wstack_push(&s, first) < 0)
        return -1;
    while (s.n) {
        wframe *f = &s.v[s.n - 1];
        Py_ssize_t len = PyList_Check(f->items) ? PyList_GET_SIZE(f->items) : PyTuple_GET_SIZE(f->items);
        if (f->next >= len) {
            Py_DECREF(f->items);
            s.n--;
            continue;
        }
        PyObject *v = PyList_Check(f->items) ? PyList_GET_ITEM(f->items, f->next) : PyTuple_GET_ITEM(f->items, f->next);
        f->next++;
        PyObject *children = NULL;
        char tag = 0;
        if (v == Py_None) {
            pym_strbuf_append(b, "N", 1);
        }
        else if (PyBool_Check(v)) {
            pym_strbuf_append(b, v == Py_True ? "T" : "F", 1);
        }
        else if (PyLong_Check(v)) {
            if (w_int(b, v) < 0)
                goto fail;
        }
        else if (PyFloat_Check(v)) {
            unsigned char h[9];
            h[0] = T_FLOAT;
            if (PyFloat_Pack8(PyFloat_AS_DOUBLE(v), (char *)h + 1, 0) < 0)
                goto fail;
            pym_strbuf_append(b, (const char *)h, 9);
        }
        else if (PyUnicode_Check(v)) {
            if (w_str(b, v, table) < 0)
                goto fail;
        }
        else if (PyBytes_Check(v)) {
            if (w_count(b, T_BYTES, PyBytes_GET_SIZE(v)) < 0)
                goto fail;
            pym_strbuf_append(b, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
        }
        else if (PyTuple_Check(v)) {
            tag = T_TUPLE;
            children = PyTuple_CheckExact(v) ? Py_NewRef(v) : PySequence_Tuple(v);
        }
        else if (PyList_Check(v)) {
            tag = T_LIST;
            children = PyList_GetSlice(v, 0, PY_SSIZE_T_MAX);
        }
        else if (PyDict_Check(v)) {
            tag = T_DICT;
            children = dict_flat(v, "dump");
        }
        else {
            int isa = PyObject_IsInstance(v, st->asized_type);
            if (isa < 0)
                goto fail;
            if (isa) {
                static const char *const attrs[4] = {"size", "flat", "name", "refs"};
                tag = T_ASIZED;
                children = PyList_New(4);
                for (int i = 0; children && i < 4; i++) {
                    PyObject *a = PyObject_GetAttrString(v, attrs[i]);
                    if (a && i == 3 && !PyTuple_Check(a) && !PyList_Check(a)) {
                        PyErr_Format(PyExc_TypeError, "dump: Asized.refs must be a tuple or a list, not %.100s",
                                     Py_TYPE(a)->tp_name);
                        Py_CLEAR(a);
                    }
                    if (!a)
                        Py_CLEAR(children);
                    else
                        PyList_SET_ITEM(children, i, a);
                }
            }
            else {
                int which = -1;
                for (int i = 0; i < 4 && which < 0; i++) {
                    int r = PyObject_IsInstance(v, st->pmi_types[i]);
                    if (r < 0)
                        goto fail;
                    if (r)
                        which = i;
                }
                if (which < 0) {
                    PyErr_Format(PyExc_TypeError,
                                 "dump: cannot store an object of type %.100s (None, bool, int, float, str, bytes, "
                                 "list, tuple, dict, Asized and ProcessMemoryInfo can be stored)",
                                 Py_TYPE(v)->tp_name);
                    goto fail;
                }
                PyObject *d = PyObject_GetAttrString(v, "__dict__");
                if (d && !PyDict_Check(d)) {
                    PyErr_SetString(PyExc_TypeError, "dump: a ProcessMemoryInfo's __dict__ is not a dict");
                    Py_CLEAR(d);
                }
                if (!d)
                    goto fail;
                tag = T_PMI;
                children = Py_BuildValue("(sN)", PMI_NAMES[which], d);
            }
        }
        if (tag) {
            if (!children)
                goto fail;
            Py_ssize_t n = PyList_Check(children) ? PyList_GET_SIZE(children) : PyTuple_GET_SIZE(children);
            if (tag == T_DICT)
                n /= 2;
            if (tag == T_ASIZED || tag == T_PMI)
                pym_strbuf_append(b, &tag, 1);
            else if (w_count(b, tag, n) < 0) {
                Py_DECREF(children);
                goto fail;
            }
            if (s.n > MAX_DEPTH) {
                Py_DECREF(children);
                PyErr_Format(PyExc_ValueError, "dump: the data is nested deeper than %d levels (a cycle?)", MAX_DEPTH);
                goto fail;
            }
            if (wstack_push(&s, children) < 0)
                goto fail;
        }
        if (pym_strbuf_failed(b)) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    wstack_free(&s);
    return 0;
fail:
    wstack_free(&s);
    return -1;
}

/* The state dict of a tracked object (dict: itself; else __getstate__()). */
static PyObject *tracked_state(PyObject *t)
{
    if (PyDict_Check(t))
        return Py_NewRef(t);
    PyObject *s = PyObject_CallMethod(t, "__getstate__", NULL);
    if (s && !PyDict_Check(s)) {
        PyErr_Format(PyExc_TypeError, "dump: %.100s.__getstate__() returned %.100s, not a dict", Py_TYPE(t)->tp_name,
                     Py_TYPE(s)->tp_name);
        Py_CLEAR(s);
    }
    return s;
}

/* The state dict of a snapshot (dict: itself; else its __dict__). */
static PyObject *snapshot_state(PyObject *t)
{
    if (PyDict_Check(t))
        return Py_NewRef(t);
    PyObject *s = PyObject_GetAttrString(t, "__dict__");
    if (s && !PyDict_Check(s)) {
        PyErr_Format(PyExc_TypeError, "dump: the __dict__ of %.100s is not a dict", Py_TYPE(t)->tp_name);
        Py_CLEAR(s);
    }
    return s;
}

/* {classname: [state, ...]} and [state, ...] of dump's arguments. */
static int dump_states(PyObject *index, PyObject *snapshots, PyObject **index_out, PyObject **snaps_out)
{
    PyObject *items = NULL, *idx = NULL, *snaps = NULL, *seq = NULL;
    *index_out = *snaps_out = NULL;
    if (!PyMapping_Check(index) || PyUnicode_Check(index)) {
        PyErr_Format(PyExc_TypeError, "dump() argument 'index' must be a mapping, not %.100s", Py_TYPE(index)->tp_name);
        return -1;
    }
    if (!(items = PyMapping_Items(index)) || !(idx = PyDict_New()))
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2) {
            PyErr_SetString(PyExc_TypeError, "dump(): index.items() must give (key, value) pairs");
            goto fail;
        }
        PyObject *name = PyTuple_GET_ITEM(kv, 0);
        if (!PyUnicode_Check(name)) {
            PyErr_Format(PyExc_TypeError, "dump(): index keys must be class names (str), not %.100s",
                         Py_TYPE(name)->tp_name);
            goto fail;
        }
        PyObject *objs = PySequence_Fast(PyTuple_GET_ITEM(kv, 1), "dump(): index values must be lists of tracked objects");
        PyObject *states = objs ? PyList_New(0) : NULL;
        for (Py_ssize_t j = 0; states && j < PySequence_Fast_GET_SIZE(objs); j++) {
            PyObject *s = tracked_state(PySequence_Fast_GET_ITEM(objs, j));
            if (!s || PyList_Append(states, s) < 0)
                Py_CLEAR(states);
            Py_XDECREF(s);
        }
        Py_XDECREF(objs);
        if (!states || PyDict_SetItem(idx, name, states) < 0) {
            Py_XDECREF(states);
            goto fail;
        }
        Py_DECREF(states);
    }
    if (!(seq = PySequence_Fast(snapshots, "dump() argument 'snapshots' must be a list of snapshots")) ||
        !(snaps = PyList_New(0)))
        goto fail;
    for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq); j++) {
        PyObject *s = snapshot_state(PySequence_Fast_GET_ITEM(seq, j));
        int r = s ? PyList_Append(snaps, s) : -1;
        Py_XDECREF(s);
        if (r < 0)
            goto fail;
    }
    Py_DECREF(items);
    Py_DECREF(seq);
    *index_out = idx;
    *snaps_out = snaps;
    return 0;
fail:
    Py_XDECREF(items);
    Py_XDECREF(idx);
    Py_XDECREF(seq);
    Py_XDECREF(snaps);
    return -1;
}

/* The whole file of our format for the two state values, as bytes. */
static PyObject *encode_file(sio_state *st, PyObject *index_states, PyObject *snap_states)
{
    pym_strbuf b;
    pym_strbuf_init(&b);
    unsigned char header[HEADER_SIZE] = {0};
    pym_strbuf_append(&b, (const char *)header, HEADER_SIZE);
    PyObject *out = NULL, *table = PyDict_New();
    if (!table || w_value(st, &b, index_states, table) < 0 || w_value(st, &b, snap_states, table) < 0)
        goto done;
    if (pym_strbuf_failed(&b)) {
        PyErr_NoMemory();
        goto done;
    }
    unsigned char *h = (unsigned char *)b.data;
    size_t body = b.len - HEADER_SIZE;
    memcpy(h, MAGIC, sizeof MAGIC);
    put_be(h + 13, FORMAT_VERSION, 2);
    put_be(h + 15, 0, 2);
    put_be(h + 17, (uint64_t)body, 8);
    put_be(h + 25, crc32_of(h + HEADER_SIZE, body), 4);
    out = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
done:
    Py_XDECREF(table);
    pym_strbuf_free(&b);
    return out;
}

/* ======================================================================
 * the reader (our format)
 * ====================================================================== */

/* Asized(size, flat, refs, name); refs a tuple, or a list (what Pympler's
 * _merge_asized leaves), which is set as it is.  NULL without an exception
 * when refs is neither. */
static PyObject *make_asized(sio_state *st, PyObject *size, PyObject *flat, PyObject *refs, PyObject *name)
{
    if (!PyTuple_CheckExact(refs) && !PyList_CheckExact(refs))
        return NULL;
    PyObject *t = PyTuple_Check(refs) ? Py_NewRef(refs) : PyTuple_New(0);
    PyObject *a = t ? PyObject_CallFunctionObjArgs(st->asized_type, size, flat, t, name, NULL) : NULL;
    Py_XDECREF(t);
    if (a && PyList_Check(refs) && PyObject_SetAttrString(a, "refs", refs) < 0)
        Py_CLEAR(a);
    return a;
}

typedef struct {
    char tag;
    Py_ssize_t want;   /* children to read */
    PyObject *items;   /* owned: the children read so far */
} rframe;

typedef struct {
    const unsigned char *p;
    size_t pos, end;
    sio_state *st;
    const char *err; /* what is wrong, when a read fails without an exception */
    PyObject *strs;  /* every T_STR read so far, for T_STRREF */
} reader;

/* A new object built from a completed frame, or NULL (err or exception). */
static PyObject *r_finish(reader *r, rframe *f)
{
    PyObject *it = f->items;
    Py_ssize_t n = PyList_GET_SIZE(it);
    switch (f->tag) {
    case T_LIST:
        return Py_NewRef(it);
    case T_TUPLE:
        return PyList_AsTuple(it);
    case T_DICT: {
        PyObject *d = PyDict_New();
        for (Py_ssize_t i = 0; d && i + 1 < n; i += 2) {
            PyObject *k = PyList_GET_ITEM(it, i);
            if (!is_scalar(k)) {
                r->err = "a dict key is not a scalar";
                Py_CLEAR(d);
            }
            else if (PyDict_SetItem(d, k, PyList_GET_ITEM(it, i + 1)) < 0)
                Py_CLEAR(d);
        }
        return d;
    }
    case T_ASIZED: {
        PyObject *a = make_asized(r->st, PyList_GET_ITEM(it, 0), PyList_GET_ITEM(it, 1), PyList_GET_ITEM(it, 3),
                                  PyList_GET_ITEM(it, 2));
        if (!a && !PyErr_Occurred())
            r->err = "Asized refs is not a tuple or a list";
        return a;
    }
    case T_PMI: {
        PyObject *name = PyList_GET_ITEM(it, 0), *attrs = PyList_GET_ITEM(it, 1);
        int which = -1;
        for (int i = 0; i < 4 && PyUnicode_Check(name); i++)
            if (PyUnicode_CompareWithASCIIString(name, PMI_NAMES[i]) == 0)
                which = i;
        if (which < 0) {
            r->err = "unknown ProcessMemoryInfo class";
            return NULL;
        }
        if (!PyDict_Check(attrs)) {
            r->err = "ProcessMemoryInfo attributes are not a dict";
            return NULL;
        }
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(attrs, &pos, &k, &v))
            if (!PyUnicode_Check(k)) {
                r->err = "a ProcessMemoryInfo attribute name is not a str";
                return NULL;
            }
        PyTypeObject *tp = (PyTypeObject *)r->st->pmi_types[which];
        PyObject *empty = PyTuple_New(0);
        PyObject *o = empty ? tp->tp_new(tp, empty, NULL) : NULL; /* object.__new__: no /proc read */
        Py_XDECREF(empty);
        PyObject *d = o ? PyObject_GetAttrString(o, "__dict__") : NULL;
        if (!d || !PyDict_Check(d) || PyDict_Update(d, attrs) < 0) {
            if (d && !PyDict_Check(d) && !PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "ProcessMemoryInfo has no __dict__");
            Py_CLEAR(o);
        }
        Py_XDECREF(d);
        return o;
    }
    }
    r->err = "internal: bad frame";
    return NULL;
}

/* An unsigned LEB128 varint, in its shortest form, of at most 64 bits. */
static int r_varint(reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        if (r->pos >= r->end) {
            r->err = "truncated value";
            return -1;
        }
        unsigned char c = r->p[r->pos++];
        if (shift == 63 && c > 1) {
            r->err = "a number beyond 64 bits";
            return -1;
        }
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            if (c == 0 && shift) {
                r->err = "a number not in its shortest form";
                return -1;
            }
            *out = v;
            return 0;
        }
    }
}

static int r_need(reader *r, size_t n)
{
    if (r->end - r->pos < n) {
        r->err = "truncated value";
        return -1;
    }
    return 0;
}

/* One value at r->pos, with an explicit stack.  New reference, or NULL with
 * r->err or an exception. */
static PyObject *r_value(reader *r)
{
    rframe *stack = NULL;
    size_t n = 0, cap = 0;
    PyObject *result = NULL;
    for (;;) {
        PyObject *v = NULL;
        if (r_need(r, 1) < 0)
            goto fail;
        unsigned char tag = r->p[r->pos++];
        Py_ssize_t want = -1;
        switch (tag) {
        case T_NONE:
            v = Py_NewRef(Py_None);
            break;
        case T_TRUE:
            v = Py_NewRef(Py_True);
            break;
        case T_FALSE:
            v = Py_NewRef(Py_False);
            break;
        case T_INT: {
            uint64_t u;
            if (r_varint(r, &u) < 0)
                goto fail;
            uint64_t x = (u >> 1) ^ (~(u & 1) + 1); /* zigzag back */
            v = PyLong_FromLongLong(x <= (uint64_t)INT64_MAX ? (long long)x : -(long long)(~x) - 1);
            break;
        }
        case T_FLOAT: {
            if (r_need(r, 8) < 0)
                goto fail;
            double d = PyFloat_Unpack8((const char *)r->p + r->pos, 0);
            if (d == -1.0 && PyErr_Occurred())
                goto fail;
            r->pos += 8;
            v = PyFloat_FromDouble(d);
            break;
        }
        case T_BIGINT:
        case T_STR:
        case T_BYTES: {
            uint64_t len64;
            if (r_varint(r, &len64) < 0)
                goto fail;
            if (len64 > r->end - r->pos) {
                r->err = "truncated value";
                goto fail;
            }
            size_t len = (size_t)len64;
            if (r_need(r, len) < 0)
                goto fail;
            const char *s = (const char *)r->p + r->pos;
            r->pos += len;
            if (tag == T_BYTES)
                v = PyBytes_FromStringAndSize(s, (Py_ssize_t)len);
            else if (tag == T_STR) {
                v = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "surrogatepass");
                if (!v) {
                    PyErr_Clear();
                    r->err = "a str is not valid UTF-8";
                    goto fail;
                }
                if (PyList_Append(r->strs, v) < 0) {
                    Py_DECREF(v);
                    goto fail;
                }
            }
            else {
                if (len == 0) {
                    r->err = "an empty big int";
                    goto fail;
                }
                PyObject *bytes = PyBytes_FromStringAndSize(s, (Py_ssize_t)len);
                PyObject *args = bytes ? Py_BuildValue("(Os)", bytes, "big") : NULL;
                PyObject *kw = args ? Py_BuildValue("{sO}", "signed", Py_True) : NULL;
                PyObject *fb = kw ? PyObject_GetAttrString((PyObject *)&PyLong_Type, "from_bytes") : NULL;
                v = fb ? PyObject_Call(fb, args, kw) : NULL;
                Py_XDECREF(fb);
                Py_XDECREF(kw);
                Py_XDECREF(args);
                Py_XDECREF(bytes);
            }
            break;
        }
        case T_STRREF: {
            uint64_t k;
            if (r_varint(r, &k) < 0)
                goto fail;
            if (k >= (uint64_t)PyList_GET_SIZE(r->strs)) {
                r->err = "a reference to a str not read yet";
                goto fail;
            }
            v = Py_NewRef(PyList_GET_ITEM(r->strs, (Py_ssize_t)k));
            break;
        }
        case T_LIST:
        case T_TUPLE:
        case T_DICT: {
            uint64_t cnt;
            if (r_varint(r, &cnt) < 0)
                goto fail;
            if (cnt > r->end - r->pos || (tag == T_DICT && (cnt *= 2) > r->end - r->pos)) { /* every value takes a byte at least */
                r->err = "a container longer than the data";
                goto fail;
            }
            want = (Py_ssize_t)cnt;
            break;
        }
        case T_ASIZED:
            want = 4;
            break;
        case T_PMI:
            want = 2;
            break;
        default:
            r->err = "unknown value tag";
            goto fail;
        }
        if (want >= 0) {
            if (n >= MAX_DEPTH) {
                r->err = "values nested too deep";
                goto fail;
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                rframe *ns = realloc(stack, nc * sizeof *ns);
                if (!ns) {
                    PyErr_NoMemory();
                    goto fail;
                }
                stack = ns;
                cap = nc;
            }
            PyObject *items = PyList_New(0);
            if (!items)
                goto fail;
            stack[n].tag = (char)tag;
            stack[n].want = want;
            stack[n].items = items;
            n++;
        }
        else if (!v)
            goto fail;
        /* hand v up; complete every frame that is full */
        for (;;) {
            if (v) {
                if (n == 0) {
                    result = v;
                    goto done;
                }
                int e = PyList_Append(stack[n - 1].items, v);
                Py_DECREF(v);
                v = NULL;
                if (e < 0)
                    goto fail;
            }
            if (n == 0 || PyList_GET_SIZE(stack[n - 1].items) < stack[n - 1].want)
                break;
            v = r_finish(r, &stack[n - 1]);
            Py_DECREF(stack[n - 1].items);
            n--;
            if (!v)
                goto fail;
        }
    }
fail:
    if (!r->err && !PyErr_Occurred())
        r->err = "malformed value";
done:
    for (size_t i = 0; i < n; i++)
        Py_DECREF(stack[i].items);
    free(stack);
    return result;
}

/* dict of str keys */
static int str_keyed(PyObject *d)
{
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    if (!PyDict_Check(d))
        return 0;
    while (PyDict_Next(d, &pos, &k, &v))
        if (!PyUnicode_Check(k))
            return 0;
    return 1;
}

/* The shapes load returns: {str: [dict]} and [dict] (dicts of str keys). */
static const char *check_shapes(PyObject *index, PyObject *snaps)
{
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    if (!str_keyed(index))
        return "the index is not a dict of class names";
    while (PyDict_Next(index, &pos, &k, &v)) {
        if (!PyList_Check(v))
            return "an index entry is not a list";
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++)
            if (!str_keyed(PyList_GET_ITEM(v, i)))
                return "a tracked object's state is not a dict of str keys";
    }
    if (!PyList_Check(snaps))
        return "the snapshots are not a list";
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snaps); i++)
        if (!str_keyed(PyList_GET_ITEM(snaps, i)))
            return "a snapshot's state is not a dict of str keys";
    return NULL;
}

static PyObject *decode_ours(sio_state *st, PyObject *what, const unsigned char *p, size_t len)
{
    char msg[160];
    if (len < HEADER_SIZE)
        return value_error(what, "truncated header");
    unsigned ver = (unsigned)get_be(p + 13, 2), flags = (unsigned)get_be(p + 15, 2);
    if (ver != FORMAT_VERSION) {
        snprintf(msg, sizeof msg, "unsupported format version %u (this reader knows version %d)", ver, FORMAT_VERSION);
        return value_error(what, msg);
    }
    if (flags != 0)
        return value_error(what, "unknown header flags");
    uint64_t body = get_be(p + 17, 8);
    if (body != len - HEADER_SIZE) {
        snprintf(msg, sizeof msg, "%s: the header says %llu bytes of data, the file has %llu",
                 body > len - HEADER_SIZE ? "truncated" : "trailing data", (unsigned long long)body,
                 (unsigned long long)(len - HEADER_SIZE));
        return value_error(what, msg);
    }
    if ((uint32_t)get_be(p + 25, 4) != crc32_of(p + HEADER_SIZE, (size_t)body))
        return value_error(what, "corrupted (CRC-32 mismatch)");
    reader r = {p, HEADER_SIZE, len, st, NULL, PyList_New(0)};
    if (!r.strs)
        return NULL;
    PyObject *index = r_value(&r), *snaps = index ? r_value(&r) : NULL, *out = NULL;
    Py_DECREF(r.strs);
    const char *bad = NULL;
    if (!snaps) {
        bad = r.err;
        snprintf(msg, sizeof msg, "malformed data at byte %zu: %s", r.pos, bad ? bad : "invalid value");
        value_error(what, msg);
    }
    else if (r.pos != r.end)
        value_error(what, "trailing data after the snapshots");
    else if ((bad = check_shapes(index, snaps)))
        value_error(what, bad);
    else
        out = PyTuple_Pack(2, index, snaps);
    Py_XDECREF(index);
    Py_XDECREF(snaps);
    if (!out && !PyErr_ExceptionMatches(PyExc_ValueError))
        load_error(what, "malformed data");
    return out;
}

/* ======================================================================
 * the pickle pre-scan (pure C)
 * ====================================================================== */

enum { PK_OTHER, PK_STR, PK_GLOBAL, PK_OBJ };
/* admitted globals */
enum { G_DEFAULTDICT, G_LIST, G_TRACKED, G_SNAPSHOT, G_ASIZED, G_PMI0, G_PMI1, G_PMI2, G_PMI3, G_COUNT };
static const char *const ADMITTED[G_COUNT][2] = {
    {"collections", "defaultdict"},
    {"builtins", "list"},
    {"pympler.classtracker", "TrackedObject"},
    {"pympler.classtracker", "Snapshot"},
    {"pympler.asizeof", "Asized"},
    {"pympler.process", "_ProcessMemoryInfoProc"},
    {"pympler.process", "_ProcessMemoryInfoPS"},
    {"pympler.process", "_ProcessMemoryInfoResource"},
    {"pympler.process", "_ProcessMemoryInfo"},
};

typedef struct {
    uint8_t kind, global;
    uint32_t depth;         /* tuple/frozenset nesting */
    size_t str_off, str_len; /* PK_STR: the UTF-8 bytes */
} pk_item;

typedef struct {
    pk_item *v;
    size_t n, cap;
} pk_vec;

static int pk_push(pk_vec *s, pk_item it)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        pk_item *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = it;
    return 0;
}

/* Which admitted global module.name is, or -1.  __builtin__.list is how
 * protocol 2 writes builtins.list. */
static int pk_admitted(const char *mod, size_t mlen, const char *name, size_t nlen)
{
    for (int g = 0; g < G_COUNT; g++) {
        const char *am = ADMITTED[g][0], *an = ADMITTED[g][1];
        int mod_ok = (strlen(am) == mlen && memcmp(am, mod, mlen) == 0) ||
                     (g == G_LIST && mlen == 11 && memcmp(mod, "__builtin__", 11) == 0);
        if (mod_ok && strlen(an) == nlen && memcmp(an, name, nlen) == 0)
            return g;
    }
    return -1;
}

typedef struct {
    size_t offset;
    char msg[200];
} pk_error;

static int pk_fail(pk_error *e, size_t at, const char *fmt, const char *arg)
{
    e->offset = at;
    snprintf(e->msg, sizeof e->msg, fmt, arg);
    return -1;
}

/* Scan the pickle that starts at data[start]: *end is the offset after its
 * STOP.  0, or -1 with e filled in (an allocation failure says so there). */
static int pk_scan(const unsigned char *data, size_t len, size_t start, size_t *end, pk_error *e)
{
    pk_vec stack = {NULL, 0, 0}, memo = {NULL, 0, 0};
    size_t *marks = NULL, nmarks = 0, capmarks = 0;
    size_t pos = start;
    int rc = -1, first = 1;
    char opname[8];
#define FAIL(...)                        \
    do {                                 \
        pk_fail(e, at, __VA_ARGS__);     \
        goto out;                        \
    } while (0)
#define NEED(k)                                                   \
    do {                                                          \
        if (len - pos < (size_t)(k))                              \
            FAIL("truncated pickle (opcode %s)", opname);         \
    } while (0)
#define FENCE (nmarks ? marks[nmarks - 1] : 0)
#define PUSH(it)                                                  \
    do {                                                          \
        if (pk_push(&stack, (it)) < 0)                            \
            FAIL("%s", "out of memory");                          \
    } while (0)
    for (;;) {
        size_t at = pos;
        if (pos >= len) {
            pk_fail(e, at, "%s", "truncated pickle (no STOP)");
            goto out;
        }
        unsigned char op = data[pos++];
        pk_item it = {PK_OTHER, 0, 0, 0, 0};
        if (op >= 0x20 && op < 0x7f)
            snprintf(opname, sizeof opname, "'%c'", op);
        else
            snprintf(opname, sizeof opname, "0x%02x", op);
        if (first && op != 0x80)
            FAIL("%s", "the pickle does not start with PROTO (protocols 2 to 5 are read)");
        first = 0;
        switch (op) {
        case 0x80: /* PROTO */
            NEED(1);
            if (at != start)
                FAIL("%s", "PROTO inside the pickle");
            if (data[pos] < 2 || data[pos] > 5)
                FAIL("%s", "unsupported pickle protocol (2 to 5 are read)");
            pos++;
            break;
        case 0x95: { /* FRAME */
            NEED(8);
            uint64_t n = get_le(data + pos, 8);
            pos += 8;
            if (n > len - pos)
                FAIL("%s", "truncated pickle (frame longer than the data)");
            break;
        }
        case '.': /* STOP */
            if (nmarks || stack.n != 1)
                FAIL("%s", "STOP with a malformed stack");
            *end = pos;
            rc = 0;
            goto out;
        case '(': /* MARK */
            if (nmarks == capmarks) {
                size_t nc = capmarks ? capmarks * 2 : 16;
                size_t *nm = realloc(marks, nc * sizeof *nm);
                if (!nm)
                    FAIL("%s", "out of memory");
                marks = nm;
                capmarks = nc;
            }
            marks[nmarks++] = stack.n;
            break;
        case '0': /* POP */
            if (stack.n <= FENCE)
                FAIL("%s", "stack underflow (POP)");
            stack.n--;
            break;
        case '1': /* POP_MARK */
            if (!nmarks)
                FAIL("%s", "POP_MARK without MARK");
            stack.n = marks[--nmarks];
            break;
        case '2': /* DUP */
            if (stack.n <= FENCE)
                FAIL("%s", "stack underflow (DUP)");
            PUSH(stack.v[stack.n - 1]);
            break;
        case 'N': case 0x88: case 0x89: case ']': case '}': case 0x8f:
            PUSH(it);
            break;
        case ')':
            it.depth = 1;
            PUSH(it);
            break;
        case 'J': case 'K': case 'M': case 'G': {
            size_t k = op == 'J' ? 4 : op == 'K' ? 1 : op == 'M' ? 2 : 8;
            NEED(k);
            pos += k;
            PUSH(it);
            break;
        }
        case 0x8a: case 0x8b: /* LONG1, LONG4 */
        case 'T': case 'U':   /* BINSTRING, SHORT_BINSTRING */
        case 'B': case 'C': case 0x8e: /* BINBYTES, SHORT_BINBYTES, BINBYTES8 */
        case 'X': case 0x8c: case 0x8d: /* BINUNICODE, SHORT_BINUNICODE, BINUNICODE8 */
        case 0x96: { /* BYTEARRAY8 */
            int k = (op == 0x8a || op == 'U' || op == 'C' || op == 0x8c) ? 1 : (op == 0x8e || op == 0x8d || op == 0x96) ? 8 : 4;
            NEED(k);
            uint64_t n = get_le(data + pos, k);
            if (k == 4 && (op == 0x8b || op == 'T') && (n & 0x80000000u))
                FAIL("negative length (opcode %s)", opname);
            pos += (size_t)k;
            if (n > len - pos)
                FAIL("truncated pickle (length beyond the data, opcode %s)", opname);
            if (op == 'X' || op == 0x8c || op == 0x8d) {
                it.kind = PK_STR;
                it.str_off = pos;
                it.str_len = (size_t)n;
            }
            pos += (size_t)n;
            PUSH(it);
            break;
        }
        case 'c': { /* GLOBAL module\nname\n */
            const unsigned char *nl1 = memchr(data + pos, '\n', len - pos);
            const unsigned char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(data + len - nl1 - 1)) : NULL;
            if (!nl2)
                FAIL("%s", "truncated pickle (GLOBAL)");
            int g = pk_admitted((const char *)data + pos, (size_t)(nl1 - data - pos), (const char *)nl1 + 1,
                                (size_t)(nl2 - nl1 - 1));
            if (g < 0)
                FAIL("%s", "a global that is not admitted (only the classes of a ClassTracker dump are)");
            pos = (size_t)(nl2 - data) + 1;
            it.kind = PK_GLOBAL;
            it.global = (uint8_t)g;
            PUSH(it);
            break;
        }
        case 0x93: { /* STACK_GLOBAL */
            if (stack.n < FENCE + 2)
                FAIL("%s", "stack underflow (STACK_GLOBAL)");
            pk_item m = stack.v[stack.n - 2], nm = stack.v[stack.n - 1];
            if (m.kind != PK_STR || nm.kind != PK_STR)
                FAIL("%s", "STACK_GLOBAL of something else than two strings");
            int g = pk_admitted((const char *)data + m.str_off, m.str_len, (const char *)data + nm.str_off, nm.str_len);
            if (g < 0)
                FAIL("%s", "a global that is not admitted (only the classes of a ClassTracker dump are)");
            stack.n -= 2;
            it.kind = PK_GLOBAL;
            it.global = (uint8_t)g;
            PUSH(it);
            break;
        }
        case 'l': case 'd': case 't': case 0x91: case 0x90: case 'e': case 'u': { /* to the mark */
            if (!nmarks)
                FAIL("MARK missing (opcode %s)", opname);
            size_t m = marks[--nmarks], cnt = stack.n - m;
            uint32_t depth = 0;
            for (size_t i = m; i < stack.n; i++)
                if (stack.v[i].depth > depth)
                    depth = stack.v[i].depth;
            stack.n = m;
            if ((op == 'd' || op == 'u') && cnt % 2)
                FAIL("odd number of items (opcode %s)", opname);
            if (op == 0x90 || op == 'e' || op == 'u') { /* ADDITEMS, APPENDS, SETITEMS: onto the item below */
                if (stack.n <= FENCE)
                    FAIL("stack underflow (opcode %s)", opname);
                break;
            }
            if (op == 't' || op == 0x91) {
                it.depth = depth + 1;
                if (it.depth > PK_MAX_HASH_DEPTH)
                    FAIL("%s", "tuples nested too deep");
            }
            PUSH(it);
            break;
        }
        case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
            size_t k = (size_t)(op - 0x84);
            if (stack.n < FENCE + k)
                FAIL("stack underflow (opcode %s)", opname);
            uint32_t depth = 0;
            for (size_t i = stack.n - k; i < stack.n; i++)
                if (stack.v[i].depth > depth)
                    depth = stack.v[i].depth;
            stack.n -= k;
            it.depth = depth + 1;
            if (it.depth > PK_MAX_HASH_DEPTH)
                FAIL("%s", "tuples nested too deep");
            PUSH(it);
            break;
        }
        case 'a': case 's': case 'b': { /* APPEND, SETITEM, BUILD: pop 1 or 2 onto the item below */
            size_t k = op == 's' ? 2 : 1;
            if (stack.n < FENCE + k + 1)
                FAIL("stack underflow (opcode %s)", opname);
            stack.n -= k;
            if (op == 'b' && stack.v[stack.n - 1].kind != PK_OBJ)
                FAIL("%s", "BUILD of something else than an admitted object");
            break;
        }
        case 'R': { /* REDUCE: only collections.defaultdict */
            if (stack.n < FENCE + 2)
                FAIL("%s", "stack underflow (REDUCE)");
            pk_item f = stack.v[stack.n - 2];
            if (f.kind != PK_GLOBAL || f.global != G_DEFAULTDICT)
                FAIL("%s", "REDUCE of something else than collections.defaultdict");
            stack.n -= 2;
            PUSH(it);
            break;
        }
        case 0x81: case 0x92: { /* NEWOBJ, NEWOBJ_EX: only the admitted classes */
            size_t k = op == 0x81 ? 2 : 3;
            if (stack.n < FENCE + k)
                FAIL("stack underflow (opcode %s)", opname);
            pk_item c = stack.v[stack.n - k];
            if (c.kind != PK_GLOBAL || c.global < G_TRACKED)
                FAIL("%s", "NEWOBJ of something else than an admitted class");
            stack.n -= k;
            it.kind = PK_OBJ;
            PUSH(it);
            break;
        }
        case 'q': case 'r': case 0x94: { /* BINPUT, LONG_BINPUT, MEMOIZE */
            uint64_t idx = memo.n;
            if (op != 0x94) {
                int k = op == 'q' ? 1 : 4;
                NEED(k);
                idx = get_le(data + pos, k);
                pos += (size_t)k;
            }
            if (stack.n <= FENCE)
                FAIL("stack underflow (opcode %s)", opname);
            if (idx > memo.n)
                FAIL("%s", "a memo index out of sequence");
            if (idx == memo.n) {
                if (pk_push(&memo, stack.v[stack.n - 1]) < 0)
                    FAIL("%s", "out of memory");
            }
            else
                memo.v[idx] = stack.v[stack.n - 1];
            break;
        }
        case 'h': case 'j': { /* BINGET, LONG_BINGET */
            int k = op == 'h' ? 1 : 4;
            NEED(k);
            uint64_t idx = get_le(data + pos, k);
            pos += (size_t)k;
            if (idx >= memo.n)
                FAIL("%s", "a memo index that was never set");
            PUSH(memo.v[idx]);
            break;
        }
        default:
            FAIL("opcode %s is not admitted in a ClassTracker dump", opname);
        }
    }
out:
#undef FAIL
#undef NEED
#undef FENCE
#undef PUSH
    free(stack.v);
    free(memo.v);
    free(marks);
    return rc;
}

/* _scan_pickle(data, start=0) -> end: the pre-scan alone (for tests). */
static PyObject *scan_pickle(PyObject *m, PyObject *args)
{
    (void)m;
    Py_buffer buf;
    Py_ssize_t start = 0;
    if (!PyArg_ParseTuple(args, "y*|n:_scan_pickle", &buf, &start))
        return NULL;
    if (start < 0 || start > buf.len) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "_scan_pickle(): start out of range");
        return NULL;
    }
    pk_error e;
    size_t end = 0;
    int r = pk_scan(buf.buf, (size_t)buf.len, (size_t)start, &end, &e);
    PyBuffer_Release(&buf);
    if (r < 0) {
        PyErr_Format(PyExc_ValueError, "byte %zu: %s", e.offset, e.msg);
        return NULL;
    }
    return PyLong_FromSize_t(end);
}

/* ======================================================================
 * placeholders and the restricted unpickler
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    int kind;
    PyObject *state;
} PhObject;

static PyObject *Ph_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    sio_state *st = pym_type_state(tp, &module_def);
    if (!st)
        return NULL;
    int kind = -1;
    for (int i = 0; i < PH_COUNT; i++)
        if (st->ph_types[i] == tp)
            kind = i;
    if (kind < 0 || (args && PyTuple_GET_SIZE(args)) || (kwds && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "a ClassTracker dump's objects are made without arguments");
        return NULL;
    }
    PhObject *o = (PhObject *)tp->tp_alloc(tp, 0);
    if (o)
        o->kind = kind;
    return (PyObject *)o;
}

static PyObject *Ph_setstate(PyObject *self, PyObject *state)
{
    PhObject *o = (PhObject *)self;
    if (o->state) {
        PyErr_SetString(PyExc_TypeError, "state set twice");
        return NULL;
    }
    o->state = Py_NewRef(state);
    Py_RETURN_NONE;
}

static int Ph_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((PhObject *)self)->state);
    return 0;
}

static int Ph_clear(PyObject *self)
{
    Py_CLEAR(((PhObject *)self)->state);
    return 0;
}

static void Ph_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, Ph_dealloc)
    Ph_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
    Py_TRASHCAN_END
}

static PyMethodDef Ph_methods[] = {{"__setstate__", Ph_setstate, METH_O, NULL}, {NULL, NULL, 0, NULL}};

static PyType_Slot Ph_slots[] = {
    {Py_tp_new, Ph_new},           {Py_tp_dealloc, Ph_dealloc}, {Py_tp_traverse, Ph_traverse},
    {Py_tp_clear, Ph_clear},       {Py_tp_methods, Ph_methods}, {0, NULL}};

#define PH_SPEC(var, nm)                                                                                        \
    static PyType_Spec var = {.name = "pympler._stats_io." nm, .basicsize = sizeof(PhObject),                  \
                              .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, .slots = Ph_slots}
PH_SPEC(ph_tracked_spec, "_TrackedObjectState");
PH_SPEC(ph_snapshot_spec, "_SnapshotState");
PH_SPEC(ph_asized_spec, "_AsizedState");
PH_SPEC(ph_pmi0_spec, "_ProcessMemoryInfoProcState");
PH_SPEC(ph_pmi1_spec, "_ProcessMemoryInfoPSState");
PH_SPEC(ph_pmi2_spec, "_ProcessMemoryInfoResourceState");
PH_SPEC(ph_pmi3_spec, "_ProcessMemoryInfoState");
static PyType_Spec *const ph_specs[PH_COUNT] = {&ph_tracked_spec, &ph_snapshot_spec, &ph_asized_spec, &ph_pmi0_spec,
                                                &ph_pmi1_spec,    &ph_pmi2_spec,     &ph_pmi3_spec};

/* find_class(unpickler, module, name), bound to the module (self). */
static PyObject *find_class(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    sio_state *st = state_of(m);
    if (nargs != 3 || !PyUnicode_Check(args[1]) || !PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "find_class(module, name) takes two strs");
        return NULL;
    }
    Py_ssize_t ml, nl;
    const char *mod = PyUnicode_AsUTF8AndSize(args[1], &ml), *name = mod ? PyUnicode_AsUTF8AndSize(args[2], &nl) : NULL;
    if (!name)
        return NULL;
    int g = pk_admitted(mod, (size_t)ml, name, (size_t)nl);
    switch (g) {
    case G_DEFAULTDICT:
        return Py_NewRef(st->defaultdict_fn);
    case G_LIST:
        return Py_NewRef(st->list_sentinel);
    case G_TRACKED:
        return Py_NewRef((PyObject *)st->ph_types[PH_TRACKED]);
    case G_SNAPSHOT:
        return Py_NewRef((PyObject *)st->ph_types[PH_SNAPSHOT]);
    case G_ASIZED:
        return Py_NewRef((PyObject *)st->ph_types[PH_ASIZED]);
    case G_PMI0: case G_PMI1: case G_PMI2: case G_PMI3:
        return Py_NewRef((PyObject *)st->ph_types[PH_PMI0 + (g - G_PMI0)]);
    }
    PyErr_Format(PyExc_TypeError, "global '%U.%U' is not admitted", args[1], args[2]);
    return NULL;
}

/* collections.defaultdict(list) of the dump: a plain dict. */
static PyObject *defaultdict_fn(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    sio_state *st = state_of(m);
    if (nargs != 1 || args[0] != st->list_sentinel) {
        PyErr_SetString(PyExc_TypeError, "only defaultdict(list) is admitted");
        return NULL;
    }
    return PyDict_New();
}

static PyMethodDef find_class_def = {"find_class", (PyCFunction)(void (*)(void))find_class, METH_FASTCALL,
                                     "find_class(module, name): the admitted globals only."};
static PyMethodDef defaultdict_def = {"defaultdict", (PyCFunction)(void (*)(void))defaultdict_fn, METH_FASTCALL,
                                      "defaultdict(list) of a ClassTracker dump: a dict."};

/* ======================================================================
 * conversion of unpickled placeholders
 * ====================================================================== */

typedef struct {
    PyObject *src;      /* borrowed (kept alive by the unpickled root) */
    PyObject *children; /* owned: list of the values to convert */
    PyObject *keys;     /* owned or NULL: the keys, for a dict or a state */
    PyObject *out;      /* owned: the converted children */
    int kind;           /* -1 list, -2 tuple, -3 dict, else PH_* */
} cframe;

/* The state of a placeholder as a dict of str keys: a dict, or Asized's
 * (None, slots dict).  Borrowed, or NULL with err. */
static PyObject *ph_state_dict(PhObject *o, const char **err)
{
    PyObject *s = o->state;
    if (s && PyTuple_Check(s) && PyTuple_GET_SIZE(s) == 2 && PyTuple_GET_ITEM(s, 0) == Py_None)
        s = PyTuple_GET_ITEM(s, 1);
    if (!s || !PyDict_CheckExact(s)) {
        *err = "an object without a state dict";
        return NULL;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(s, &pos, &k, &v))
        if (!PyUnicode_CheckExact(k)) {
            *err = "a state key is not a str";
            return NULL;
        }
    return s;
}

/* Build the converted object of a completed frame. */
static PyObject *c_finish(sio_state *st, cframe *f, const char **err)
{
    switch (f->kind) {
    case -1:
        return Py_NewRef(f->out);
    case -2:
        return PyList_AsTuple(f->out);
    case PH_ASIZED: {
        static const char *const names[4] = {"size", "flat", "refs", "name"};
        PyObject *vals[4] = {NULL, NULL, NULL, NULL};
        if (PyList_GET_SIZE(f->keys) != 4) {
            *err = "an Asized without exactly size, flat, refs and name";
            return NULL;
        }
        for (Py_ssize_t i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                if (PyUnicode_CompareWithASCIIString(PyList_GET_ITEM(f->keys, i), names[j]) == 0)
                    vals[j] = PyList_GET_ITEM(f->out, i);
        if (!vals[0] || !vals[1] || !vals[2] || !vals[3]) {
            *err = "an Asized without exactly size, flat, refs and name";
            return NULL;
        }
        PyObject *a = make_asized(st, vals[0], vals[1], vals[2], vals[3]);
        if (!a && !PyErr_Occurred())
            *err = "an Asized whose refs is not a tuple or a list";
        return a;
    }
    default: {
        PyObject *d = PyDict_New();
        for (Py_ssize_t i = 0; d && i < PyList_GET_SIZE(f->keys); i++)
            if (PyDict_SetItem(d, PyList_GET_ITEM(f->keys, i), PyList_GET_ITEM(f->out, i)) < 0)
                Py_CLEAR(d);
        if (!d || f->kind < PH_PMI0)
            return d; /* dict, TrackedObject or Snapshot state */
        PyTypeObject *tp = (PyTypeObject *)st->pmi_types[f->kind - PH_PMI0];
        PyObject *empty = PyTuple_New(0);
        PyObject *o = empty ? tp->tp_new(tp, empty, NULL) : NULL;
        Py_XDECREF(empty);
        PyObject *od = o ? PyObject_GetAttrString(o, "__dict__") : NULL;
        if (!od || !PyDict_Check(od) || PyDict_Update(od, d) < 0) {
            if (od && !PyDict_Check(od) && !PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "ProcessMemoryInfo has no __dict__");
            Py_CLEAR(o);
        }
        Py_XDECREF(od);
        Py_DECREF(d);
        return o;
    }
    }
}

/* Start converting v: a converted scalar in *done, or a new frame in *f. 
 * allow_top: the placeholder kind admitted here (PH_TRACKED or
 * PH_SNAPSHOT at the top of a state; -1 elsewhere). */
static int c_start(sio_state *st, PyObject *v, int allow_top, PyObject **done, cframe *f, const char **err)
{
    *done = NULL;
    memset(f, 0, sizeof *f);
    if (v == Py_None || PyBool_Check(v) || PyLong_CheckExact(v) || PyFloat_CheckExact(v) || PyUnicode_CheckExact(v) ||
        PyBytes_CheckExact(v)) {
        *done = Py_NewRef(v);
        return 0;
    }
    f->src = v;
    if (PyList_CheckExact(v) || PyTuple_CheckExact(v)) {
        f->kind = PyList_CheckExact(v) ? -1 : -2;
        f->children = PySequence_List(v);
    }
    else if (PyDict_CheckExact(v)) {
        PyObject *k, *val;
        Py_ssize_t pos = 0;
        f->kind = -3;
        f->keys = PyList_New(0);
        f->children = PyList_New(0);
        while (f->keys && f->children && PyDict_Next(v, &pos, &k, &val)) {
            if (!is_scalar(k)) {
                *err = "a dict key is not a scalar";
                goto fail;
            }
            if (PyList_Append(f->keys, k) < 0 || PyList_Append(f->children, val) < 0)
                goto fail;
        }
    }
    else {
        int kind = -1;
        for (int i = 0; i < PH_COUNT; i++)
            if (Py_TYPE(v) == st->ph_types[i])
                kind = i;
        if (kind < 0) {
            *err = "an object of a type that a ClassTracker dump does not hold";
            return -1;
        }
        if ((kind == PH_TRACKED || kind == PH_SNAPSHOT) && kind != allow_top) {
            *err = kind == PH_TRACKED ? "a TrackedObject out of place" : "a Snapshot out of place";
            return -1;
        }
        PyObject *s = ph_state_dict((PhObject *)v, err);
        if (!s)
            return -1;
        f->kind = kind;
        f->keys = PyDict_Keys(s);
        f->children = PyDict_Values(s);
    }
    if (!f->children || (f->kind != -1 && f->kind != -2 && !f->keys))
        goto fail;
    if (!(f->out = PyList_New(0)))
        goto fail;
    return 0;
fail:
    Py_CLEAR(f->children);
    Py_CLEAR(f->keys);
    return -1;
}

static void cframe_clear(cframe *f)
{
    Py_CLEAR(f->children);
    Py_CLEAR(f->keys);
    Py_CLEAR(f->out);
}

/* The converted v (new reference), with an explicit stack; memo maps
 * id(src) -> converted (or in_progress, for a cycle). */
static PyObject *convert(sio_state *st, PyObject *root, int allow_top, PyObject *memo, const char **err)
{
    cframe *stack = NULL;
    size_t n = 0, cap = 0;
    PyObject *result = NULL, *v = NULL;
    cframe f;
    if (c_start(st, root, allow_top, &v, &f, err) < 0)
        return NULL;
    if (v)
        return v;
    for (;;) {
        /* f is a new frame to push, unless already done (via memo) */
        if (f.src) {
            PyObject *key = PyLong_FromVoidPtr(f.src);
            PyObject *hit = key ? PyDict_GetItemWithError(memo, key) : NULL;
            if (!key || (!hit && PyErr_Occurred())) {
                Py_XDECREF(key);
                cframe_clear(&f);
                goto fail;
            }
            if (hit) {
                Py_DECREF(key);
                cframe_clear(&f);
                if (hit == st->in_progress) {
                    *err = "a cyclic structure";
                    goto fail;
                }
                v = Py_NewRef(hit);
            }
            else {
                int e = PyDict_SetItem(memo, key, st->in_progress);
                Py_DECREF(key);
                if (e < 0 || n >= MAX_DEPTH) {
                    if (e == 0)
                        *err = "values nested too deep";
                    cframe_clear(&f);
                    goto fail;
                }
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    cframe *ns = realloc(stack, nc * sizeof *ns);
                    if (!ns) {
                        cframe_clear(&f);
                        PyErr_NoMemory();
                        goto fail;
                    }
                    stack = ns;
                    cap = nc;
                }
                stack[n++] = f;
                memset(&f, 0, sizeof f);
            }
        }
        /* give v to the top frame, complete full frames, start the next child */
        for (;;) {
            if (n == 0) {
                result = v;
                v = NULL;
                goto done;
            }
            cframe *top = &stack[n - 1];
            if (v) {
                int e = PyList_Append(top->out, v);
                Py_CLEAR(v);
                if (e < 0)
                    goto fail;
            }
            Py_ssize_t i = PyList_GET_SIZE(top->out);
            if (i < PyList_GET_SIZE(top->children)) {
                if (c_start(st, PyList_GET_ITEM(top->children, i), -1, &v, &f, err) < 0)
                    goto fail;
                if (v)
                    continue;
                break; /* a new frame in f */
            }
            PyObject *obj = top->kind == -3 ? NULL : c_finish(st, top, err);
            if (top->kind == -3) { /* dict */
                obj = PyDict_New();
                for (Py_ssize_t j = 0; obj && j < PyList_GET_SIZE(top->keys); j++)
                    if (PyDict_SetItem(obj, PyList_GET_ITEM(top->keys, j), PyList_GET_ITEM(top->out, j)) < 0)
                        Py_CLEAR(obj);
            }
            PyObject *key = obj ? PyLong_FromVoidPtr(top->src) : NULL;
            int e = key ? PyDict_SetItem(memo, key, obj) : -1;
            Py_XDECREF(key);
            cframe_clear(top);
            n--;
            if (e < 0) {
                Py_XDECREF(obj);
                goto fail;
            }
            v = obj;
        }
    }
fail:
    if (!*err && !PyErr_Occurred())
        *err = "malformed data";
done:
    for (size_t i = 0; i < n; i++)
        cframe_clear(&stack[i]);
    free(stack);
    return result;
}

/* Unpickle data[start:end] with the restricted unpickler. */
static PyObject *unpickle(sio_state *st, const unsigned char *data, size_t start, size_t end)
{
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data + start, (Py_ssize_t)(end - start));
    PyObject *f = bytes ? PyObject_CallOneArg(st->bytesio, bytes) : NULL;
    PyObject *u = f ? PyObject_CallOneArg(st->unpickler, f) : NULL;
    PyObject *r = u ? PyObject_CallMethod(u, "load", NULL) : NULL;
    Py_XDECREF(u);
    Py_XDECREF(f);
    Py_XDECREF(bytes);
    return r;
}

static PyObject *decode_pickle(sio_state *st, PyObject *what, const unsigned char *p, size_t len)
{
    char msg[300];
    pk_error e;
    size_t end1 = 0, end2 = 0;
    if (pk_scan(p, len, 0, &end1, &e) < 0 || (end1 < len && pk_scan(p, len, end1, &end2, &e) < 0)) {
        snprintf(msg, sizeof msg, "not a valid ClassTracker dump (Pympler pickle): byte %zu: %s", e.offset, e.msg);
        return value_error(what, msg);
    }
    if (end1 >= len)
        return value_error(what, "not a valid ClassTracker dump (Pympler pickle): truncated after the index");
    if (end2 != len)
        return value_error(what, "not a valid ClassTracker dump (Pympler pickle): trailing data after the snapshots");
    PyObject *raw_index = NULL, *raw_snaps = NULL, *memo = NULL, *index = NULL, *snaps = NULL, *out = NULL;
    const char *err = NULL;
    if (!(raw_index = unpickle(st, p, 0, end1)) || !(raw_snaps = unpickle(st, p, end1, end2))) {
        load_error(what, "not a valid ClassTracker dump (Pympler pickle)");
        goto done;
    }
    if (!(memo = PyDict_New()) || !(index = PyDict_New()) || !(snaps = PyList_New(0)))
        goto fail;
    if (!PyDict_CheckExact(raw_index)) {
        err = "the index is not a dict";
        goto fail;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(raw_index, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k) || !PyList_CheckExact(v)) {
            err = "the index is not a dict of class names to lists";
            goto fail;
        }
        PyObject *states = PyList_New(0);
        if (!states || PyDict_SetItem(index, k, states) < 0) {
            Py_XDECREF(states);
            goto fail;
        }
        Py_DECREF(states);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++) {
            PyObject *t = PyList_GET_ITEM(v, i);
            if (Py_TYPE(t) != st->ph_types[PH_TRACKED]) {
                err = "an index entry is not a TrackedObject";
                goto fail;
            }
            PyObject *c = convert(st, t, PH_TRACKED, memo, &err);
            if (!c || PyList_Append(states, c) < 0) {
                Py_XDECREF(c);
                goto fail;
            }
            Py_DECREF(c);
        }
    }
    if (!PyList_CheckExact(raw_snaps)) {
        err = "the snapshots are not a list";
        goto fail;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(raw_snaps); i++) {
        PyObject *t = PyList_GET_ITEM(raw_snaps, i);
        if (Py_TYPE(t) != st->ph_types[PH_SNAPSHOT]) {
            err = "a snapshot is not a Snapshot";
            goto fail;
        }
        PyObject *c = convert(st, t, PH_SNAPSHOT, memo, &err);
        if (!c || PyList_Append(snaps, c) < 0) {
            Py_XDECREF(c);
            goto fail;
        }
        Py_DECREF(c);
    }
    out = PyTuple_Pack(2, index, snaps);
    if (!out)
        goto fail;
    goto done;
fail:
    if (err) {
        snprintf(msg, sizeof msg, "not a valid ClassTracker dump (Pympler pickle): %s", err);
        value_error(what, msg);
    }
    else
        load_error(what, "not a valid ClassTracker dump (Pympler pickle)");
done:
    Py_XDECREF(raw_index);
    Py_XDECREF(raw_snaps);
    Py_XDECREF(memo);
    Py_XDECREF(index);
    Py_XDECREF(snaps);
    return out;
}

/* ======================================================================
 * files
 * ====================================================================== */

/* Whether f is a path (str, bytes, os.PathLike). */
static int is_path(PyObject *f)
{
    return PyUnicode_Check(f) || PyBytes_Check(f) || PyObject_HasAttrString(f, "__fspath__");
}

/* What error messages call fdump: the path, or the file's name or repr. */
static PyObject *describe(PyObject *f)
{
    if (is_path(f)) {
        PyObject *p = PyOS_FSPath(f);
        if (p) {
            PyObject *r = PyUnicode_Check(p) ? Py_NewRef(p) : PyObject_Repr(p);
            Py_DECREF(p);
            return r;
        }
        PyErr_Clear();
    }
    PyObject *name = pym_getattr_optional(f, "name");
    if (name && PyUnicode_Check(name))
        return name;
    Py_XDECREF(name);
    PyErr_Clear();
    return PyObject_Repr(f);
}

static PyObject *os_error(int err, PyObject *path_bytes, const char *what)
{
    PyObject *path = PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(path_bytes), PyBytes_GET_SIZE(path_bytes));
    PyObject *msg = PyUnicode_FromFormat("%s: %s", what, strerror(err));
    PyObject *args = path && msg ? Py_BuildValue("(iOO)", err, msg, path) : NULL;
    if (args) {
        PyErr_SetObject(PyExc_OSError, args);
    }
    Py_XDECREF(args);
    Py_XDECREF(msg);
    Py_XDECREF(path);
    return NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
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

/* Write data to path atomically: a temporary file beside it, then rename. */
static int write_atomic(PyObject *path_bytes, PyObject *data)
{
    const char *path = PyBytes_AS_STRING(path_bytes);
    size_t plen = (size_t)PyBytes_GET_SIZE(path_bytes);
    if (strlen(path) != plen) {
        PyErr_SetString(PyExc_ValueError, "dump(): embedded null byte in the path");
        return -1;
    }
    char *tmp = malloc(plen + 64);
    if (!tmp) {
        PyErr_NoMemory();
        return -1;
    }
    static unsigned counter = 0;
    int fd = -1, err = 0;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, plen + 64, "%s.tmp%ld.%u.%lx", path, (long)getpid(), counter++,
                 (unsigned long)time(NULL) ^ (unsigned long)(uintptr_t)tmp);
        Py_BEGIN_ALLOW_THREADS
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        Py_END_ALLOW_THREADS
        err = errno;
        if (fd < 0 && err != EEXIST)
            break;
    }
    if (fd < 0) {
        free(tmp);
        os_error(err, path_bytes, "cannot create a temporary file beside it");
        return -1;
    }
    int r;
    Py_BEGIN_ALLOW_THREADS
    r = write_all(fd, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
    if (r == 0)
        r = fsync(fd);
    err = errno;
    if (close(fd) != 0 && r == 0) {
        r = -1;
        err = errno;
    }
    if (r == 0 && rename(tmp, path) != 0) {
        r = -1;
        err = errno;
    }
    if (r != 0)
        unlink(tmp);
    Py_END_ALLOW_THREADS
    free(tmp);
    if (r != 0) {
        os_error(err, path_bytes, "cannot write the statistics");
        return -1;
    }
    return 0;
}

/* The whole content of path, as bytes. */
static PyObject *read_path(PyObject *path_bytes)
{
    const char *path = PyBytes_AS_STRING(path_bytes);
    if (strlen(path) != (size_t)PyBytes_GET_SIZE(path_bytes)) {
        PyErr_SetString(PyExc_ValueError, "load(): embedded null byte in the path");
        return NULL;
    }
    int fd;
    Py_BEGIN_ALLOW_THREADS
    fd = open(path, O_RDONLY | O_CLOEXEC);
    Py_END_ALLOW_THREADS
    if (fd < 0)
        return os_error(errno, path_bytes, "cannot open the statistics");
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int err = 0;
    while (buf) {
        if (len == cap) {
            char *nb = cap > ((size_t)PY_SSIZE_T_MAX) / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                err = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r;
        Py_BEGIN_ALLOW_THREADS
        r = read(fd, buf + len, cap - len);
        Py_END_ALLOW_THREADS
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = errno;
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (!buf) {
        if (err == ENOMEM)
            return PyErr_NoMemory();
        return os_error(err ? err : EIO, path_bytes, "cannot read the statistics");
    }
    PyObject *out = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
    free(buf);
    return out;
}

/* ======================================================================
 * dump and load
 * ====================================================================== */

static PyObject *sio_dump(PyObject *m, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fdump", "index", "snapshots", NULL};
    PyObject *fdump, *index, *snapshots;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:dump", kwlist, &fdump, &index, &snapshots))
        return NULL;
    sio_state *st = state_of(m);
    PyObject *is = NULL, *ss = NULL, *data = NULL, *path = NULL, *r = NULL;
    int path_like = is_path(fdump);
    PyObject *write = NULL;
    if (!path_like) {
        write = pym_getattr_optional(fdump, "write");
        if (!write) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError,
                             "dump() argument 'fdump' must be a path or a binary file with write(), not %.100s",
                             Py_TYPE(fdump)->tp_name);
            return NULL;
        }
    }
    else if (!PyUnicode_FSConverter(fdump, &path))
        return NULL;
    if (dump_states(index, snapshots, &is, &ss) < 0 || !(data = encode_file(st, is, ss)))
        goto done;
    if (path_like) {
        if (write_atomic(path, data) < 0)
            goto done;
    }
    else {
        PyObject *w = PyObject_CallOneArg(write, data);
        if (!w)
            goto done;
        Py_DECREF(w);
    }
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(write);
    Py_XDECREF(path);
    Py_XDECREF(is);
    Py_XDECREF(ss);
    Py_XDECREF(data);
    return r;
}

/* load of bytes already read (what: the file's description). */
static PyObject *decode(sio_state *st, PyObject *what, PyObject *data)
{
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(data);
    size_t len = (size_t)PyBytes_GET_SIZE(data);
    if (len == 0)
        return value_error(what, "empty file (not a ClassTracker dump)");
    if (len >= sizeof MAGIC && memcmp(p, MAGIC, sizeof MAGIC) == 0)
        return decode_ours(st, what, p, len);
    if (p[0] == 0x80)
        return decode_pickle(st, what, p, len);
    if (len < sizeof MAGIC && memcmp(p, MAGIC, len) == 0)
        return value_error(what, "truncated header");
    return value_error(what, "not a ClassTracker dump (wrong magic)");
}

static PyObject *sio_load(PyObject *m, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fdump", NULL};
    PyObject *fdump;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:load", kwlist, &fdump))
        return NULL;
    sio_state *st = state_of(m);
    PyObject *data = NULL, *what = NULL, *r = NULL;
    if (is_path(fdump)) {
        PyObject *path = NULL;
        if (!PyUnicode_FSConverter(fdump, &path))
            return NULL;
        data = read_path(path);
        Py_DECREF(path);
    }
    else {
        PyObject *read = pym_getattr_optional(fdump, "read");
        if (!read) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError,
                             "load() argument 'fdump' must be a path or a binary file with read(), not %.100s",
                             Py_TYPE(fdump)->tp_name);
            return NULL;
        }
        data = PyObject_CallNoArgs(read);
        Py_DECREF(read);
        if (data && !PyBytes_Check(data)) {
            PyObject *b = PyObject_CheckBuffer(data) ? PyBytes_FromObject(data) : NULL;
            if (!b && !PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "load(): read() returned %.100s, not bytes (open the file in binary mode)",
                             Py_TYPE(data)->tp_name);
            Py_SETREF(data, b);
        }
    }
    if (!data || !(what = describe(fdump)))
        goto done;
    r = decode(st, what, data);
done:
    Py_XDECREF(data);
    Py_XDECREF(what);
    return r;
}

static PyMethodDef module_methods[] = {
    {"dump", (PyCFunction)(void (*)(void))sio_dump, METH_VARARGS | METH_KEYWORDS,
     "dump(fdump, index, snapshots)\n\nWrite ClassTracker statistics -- index (class name -> tracked objects,\n"
     "whose __getstate__() is stored) and snapshots (whose __dict__ is stored) -- to fdump, a path\n"
     "(written atomically) or a binary file.  The format: docs/stats_format.md."},
    {"load", (PyCFunction)(void (*)(void))sio_load, METH_VARARGS | METH_KEYWORDS,
     "load(fdump) -> (index_states, snapshot_states)\n\nRead statistics written by dump() or by Pympler 1.1's\n"
     "Stats.dump_stats (through a restricted unpickler).  ValueError for anything else."},
    {"_scan_pickle", scan_pickle, METH_VARARGS,
     "_scan_pickle(data, start=0) -> end\n\nThe pre-scan of a Pympler pickle alone (for tests)."},
    {NULL, NULL, 0, NULL}};

/* ======================================================================
 * module
 * ====================================================================== */

/* type('_RestrictedUnpickler', (_pickle.Unpickler,), {...}) */
static PyObject *make_unpickler(PyObject *m)
{
    PyObject *base = pym_module_attr("_pickle", "Unpickler");
    PyObject *fn = base ? PyCFunction_NewEx(&find_class_def, m, NULL) : NULL;
    PyObject *meth = fn ? PyInstanceMethod_New(fn) : NULL;
    PyObject *ns = meth ? Py_BuildValue("{sOs()ss}", "find_class", meth, "__slots__", "__module__",
                                        "pympler._stats_io")
                        : NULL;
    PyObject *cls = ns ? PyObject_CallFunction((PyObject *)&PyType_Type, "s(O)O", "_RestrictedUnpickler", base, ns)
                       : NULL;
    Py_XDECREF(ns);
    Py_XDECREF(meth);
    Py_XDECREF(fn);
    Py_XDECREF(base);
    return cls;
}

static int module_exec(PyObject *m)
{
    sio_state *st = state_of(m);
    if (pym_module_attach(m) < 0)
        return -1;
    if (!(st->asized_type = pym_module_attr("pympler.asizeof", "Asized")))
        return -1;
    for (int i = 0; i < 4; i++)
        if (!(st->pmi_types[i] = pym_module_attr("pympler.process", PMI_NAMES[i])))
            return -1;
    for (int i = 0; i < PH_COUNT; i++)
        if (!(st->ph_types[i] = (PyTypeObject *)PyType_FromModuleAndSpec(m, ph_specs[i], NULL)))
            return -1;
    if (!(st->list_sentinel = PyCapsule_New(st, "pympler._stats_io.list", NULL)) ||
        !(st->defaultdict_fn = PyCFunction_NewEx(&defaultdict_def, m, NULL)) ||
        !(st->bytesio = pym_module_attr("io", "BytesIO")) || !(st->in_progress = PyList_New(0)) ||
        !(st->unpickler = make_unpickler(m)))
        return -1;
    PyObject *magic = PyBytes_FromStringAndSize((const char *)MAGIC, sizeof MAGIC);
    int e = !magic || PyModule_AddObjectRef(m, "MAGIC", magic) < 0 ||
            PyModule_AddIntConstant(m, "FORMAT_VERSION", FORMAT_VERSION) < 0 ||
            PyModule_AddIntConstant(m, "MAX_DEPTH", MAX_DEPTH) < 0;
    Py_XDECREF(magic);
    return e ? -1 : 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    sio_state *st = state_of(m);
    Py_VISIT(st->asized_type);
    for (int i = 0; i < 4; i++)
        Py_VISIT(st->pmi_types[i]);
    for (int i = 0; i < PH_COUNT; i++)
        Py_VISIT(st->ph_types[i]);
    Py_VISIT(st->unpickler);
    Py_VISIT(st->list_sentinel);
    Py_VISIT(st->defaultdict_fn);
    Py_VISIT(st->bytesio);
    Py_VISIT(st->in_progress);
    return 0;
}

static int module_clear(PyObject *m)
{
    sio_state *st = state_of(m);
    Py_CLEAR(st->asized_type);
    for (int i = 0; i < 4; i++)
        Py_CLEAR(st->pmi_types[i]);
    for (int i = 0; i < PH_COUNT; i++)
        Py_CLEAR(st->ph_types[i]);
    Py_CLEAR(st->unpickler);
    Py_CLEAR(st->list_sentinel);
    Py_CLEAR(st->defaultdict_fn);
    Py_CLEAR(st->bytesio);
    Py_CLEAR(st->in_progress);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler._stats_io",
    .m_doc = "Dump and load of ClassTracker statistics (classtracker_stats.Stats.dump_stats and\n"
             "load_stats): our versioned binary format, and Pympler 1.1's pickles read through a\n"
             "restricted unpickler.  See docs/stats_format.md.",
    .m_size = sizeof(sio_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__stats_io(void)
{
    return PyModuleDef_Init(&module_def);
}
