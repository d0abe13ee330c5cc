/* report.c: the text of Pympler's asizeof statistics.
 *
 * Each function mirrors one Asizer.print_xxx method of Pympler 1.1 and
 * produces the same lines; see docs/asizeof.md for the format.
 */
#include "report.h"

#include "flatsize.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *plural(Py_ssize_t n)
{
    return n != 1 ? "s" : "";
}

/* ---- output -------------------------------------------------------- */

int pym_report_line(const pym_report *r, PyObject *line)
{
    PyObject *file = NULL, *end = NULL, *res;
    int flush = 0;
    PyObject *opts = r->p3opts && PyDict_GET_SIZE(r->p3opts) ? r->p3opts : NULL;
    if (opts) {
        file = PyDict_GetItemString(opts, "file"); /* borrowed */
        if (file == Py_None)
            file = NULL;
        end = PyDict_GetItemString(opts, "end");
        PyObject *fl = PyDict_GetItemString(opts, "flush");
        flush = fl ? PyObject_IsTrue(fl) : 0;
        if (flush < 0)
            return -1;
    }
    if (r->stream && r->stream != Py_None && !file) {
        file = r->stream;
        if (!opts)
            end = NULL;
    }
    else if (!opts) {
        /* print(line) */
        PyObject *print = PyDict_GetItemString(PyEval_GetBuiltins(), "print");
        if (!print) {
            PyErr_SetString(PyExc_RuntimeError, "builtins.print is missing");
            return -1;
        }
        res = PyObject_CallOneArg(print, line);
        Py_XDECREF(res);
        return res ? 0 : -1;
    }
    if (!file) {
        file = PySys_GetObject("stdout"); /* borrowed */
        if (!file || file == Py_None) {
            PyErr_SetString(PyExc_RuntimeError, "lost sys.stdout");
            return -1;
        }
    }
    Py_INCREF(file);
    int rc = -1;
    res = PyObject_CallMethodOneArg(file, pym_str.write, line);
    if (!res)
        goto done;
    Py_DECREF(res);
    if (end)
        res = PyObject_CallMethodOneArg(file, pym_str.write, end);
    else {
        PyObject *nl = PyUnicode_FromString("\n");
        res = nl ? PyObject_CallMethodOneArg(file, pym_str.write, nl) : NULL;
        Py_XDECREF(nl);
    }
    if (!res)
        goto done;
    Py_DECREF(res);
    if (flush) {
        res = PyObject_CallMethodNoArgs(file, pym_str.flush);
        if (!res)
            goto done;
        Py_DECREF(res);
    }
    rc = 0;
done:
    Py_DECREF(file);
    return rc;
}

int pym_print_lines(PyObject *lines)
{
    const pym_report plain = {0}; /* no stream, no options: print(line) */
    PyObject *it = PyObject_GetIter(lines), *line;
    if (!it)
        return -1;
    while ((line = PyIter_Next(it))) {
        int rc = pym_report_line(&plain, line);
        Py_DECREF(line);
        if (rc < 0)
            break;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

int pym_report_printf(const pym_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PyObject *line = PyUnicode_FromFormatV(fmt, ap);
    va_end(ap);
    if (!line)
        return -1;
    int rc = pym_report_line(r, line);
    Py_DECREF(line);
    return rc;
}

/* Python's '%*d' % (w, n) into buf (sizes and totals may pass 64 bits). */
static const char *num(char *buf, size_t len, Py_ssize_t w, pym_wsize n)
{
    return pym_wsize_str(buf, len, w > 64 ? 64 : (int)w, n);
}

/* ---- helpers --------------------------------------------------------- */

PyObject *pym_si(pym_wsize size)
{
    static const char units[] = "KMGPTE";
    if (size >= 1024) {
        double f = (double)size;
        for (int i = 0; units[i]; i++) {
            f /= 1024;
            if (f < 1024) {
                char buf[64];
                snprintf(buf, sizeof buf, " or %.1f %ciB", f, units[i]);
                return PyUnicode_FromString(buf);
            }
        }
    }
    return PyUnicode_FromString("");
}

/* str(size) + _SI(size) */
static PyObject *si2(pym_wsize size)
{
    PyObject *s = pym_si(size);
    if (!s)
        return NULL;
    char b[64];
    PyObject *r = PyUnicode_FromFormat("%s%U", pym_wsize_str(b, sizeof b, 0, size), s);
    Py_DECREF(s);
    return r;
}

PyObject *pym_claskey_str(PyObject *cls)
{
    PyObject *r = PyObject_Str(cls);
    if (!r)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(r);
    PyObject *out;
    if (n > 0 && PyUnicode_READ_CHAR(r, n - 1) == '>') {
        PyObject *head = PyUnicode_Substring(r, 0, n - 1);
        out = head ? PyUnicode_FromFormat("%U def>", head) : NULL;
        Py_XDECREF(head);
    }
    else {
        out = PyUnicode_FromFormat("%U def", r);
    }
    Py_DECREF(r);
    return out;
}

/* clip like _repr, then strip '<>' from both ends and drop quotes */
static PyObject *prepr_text(PyObject *text, Py_ssize_t clip)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *t = Py_NewRef(text);
    if (clip > 0 && n > clip && clip / 2 - 2 > 0) {
        Py_ssize_t h = clip / 2 - 2;
        PyObject *a = PyUnicode_Substring(text, 0, h), *b = PyUnicode_Substring(text, n - h, n);
        Py_SETREF(t, a && b ? PyUnicode_FromFormat("%U....%U", a, b) : NULL);
        Py_XDECREF(a);
        Py_XDECREF(b);
        if (!t)
            return NULL;
        n = PyUnicode_GET_LENGTH(t);
    }
    Py_ssize_t i = 0, j = n;
    while (i < j && (PyUnicode_READ_CHAR(t, i) == '<' || PyUnicode_READ_CHAR(t, i) == '>'))
        i++;
    while (j > i && (PyUnicode_READ_CHAR(t, j - 1) == '<' || PyUnicode_READ_CHAR(t, j - 1) == '>'))
        j--;
    PyObject *s = PyUnicode_Substring(t, i, j);
    Py_DECREF(t);
    if (!s)
        return NULL;
    PyObject *q = PyUnicode_FromString("'"), *e = PyUnicode_FromString("");
    PyObject *out = q && e ? PyUnicode_Replace(s, q, e, -1) : NULL;
    Py_XDECREF(q);
    Py_XDECREF(e);
    Py_DECREF(s);
    return out;
}

PyObject *pym_prepr(PyObject *obj, Py_ssize_t clip)
{
    PyObject *r = pym_repr_clip(obj, 0);
    if (!r)
        return NULL;
    PyObject *out = prepr_text(r, clip);
    Py_DECREF(r);
    return out;
}

PyObject *pym_prepr_key(uintptr_t key, Py_ssize_t clip)
{
    PyObject *o = pym_td_key_object(key);
    PyObject *r = (key & PYM_TD_CLASSKEY) ? pym_claskey_str(o) : pym_repr_clip(o, 0);
    if (!r)
        return NULL;
    PyObject *out = prepr_text(r, clip);
    Py_DECREF(r);
    return out;
}

/* Pympler's leng(obj) through the global typedefs; *has = 0 for None. */
static int leng_of(PyObject *obj, Py_ssize_t *n, int *has)
{
    pym_typedef *made = NULL;
    pym_td_opts o = {0, 0, 0, NULL};
    pym_typedef *td = pym_typedef_lookup(obj, &o, &made);
    if (!td)
        return -1;
    int rc = pym_leng_of(td, obj, n, has);
    pym_typedef_free(made);
    return rc;
}

PyObject *pym_lengstr(PyObject *obj)
{
    Py_ssize_t n = 0;
    int has = 0;
    if (leng_of(obj, &n, &has) < 0)
        return NULL;
    if (!has)
        return PyUnicode_FromString("");
    Py_ssize_t len = pym_safe_len(obj);
    if (len < 0)
        return NULL;
    return PyUnicode_FromFormat(" leng %zd%s", n, n > len ? "!" : "");
}

static PyObject *deref(PyObject *ref, int weak)
{
    if (!ref)
        return Py_NewRef(Py_None);
    if (weak)
        return pym_weakref_get(ref);
    return Py_NewRef(ref);
}

/* ---- print_summary --------------------------------------------------- */

int pym_report_summary(const pym_report *r, Py_ssize_t w, Py_ssize_t nobjs)
{
    pym_sizer *z = r->z;
    char b[64];
    Py_ssize_t sized, seen, dup;
    pym_sizer_counts(z, &sized, &seen, &dup);
    PyObject *si = pym_si(z->total);
    if (!si)
        return -1;
    int rc = pym_report_printf(r, "%s bytes%U%s", num(b, sizeof b, w, z->total), si, r->incl);
    Py_DECREF(si);
    if (rc < 0)
        return -1;
    if (z->mask && pym_report_printf(r, "%s byte aligned", num(b, sizeof b, w, z->mask + 1)) < 0)
        return -1;
    if (pym_report_printf(r, "%s byte sizeof(void*)", num(b, sizeof b, w, (Py_ssize_t)sizeof(void *))) < 0 ||
        pym_report_printf(r, "%s object%s given", num(b, sizeof b, w, nobjs), plural(nobjs)) < 0 ||
        pym_report_printf(r, "%s object%s sized", num(b, sizeof b, w, sized), plural(sized)) < 0)
        return -1;
    if (PyList_GET_SIZE(z->excl_keys)) {
        Py_ssize_t n = 0;
        size_t pos = 0;
        uintptr_t k;
        int64_t c;
        while (pym_ptrmap_next(z->excl, &pos, &k, &c))
            n += (Py_ssize_t)c;
        if (pym_report_printf(r, "%s object%s excluded", num(b, sizeof b, w, n), plural(n)) < 0)
            return -1;
    }
    if (pym_report_printf(r, "%s object%s seen", num(b, sizeof b, w, seen), plural(seen)) < 0)
        return -1;
    if (z->ranked > 0 &&
        pym_report_printf(r, "%s object%s ranked", num(b, sizeof b, w, z->ranked), plural(z->ranked)) < 0)
        return -1;
    if (pym_report_printf(r, "%s object%s missed", num(b, sizeof b, w, z->missed), plural(z->missed)) < 0 ||
        pym_report_printf(r, "%s duplicate%s", num(b, sizeof b, w, dup), plural(dup)) < 0)
        return -1;
    if (z->depth > 0 && pym_report_printf(r, "%s deepest recursion", num(b, sizeof b, w, z->depth)) < 0)
        return -1;
    return 0;
}

/* ---- print_largest --------------------------------------------------- */

/* id2x.get(id, '?'): the last rank with that id (dict comprehension) */
static PyObject *rank_ix(const pym_sizer *z, uintptr_t id)
{
    for (size_t i = z->nranks; i-- > 0;) {
        if (z->ranks[i].id == id)
            return PyUnicode_FromFormat("%zu", i);
    }
    return PyUnicode_FromString("?");
}

static PyObject *rank_format(const pym_sizer *z, const pym_rank *rk)
{
    PyObject *o = deref(rk->objref, rk->weak), *k = NULL, *rp = NULL, *ls = NULL, *ix = NULL,
             *pix = NULL, *out = NULL;
    if (!(k = pym_prepr_key(rk->key, z->clip)) || !(rp = pym_repr_clip(o, z->clip)) ||
        !(ls = pym_lengstr(o)) || !(ix = rank_ix(z, rk->id)))
        goto done;
    if (rk->pid && !(pix = rank_ix(z, rk->pid)))
        goto done;
    char at[48] = "";
    if (rk->deep > 0)
        snprintf(at, sizeof at, " (at %zd)", rk->deep);
    if (pix)
        out = PyUnicode_FromFormat("%U: %U%U, ix %U%s, pix %U", k, rp, ls, ix, at, pix);
    else
        out = PyUnicode_FromFormat("%U: %U%U, ix %U%s", k, rp, ls, ix, at);
done:
    Py_DECREF(o);
    Py_XDECREF(k);
    Py_XDECREF(rp);
    Py_XDECREF(ls);
    Py_XDECREF(ix);
    Py_XDECREF(pix);
    return out;
}

int pym_report_largest(const pym_report *r, Py_ssize_t w, Py_ssize_t cutoff)
{
    pym_sizer *z = r->z;
    Py_ssize_t c = cutoff ? cutoff : z->cutoff;
    Py_ssize_t n = (Py_ssize_t)z->nranks;
    if (c < 0)
        c = 0;
    if (c < n)
        n = c;
    Py_ssize_t s = z->above;
    if (n <= 0 || s <= 0)
        return 0;
    char b[64];
    PyObject *si = pym_si(s);
    if (!si)
        return -1;
    int rc = pym_report_printf(r, "\n%s largest object%s (of %zd over %zd bytes%U)", num(b, sizeof b, w, n),
                               plural(n), z->ranked, s, si);
    Py_DECREF(si);
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        const pym_rank *rk = &z->ranks[i];
        PyObject *t = rank_format(z, rk), *ssi = t ? pym_si(rk->size) : NULL;
        if (!t || !ssi)
            rc = -1;
        else
            rc = pym_report_printf(r, "%s bytes%U: %U", num(b, sizeof b, w, rk->size), ssi, t);
        Py_XDECREF(t);
        Py_XDECREF(ssi);
    }
    return rc;
}

/* ---- print_profiles -------------------------------------------------- */

typedef struct {
    const pym_prof *p;
    PyObject *name; /* _prepr(key) */
    size_t order;   /* first-seen order */
} prof_row;

/* Descending by (total, number); ties keep first-seen order, as Pympler's
 * sorted(..., reverse=True) does (its profiles never compare equal names). */
static int row_cmp(const void *a, const void *b)
{
    const prof_row *x = a, *y = b;
    if (x->p->total != y->p->total)
        return x->p->total < y->p->total ? 1 : -1;
    if (x->p->number != y->p->number)
        return x->p->number < y->p->number ? 1 : -1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static PyObject *prof_text(const pym_sizer *z, const pym_prof *p)
{
    pym_wsize avg = p->number > 1 ? (pym_wsize)((double)p->total / (double)p->number) : p->total;
    PyObject *o = deref(p->objref, p->weak), *tot = NULL, *a = NULL, *h = NULL, *rp = NULL,
             *ls = NULL, *out = NULL;
    if (!(tot = si2(p->total)) || !(a = si2(avg)) || !(h = si2(p->high)) ||
        !(rp = pym_repr_clip(o, z->clip)) || !(ls = pym_lengstr(o)))
        goto done;
    if (z->total) {
        char pct[64];
        if (z->total > 0)
            snprintf(pct, sizeof pct, " (%.0f%%)", (double)p->total * 100.0 / (double)z->total);
        else
            snprintf(pct, sizeof pct, " (n/a)");
        PyObject *t2 = PyUnicode_FromFormat("%U%s", tot, pct);
        Py_SETREF(tot, t2);
        if (!tot)
            goto done;
    }
    out = PyUnicode_FromFormat("object%s:  %U, %U, %U:  %U%U", p->number > 1 ? "s" : "", tot, a, h, rp, ls);
done:
    Py_DECREF(o);
    Py_XDECREF(tot);
    Py_XDECREF(a);
    Py_XDECREF(h);
    Py_XDECREF(rp);
    Py_XDECREF(ls);
    return out;
}

int pym_report_profiles(const pym_report *r, Py_ssize_t w, Py_ssize_t cutoff)
{
    pym_sizer *z = r->z;
    size_t nz = 0;
    for (size_t i = 0; i < z->nprofs; i++)
        nz += (z->profs[i].total > 0 || z->profs[i].number > 1);
    int all = (z->nprofs - nz) < 9;
    size_t nt = all ? z->nprofs : nz;
    if (!nt)
        return 0;
    prof_row *rows = calloc(nt, sizeof *rows);
    if (!rows) {
        PyErr_NoMemory();
        return -1;
    }
    int rc = -1;
    size_t k = 0;
    for (size_t i = 0; i < z->nprofs; i++) {
        const pym_prof *p = &z->profs[i];
        if (!all && !(p->total > 0 || p->number > 1))
            continue;
        rows[k].p = p;
        rows[k].order = k;
        if (!(rows[k].name = pym_prepr_key(p->key, z->clip)))
            goto done;
        k++;
    }
    qsort(rows, nt, sizeof *rows, row_cmp);
    Py_ssize_t c = 0;
    pym_wsize C = 0;
    const char *s = "";
    if (z->total) {
        s = " (% of grand total)";
        c = cutoff ? cutoff : z->cutoff;
        C = (pym_wsize)((double)c * 0.01 * (double)z->total);
    }
    char b[64];
    if (pym_report_printf(r, "\n%s profile%s:  total%s, average, and largest flat size%s:  largest object",
                          num(b, sizeof b, w, (Py_ssize_t)nt), plural((Py_ssize_t)nt), s, r->incl) < 0)
        goto done;
    Py_ssize_t left = (Py_ssize_t)nt;
    pym_report plain = *r;
    plain.p3opts = NULL;
    for (size_t i = 0; i < nt; i++) {
        PyObject *t = prof_text(z, rows[i].p);
        if (!t)
            goto done;
        int e = pym_report_printf(r, "%s %U %U", num(b, sizeof b, w, rows[i].p->number), rows[i].name, t);
        Py_DECREF(t);
        if (e < 0)
            goto done;
        left--;
        if (left > 1 && rows[i].p->total < C) {
            char line[128];
            snprintf(line, sizeof line, "%+*zd profiles below cutoff (%.0f%%)", (int)w, left, (double)c);
            if (pym_report_printf(&plain, "%s", line) < 0)
                goto done;
            break;
        }
    }
    Py_ssize_t zero = (Py_ssize_t)(z->nprofs - nt);
    if (zero > 0) {
        char line[128];
        snprintf(line, sizeof line, "%+*zd 'zero' object%s", (int)w, zero, plural(zero));
        if (pym_report_printf(r, "%s", line) < 0)
            goto done;
    }
    rc = 0;
done:
    for (size_t i = 0; i < nt; i++)
        Py_XDECREF(rows[i].name);
    free(rows);
    return rc;
}

/* ---- print_typedefs -------------------------------------------------- */

typedef struct {
    PyObject *name;
    const pym_typedef *td;
} td_row;

static int td_row_cmp(const void *a, const void *b)
{
    return PyUnicode_Compare(((const td_row *)a)->name, ((const td_row *)b)->name);
}

static PyObject *typedef_str(const pym_typedef *td)
{
    const char *l = pym_leng_name(td->leng), *f = pym_refs_name(td->refs);
    return PyUnicode_FromFormat("%zd, %zd, %s, %s%s", td->base, td->item, l ? l : "n/a", f ? f : "n/a",
                                td->both ? "" : ", (code only)");
}

static int typedefs_of_kind(const pym_report *r, Py_ssize_t w, int kind)
{
    pym_sizer *z = r->z;
    pym_tdtab *tabs[2] = {pym_td_global(), z->dynamic};
    size_t cap = pym_tdtab_size(tabs[0]) + pym_tdtab_size(tabs[1]), n = 0;
    td_row *rows = calloc(cap ? cap : 1, sizeof *rows);
    if (!rows) {
        PyErr_NoMemory();
        return -1;
    }
    int rc = -1;
    for (int t = 0; t < 2; t++) {
        size_t pos = 0;
        uintptr_t key;
        pym_typedef *td;
        while (pym_tdtab_next(tabs[t], &pos, &key, &td)) {
            if (td->kind != kind || !(td->both || z->code))
                continue;
            if (!(rows[n].name = pym_prepr_key(key, z->clip)))
                goto done;
            rows[n++].td = td;
        }
    }
    if (n) {
        qsort(rows, n, sizeof *rows, td_row_cmp);
        char b[64];
        if (pym_report_printf(r, "\n%s %s type%s:  basicsize, itemsize, _len_(), _refs()",
                              num(b, sizeof b, w, (Py_ssize_t)n), pym_kind_name(kind), plural((Py_ssize_t)n)) < 0)
            goto done;
        for (size_t i = 0; i < n; i++) {
            PyObject *s = typedef_str(rows[i].td);
            if (!s)
                goto done;
            snprintf(b, sizeof b, "%*s", (int)w, "");
            int e = pym_report_printf(r, "%s %U:  %U", b, rows[i].name, s);
            Py_DECREF(s);
            if (e < 0)
                goto done;
        }
    }
    rc = 0;
done:
    for (size_t i = 0; i < n; i++)
        Py_XDECREF(rows[i].name);
    free(rows);
    return rc;
}

int pym_report_typedefs(const pym_report *r, Py_ssize_t w)
{
    /* Pympler iterates a set of the kind names, whose order depends on the
     * string hash seed; this is its order under PYTHONHASHSEED=0. */
    static const int order[] = {PYM_KIND_DERIVED, PYM_KIND_IGNORED, PYM_KIND_DYNAMIC, PYM_KIND_STATIC,
                                PYM_KIND_INFERRED};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        if (typedefs_of_kind(r, w, order[i]) < 0)
            return -1;
    }
    if (!pym_dict_types)
        return 0;
    Py_ssize_t t = 0, pos = 0;
    PyObject *m, *v;
    while (PyDict_Next(pym_dict_types, &pos, &m, &v)) {
        Py_ssize_t n = PyObject_Length(v);
        if (n < 0)
            return -1;
        t += n;
    }
    if (!t)
        return 0;
    char b[64];
    if (pym_report_printf(r, "\n%s dict/-like classes:", num(b, sizeof b, w, t)) < 0)
        return -1;
    snprintf(b, sizeof b, "%*s", (int)w, "");
    pos = 0;
    while (PyDict_Next(pym_dict_types, &pos, &m, &v)) {
        PyObject *s = pym_prepr(v, r->z->clip);
        if (!s)
            return -1;
        int e = pym_report_printf(r, "%s %S:  %U", b, m, s);
        Py_DECREF(s);
        if (e < 0)
            return -1;
    }
    return 0;
}
