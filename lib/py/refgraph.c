/* refgraph.c: edges and labels among a list of Python objects; the string
 * helpers of Pympler's refgraph/garbagegraph (safe_repr, trunc, pp). */
#include "refgraph.h"

#include "ptrindex.h"
#include "refs.h"
#include "typedef.h"
#include "walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- referents -------------------------------------------------------- */

typedef struct {
    const pym_ptrindex *index;
    uint32_t *targets; /* distinct member targets of the current source */
    size_t n, cap;
    pym_ptrindex *seen; /* per source, only when it has many targets */
} visit_state;

static int add_target(visit_state *st, uint32_t t)
{
    if (st->n > 16 && !st->seen) {
        st->seen = pym_ptrindex_new(st->n * 2);
        if (!st->seen)
            return -1;
        for (size_t i = 0; i < st->n; i++)
            pym_ptrindex_put(st->seen, (uintptr_t)st->targets[i] * 8 + 8, 0);
    }
    if (st->seen) {
        int r = pym_ptrindex_put(st->seen, (uintptr_t)t * 8 + 8, 0);
        if (r <= 0)
            return r;
    }
    else {
        for (size_t i = 0; i < st->n; i++)
            if (st->targets[i] == t)
                return 0;
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        uint32_t *nt = realloc(st->targets, cap * sizeof *nt);
        if (!nt)
            return -1;
        st->targets = nt;
        st->cap = cap;
    }
    st->targets[st->n++] = t;
    return 1;
}

static int visit_referent(PyObject *o, void *arg)
{
    visit_state *st = arg;
    uint32_t t = pym_ptrindex_get(st->index, (uintptr_t)o);
    if (t == PYM_PTRINDEX_NONE)
        return 0;
    return add_target(st, t) < 0 ? -1 : 0;
}

/* ---- labels ----------------------------------------------------------- */

/* Give each edge of one source (edges [first, last)) the first name whose
 * object is its target; names come as (name, obj) pairs from `next`. */
typedef struct {
    pym_refedges *e;
    size_t first, last;
    PyObject *const *objs;
    size_t unlabelled;
} label_job;

static void offer_label(label_job *j, PyObject *name, PyObject *obj)
{
    for (size_t k = j->first; k < j->last && j->unlabelled; k++) {
        if (j->e->label[k] == NULL && j->objs[j->e->dst[k]] == obj) {
            j->e->label[k] = Py_NewRef(name);
            j->unlabelled--;
        }
    }
}

/* For a dict source: the first key whose value is the target, from
 * src.items() (Pympler); non-empty items() decide even when nothing matches. */
static int dict_labels(label_job *j, PyObject *src, int *done)
{
    *done = 0;
    if (PyDict_CheckExact(src)) {
        if (PyDict_GET_SIZE(src) == 0)
            return 0;
        *done = 1;
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (j->unlabelled && PyDict_Next(src, &pos, &k, &v)) {
            Py_INCREF(k);
            Py_INCREF(v);
            offer_label(j, k, v);
            Py_DECREF(k);
            Py_DECREF(v);
        }
        return 0;
    }
    /* A dict subclass's items() may never end: it is taken for as many
     * pairs as the dict really holds; one more and the real entries label
     * the edges instead (docs/refgraph.md). */
    PyObject *items = PyObject_CallMethodNoArgs(src, pym_str.items);
    PyObject *it = items ? PyObject_GetIter(items) : NULL;
    Py_XDECREF(items);
    PyObject *list = it ? PyList_New(0) : NULL;
    Py_ssize_t bound = PyDict_GET_SIZE(src);
    while (list) {
        PyObject *kv = PyIter_Next(it);
        if (!kv) {
            if (PyErr_Occurred())
                Py_CLEAR(list);
            break;
        }
        if (PyList_GET_SIZE(list) >= bound) {
            Py_DECREF(kv);
            Py_SETREF(list, PyList_New(0));
            Py_ssize_t pos = 0;
            PyObject *k, *v;
            while (list && PyDict_Next(src, &pos, &k, &v)) {
                PyObject *t = PyTuple_Pack(2, k, v);
                if (!t || PyList_Append(list, t) < 0)
                    Py_CLEAR(list);
                Py_XDECREF(t);
            }
            break;
        }
        int r = PyList_Append(list, kv);
        Py_DECREF(kv);
        if (r < 0)
            Py_CLEAR(list);
    }
    Py_XDECREF(it);
    if (!list) {
        if (!pym_err_is_ordinary())
            return -1;
        PyErr_Clear(); /* a hostile items(): no labels from it */
        return 0;
    }
    if (PyList_GET_SIZE(list) == 0) {
        Py_DECREF(list);
        return 0;
    }
    *done = 1;
    for (Py_ssize_t i = 0; j->unlabelled && i < PyList_GET_SIZE(list); i++) {
        PyObject *kv = PyList_GET_ITEM(list, i);
        if (PyTuple_Check(kv) && PyTuple_GET_SIZE(kv) == 2)
            offer_label(j, PyTuple_GET_ITEM(kv, 0), PyTuple_GET_ITEM(kv, 1));
    }
    Py_DECREF(list);
    return 0;
}

/* Named referents as asizeof.named_refs() gives them; where the attributes
 * of an instance live in inline values (no __dict__ yet), the collector sees
 * the values themselves, so they are named by their attribute names. */
static int named_labels(label_job *j, PyObject *src, pym_tdtab *tab)
{
    pym_td_opts o = {0, 0, 0, tab};
    pym_typedef *td = pym_typedef_lookup(src, &o, NULL);
    if (!td)
        goto hostile;
    if (!td->refs)
        return 0;
    pym_refcursor c;
    if (pym_refs_open(&c, src, td, 1, 0) < 0)
        goto hostile;
    while (j->unlabelled) {
        PyObject *child, *name;
        int r = pym_refs_next(&c, &child, &name);
        if (r == PYM_REF_END)
            break;
        if (r < 0) {
            pym_refs_close(&c);
            goto hostile;
        }
        if (r == PYM_REF_VIRTUAL_DICT) {
            Py_ssize_t pos = 0;
            PyObject *k, *v;
            while (j->unlabelled && pym_virtual_dict_next(src, &pos, &k, &v))
                offer_label(j, k, v);
        }
        else if (name) {
            offer_label(j, name, child);
        }
        Py_XDECREF(name);
        if (r == PYM_REF_OBJECT && !c.borrowed)
            Py_DECREF(child);
    }
    pym_refs_close(&c);
    return 0;
hostile:
    if (!pym_err_is_ordinary())
        return -1;
    PyErr_Clear();
    return 0;
}

/* ---- edges ------------------------------------------------------------ */

int pym_refedges_build(PyObject *const *objs, Py_ssize_t n, pym_refedges *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    pym_ptrindex *index = pym_ptrindex_new((size_t)n);
    pym_tdtab *tab = pym_tdtab_new();
    visit_state st = {0};
    size_t cap = 0;
    PyObject *empty = PyUnicode_FromString("");
    if (!index || !tab || !empty)
        goto nomem;
    if ((uint64_t)n >= UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many objects for a reference graph");
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pym_ptrindex_put(index, (uintptr_t)objs[i], (uint32_t)i) < 0)
            goto nomem;
    }
    st.index = index;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = objs[i];
        if (pym_ptrindex_get(index, (uintptr_t)s) != (uint32_t)i)
            continue; /* a duplicate: the first occurrence is the node */
        st.n = 0;
        pym_ptrindex_free(&st.seen);
        if (pym_walk_gc_referents(s, visit_referent, &st) < 0) {
            if (!PyErr_Occurred())
                PyErr_NoMemory();
            goto error;
        }
        if (!st.n)
            continue;
        if (out->m + st.n > cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            while (ncap < out->m + st.n)
                ncap *= 2;
            uint32_t *ns = realloc(out->src, ncap * sizeof *ns);
            if (ns)
                out->src = ns;
            uint32_t *nd = ns ? realloc(out->dst, ncap * sizeof *nd) : NULL;
            if (nd)
                out->dst = nd;
            PyObject **nl = nd ? realloc(out->label, ncap * sizeof *nl) : NULL;
            if (!nl)
                goto nomem;
            out->label = nl;
            cap = ncap;
        }
        label_job j = {out, out->m, out->m + st.n, objs, st.n};
        for (size_t k = 0; k < st.n; k++) {
            out->src[out->m] = (uint32_t)i;
            out->dst[out->m] = st.targets[k];
            out->label[out->m] = NULL;
            out->m++;
        }
        int done = 0;
        if (PyDict_Check(s) && dict_labels(&j, s, &done) < 0)
            goto error;
        if (!done && named_labels(&j, s, tab) < 0)
            goto error;
        for (size_t k = j.first; k < j.last; k++) {
            if (!out->label[k])
                out->label[k] = Py_NewRef(empty);
        }
    }
    free(st.targets);
    pym_ptrindex_free(&st.seen);
    pym_ptrindex_free(&index);
    pym_tdtab_free(&tab);
    Py_DECREF(empty);
    return 0;
nomem:
    if (!PyErr_Occurred())
        PyErr_NoMemory();
error:
    free(st.targets);
    pym_ptrindex_free(&st.seen);
    pym_ptrindex_free(&index);
    pym_tdtab_free(&tab);
    Py_XDECREF(empty);
    pym_refedges_free(out);
    return -1;
}

void pym_refedges_free(pym_refedges *e)
{
    for (size_t k = 0; e->label && k < e->m; k++)
        Py_XDECREF(e->label[k]);
    free(e->label);
    free(e->src);
    free(e->dst);
    memset(e, 0, sizeof *e);
}

pym_graph *pym_refedges_graph(const pym_refedges *e)
{
    pym_graph *g = pym_graph_new((uint32_t)e->n, e->src, e->dst, e->m);
    if (!g)
        PyErr_NoMemory();
    return g;
}

/* ---- strings ---------------------------------------------------------- */

/* s[i] bound of a slice s[i:] or s[:i] of a length-n string, as Python
 * clamps it: negative counts from the end, then [0, n]. */
static Py_ssize_t slice_bound(Py_ssize_t i, Py_ssize_t n)
{
    if (i < 0)
        return i < -n ? 0 : n + i;
    return i > n ? n : i;
}

PyObject *pym_text_elide(PyObject *s, Py_ssize_t stop)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    PyObject *a = PyUnicode_Substring(s, 0, slice_bound(stop, n));
    PyObject *b = a ? PyUnicode_Substring(s, slice_bound(-2, n), n) : NULL;
    PyObject *r = b ? PyUnicode_FromFormat("%U..%U", a, b) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return r;
}

PyObject *pym_safe_repr(PyObject *obj, Py_ssize_t clip)
{
    PyObject *s = pym_repr(obj);
    if (!s) {
        if (!pym_err_is_ordinary())
            return NULL;
        PyErr_Clear();
        return PyUnicode_FromString("N/A");
    }
    if (clip == 0 || PyUnicode_GET_LENGTH(s) <= clip)
        return s;
    /* s[:clip-4]: a clip below 4 counts from the end, as in Pympler */
    PyObject *r = pym_text_elide(s, clip < PY_SSIZE_T_MIN + 4 ? PY_SSIZE_T_MIN : clip - 4);
    Py_DECREF(s);
    return r;
}

PyObject *pym_str_oneline(PyObject *obj)
{
    PyObject *s = pym_str_of(obj);
    if (!s || PyUnicode_FindChar(s, '\n', 0, PyUnicode_GET_LENGTH(s), 1) < 0)
        return s;
    PyObject *nl = PyUnicode_FromString("\n"), *bar = nl ? PyUnicode_FromString("|") : NULL;
    PyObject *r = bar ? PyUnicode_Replace(s, nl, bar, -1) : NULL;
    Py_XDECREF(nl);
    Py_XDECREF(bar);
    Py_DECREF(s);
    return r;
}

PyObject *pym_trunc(PyObject *obj, Py_ssize_t max, int left)
{
    PyObject *s = pym_str_oneline(obj), *part, *r;
    if (!s)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n <= max)
        return s;
    if (left) {
        /* s[n-max+3:], saturated: max < n here, so only a very negative
         * max overflows, and then the start is past the end anyway */
        Py_ssize_t start = max <= n - PY_SSIZE_T_MAX + 3 ? PY_SSIZE_T_MAX : n - max + 3;
        part = PyUnicode_Substring(s, slice_bound(start, n), n);
        r = part ? PyUnicode_FromFormat("...%U", part) : NULL;
    }
    else {
        Py_ssize_t stop = max < PY_SSIZE_T_MIN + 3 ? PY_SSIZE_T_MIN : max - 3;
        part = PyUnicode_Substring(s, 0, slice_bound(stop, n));
        r = part ? PyUnicode_FromFormat("%U...", part) : NULL;
    }
    Py_XDECREF(part);
    Py_DECREF(s);
    return r;
}

PyObject *pym_dot_quote(PyObject *s, Py_UCS4 quote)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    /* worst case: every character becomes "&amp;" */
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(5 * n + 1));
    if (!buf)
        return PyErr_NoMemory();
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(s, i);
        if (c < 0x20 || c == 0x7f)
            continue; /* control characters break DOT and SVG */
        if (c >= 0xD800 && c <= 0xDFFF)
            c = 0xFFFD; /* a lone surrogate cannot be encoded */
        if (c == '&') { /* Graphviz decodes &...; entities in plain labels */
            static const Py_UCS4 amp[] = {'&', 'a', 'm', 'p', ';'};
            for (int j = 0; j < 5; j++)
                buf[k++] = amp[j];
            continue;
        }
        if (c == '"') {
            if (quote == '"')
                buf[k++] = '\\';
            c = quote;
        }
        else if (c == '\\') {
            buf[k++] = '\\';
        }
        buf[k++] = c;
    }
    PyObject *r = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, k);
    PyMem_Free(buf);
    return r;
}
