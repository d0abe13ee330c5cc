/* summarize.c: summary._repr and summary.summarize without Python loops.
 *
 * summarize() meets millions of objects and a few thousand types.  Each type
 * gets one entry in a small open-addressing table for the duration of a call:
 * either the row its objects go to (the key depends only on the type, the
 * common case), or the representation callable that names each object
 * (functions, modules, frames).  The table holds a reference to each type, so
 * Python code run by a __sizeof__ cannot free a type and have another take its
 * address.
 */
#include "summarize.h"
#include "flatsize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the default representations ---------------------------------------- */

/* "prefix%s..." % (getattr chain) helpers */
static PyObject *code_attr(PyObject *frame, PyObject *name)
{
    PyObject *code = PyObject_GetAttr(frame, pym_str.f_code);
    if (!code)
        return NULL;
    PyObject *r = PyObject_GetAttr(code, name);
    Py_DECREF(code);
    return r;
}

static PyObject *repr_frame(PyObject *f, int level)
{
    PyObject *name = NULL, *file = NULL, *line = NULL, *res = NULL;
    if (!(name = code_attr(f, pym_str.co_name)))
        goto done;
    if (level == 1) {
        res = PyUnicode_FromFormat("frame (codename: %S)", name);
        goto done;
    }
    if (level == 3 && !(file = code_attr(f, pym_str.co_filename)))
        goto done;
    if (!(line = code_attr(f, pym_str.co_firstlineno)))
        goto done;
    if (level == 2)
        res = PyUnicode_FromFormat("frame (codename: %S, codeline: %S)", name, line);
    else
        res = PyUnicode_FromFormat("frame (codename: %S, filename: %S, codeline: %S)", name, file,
                                   line);
done:
    Py_XDECREF(name);
    Py_XDECREF(file);
    Py_XDECREF(line);
    return res;
}

static PyObject *frame_1(PyObject *m, PyObject *f) { (void)m; return repr_frame(f, 1); }
static PyObject *frame_2(PyObject *m, PyObject *f) { (void)m; return repr_frame(f, 2); }
static PyObject *frame_3(PyObject *m, PyObject *f) { (void)m; return repr_frame(f, 3); }

static PyObject *type_str(PyObject *m, PyObject *o)
{
    (void)m;
    return PyObject_Str((PyObject *)Py_TYPE(o));
}

static PyObject *with_len(const char *what, PyObject *o)
{
    Py_ssize_t n = PyObject_Size(o);
    if (n < 0)
        return NULL;
    return PyUnicode_FromFormat("%s, len=%zd", what, n);
}

static PyObject *dict_2(PyObject *m, PyObject *d) { (void)m; return with_len("dict", d); }
static PyObject *list_2(PyObject *m, PyObject *l) { (void)m; return with_len("list", l); }
static PyObject *set_2(PyObject *m, PyObject *s) { (void)m; return with_len("set", s); }

static PyObject *function_1(PyObject *m, PyObject *f)
{
    (void)m;
    PyObject *name = PyObject_GetAttr(f, pym_str.__name__);
    if (!name)
        return NULL;
    PyObject *r = PyUnicode_FromFormat("function (%S)", name);
    Py_DECREF(name);
    return r;
}

static PyObject *function_2(PyObject *m, PyObject *f)
{
    (void)m;
    PyObject *mod = PyObject_GetAttr(f, pym_str.__module__);
    if (!mod)
        return NULL;
    PyObject *name = PyObject_GetAttr(f, pym_str.__name__);
    if (!name) {
        Py_DECREF(mod);
        return NULL;
    }
    PyObject *r = PyUnicode_FromFormat("function (%S.%S)", mod, name);
    Py_DECREF(mod);
    Py_DECREF(name);
    return r;
}

/* getattr(o, name, dflt): a new reference; dflt when the attribute is absent
 * (AttributeError), NULL on other errors. */
static PyObject *getattr_default(PyObject *o, PyObject *name, PyObject *dflt)
{
    PyObject *v = NULL;
    int r = pym_lookup_attr(o, name, &v);
    if (r < 0)
        return NULL;
    return r ? v : Py_NewRef(dflt);
}

static PyObject *module_1(PyObject *m_, PyObject *m)
{
    (void)m_;
    /* Pympler: getattr(m, '__name__', getattr(m, '__file__', 'nameless, id: %d' % id(m))),
     * the inner default evaluated first. */
    PyObject *nameless = NULL, *file = NULL, *name = NULL, *res = NULL;
    PyObject *id = PyLong_FromVoidPtr(m);
    if (!id)
        return NULL;
    nameless = PyUnicode_FromFormat("nameless, id: %S", id);
    Py_DECREF(id);
    if (!nameless)
        return NULL;
    if (!(file = getattr_default(m, pym_str.__file__, nameless)))
        goto done;
    if (!(name = getattr_default(m, pym_str.__name__, file)))
        goto done;
    res = PyUnicode_FromFormat("module(%S)", name);
done:
    Py_XDECREF(nameless);
    Py_XDECREF(file);
    Py_XDECREF(name);
    return res;
}

/* The order of this table is the order of the lists in representations. */
static PyMethodDef repr_defs[] = {
    {"frame_codename", frame_1, METH_O, "frame (codename: NAME)"},
    {"frame_codeline", frame_2, METH_O, "frame (codename: NAME, codeline: LINE)"},
    {"frame_filename", frame_3, METH_O, "frame (codename: NAME, filename: FILE, codeline: LINE)"},
    {"dict_type", type_str, METH_O, "str(type(d))"},
    {"dict_len", dict_2, METH_O, "dict, len=N"},
    {"function_name", function_1, METH_O, "function (NAME)"},
    {"function_qualified", function_2, METH_O, "function (MODULE.NAME)"},
    {"list_type", type_str, METH_O, "str(type(l))"},
    {"list_len", list_2, METH_O, "list, len=N"},
    {"module_name", module_1, METH_O, "module(NAME)"},
    {"set_type", type_str, METH_O, "str(type(s))"},
    {"set_len", set_2, METH_O, "set, len=N"},
};
#define N_REPR_DEFS ((int)(sizeof repr_defs / sizeof repr_defs[0]))

/* True when f is one of our default callables whose result is str(type(o)). */
static int is_type_str_default(PyObject *f)
{
    if (!PyCFunction_Check(f))
        return 0;
    PyMethodDef *ml = ((PyCFunctionObject *)f)->m_ml;
    return ml >= repr_defs && ml < repr_defs + N_REPR_DEFS && ml->ml_meth == type_str;
}

PyObject *pym_representations_fill(PyObject *fill)
{
    static const struct {
        PyTypeObject *tp;
        int first, n;
    } groups[] = {
        {&PyFrame_Type, 0, 3}, {&PyDict_Type, 3, 2},  {&PyFunction_Type, 5, 2},
        {&PyList_Type, 7, 2},  {&PyModule_Type, 9, 1}, {&PySet_Type, 10, 2},
    };
    PyObject *reps = fill ? Py_NewRef(fill) : PyDict_New();
    if (!reps)
        return NULL;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        PyObject *list = PyList_New(groups[g].n);
        if (!list)
            goto fail;
        for (int i = 0; i < groups[g].n; i++) {
            PyObject *f = PyCFunction_New(&repr_defs[groups[g].first + i], NULL);
            if (!f) {
                Py_DECREF(list);
                goto fail;
            }
            PyList_SET_ITEM(list, i, f);
        }
        int r = PyObject_SetItem(reps, (PyObject *)groups[g].tp, list);
        Py_DECREF(list);
        if (r < 0)
            goto fail;
    }
    return reps;
fail:
    Py_DECREF(reps);
    return NULL;
}

/* ---- cleaning a key as Pympler's two regular expressions do -------------- */

static int is_lower_hex(Py_UCS4 c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* address.sub('', s): drop every ' at 0x[0-9a-f]+'.  New reference. */
static PyObject *drop_addresses(PyObject *s)
{
    static const char pat[] = " at 0x";
    const Py_ssize_t plen = 6;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_UCS4 *buf = NULL;
    Py_ssize_t out = 0, i = 0, last = 0;
    int found = 0;

    while (i + plen < n) {
        Py_ssize_t k = 0;
        while (k < plen && PyUnicode_READ(kind, data, i + k) == (Py_UCS4)pat[k])
            k++;
        if (k < plen || !is_lower_hex(PyUnicode_READ(kind, data, i + plen))) {
            i++;
            continue;
        }
        Py_ssize_t end = i + plen;
        while (end < n && is_lower_hex(PyUnicode_READ(kind, data, end)))
            end++;
        if (!found) {
            buf = PyMem_Malloc((size_t)n * sizeof(Py_UCS4));
            if (!buf)
                return PyErr_NoMemory();
            found = 1;
        }
        for (Py_ssize_t j = last; j < i; j++)
            buf[out++] = PyUnicode_READ(kind, data, j);
        last = i = end;
    }
    if (!found)
        return Py_NewRef(s);
    for (Py_ssize_t j = last; j < n; j++)
        buf[out++] = PyUnicode_READ(kind, data, j);
    PyObject *r = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, out);
    PyMem_Free(buf);
    return r;
}

static int starts_with(PyObject *s, const char *prefix, Py_ssize_t end)
{
    Py_ssize_t k = (Py_ssize_t)strlen(prefix);
    if (end < k)
        return 0;
    for (Py_ssize_t i = 0; i < k; i++)
        if (PyUnicode_READ_CHAR(s, i) != (Py_UCS4)(unsigned char)prefix[i])
            return 0;
    return 1;
}

/* type_repr.sub(r'\2', s) for ^<(type|class) '(\S+)'>$ : the class name, or
 * s itself.  ($ also matches before a final newline, which then stays.) */
static PyObject *strip_class(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    Py_ssize_t end = n;
    if (n && PyUnicode_READ_CHAR(s, n - 1) == '\n')
        end = n - 1;
    Py_ssize_t start;
    if (starts_with(s, "<class '", end))
        start = 8;
    else if (starts_with(s, "<type '", end))
        start = 7;
    else
        return Py_NewRef(s);
    if (end - start < 3 || PyUnicode_READ_CHAR(s, end - 1) != '>' ||
        PyUnicode_READ_CHAR(s, end - 2) != '\'')
        return Py_NewRef(s);
    for (Py_ssize_t i = start; i < end - 2; i++)
        if (Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(s, i)))
            return Py_NewRef(s);
    PyObject *name = PyUnicode_Substring(s, start, end - 2);
    if (!name || end == n)
        return name;
    PyObject *tail = PyUnicode_Substring(s, end, n);
    PyObject *r = tail ? PyUnicode_Concat(name, tail) : NULL;
    Py_DECREF(name);
    Py_XDECREF(tail);
    return r;
}

/* Both substitutions; steals raw. Non-str raw: TypeError as re.sub gives. */
static PyObject *clean_key(PyObject *raw)
{
    if (!raw)
        return NULL;
    if (!PyUnicode_Check(raw)) {
        PyErr_Format(PyExc_TypeError, "expected string or bytes-like object, got '%.100s'",
                     Py_TYPE(raw)->tp_name);
        Py_DECREF(raw);
        return NULL;
    }
    PyObject *a = drop_addresses(raw);
    Py_DECREF(raw);
    if (!a)
        return NULL;
    PyObject *b = strip_class(a);
    Py_DECREF(a);
    return b;
}

/* The key of a type alone: str(tp) cleaned.  Non-strict: when str(tp)
 * raises an ordinary exception (a hostile metaclass), tp_name instead. */
static PyObject *type_key(PyTypeObject *tp, int strict)
{
    PyObject *k = clean_key(PyObject_Str((PyObject *)tp));
    if (k || strict || !pym_err_is_ordinary())
        return k;
    PyErr_Clear();
    return PyUnicode_FromString(tp->tp_name);
}

/* The representation callable for tp at verbosity (>= 1): a new reference;
 * NULL without exception when tp has none; NULL with exception on error. */
static PyObject *representation_of(PyTypeObject *tp, Py_ssize_t verbosity, PyObject *reps)
{
    PyObject *seq;
    if (!reps)
        return NULL;
    if (PyDict_CheckExact(reps)) {
        seq = PyDict_GetItemWithError(reps, (PyObject *)tp);
        if (!seq)
            return NULL;
        Py_INCREF(seq);
    }
    else {
        int in = PySequence_Contains(reps, (PyObject *)tp);
        if (in <= 0)
            return NULL;
        if (!(seq = PyObject_GetItem(reps, (PyObject *)tp)))
            return NULL;
    }
    PyObject *f = NULL;
    Py_ssize_t n = PyObject_Size(seq);
    if (n >= 0) {
        Py_ssize_t v = verbosity - 1;
        if (n <= v)
            v = n - 1;
        f = PySequence_GetItem(seq, v);
    }
    Py_DECREF(seq);
    return f;
}

PyObject *pym_type_key(PyObject *obj, Py_ssize_t verbosity, PyObject *reps, int strict)
{
    PyTypeObject *tp = Py_TYPE(obj);
    PyObject *f = NULL, *key;
    if (verbosity != 0) {
        Py_XINCREF(reps); /* its __eq__/__contains__ may run Python code */
        f = representation_of(tp, verbosity, reps);
        Py_XDECREF(reps);
        if (!f && PyErr_Occurred()) {
            if (strict || !pym_err_is_ordinary())
                return NULL;
            PyErr_Clear();
        }
    }
    if (!f)
        return type_key(tp, strict);
    key = clean_key(PyObject_CallOneArg(f, obj));
    Py_DECREF(f);
    if (key || strict || !pym_err_is_ordinary())
        return key;
    PyErr_Clear();
    return type_key(tp, 0);
}

/* ---- sizes ---------------------------------------------------------------- */

/* What object.__sizeof__ would say, plus the pre-header. */
static Py_ssize_t basic_size(PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    Py_ssize_t size = tp->tp_basicsize;
    if (tp->tp_itemsize > 0) {
        Py_ssize_t n = Py_SIZE(obj);
        size += (n < 0 ? -n : n) * tp->tp_itemsize;
    }
    return size + pym_getsizeof_extra(obj);
}

/* An error of getsizeof that stops a summary: fatal ones, and the
 * OverflowError of a __sizeof__ whose int does not fit a Py_ssize_t -- that
 * object has no size sys.getsizeof can give, and Pympler's summarize and
 * get_size (and asizeof, ours and Pympler's) raise it. */
static int sizeof_error_stops(void)
{
    return !pym_err_is_ordinary() || PyErr_ExceptionMatches(PyExc_OverflowError);
}

pym_wsize pym_sizeof_or_basic(PyObject *obj)
{
    pym_wsize s = pym_getsizeof(obj);
    if (s >= 0)
        return s;
    if (sizeof_error_stops())
        return -1;
    PyErr_Clear();
    return basic_size(obj);
}

/* ---- summarize ------------------------------------------------------------ */

typedef struct {
    PyTypeObject *tp; /* owned; NULL: empty slot */
    Py_ssize_t row;   /* >= 0: every object of tp goes to this row */
    PyObject *fn;     /* owned; row < 0: names each object */
    PyObject *sizeof_; /* owned: the type's __sizeof__ (NULL: none) */
    int pure;          /* row >= 0 and a C __sizeof__: no Python code runs */
    int szkind;        /* pym_sizeof_kind(sizeof_) */
    Py_ssize_t pre;    /* the pre-header sys.getsizeof adds */
} tslot;

typedef struct {
    tslot *slots;
    size_t mask, used;
    PyObject *rows_by_key; /* key -> row index */
    PyObject **keys;       /* owned, per row */
    int64_t *counts;
    __int128 *sizes;
    Py_ssize_t nrows, caprows;
    PyObject *reps;
    tslot *last; /* the slot of the previous object, when pure */
} summ;

static size_t type_hash(PyTypeObject *tp)
{
    return (size_t)(((uintptr_t)tp >> 4) * 0x9E3779B97F4A7C15ull);
}

static int slots_grow(summ *s)
{
    size_t cap = s->mask ? (s->mask + 1) * 2 : 256;
    tslot *ns = calloc(cap, sizeof(tslot));
    if (!ns)
        return -1;
    for (size_t i = 0; s->mask && i <= s->mask; i++) {
        if (!s->slots[i].tp)
            continue;
        size_t j = type_hash(s->slots[i].tp) & (cap - 1);
        while (ns[j].tp)
            j = (j + 1) & (cap - 1);
        ns[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = ns;
    s->mask = cap - 1;
    return 0;
}

/* The row of key (a new row when unseen).  -1 with an exception. */
static Py_ssize_t row_of_key(summ *s, PyObject *key)
{
    PyObject *idx = PyDict_GetItemWithError(s->rows_by_key, key);
    if (idx)
        return PyLong_AsSsize_t(idx);
    if (PyErr_Occurred())
        return -1;
    if (s->nrows == s->caprows) {
        Py_ssize_t cap = s->caprows ? s->caprows * 2 : 64;
        PyObject **k = realloc(s->keys, (size_t)cap * sizeof *k);
        if (k)
            s->keys = k;
        int64_t *c = realloc(s->counts, (size_t)cap * sizeof *c);
        if (c)
            s->counts = c;
        __int128 *z = realloc(s->sizes, (size_t)cap * sizeof *z);
        if (z)
            s->sizes = z;
        if (!k || !c || !z) {
            PyErr_NoMemory();
            return -1;
        }
        s->caprows = cap;
    }
    Py_ssize_t row = s->nrows;
    idx = PyLong_FromSsize_t(row);
    if (!idx)
        return -1;
    int r = PyDict_SetItem(s->rows_by_key, key, idx);
    Py_DECREF(idx);
    if (r < 0)
        return -1;
    s->keys[row] = Py_NewRef(key);
    s->counts[row] = 0;
    s->sizes[row] = 0;
    s->nrows++;
    return row;
}

/* The slot of tp, created on first sight.  NULL with an exception. */
static tslot *slot_of(summ *s, PyTypeObject *tp)
{
    size_t i = type_hash(tp) & s->mask;
    while (s->slots[i].tp) {
        if (s->slots[i].tp == tp)
            return &s->slots[i];
        i = (i + 1) & s->mask;
    }
    /* New type: decide how its objects are named (summarize uses verbosity 1). */
    PyObject *f = representation_of(tp, 1, s->reps);
    if (!f && PyErr_Occurred()) {
        if (!pym_err_is_ordinary())
            return NULL;
        PyErr_Clear();
    }
    Py_ssize_t row = -1;
    if (!f || is_type_str_default(f)) {
        Py_CLEAR(f);
        PyObject *key = type_key(tp, 0);
        if (!key)
            return NULL;
        row = row_of_key(s, key);
        Py_DECREF(key);
        if (row < 0)
            return NULL;
    }
    if ((s->used + 1) * 2 > s->mask + 1) {
        if (slots_grow(s) < 0) {
            Py_XDECREF(f);
            PyErr_NoMemory();
            return NULL;
        }
        i = type_hash(tp) & s->mask;
        while (s->slots[i].tp)
            i = (i + 1) & s->mask;
    }
    PyObject *d = pym_type_lookup(tp, pym_str.__sizeof__); /* borrowed */
    s->slots[i].tp = (PyTypeObject *)Py_NewRef((PyObject *)tp);
    s->slots[i].row = row;
    s->slots[i].fn = f;
    s->slots[i].sizeof_ = Py_XNewRef(d);
    s->slots[i].pure = row >= 0 && pym_getsizeof_is_c(d);
    s->slots[i].szkind = pym_sizeof_kind(d);
    s->slots[i].pre = pym_preheader_size(tp);
    s->used++;
    return &s->slots[i];
}

static int add_object_slow(summ *s, PyObject *obj, tslot *slot);

/* Count obj (borrowed) in its row. */
static inline int add_object(summ *s, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    tslot *slot = s->last;
    if (!slot || slot->tp != tp) {
        size_t i = type_hash(tp) & s->mask;
        while (s->slots[i].tp && s->slots[i].tp != tp)
            i = (i + 1) & s->mask;
        slot = s->slots[i].tp ? &s->slots[i] : NULL;
    }
    if (slot && slot->pure) {
        /* The common case: nothing here can run Python code. */
        s->last = slot;
        pym_wsize size = pym_sizeof_inline(slot->szkind, obj);
        if (size >= 0)
            size += slot->pre;
        else if ((size = pym_getsizeof_via(slot->sizeof_, obj)) < 0)
            return -1;
        s->counts[slot->row]++;
        s->sizes[slot->row] += size;
        return 0;
    }
    return add_object_slow(s, obj, slot);
}

/* add_object when Python code may run. */
static int add_object_slow(summ *s, PyObject *obj, tslot *slot)
{
    PyTypeObject *tp = Py_TYPE(obj);
    /* Python code may run below (a representation, a __sizeof__, a
     * metaclass's __repr__): hold obj, and do not keep slot pointers across
     * calls that may add slots. */
    Py_INCREF(obj);
    int rc = -1;
    if (!slot && !(slot = slot_of(s, tp)))
        goto done;
    s->last = NULL;
    Py_ssize_t row = slot->row;
    PyObject *sizeof_ = Py_XNewRef(slot->sizeof_);
    if (row < 0) {
        PyObject *fn = Py_NewRef(slot->fn);
        PyObject *key = clean_key(PyObject_CallOneArg(fn, obj));
        Py_DECREF(fn);
        if (!key && pym_err_is_ordinary()) {
            PyErr_Clear();
            key = type_key(tp, 0);
        }
        if (key) {
            row = row_of_key(s, key);
            Py_DECREF(key);
        }
        if (row < 0) {
            Py_XDECREF(sizeof_);
            goto done;
        }
    }
    pym_wsize size = pym_getsizeof_via(sizeof_, obj);
    Py_XDECREF(sizeof_);
    if (size < 0) {
        if (sizeof_error_stops())
            goto done;
        PyErr_Clear();
        size = basic_size(obj);
    }
    s->counts[row]++;
    s->sizes[row] += size;
    rc = 0;
done:
    Py_DECREF(obj);
    return rc;
}

static PyObject *rows_list(summ *s)
{
    PyObject *rows = PyList_New(s->nrows);
    if (!rows)
        return NULL;
    for (Py_ssize_t i = 0; i < s->nrows; i++) {
        PyObject *count = PyLong_FromLongLong(s->counts[i]);
        PyObject *size = pym_long_from_i128(s->sizes[i]);
        PyObject *row = (count && size) ? PyList_New(3) : NULL;
        if (!row) {
            Py_XDECREF(count);
            Py_XDECREF(size);
            Py_DECREF(rows);
            return NULL;
        }
        PyList_SET_ITEM(row, 0, Py_NewRef(s->keys[i]));
        PyList_SET_ITEM(row, 1, count);
        PyList_SET_ITEM(row, 2, size);
        PyList_SET_ITEM(rows, i, row);
    }
    return rows;
}

PyObject *pym_summarize(PyObject *objects, PyObject *reps)
{
    /* Held: a representation or __sizeof__ may rebind or empty it. */
    summ s = {.reps = Py_XNewRef(reps)};
    PyObject *result = NULL, *it = NULL;
    if (slots_grow(&s) < 0) {
        Py_XDECREF(s.reps);
        return PyErr_NoMemory();
    }
    if (!(s.rows_by_key = PyDict_New()))
        goto done;
    if (PyList_Check(objects) || PyTuple_Check(objects)) {
        /* Index access, subclasses too (a class's __iter__ may never end);
         * the length is re-read since Python code run by a __sizeof__ or a
         * representation may change the list. */
        int is_list = PyList_Check(objects);
        for (Py_ssize_t i = 0;; i++) {
            Py_ssize_t n = is_list ? PyList_GET_SIZE(objects) : PyTuple_GET_SIZE(objects);
            if (i >= n)
                break;
            PyObject **items = is_list ? ((PyListObject *)objects)->ob_item
                                       : ((PyTupleObject *)objects)->ob_item;
            /* The objects lie all over the heap: ask for the memory of the
             * ones a little ahead, so that many misses overlap. */
            if (i + 16 < n)
                __builtin_prefetch(items[i + 16]);
            if (i + 8 < n && PyDict_CheckExact(items[i + 8]))
                __builtin_prefetch(((PyDictObject *)items[i + 8])->ma_keys);
            if (add_object(&s, items[i]) < 0)
                goto done;
        }
    }
    else {
        if (!(it = PyObject_GetIter(objects)))
            goto done;
        PyObject *obj;
        while ((obj = PyIter_Next(it))) {
            int r = add_object(&s, obj);
            Py_DECREF(obj);
            if (r < 0)
                goto done;
        }
        if (PyErr_Occurred())
            goto done;
    }
    result = rows_list(&s);
done:
    Py_XDECREF(it);
    for (size_t i = 0; i <= s.mask; i++) {
        if (s.slots[i].tp) {
            Py_DECREF(s.slots[i].tp);
            Py_XDECREF(s.slots[i].fn);
            Py_XDECREF(s.slots[i].sizeof_);
        }
    }
    free(s.slots);
    for (Py_ssize_t i = 0; i < s.nrows; i++)
        Py_DECREF(s.keys[i]);
    free(s.keys);
    free(s.counts);
    free(s.sizes);
    Py_XDECREF(s.rows_by_key);
    Py_XDECREF(s.reps);
    return result;
}

PyObject *pym_summary_call(const char *fn, PyObject *a, PyObject *b)
{
    PyObject *f = pym_module_attr("pympler.summary", fn);
    if (!f)
        return NULL;
    PyObject *r = b ? PyObject_CallFunctionObjArgs(f, a, b, NULL) : PyObject_CallOneArg(f, a);
    Py_DECREF(f);
    return r;
}

/* ---- stringutils.pp, pp_timestamp ------------------------------------------ */

/* Pympler's scales: no PB, so a sixth division is an IndexError. */
static const char *const PP_SCALES[] = {"B", "KB", "MB", "GB", "TB", "EB"};
#define PP_NSCALES ((int)(sizeof PP_SCALES / sizeof PP_SCALES[0]))

PyObject *pym_pp_number_base(PyObject *n, PyObject *base)
{
    PyObject *i = Py_NewRef(n), *own_base = NULL, *res = NULL, *fmt = NULL, *args = NULL;
    const char *pattern = "%4d     %s";
    int degree = 0;
    if (!base && !(base = own_base = PyLong_FromLong(1024)))
        goto done;
    for (;;) {
        int gt = PyObject_RichCompareBool(i, base, Py_GT);
        if (gt < 0)
            goto done;
        if (!gt)
            break;
        /* Pympler divides on and indexes its scales after the loop: past the
         * last scale the only outcome is this error, or (inf, base <= 1) a
         * loop that never ends; stop here instead. */
        if (degree == PP_NSCALES - 1) {
            PyErr_SetString(PyExc_IndexError, "list index out of range");
            goto done;
        }
        pattern = "%7.2f %s";
        PyObject *f = PyNumber_Float(base); /* float(base), every time */
        if (!f)
            goto done;
        PyObject *q = PyNumber_TrueDivide(i, f);
        Py_DECREF(f);
        if (!q)
            goto done;
        Py_SETREF(i, q);
        degree++;
    }
    if (!(fmt = PyUnicode_FromString(pattern)))
        goto done;
    if (!(args = Py_BuildValue("(Os)", i, PP_SCALES[degree])))
        goto done;
    res = PyUnicode_Format(fmt, args);
done:
    Py_XDECREF(i);
    Py_XDECREF(own_base);
    Py_XDECREF(fmt);
    Py_XDECREF(args);
    return res;
}

PyObject *pym_pp_number(PyObject *n)
{
    return pym_pp_number_base(n, NULL);
}

PyObject *pym_pp_size(double i)
{
    int degree = 0;
    char buf[64];
    if (i > 1024) {
        while (i > 1024 && degree < PP_NSCALES - 1) {
            i /= 1024.0;
            degree++;
        }
        snprintf(buf, sizeof buf, "%7.2f %s", i, PP_SCALES[degree]);
    }
    else {
        snprintf(buf, sizeof buf, "%4lld     %s", (long long)i, PP_SCALES[0]);
    }
    return PyUnicode_FromString(buf);
}

/* int(t / div % mod) (mod 0: no modulo), or t % mod (div 0, as_int 0):
 * Python's operators on whatever t is. */
static PyObject *ts_part(PyObject *t, long div, long mod, int as_int)
{
    PyObject *d = NULL, *m = NULL, *x = Py_NewRef(t), *r = NULL;
    if (div) {
        if (!(d = PyLong_FromLong(div)))
            goto done;
        Py_SETREF(x, PyNumber_TrueDivide(x, d));
        if (!x)
            goto done;
    }
    if (mod) {
        if (!(m = PyLong_FromLong(mod)))
            goto done;
        Py_SETREF(x, PyNumber_Remainder(x, m));
        if (!x)
            goto done;
    }
    r = as_int ? PyNumber_Long(x) : Py_NewRef(x);
done:
    Py_XDECREF(d);
    Py_XDECREF(m);
    Py_XDECREF(x);
    return r;
}

PyObject *pym_pp_timestamp(PyObject *t)
{
    if (t == Py_None)
        return PyUnicode_FromString("");
    PyObject *h = ts_part(t, 3600, 0, 1);
    PyObject *m = h ? ts_part(t, 60, 60, 1) : NULL;
    PyObject *s = m ? ts_part(t, 0, 60, 0) : NULL;
    PyObject *fmt = s ? PyUnicode_FromString("%02d:%02d:%05.2f") : NULL;
    PyObject *args = fmt ? PyTuple_Pack(3, h, m, s) : NULL;
    PyObject *r = args ? PyUnicode_Format(fmt, args) : NULL;
    Py_XDECREF(h);
    Py_XDECREF(m);
    Py_XDECREF(s);
    Py_XDECREF(fmt);
    Py_XDECREF(args);
    return r;
}
