/* typedef.c: Pympler's typedef rules (_typedef_both, _typedef_code,
 * _typedef) and the tables that hold them.
 *
 * The decision tree in pym_typedef_make() follows Pympler 1.1's _typedef()
 * branch for branch, because which branch an object falls into decides its
 * size.  Sizes that Pympler takes from constants use its constants (a 32-byte
 * "GC header" in basic sizes, 24-byte dict entries...), not the real ones.
 */
#include "typedef.h"

#include <stdlib.h>
#include <string.h>

#define SIZEOF_GC_HEAD 32    /* Pympler's _sizeof_CPyGC_Head fallback value */
#define SIZEOF_DICT_ENTRY 24 /* _sizeof_CPyDictEntry */
#define SIZEOF_SET_ENTRY 16  /* _sizeof_Csetentry */
#define SIZEOF_VOIDP 8
#define SIZEOF_MODULE 24     /* _sizeof_CPyModuleObject */
#define SIZEOF_CODE 120      /* _sizeof_CPyCodeObject */
#define SIZEOF_FRAME 384     /* _sizeof_CPyFrameObject */

PyObject *pym_dict_types;
double pym_amapped = 0.01;

/* ---- names --------------------------------------------------------- */

static const char *const kind_names[] = {"static", "dynamic", "derived", "ignored", "inferred"};
static const char *const leng_names[] = {
    NULL, "_len", "_len_bytearray", "_len_code", "_len_dict", "_len_frame", "_len_int",
    "_len_iter", "_len_list", "_len_module", "_len_set", "_len_slice", "_len_struct",
    "_len_unicode", "_len_array", "_len_numpy", "_len_numpy_memmap"};
static const char *const refs_names[] = {
    NULL, "_cell_refs", "_class_refs", "_co_refs", "_dict_refs", "_enum_refs", "_exc_refs",
    "_file_refs", "_frame_refs", "_func_refs", "_gen_refs", "_im_refs", "_inst_refs",
    "_iter_refs", "_module_refs", "_namedtuple_refs", "_prop_refs", "_seq_refs",
    "_stat_refs", "_statvfs_refs", "_tb_refs", "_type_refs", "_weak_refs", "_numpy_refs"};

const char *pym_kind_name(int kind)
{
    return kind >= 0 && kind < PYM_KIND_COUNT ? kind_names[kind] : "?";
}
const char *pym_leng_name(int leng)
{
    return leng > 0 && leng <= PYM_LEN_NUMPY_MEMMAP ? leng_names[leng] : NULL;
}
const char *pym_refs_name(int refs)
{
    return refs > 0 && refs <= PYM_REFS_NUMPY ? refs_names[refs] : NULL;
}

/* ---- table ---------------------------------------------------------- */

typedef struct {
    uintptr_t key;
    pym_typedef *td;
} td_entry;

struct pym_tdtab {
    td_entry *entries; /* insertion order */
    size_t n, cap;
    uint32_t *index; /* open addressing: entry number + 1, 0 = empty */
    size_t mask;
};

static size_t key_hash(uintptr_t key)
{
    return (size_t)(((uint64_t)key >> 3) * 0x9E3779B97F4A7C15ull >> 20);
}

pym_tdtab *pym_tdtab_new(void)
{
    pym_tdtab *t = calloc(1, sizeof *t);
    if (!t)
        return (pym_tdtab *)PyErr_NoMemory();
    t->mask = 63;
    t->index = calloc(t->mask + 1, sizeof *t->index);
    if (!t->index) {
        free(t);
        return (pym_tdtab *)PyErr_NoMemory();
    }
    return t;
}

void pym_typedef_free(pym_typedef *td)
{
    if (!td)
        return;
    Py_XDECREF(td->type);
    Py_XDECREF(td->slots);
    free(td);
}

void pym_tdtab_free(pym_tdtab **tab)
{
    if (!tab || !*tab)
        return;
    pym_tdtab *t = *tab;
    for (size_t i = 0; i < t->n; i++) {
        Py_DECREF(pym_td_key_object(t->entries[i].key));
        pym_typedef_free(t->entries[i].td);
    }
    free(t->entries);
    free(t->index);
    free(t);
    *tab = NULL;
}

pym_typedef *pym_tdtab_get(const pym_tdtab *t, uintptr_t key)
{
    size_t i = key_hash(key) & t->mask;
    for (;;) {
        uint32_t e = t->index[i];
        if (!e)
            return NULL;
        if (t->entries[e - 1].key == key)
            return t->entries[e - 1].td;
        i = (i + 1) & t->mask;
    }
}

static int tdtab_reindex(pym_tdtab *t, size_t slots)
{
    uint32_t *ix = calloc(slots, sizeof *ix);
    if (!ix)
        return -1;
    for (size_t e = 0; e < t->n; e++) {
        size_t i = key_hash(t->entries[e].key) & (slots - 1);
        while (ix[i])
            i = (i + 1) & (slots - 1);
        ix[i] = (uint32_t)(e + 1);
    }
    free(t->index);
    t->index = ix;
    t->mask = slots - 1;
    return 0;
}

int pym_tdtab_put(pym_tdtab *t, uintptr_t key, pym_typedef *td)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        td_entry *ne = realloc(t->entries, cap * sizeof *ne);
        if (!ne)
            goto nomem;
        t->entries = ne;
        t->cap = cap;
    }
    if ((t->n + 1) * 2 > t->mask + 1 && tdtab_reindex(t, (t->mask + 1) * 2) < 0)
        goto nomem;
    t->entries[t->n].key = key;
    t->entries[t->n].td = td;
    Py_INCREF(pym_td_key_object(key));
    t->n++;
    size_t i = key_hash(key) & t->mask;
    while (t->index[i])
        i = (i + 1) & t->mask;
    t->index[i] = (uint32_t)t->n;
    return 0;
nomem:
    pym_typedef_free(td);
    PyErr_NoMemory();
    return -1;
}

size_t pym_tdtab_size(const pym_tdtab *t)
{
    return t->n;
}

int pym_tdtab_next(const pym_tdtab *t, size_t *pos, uintptr_t *key, pym_typedef **td)
{
    if (*pos >= t->n)
        return 0;
    *key = t->entries[*pos].key;
    *td = t->entries[*pos].td;
    (*pos)++;
    return 1;
}

/* ---- helpers shared by static and dynamic typedefs ------------------- */

static pym_typedef *td_new(PyObject *type)
{
    pym_typedef *td = calloc(1, sizeof *td);
    if (!td)
        return (pym_typedef *)PyErr_NoMemory();
    td->type = Py_NewRef(type);
    td->both = 1;
    td->kind = PYM_KIND_STATIC;
    return td;
}

/* _basicsize(t, base, heap, obj): max(t.__basicsize__, base) plus
 * Pympler's GC header for GC types, heap types, or (for class objects) heap
 * classes. */
static Py_ssize_t basicsize_of(PyTypeObject *t, Py_ssize_t base, int heap, PyObject *obj)
{
    Py_ssize_t s = t->tp_basicsize > base ? t->tp_basicsize : base;
    int h;
    if (t != &PyType_Type)
        h = (t->tp_flags & Py_TPFLAGS_HAVE_GC) != 0;
    else if (heap)
        h = 1;
    else
        h = obj && PyType_Check(obj) && (((PyTypeObject *)obj)->tp_flags & Py_TPFLAGS_HEAPTYPE);
    return s + (h ? SIZEOF_GC_HEAD : 0);
}

static Py_ssize_t itemsize_of(PyTypeObject *t, Py_ssize_t item)
{
    return t->tp_itemsize ? t->tp_itemsize : item;
}

/* getattr(obj, '__module__', '') is one of Pympler's _ignored_modules. */
static int is_ignored(PyObject *obj)
{
    PyObject *m = pym_getattr_quiet(obj, pym_str.__module__);
    if (!m)
        return PyErr_Occurred() ? -1 : 0;
    int r = 0;
    if (PyUnicode_Check(m))
        r = PyUnicode_CompareWithASCIIString(m, "builtins") == 0 ||
            PyUnicode_CompareWithASCIIString(m, "types") == 0 ||
            PyUnicode_CompareWithASCIIString(m, "pympler.asizeof") == 0;
    Py_DECREF(m);
    return r;
}

/* ---- the global (static) table --------------------------------------- */

static pym_tdtab *global_tab;
static pym_typedef *dict_typedef; /* borrowed from global_tab */

pym_tdtab *pym_td_global(void)
{
    return global_tab;
}

/* _Typedef.save(t, base, heap): the instance typedef plus its class key. */
static int td_save(pym_typedef *td, PyTypeObject *t, Py_ssize_t base, int heap)
{
    uintptr_t k = (uintptr_t)t, c = (uintptr_t)t | PYM_TD_CLASSKEY;
    if (pym_tdtab_get(global_tab, k)) {
        pym_typedef_free(td); /* duplicate registration: Pympler drops it */
        return 0;
    }
    if (pym_tdtab_put(global_tab, k, td) < 0)
        return -1;
    if (pym_tdtab_get(global_tab, c))
        return 0;
    int ign = is_ignored((PyObject *)t);
    if (ign < 0)
        return -1;
    pym_typedef *ctd = td_new((PyObject *)t);
    if (!ctd)
        return -1;
    ctd->base = basicsize_of(&PyType_Type, base, heap, NULL);
    ctd->both = 0;
    ctd->kind = ign ? PYM_KIND_IGNORED : td->kind;
    ctd->refs = PYM_REFS_TYPE;
    return pym_tdtab_put(global_tab, c, ctd);
}

static pym_typedef *add_both(PyTypeObject *t, Py_ssize_t base, Py_ssize_t item, int leng,
                             int refs, int kind, int heap)
{
    if (!t)
        return NULL;
    pym_typedef *td = td_new((PyObject *)t);
    if (!td)
        return NULL;
    td->base = basicsize_of(t, base, 0, NULL);
    td->item = itemsize_of(t, item);
    td->leng = (uint8_t)leng;
    td->refs = (uint8_t)refs;
    td->kind = (uint8_t)kind;
    if (td_save(td, t, base, heap) < 0)
        return NULL;
    return pym_tdtab_get(global_tab, (uintptr_t)t);
}

static int add_code(PyTypeObject *t, int refs, int kind)
{
    pym_typedef *td = td_new((PyObject *)t);
    if (!td)
        return -1;
    td->base = basicsize_of(t, 0, 0, NULL);
    td->refs = (uint8_t)refs;
    td->both = 0;
    td->kind = (uint8_t)kind;
    return td_save(td, t, 0, 0);
}

/* Register the iterator type of iter(expr) (Pympler's _iter_refs types). */
static int add_iter_of(const char *expr)
{
    PyObject *g = PyDict_New();
    if (!g)
        return -1;
    PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
    PyObject *it = PyRun_String(expr, Py_eval_input, g, g);
    Py_DECREF(g);
    if (!it)
        return -1;
    PyTypeObject *t = Py_TYPE(it);
    Py_INCREF(t);
    Py_DECREF(it);
    int r = add_both(t, 0, 0, PYM_LEN_ITER, PYM_REFS_ITER, PYM_KIND_STATIC, 0) ? 0 : -1;
    Py_DECREF(t); /* the table holds it */
    return r;
}

/* add_both for a type that may be missing on this platform (then skipped). */
static int both_opt(PyTypeObject *t, Py_ssize_t base, Py_ssize_t item, int leng, int refs)
{
    if (!t)
        return 0;
    return add_both(t, base, item, leng, refs, PYM_KIND_STATIC, 0) ? 0 : -1;
}

#define BOTH(t, base, item, leng, refs) \
    if (both_opt((t), (base), (item), (leng), (refs)) < 0) goto error

int pym_td_init(PyObject *dict_types)
{
    if (global_tab)
        return 0;
    Py_XSETREF(pym_dict_types, Py_NewRef(dict_types));
    global_tab = pym_tdtab_new();
    if (!global_tab)
        return -1;
    PyTypeObject *ellipsis = &PyEllipsis_Type;
    BOTH(&PyComplex_Type, 0, 0, 0, 0);
    BOTH(&PyFloat_Type, 0, 0, 0, 0);
    BOTH(&PyLong_Type, 0, 0, PYM_LEN_INT, 0);
    BOTH(&PyList_Type, 0, SIZEOF_VOIDP, PYM_LEN_LIST, PYM_REFS_SEQ);
    BOTH(&PyTuple_Type, 0, SIZEOF_VOIDP, PYM_LEN_LEN, PYM_REFS_SEQ);
    BOTH(&PyProperty_Type, 0, 0, 0, PYM_REFS_PROP);
    BOTH(ellipsis, 0, 0, 0, 0);
    BOTH(pym_type.nonetype, 0, 0, 0, 0);
    dict_typedef = add_both(&PyDict_Type, 0, SIZEOF_DICT_ENTRY, PYM_LEN_DICT, PYM_REFS_DICT, PYM_KIND_STATIC, 0);
    if (!dict_typedef)
        goto error;
    BOTH(&PyDictProxy_Type, 0, SIZEOF_DICT_ENTRY, PYM_LEN_DICT, PYM_REFS_DICT);
    BOTH(&PyModule_Type, dict_typedef->base, SIZEOF_DICT_ENTRY + SIZEOF_MODULE, PYM_LEN_MODULE, PYM_REFS_MODULE);
    BOTH(&PyBool_Type, 0, 0, 0, 0);
    BOTH(&PyByteArray_Type, 0, 1, PYM_LEN_BYTEARRAY, 0);
    /* bytes: no static typedef (Pympler's Py2 leftover), see docs */
    BOTH(&PyEnum_Type, 0, 0, 0, PYM_REFS_ENUM);
    BOTH((PyTypeObject *)PyExc_Exception, 0, 0, 0, PYM_REFS_EXC);
    BOTH(&PyFrozenSet_Type, 0, SIZEOF_SET_ENTRY, PYM_LEN_SET, PYM_REFS_SEQ);
    BOTH(&PySet_Type, 0, SIZEOF_SET_ENTRY, PYM_LEN_SET, PYM_REFS_SEQ);
    BOTH(&PyGetSetDescr_Type, 0, 0, 0, 0);
    BOTH(&PyMemberDescr_Type, 0, 0, 0, 0);
    BOTH(pym_type.notimplemented, 0, 0, 0, 0);
    BOTH(&PyRange_Type, 0, 0, 0, 0);
    BOTH(&PyReversed_Type, 0, 0, 0, PYM_REFS_ENUM);
    BOTH(&PySlice_Type, 0, SIZEOF_VOIDP, PYM_LEN_SLICE, 0);
    BOTH(pym_type.stat_result, 0, 0, 0, PYM_REFS_STAT);
    BOTH(pym_type.statvfs_result, 0, SIZEOF_VOIDP, PYM_LEN_LEN, PYM_REFS_STATVFS);
    BOTH(pym_type.struct_type, 0, 1, PYM_LEN_STRUCT, 0);
    BOTH(&PyTraceBack_Type, 0, 0, 0, PYM_REFS_TB);
    BOTH(&PyUnicode_Type, 0, 1, PYM_LEN_UNICODE, 0);
    if (pym_type.keyed_ref &&
        !add_both(pym_type.keyed_ref, 0, 0, 0, PYM_REFS_WEAK, PYM_KIND_STATIC, 1))
        goto error;
    BOTH(pym_type.proxy, 0, 0, 0, 0);
    BOTH(PYM_WEAKREF_REF_TYPE, 0, 0, 0, PYM_REFS_WEAK);
    if (add_code(&PyBaseObject_Type, 0, PYM_KIND_IGNORED) < 0 ||
        add_code(&PySuper_Type, 0, PYM_KIND_IGNORED) < 0 ||
        add_code(&PyType_Type, 0, PYM_KIND_IGNORED) < 0 ||
        add_code(&PyClassMethod_Type, PYM_REFS_IM, PYM_KIND_STATIC) < 0 ||
        add_code(&PyStaticMethod_Type, PYM_REFS_IM, PYM_KIND_STATIC) < 0 ||
        add_code(&PyMethod_Type, PYM_REFS_IM, PYM_KIND_STATIC) < 0)
        goto error;
    BOTH(&PyGen_Type, 0, 0, 0, PYM_REFS_GEN);
    if (add_code(pym_type.callable_proxy, PYM_REFS_WEAK, PYM_KIND_STATIC) < 0)
        goto error;
    /* Iterator types, in the order Pympler registers them. */
    static const char *const iters[] = {
        "iter({}.items())", "iter({}.keys())", "iter({}.values())", "reversed([])",
        "reversed(())", "__import__('re').finditer('', '')", "iter([])", "iter(())",
        "iter({})", "iter(bytearray())", "iter(frozenset())", "iter(set())", "iter('')"};
    for (size_t i = 0; i < sizeof iters / sizeof *iters; i++) {
        if (add_iter_of(iters[i]) < 0)
            goto error;
    }
    return 0;
error:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "pympler: cannot build the static typedefs");
    pym_tdtab_free(&global_tab);
    dict_typedef = NULL;
    Py_CLEAR(pym_dict_types);
    return -1;
}

/* ---- dynamic typedefs: Pympler's _typedef(obj) ------------------------ */

/* v.dup(other or _dict_typedef, **overrides): copy everything but keep the
 * caller's overrides (applied afterwards by the caller). */
static void td_dup(pym_typedef *v, const pym_typedef *other)
{
    Py_SETREF(v->type, Py_NewRef(other->type));
    v->base = other->base;
    v->item = other->item;
    v->leng = other->leng;
    v->refs = other->refs;
    v->both = other->both;
    v->kind = other->kind;
    v->vari = other->vari;
    v->mapped = other->mapped;
}

/* v.set(item=_itemsize(t), safe_len=True, refs=refs) */
static void td_set_instance(pym_typedef *v, PyTypeObject *t, int refs)
{
    v->item = itemsize_of(t, 0);
    v->refs = (uint8_t)refs;
    if (v->item)
        v->leng = PYM_LEN_LEN;
}

/* callable(getattr(obj, name, None)) */
static int has_callable(PyObject *obj, PyObject *name)
{
    PyObject *a = pym_getattr_quiet(obj, name);
    if (!a)
        return PyErr_Occurred() ? -1 : 0;
    int r = PyCallable_Check(a);
    Py_DECREF(a);
    return r;
}

/* _infer_dict(obj): duck-typed dict */
int pym_infer_dict(PyObject *obj);
int pym_infer_dict(PyObject *obj)
{
    PyObject *sets[2][3] = {{pym_str.items, pym_str.keys, pym_str.values},
                            {pym_str.iteritems, pym_str.iterkeys, pym_str.itervalues}};
    PyObject *common[3] = {pym_str.__len__, pym_str.get, pym_str.has_key};
    for (int s = 0; s < 2; s++) {
        int all = 1;
        for (int i = 0; i < 6 && all; i++) {
            int r = has_callable(obj, i < 3 ? sets[s][i] : common[i - 3]);
            if (r < 0)
                return -1;
            all = r;
        }
        if (all)
            return 1;
    }
    return 0;
}

/* Pympler makes the rule of a type from the first object of it ever sized
 * and keeps it: a class sized as a plain instance before adict() named it
 * stays a plain instance.  The rules here are made per run (docs/asizeof.md,
 * difference 3), so these two weak sets keep what that needs: the types
 * whose instances were sized as plain instances, and those of them adict()
 * named afterwards, which stay plain.  Dicts of weakref(type) -> None (a
 * dead type's entry stays, unequal to any live type). */
static PyObject *sized_plain, *frozen_plain;

static int note_type(PyObject **set, PyTypeObject *t)
{
    if (!*set && !(*set = PyDict_New()))
        return -1;
    PyObject *ref = PyWeakref_NewRef((PyObject *)t, NULL);
    if (!ref) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            return -1;
        PyErr_Clear(); /* a type without weak references: not noted */
        return 0;
    }
    int r = PyDict_SetDefault(*set, ref, Py_None) ? 0 : -1;
    Py_DECREF(ref);
    return r;
}

static int type_noted(PyObject *set, PyTypeObject *t)
{
    if (!set)
        return 0;
    PyObject *ref = PyWeakref_NewRef((PyObject *)t, NULL);
    if (!ref) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    int r = PyDict_Contains(set, ref);
    Py_DECREF(ref);
    return r;
}

/* _isdictype(obj): obj.__class__ is registered in _dict_types (and was not
 * sized as a plain instance before that) */
static int is_dictype(PyObject *obj)
{
    int frozen = type_noted(frozen_plain, Py_TYPE(obj));
    if (frozen != 0)
        return frozen < 0 ? -1 : 0;
    int r = 0;
    PyObject *c = pym_getattr_quiet(obj, pym_str.__class__), *n = NULL, *m = NULL;
    if (!c)
        goto done;
    n = pym_getattr_quiet(c, pym_str.__name__);
    if (!n || !PyUnicode_Check(n) || PyUnicode_GET_LENGTH(n) == 0)
        goto done;
    m = pym_getattr_quiet(c, pym_str.__module__);
    if (!m || !pym_dict_types)
        goto done;
    PyObject *names = PyDict_GetItemWithError(pym_dict_types, m); /* borrowed */
    if (!names) {
        if (PyErr_Occurred() && pym_err_is_ordinary())
            PyErr_Clear();
        goto done;
    }
    r = PySequence_Contains(names, n);
    if (r < 0 && pym_err_is_ordinary()) {
        PyErr_Clear();
        r = 0;
    }
done:
    Py_XDECREF(c);
    Py_XDECREF(n);
    Py_XDECREF(m);
    if (r <= 0 && PyErr_Occurred())
        return -1;
    return r;
}

static int has_attr(PyObject *obj, PyObject *name)
{
    PyObject *a = pym_getattr_quiet(obj, name);
    if (!a)
        return PyErr_Occurred() ? -1 : 0;
    Py_DECREF(a);
    return 1;
}

static int module_startswith_numpy(PyObject *cls)
{
    PyObject *m = pym_getattr_quiet(cls, pym_str.__module__);
    if (!m)
        return PyErr_Occurred() ? -1 : 0;
    const char *s = PyUnicode_Check(m) ? PyUnicode_AsUTF8(m) : NULL;
    int r = s && strncmp(s, "numpy", 5) == 0;
    Py_DECREF(m);
    if (!s && PyErr_Occurred()) {
        if (!pym_err_is_ordinary())
            return -1;
        PyErr_Clear();
    }
    return r;
}

/* _isnumpy(obj), only consulted when numpy has been imported. */
static int is_numpy(PyObject *obj)
{
    PyObject *mods = PySys_GetObject("modules"); /* borrowed */
    if (!mods || !PyDict_Check(mods) || !PyDict_GetItemString(mods, "numpy"))
        return 0;
    PyObject *attrs[3] = {pym_str.dtype, pym_str.itemsize, pym_str.nbytes};
    for (int i = 0; i < 3; i++) {
        int r = has_attr(obj, attrs[i]);
        if (r <= 0)
            return r;
    }
    PyObject *c = pym_getattr_quiet(obj, pym_str.__class__);
    int r = 0;
    if (c) {
        r = module_startswith_numpy(c);
        Py_DECREF(c);
    }
    if (r == 0 && !PyErr_Occurred())
        r = module_startswith_numpy((PyObject *)Py_TYPE(obj));
    return r;
}

/* getsizeof(obj) - extra, the header part of an array-like's size */
static Py_ssize_t size_minus(PyObject *obj, Py_ssize_t extra, Py_ssize_t dflt)
{
    PyObject *r = PyObject_CallMethod(PyImport_AddModule("sys"), "getsizeof", "On", obj, dflt + extra);
    if (!r)
        return -1;
    Py_ssize_t s = PyLong_AsSsize_t(r);
    Py_DECREF(r);
    if (s == -1 && PyErr_Occurred())
        return -1;
    return s - extra;
}

static Py_ssize_t attr_ssize(PyObject *obj, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(obj, name);
    if (!a)
        return -1;
    Py_ssize_t v = PyNumber_AsSsize_t(a, PyExc_OverflowError);
    Py_DECREF(a);
    return v;
}

static int set_numpy(pym_typedef *v, PyObject *obj)
{
    PyTypeObject *t = Py_TYPE(obj);
    v->item = 1;
    v->vari = 1;
    v->refs = PYM_REFS_NUMPY;
    v->leng = PYM_LEN_NUMPY;
    Py_ssize_t nb = attr_ssize(obj, pym_str.nbytes);
    if (nb < 0)
        return -1;
    if (strcmp(t->tp_name, "numpy.memmap") == 0 || strcmp(t->tp_name, "memmap") == 0) {
        v->leng = PYM_LEN_NUMPY_MEMMAP;
        v->mapped = 1;
        v->base = size_minus(obj, 0, 144);
    }
    else {
        v->base = size_minus(obj, nb, 96);
    }
    return v->base == -1 && PyErr_Occurred() ? -1 : 0;
}

static int set_array(pym_typedef *v, PyObject *obj)
{
    Py_ssize_t n = PyObject_Length(obj);
    Py_ssize_t isz = n < 0 ? -1 : attr_ssize(obj, pym_str.itemsize);
    if (n < 0 || isz < 0)
        return -1;
    Py_ssize_t b = size_minus(obj, n * isz, 0);
    if (b == -1 && PyErr_Occurred())
        return -1;
    v->base = b > 56 ? b : 56;
    v->leng = PYM_LEN_ARRAY;
    v->item = 1;
    v->vari = 1;
    return 0;
}

/* _derive_typedef(t): the one existing typedef of a super type, if exactly
 * one exists. */
static const pym_typedef *derive_from(PyTypeObject *t, const pym_td_opts *opts)
{
    const pym_typedef *found = NULL;
    int count = 0;
    pym_tdtab *tabs[2] = {global_tab, opts ? opts->dynamic : NULL};
    for (int i = 0; i < 2; i++) {
        if (!tabs[i])
            continue;
        size_t pos = 0;
        uintptr_t key;
        pym_typedef *td;
        while (pym_tdtab_next(tabs[i], &pos, &key, &td)) {
            if (!td->type || !PyType_Check(td->type) || td->type == (PyObject *)&PyBaseObject_Type)
                continue;
            if (PyType_IsSubtype(t, (PyTypeObject *)td->type)) {
                found = td;
                count++;
            }
        }
    }
    return count == 1 ? found : NULL;
}

pym_typedef *pym_typedef_make(PyObject *obj, const pym_td_opts *opts)
{
    PyTypeObject *t = Py_TYPE(obj);
    pym_typedef *v = td_new((PyObject *)t);
    int r;
    if (!v)
        return NULL;
    v->base = basicsize_of(t, 0, 0, obj);
    v->kind = PYM_KIND_DYNAMIC;

    if (PyModule_Check(obj)) {
        td_dup(v, dict_typedef);
        v->item = SIZEOF_DICT_ENTRY + SIZEOF_MODULE;
        v->leng = PYM_LEN_MODULE;
        v->refs = PYM_REFS_MODULE;
    }
    else if (PyFrame_Check(obj)) {
        v->base = basicsize_of(t, SIZEOF_FRAME, 0, obj);
        v->item = itemsize_of(t, 0);
        v->leng = PYM_LEN_FRAME;
        v->refs = PYM_REFS_FRAME;
        if (!(opts && opts->frames))
            v->kind = PYM_KIND_IGNORED;
    }
    else if (PyCode_Check(obj)) {
        v->base = basicsize_of(t, SIZEOF_CODE, 0, obj);
        v->item = SIZEOF_VOIDP;
        v->leng = PYM_LEN_CODE;
        v->refs = PYM_REFS_CO;
        v->both = 0;
    }
    else if (PyCallable_Check(obj)) {
        if (PyType_Check(obj)) {
            v->refs = PYM_REFS_CLASS;
            v->both = 0;
            if ((r = is_ignored(obj)) < 0)
                goto error;
            if (r)
                v->kind = PYM_KIND_IGNORED;
        }
        else if (PyCFunction_Check(obj)) {
            v->both = 0;
            v->kind = PYM_KIND_IGNORED;
        }
        else if (PyFunction_Check(obj)) {
            v->refs = PYM_REFS_FUNC;
            v->both = 0;
        }
        else if (PyMethod_Check(obj)) {
            v->refs = PYM_REFS_IM;
            v->both = 0;
        }
        else {
            td_set_instance(v, t, PYM_REFS_INST);
        }
    }
    else if (PyType_IsSubtype(t, &PyDict_Type)) {
        td_dup(v, dict_typedef);
        v->kind = PYM_KIND_DERIVED;
    }
    else if ((r = is_dictype(obj)) != 0 ||
             (opts && opts->infer && (r = pym_infer_dict(obj)) != 0)) {
        if (r < 0)
            goto error;
        td_dup(v, dict_typedef);
        v->kind = PYM_KIND_INFERRED;
    }
    else if (PyErr_Occurred()) {
        goto error;
    }
    else if (PyCell_Check(obj)) {
        v->item = itemsize_of(t, 0);
        v->refs = PYM_REFS_CELL;
    }
    else if (PyTuple_Check(obj) && (r = has_attr(obj, pym_str._fields)) != 0) {
        if (r < 0)
            goto error;
        v->refs = PYM_REFS_NAMEDTUPLE;
    }
    else if (PyErr_Occurred()) {
        goto error;
    }
    else if ((r = is_numpy(obj)) != 0) {
        if (r < 0 || set_numpy(v, obj) < 0)
            goto error;
    }
    else if (pym_type.array && PyObject_TypeCheck(obj, pym_type.array)) {
        if (set_array(v, obj) < 0)
            goto error;
    }
    else if ((r = is_ignored(obj)) != 0) {
        if (r < 0)
            goto error;
        v->kind = PYM_KIND_IGNORED;
    }
    else {
        const pym_typedef *p = (opts && opts->derive) ? derive_from(t, opts) : NULL;
        if (p) {
            td_dup(v, p);
            v->kind = PYM_KIND_DERIVED;
        }
        else if (PyType_IsSubtype(t, (PyTypeObject *)PyExc_Exception)) {
            td_set_instance(v, t, PYM_REFS_EXC);
            v->kind = PYM_KIND_DERIVED;
        }
        else if ((r = PyObject_IsInstance(obj, PyExc_Exception)) != 0) {
            if (r < 0)
                goto error;
            td_set_instance(v, t, PYM_REFS_EXC);
        }
        else {
            td_set_instance(v, t, PYM_REFS_INST);
            if (note_type(&sized_plain, t) < 0)
                goto error;
        }
    }
    return v;
error:
    pym_typedef_free(v);
    return NULL;
}

int pym_td_adict_added(PyObject *cls)
{
    if (!PyType_Check(cls) || !sized_plain)
        return 0;
    int r = type_noted(sized_plain, (PyTypeObject *)cls);
    return r > 0 ? note_type(&frozen_plain, (PyTypeObject *)cls) : r;
}

pym_typedef *pym_typedef_lookup(PyObject *obj, const pym_td_opts *opts, pym_typedef **made)
{
    uintptr_t key = pym_td_key_of(obj);
    pym_typedef *td = pym_tdtab_get(global_tab, key);
    if (made)
        *made = NULL;
    if (td)
        return td;
    pym_tdtab *dyn = opts ? opts->dynamic : NULL;
    if (dyn && (td = pym_tdtab_get(dyn, key)))
        return td;
    td = pym_typedef_make(obj, opts);
    if (!td)
        return NULL;
    if (dyn) {
        if (pym_tdtab_put(dyn, key, td) < 0)
            return NULL;
        return td;
    }
    if (made)
        *made = td;
    return td;
}
