/* refs.c: referent cursors for every Pympler referents function.
 *
 * The hot kinds (list, tuple, set, dict, instance attributes) walk the
 * containers directly and check for concurrent mutation the way CPython's own
 * iterators do (RuntimeError, which the sizer counts as "missed").  The rare
 * kinds (classes, functions, code, frames...) collect their (name, value)
 * pairs up front with ordinary attribute lookups, in Pympler's order.
 */
#include "refs.h"

#include "pyrt.h"
#include "walk.h"

#include <string.h>

enum {
    CK_NONE,
    CK_LIST,       /* list items by index */
    CK_TUPLE,      /* tuple items */
    CK_SET,        /* set/frozenset entries */
    CK_DICT,       /* exact dict: keys and values */
    CK_PAIRS,      /* generic items() iterator of (key, value) */
    CK_VDICT,      /* would-be __dict__ of an instance */
    CK_INST,       /* __dict__, __class__, slots */
    CK_NAMEDTUPLE, /* __class__, slots, items */
    CK_PAIRLIST,   /* precomputed list of (name-or-None, value) */
};

/* Pympler's clip for names of dict values (_repr's default). */
#define DICT_VALUE_CLIP 80

static PyObject *dict_items_descr; /* dict.items method descriptor */

/* ---- names --------------------------------------------------------- */

static PyObject *safe_str(PyObject *o)
{
    PyObject *s = pym_str_of(o);
    if (!s && pym_err_is_ordinary()) {
        PyErr_Clear();
        s = PyUnicode_FromString("N/A");
    }
    return s;
}

/* '[K] ' + str(k) */
static PyObject *key_name(PyObject *k)
{
    PyObject *s = safe_str(k);
    if (!s)
        return NULL;
    PyObject *n = PyUnicode_FromFormat("[K] %U", s);
    Py_DECREF(s);
    return n;
}

/* '[V] ' + str(k) + ': ' + _repr(v) */
static PyObject *value_name(PyObject *k, PyObject *v)
{
    PyObject *s = safe_str(k);
    if (!s)
        return NULL;
    PyObject *r = pym_repr_clip(v, DICT_VALUE_CLIP);
    if (!r) {
        Py_DECREF(s);
        return NULL;
    }
    PyObject *n = PyUnicode_FromFormat("[V] %U: %U", s, r);
    Py_DECREF(s);
    Py_DECREF(r);
    return n;
}

/* ---- pair lists for the rare kinds ------------------------------------ */

/* Append (name, getattr(obj, name)) when the attribute exists. */
static int add_attr(PyObject *list, PyObject *obj, PyObject *name)
{
    PyObject *v = pym_getattr_quiet(obj, name);
    if (!v)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *t = PyTuple_Pack(2, name, v);
    Py_DECREF(v);
    if (!t)
        return -1;
    int r = PyList_Append(list, t);
    Py_DECREF(t);
    return r;
}

static int add_attrs(PyObject *list, PyObject *obj, PyObject *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (add_attr(list, obj, names[i]) < 0)
            return -1;
    }
    return 0;
}

/* _dir2(obj, pref, excl): attributes named in dir(obj) starting with pref. */
static int add_prefixed(PyObject *list, PyObject *obj, const char *pref, const char *excl)
{
    PyObject *names = PyObject_Dir(obj);
    if (!names) {
        if (pym_err_is_ordinary()) {
            PyErr_Clear();
            return 0;
        }
        return -1;
    }
    size_t plen = strlen(pref);
    Py_ssize_t n = PyList_GET_SIZE(names);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = PyList_GET_ITEM(names, i);
        const char *s = PyUnicode_Check(a) ? PyUnicode_AsUTF8(a) : NULL;
        if (!s) {
            PyErr_Clear();
            continue;
        }
        if (strncmp(s, pref, plen) != 0 || (excl && strcmp(s, excl) == 0))
            continue;
        if (add_attr(list, obj, a) < 0) {
            Py_DECREF(names);
            return -1;
        }
    }
    Py_DECREF(names);
    return 0;
}

/* Append an unnamed (None, value) or named (name, value) referent. */
static int add_value(PyObject *list, PyObject *name, PyObject *v)
{
    PyObject *t = PyTuple_Pack(2, name ? name : Py_None, v);
    if (!t)
        return -1;
    int r = PyList_Append(list, t);
    Py_DECREF(t);
    return r;
}

static int collect_visit(PyObject *o, void *arg)
{
    return PyList_Append((PyObject *)arg, o);
}

/* gc.get_referents(obj) */
static PyObject *referents(PyObject *obj)
{
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    if (pym_walk_gc_referents(obj, collect_visit, list) < 0) {
        Py_DECREF(list);
        return NULL;
    }
    return list;
}

static PyObject *build_pairs(PyObject *obj, int refs)
{
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    int r = 0;
    switch (refs) {
    case PYM_REFS_CLASS: {
        PyObject *a[] = {pym_str.__class__, pym_str.__doc__, pym_str.__mro__, pym_str.__name__,
                         pym_str.__slots__, pym_str.__weakref__, pym_str.__dict__};
        r = add_attrs(list, obj, a, 7);
        break;
    }
    case PYM_REFS_TYPE: {
        PyObject *a[] = {pym_str.__doc__, pym_str.__mro__, pym_str.__name__, pym_str.__slots__,
                         pym_str.__weakref__, pym_str.__dict__};
        r = add_attrs(list, obj, a, 6);
        break;
    }
    case PYM_REFS_FUNC: {
        PyObject *a[] = {pym_str.__doc__, pym_str.__name__, pym_str.__code__, pym_str.__closure__};
        r = add_attrs(list, obj, a, 4);
        if (r == 0)
            r = add_prefixed(list, obj, "func_", "func_globals");
        break;
    }
    case PYM_REFS_IM: {
        PyObject *a[] = {pym_str.__doc__, pym_str.__name__, pym_str.__code__};
        r = add_attrs(list, obj, a, 3);
        if (r == 0)
            r = add_prefixed(list, obj, "im_", NULL);
        break;
    }
    case PYM_REFS_PROP:
        r = add_attr(list, obj, pym_str.__doc__);
        if (r == 0)
            r = add_prefixed(list, obj, "f", NULL);
        break;
    case PYM_REFS_ENUM:
        r = add_attr(list, obj, pym_str.__doc__);
        break;
    case PYM_REFS_EXC: {
        PyObject *a[] = {pym_str.args, pym_str.filename, pym_str.lineno, pym_str.msg, pym_str.text};
        r = add_attrs(list, obj, a, 5);
        break;
    }
    case PYM_REFS_FILE: {
        PyObject *a[] = {pym_str.mode, pym_str.name};
        r = add_attrs(list, obj, a, 2);
        break;
    }
    case PYM_REFS_CO:
        r = add_prefixed(list, obj, "co_", NULL);
        break;
    case PYM_REFS_FRAME:
    case PYM_REFS_STATVFS:
        r = add_prefixed(list, obj, "f_", NULL);
        break;
    case PYM_REFS_STAT:
        r = add_prefixed(list, obj, "st_", NULL);
        break;
    case PYM_REFS_TB:
        r = add_prefixed(list, obj, "tb_", NULL);
        break;
    case PYM_REFS_GEN: {
        PyObject *f = pym_getattr_quiet(obj, pym_str.gi_frame);
        if (f) {
            PyObject *a[] = {pym_str.f_locals, pym_str.f_code};
            r = add_attrs(list, f, a, 2);
            Py_DECREF(f);
        }
        else if (PyErr_Occurred()) {
            r = -1;
        }
        break;
    }
    case PYM_REFS_NUMPY:
        r = add_attr(list, obj, pym_str.base);
        break;
    case PYM_REFS_CELL:
        r = add_attr(list, obj, pym_str.cell_contents);
        break;
    case PYM_REFS_WEAK: {
        PyObject *v = PyObject_CallNoArgs(obj);
        if (v) {
            r = add_value(list, NULL, v);
            Py_DECREF(v);
        }
        else if (pym_err_is_ordinary()) {
            PyErr_Clear();
        }
        else {
            r = -1;
        }
        break;
    }
    case PYM_REFS_ITER: {
        PyObject *rs = referents(obj);
        if (!rs) {
            r = -1;
            break;
        }
        PyObject *name = pym_getattr_quiet(obj, pym_str.__name__);
        if (!name && PyErr_Occurred()) {
            Py_DECREF(rs);
            r = -1;
            break;
        }
        if (!name || !PyObject_IsTrue(name)) {
            Py_XDECREF(name);
            PyErr_Clear();
            name = PyUnicode_InternFromString("iteref");
        }
        for (Py_ssize_t i = 0; name && r == 0 && i < PyList_GET_SIZE(rs); i++)
            r = add_value(list, name, PyList_GET_ITEM(rs, i));
        if (!name)
            r = -1;
        Py_XDECREF(name);
        Py_DECREF(rs);
        break;
    }
    default:
        break;
    }
    if (r < 0) {
        Py_DECREF(list);
        return NULL;
    }
    return list;
}

/* ---- slots ------------------------------------------------------------ */

/* The (mangled) __slots__ names along the MRO, first occurrence wins, as
 * Pympler's _dir2(slots='__slots__') computes them; cached on the typedef.
 * Borrowed tuple, or Py_None when the object has no __slots__. */
static PyObject *slot_names(PyObject *obj, pym_typedef *td)
{
    if (td->slots)
        return td->slots;
    PyObject *has = pym_getattr_quiet(obj, pym_str.__slots__);
    if (!has) {
        if (PyErr_Occurred())
            return NULL;
        td->slots = Py_NewRef(Py_None);
        return td->slots;
    }
    Py_DECREF(has);
    PyObject *names = PyList_New(0), *seen = PySet_New(NULL), *mro = NULL, *it = NULL;
    if (!names || !seen)
        goto error;
    mro = PyObject_CallMethodNoArgs((PyObject *)Py_TYPE(obj), pym_str.mro);
    if (!mro || !(it = PyObject_GetIter(mro)))
        goto error;
    PyObject *c;
    while ((c = PyIter_Next(it))) {
        PyObject *cn = pym_getattr_quiet(c, pym_str.__name__);
        PyObject *sl = cn || !PyErr_Occurred() ? pym_getattr_quiet(c, pym_str.__slots__) : NULL;
        PyObject *sit = sl ? PyObject_GetIter(sl) : NULL;
        if (sl && !sit && pym_err_is_ordinary())
            PyErr_Clear();
        PyObject *a;
        while (sit && (a = PyIter_Next(sit))) {
            PyObject *m = NULL;
            if (PyUnicode_Check(a)) {
                const char *s = PyUnicode_AsUTF8(a);
                if (s && s[0] == '_' && s[1] == '_')
                    m = PyUnicode_FromFormat("_%S%U", cn && PyUnicode_Check(cn) ? cn : Py_None, a);
                else
                    m = Py_NewRef(a);
            }
            Py_DECREF(a);
            if (m && !PySet_Contains(seen, m)) {
                if (PySet_Add(seen, m) < 0 || PyList_Append(names, m) < 0) {
                    Py_DECREF(m);
                    break;
                }
            }
            Py_XDECREF(m);
            if (PyErr_Occurred())
                break;
        }
        Py_XDECREF(sit);
        Py_XDECREF(sl);
        Py_XDECREF(cn);
        Py_DECREF(c);
        if (PyErr_Occurred())
            goto error;
    }
    if (PyErr_Occurred())
        goto error;
    td->slots = PyList_AsTuple(names);
    if (!td->slots)
        goto error;
    Py_DECREF(names);
    Py_DECREF(seen);
    Py_DECREF(mro);
    Py_DECREF(it);
    return td->slots;
error:
    Py_XDECREF(names);
    Py_XDECREF(seen);
    Py_XDECREF(mro);
    Py_XDECREF(it);
    return NULL;
}

/* Next set slot value: 1 with (name, value), 0 when done. */
static int next_slot(pym_refcursor *c, PyObject **child, PyObject **name)
{
    PyObject *names = slot_names(c->obj, c->td);
    if (!names)
        return -1;
    if (names == Py_None)
        return 0;
    while (c->pos < PyTuple_GET_SIZE(names)) {
        PyObject *a = PyTuple_GET_ITEM(names, c->pos++);
        PyObject *v = pym_getattr_quiet(c->obj, a);
        if (!v) {
            if (PyErr_Occurred())
                return -1;
            continue;
        }
        *child = v;
        if (c->named)
            *name = Py_NewRef(a);
        return 1;
    }
    return 0;
}

/* ---- dicts ----------------------------------------------------------- */

/* The exact-dict fast path applies when obj.items is dict.items. */
static int dict_is_plain(PyObject *obj)
{
    if (PyDict_CheckExact(obj))
        return 1;
    if (!PyDict_Check(obj))
        return 0;
    PyTypeObject *tp = Py_TYPE(obj);
    if (!dict_items_descr)
        dict_items_descr = pym_type_lookup(&PyDict_Type, pym_str.items);
    return tp->tp_dictoffset == 0 && pym_has_standard_getattr(tp) &&
           pym_type_lookup(tp, pym_str.items) == dict_items_descr &&
           pym_type_lookup(tp, pym_str.iteritems) == NULL;
}

/* Pympler's _items(obj): getattr(obj, 'iteritems', obj.items), called. */
static PyObject *items_iter(PyObject *obj)
{
    PyObject *o = pym_getattr_quiet(obj, pym_str.iteritems);
    if (!o) {
        if (PyErr_Occurred())
            return NULL;
        o = pym_getattr_quiet(obj, pym_str.items);
        if (!o) {
            if (PyErr_Occurred())
                return NULL;
            o = PyTuple_New(0); /* no items(): nothing to iterate */
            if (!o)
                return NULL;
        }
    }
    PyObject *seq;
    if (PyCallable_Check(o)) {
        seq = PyObject_CallNoArgs(o);
    }
    else {
        int t = PyObject_IsTrue(o);
        seq = t > 0 ? Py_NewRef(o) : t == 0 ? PyTuple_New(0) : NULL;
    }
    Py_DECREF(o);
    if (!seq)
        return NULL;
    PyObject *it = PyObject_GetIter(seq);
    Py_DECREF(seq);
    return it;
}

/* Pympler catches these while iterating a dict-like and warns. */
static int dict_error_tolerated(PyObject *owner)
{
    if (!PyErr_ExceptionMatches(PyExc_KeyError) && !PyErr_ExceptionMatches(PyExc_ReferenceError) &&
        !PyErr_ExceptionMatches(PyExc_TypeError))
        return 0;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *cls = pym_getattr_quiet(owner, pym_str.__class__);
    PyObject *msg = PyUnicode_FromFormat("Iterating '%S': %R", cls ? cls : Py_None, value ? value : Py_None);
    Py_XDECREF(cls);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (!msg)
        return -1;
    int r = PyErr_WarnEx(PyExc_UserWarning, PyUnicode_AsUTF8(msg), 1);
    Py_DECREF(msg);
    return r < 0 ? -1 : 1;
}

/* Unpack `for k, v in items` */
static int unpack_pair(PyObject *item, PyObject **k, PyObject **v)
{
    if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 2) {
        *k = Py_NewRef(PyTuple_GET_ITEM(item, 0));
        *v = Py_NewRef(PyTuple_GET_ITEM(item, 1));
        return 0;
    }
    PyObject *it = PyObject_GetIter(item);
    if (!it)
        return -1;
    *k = PyIter_Next(it);
    *v = *k ? PyIter_Next(it) : NULL;
    PyObject *extra = *v ? PyIter_Next(it) : NULL;
    Py_DECREF(it);
    if (extra || !*v) {
        Py_XDECREF(extra);
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, extra ? "too many values to unpack (expected 2)"
                                                 : "not enough values to unpack (expected 2)");
        Py_CLEAR(*k);
        Py_CLEAR(*v);
        return -1;
    }
    return 0;
}

/* Yield the pending key, then the pending value. */
static int emit_pair(pym_refcursor *c, PyObject **child, PyObject **name)
{
    if (!c->key_out) {
        c->key_out = 1;
        if (c->named && !(*name = key_name(c->pend_key)))
            return -1;
        *child = c->pend_key; /* the cursor keeps it until the value is out */
        c->borrowed = 1;
        return PYM_REF_OBJECT;
    }
    c->key_out = 0;
    if (c->named && !(*name = value_name(c->pend_key, c->pend_val)))
        return -1;
    *child = c->pend_val; /* ownership passes to the caller */
    c->pend_val = NULL;
    Py_CLEAR(c->pend_key);
    return PYM_REF_OBJECT;
}

static int next_dict(pym_refcursor *c, PyObject **child, PyObject **name)
{
    if (!c->pend_key) {
        PyObject *d = c->aux;
        if (((PyDictObject *)d)->ma_used != c->used) {
            PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
            return -1;
        }
        PyObject *k, *v;
        if (!PyDict_Next(d, &c->pos, &k, &v))
            return PYM_REF_END;
        c->pend_key = Py_NewRef(k);
        c->pend_val = Py_NewRef(v);
    }
    return emit_pair(c, child, name);
}

/* The entries of a dict subclass whose items() is not dict.items: Pympler
 * calls items() and takes what it yields, which may never end.  It is
 * trusted for as many pairs as the dict really holds; a pair beyond that
 * means items() does not list the dict's storage, and the walk goes on over
 * the real entries instead (objects already met count once, as always). */
static int pairs_overrun(pym_refcursor *c, PyObject **child, PyObject **name)
{
    Py_CLEAR(c->aux);
    c->kind = CK_DICT;
    c->bounded = 0;
    c->aux = Py_NewRef(c->obj);
    c->pos = 0;
    c->used = PyDict_GET_SIZE(c->obj);
    return next_dict(c, child, name);
}

static int next_pairs(pym_refcursor *c, PyObject **child, PyObject **name)
{
    if (!c->pend_key) {
        if (!c->aux)
            return PYM_REF_END;
        PyObject *item = PyIter_Next(c->aux);
        if (item && c->bounded && c->pos >= c->used) {
            Py_DECREF(item);
            return pairs_overrun(c, child, name);
        }
        if (item) {
            int r = unpack_pair(item, &c->pend_key, &c->pend_val);
            Py_DECREF(item);
            c->pos++;
            if (r == 0)
                return emit_pair(c, child, name);
        }
        if (!PyErr_Occurred())
            return PYM_REF_END;
        int t = dict_error_tolerated(c->obj);
        if (t <= 0)
            return -1;
        Py_CLEAR(c->aux); /* stop after the warning, as Pympler does */
        return PYM_REF_END;
    }
    return emit_pair(c, child, name);
}

static int next_vdict(pym_refcursor *c, PyObject **child, PyObject **name)
{
    if (!c->pend_key) {
        /* as the iterator of the materialised dict would notice */
        if (pym_virtual_dict_token(c->obj) != c->token || pym_virtual_dict_count(c->obj) != c->used) {
            PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
            return -1;
        }
        PyObject *k, *v;
        if (!pym_virtual_dict_next(c->obj, &c->pos, &k, &v))
            return PYM_REF_END;
        c->pend_key = Py_NewRef(k);
        c->pend_val = Py_NewRef(v);
    }
    return emit_pair(c, child, name);
}

/* ---- instances ------------------------------------------------------- */

static int name_out(pym_refcursor *c, PyObject **name, PyObject *s)
{
    if (c->named)
        *name = Py_NewRef(s);
    return 0;
}

/* PYM_DIRECT_* for the cursor's type, computed once per typedef. */
static int direct_bits(pym_refcursor *c)
{
    if (!c->td->direct) {
        PyTypeObject *tp = Py_TYPE(c->obj);
        int bits = (pym_dict_attr_is_standard(tp) ? PYM_DIRECT_DICT : 0) |
                   (pym_class_attr_is_standard(tp) ? PYM_DIRECT_CLASS : 0);
        c->td->direct = (uint8_t)(bits + 1);
    }
    return c->td->direct - 1;
}

/* __dict__ of an instance: existing dict, would-be dict, or getattr. */
static int inst_dict(pym_refcursor *c, PyObject **child, PyObject **name)
{
    PyObject *d = NULL;
    int r = (direct_bits(c) & PYM_DIRECT_DICT) ? pym_instance_dict(c->obj, &d) : 0;
    if (r < 0)
        return -1;
    if (r == 0) {
        d = pym_getattr_quiet(c->obj, pym_str.__dict__);
        if (!d)
            return PyErr_Occurred() ? -1 : PYM_REF_END;
        r = 1;
    }
    name_out(c, name, pym_str.__dict__);
    if (r == 2)
        return PYM_REF_VIRTUAL_DICT;
    *child = d;
    return PYM_REF_OBJECT;
}

static int inst_class(pym_refcursor *c, PyObject **child, PyObject **name)
{
    PyObject *cls;
    if (direct_bits(c) & PYM_DIRECT_CLASS)
        cls = Py_NewRef((PyObject *)Py_TYPE(c->obj));
    else if (!(cls = pym_getattr_quiet(c->obj, pym_str.__class__)))
        return PyErr_Occurred() ? -1 : PYM_REF_END;
    name_out(c, name, pym_str.__class__);
    *child = cls;
    return PYM_REF_OBJECT;
}

static int next_inst(pym_refcursor *c, PyObject **child, PyObject **name)
{
    int r;
    switch (c->phase) {
    case 0:
        c->phase = 1;
        if ((r = inst_dict(c, child, name)) != PYM_REF_END)
            return r;
        /* fall through */
    case 1:
        c->phase = 2;
        c->pos = 0;
        if ((r = inst_class(c, child, name)) != PYM_REF_END)
            return r;
        /* fall through */
    default:
        return next_slot(c, child, name);
    }
}

static int next_namedtuple(pym_refcursor *c, PyObject **child, PyObject **name)
{
    int r;
    switch (c->phase) {
    case 0:
        c->phase = 1;
        c->pos = 0;
        if ((r = inst_class(c, child, name)) != PYM_REF_END)
            return r;
        /* fall through */
    case 1:
        if ((r = next_slot(c, child, name)) != PYM_REF_END)
            return r;
        c->phase = 2;
        c->pos = 0;
        /* fall through */
    default: {
        if (PyTuple_Check(c->obj)) {
            /* the tuple's own items: a class's __iter__ may never end */
            if (c->pos >= PyTuple_GET_SIZE(c->obj))
                return PYM_REF_END;
            *child = Py_NewRef(PyTuple_GET_ITEM(c->obj, c->pos));
            c->pos++;
            return PYM_REF_OBJECT;
        }
        if (!c->aux && !(c->aux = PyObject_GetIter(c->obj)))
            return -1;
        PyObject *v = PyIter_Next(c->aux);
        if (!v)
            return PyErr_Occurred() ? -1 : PYM_REF_END;
        *child = v;
        return PYM_REF_OBJECT;
    }
    }
}

/* ---- open / next / close ---------------------------------------------- */

int pym_refs_open(pym_refcursor *c, PyObject *obj, pym_typedef *td, int named, int virtual_dict)
{
    memset(c, 0, sizeof *c);
    c->obj = Py_NewRef(obj);
    c->td = td;
    c->named = (uint8_t)(named != 0);
    if (virtual_dict) {
        c->kind = CK_VDICT;
        c->token = pym_virtual_dict_token(obj);
        c->used = pym_virtual_dict_count(obj);
        return 0;
    }
    switch (td->refs) {
    case PYM_REFS_SEQ:
        if (PyList_Check(obj))
            c->kind = CK_LIST;
        else if (PyTuple_Check(obj))
            c->kind = CK_TUPLE;
        else if (PyAnySet_Check(obj)) {
            c->kind = CK_SET;
            c->used = PySet_GET_SIZE(obj);
        }
        else {
            /* a typedef shared with a foreign type: iterate it */
            c->kind = CK_PAIRLIST;
            PyObject *seq = PySequence_List(obj);
            if (!seq)
                goto error;
            c->aux = PyList_New(0);
            for (Py_ssize_t i = 0; c->aux && i < PyList_GET_SIZE(seq); i++) {
                if (add_value(c->aux, NULL, PyList_GET_ITEM(seq, i)) < 0)
                    Py_CLEAR(c->aux);
            }
            Py_DECREF(seq);
            if (!c->aux)
                goto error;
        }
        return 0;
    case PYM_REFS_DICT:
        if (dict_is_plain(obj)) {
            c->kind = CK_DICT;
            c->aux = Py_NewRef(obj);
            c->used = PyDict_GET_SIZE(obj);
        }
        else {
            c->kind = CK_PAIRS;
            if (PyDict_Check(obj)) {
                c->bounded = 1;
                c->used = PyDict_GET_SIZE(obj);
            }
            if (!(c->aux = items_iter(obj))) {
                int t = dict_error_tolerated(obj);
                if (t <= 0)
                    goto error;
            }
        }
        return 0;
    case PYM_REFS_MODULE: {
        PyObject *n = pym_getattr_quiet(obj, pym_str.__name__);
        int self = n && PyUnicode_Check(n) && PyUnicode_CompareWithASCIIString(n, PYM_SELF_MODULE) == 0;
        Py_XDECREF(n);
        if (PyErr_Occurred())
            goto error;
        if (self) {
            c->kind = CK_NONE;
            return 0;
        }
        PyObject *d = PyObject_GetAttr(obj, pym_str.__dict__);
        if (!d)
            goto error;
        if (PyDict_CheckExact(d)) {
            c->kind = CK_DICT;
            c->used = PyDict_GET_SIZE(d);
            c->aux = d;
        }
        else {
            c->kind = CK_PAIRS;
            c->aux = items_iter(d);
            Py_DECREF(d);
            if (!c->aux)
                goto error;
        }
        return 0;
    }
    case PYM_REFS_INST:
        c->kind = CK_INST;
        return 0;
    case PYM_REFS_NAMEDTUPLE:
        c->kind = CK_NAMEDTUPLE;
        return 0;
    case PYM_REFS_NONE:
        c->kind = CK_NONE;
        return 0;
    default:
        c->kind = CK_PAIRLIST;
        if (!(c->aux = build_pairs(obj, td->refs)))
            goto error;
        return 0;
    }
error:
    pym_refs_close(c);
    return -1;
}

int pym_refs_next(pym_refcursor *c, PyObject **child, PyObject **name)
{
    *child = NULL;
    *name = NULL;
    c->borrowed = 0;
    switch (c->kind) {
    case CK_LIST:
        if (c->pos >= PyList_GET_SIZE(c->obj))
            return PYM_REF_END;
        *child = PyList_GET_ITEM(c->obj, c->pos);
        c->borrowed = 1;
        c->pos++;
        return PYM_REF_OBJECT;
    case CK_TUPLE:
        if (c->pos >= PyTuple_GET_SIZE(c->obj))
            return PYM_REF_END;
        *child = PyTuple_GET_ITEM(c->obj, c->pos);
        c->borrowed = 1;
        c->pos++;
        return PYM_REF_OBJECT;
    case CK_SET: {
        if (PySet_GET_SIZE(c->obj) != c->used) {
            PyErr_SetString(PyExc_RuntimeError, "Set changed size during iteration");
            return -1;
        }
        PyObject *key;
        if (!pym_set_next(c->obj, &c->pos, &key))
            return PYM_REF_END;
        *child = key;
        c->borrowed = 1;
        return PYM_REF_OBJECT;
    }
    case CK_DICT:
        return next_dict(c, child, name);
    case CK_PAIRS:
        return next_pairs(c, child, name);
    case CK_VDICT:
        return next_vdict(c, child, name);
    case CK_INST:
        return next_inst(c, child, name);
    case CK_NAMEDTUPLE:
        return next_namedtuple(c, child, name);
    case CK_PAIRLIST: {
        if (c->pos >= PyList_GET_SIZE(c->aux))
            return PYM_REF_END;
        PyObject *t = PyList_GET_ITEM(c->aux, c->pos);
        c->pos++;
        PyObject *n = PyTuple_GET_ITEM(t, 0);
        *child = Py_NewRef(PyTuple_GET_ITEM(t, 1));
        if (c->named && n != Py_None)
            *name = Py_NewRef(n);
        return PYM_REF_OBJECT;
    }
    default:
        return PYM_REF_END;
    }
}

void pym_refs_close(pym_refcursor *c)
{
    Py_CLEAR(c->obj);
    Py_CLEAR(c->aux);
    Py_CLEAR(c->pend_key);
    Py_CLEAR(c->pend_val);
    c->kind = CK_NONE;
}

int pym_refs_may_create(const pym_refcursor *c)
{
    return c->kind == CK_PAIRLIST || c->kind == CK_PAIRS;
}
