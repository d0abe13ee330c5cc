/* pympler._testcheck: the checks of the pytest plugin (pympler/pytest_plugin.py,
 * docs/pytest.md), in C.
 *
 * Cycles.  Before a test's body the collector's objects are frozen
 * (gc.freeze(): moved to the permanent generation, which collections skip),
 * so that the collection after the body -- GarbageGraph's, with
 * DEBUG_SAVEALL -- looks only at objects made since: earlier garbage is not
 * charged to the test, and neither collection walks the whole heap (two full
 * collections per test would cost more than most tests).  gc.unfreeze()
 * follows.  When the program had frozen objects of its own, the body is
 * preceded by a full collection instead, and nothing is frozen or unfrozen.
 *
 * Leaks.  After the body has run once (caches fill), it runs `runs - 1` times
 * more, with a census of the live objects (muppy.get_objects'; it starts
 * with a full collection) after each; a type whose count grows at every run
 * is leaking.  For one object of each such type that is new since the
 * previous census, the chain of references from a root -- a module global, a
 * class attribute or a frame -- is found breadth-first over the referrers
 * (lib/py/referrers.h), so the nearest root is named.
 */
#include "census.h"
#include "module.h"
#include "ptrmap.h"
#include "pyrt.h"
#include "referrers.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

PyMODINIT_FUNC PyInit__testcheck(void);

#define DEFAULT_RUNS 4
#define CHAIN_LEVELS 12 /* references searched from the leaked object back to a root */
#define MAX_LEAK_TYPES 10

static PyObject *gc_call(const char *name, PyObject *arg)
{
    PyObject *gc = PyImport_ImportModule("gc");
    if (!gc)
        return NULL;
    PyObject *r = arg ? PyObject_CallMethod(gc, name, "O", arg) : PyObject_CallMethod(gc, name, NULL);
    Py_DECREF(gc);
    return r;
}

static int gc_do(const char *name)
{
    PyObject *r = gc_call(name, NULL);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* ---- cycles ---------------------------------------------------------------- */

/* begin_cycles() -> token: make the collection after the body see only what
 * the body makes.  True when we froze the heap (end_cycles unfreezes), False
 * when the program had frozen objects and a full collection was made. */
static PyObject *tc_begin_cycles(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    PyObject *n = gc_call("get_freeze_count", NULL);
    if (!n)
        return NULL;
    long frozen = PyLong_AsLong(n);
    Py_DECREF(n);
    if (frozen == -1 && PyErr_Occurred())
        return NULL;
    if (frozen > 0)
        return gc_do("collect") < 0 ? NULL : Py_NewRef(Py_False);
    return gc_do("freeze") < 0 ? NULL : Py_NewRef(Py_True);
}

/* The garbage report's text without its last line about a program's exit
 * status, which a test does not have. */
static PyObject *without_exit_line(PyObject *text)
{
    PyObject *needle = PyUnicode_FromString("\nProgram exit status:");
    if (!needle)
        return NULL;
    Py_ssize_t at = PyUnicode_Find(text, needle, 0, PyUnicode_GET_LENGTH(text), -1);
    Py_DECREF(needle);
    if (at == -2)
        return NULL;
    return at < 0 ? Py_NewRef(text) : PyUnicode_Substring(text, 0, at + 1);
}

/* end_cycles(token, nodeid) -> None, or (text, json, graph) of the reference
 * cycles the body left for the collector (GarbageGraph(restore=True): the
 * collector's flags and gc.garbage as they were).  Always undoes begin_cycles. */
static PyObject *tc_end_cycles(PyObject *Py_UNUSED(m), PyObject *args)
{
    PyObject *token, *nodeid, *graph = NULL, *report = NULL, *res = NULL, *text = NULL;
    if (!PyArg_ParseTuple(args, "OU:end_cycles", &token, &nodeid))
        return NULL;
    int froze = PyObject_IsTrue(token);
    if (froze < 0)
        return NULL;
    PyObject *ctor = pym_module_attr("pympler.garbagegraph", "GarbageGraph");
    if (ctor) {
        PyObject *empty = PyTuple_New(0), *kw = Py_BuildValue("{sO}", "restore", Py_True);
        if (empty && kw)
            graph = PyObject_Call(ctor, empty, kw);
        Py_XDECREF(empty);
        Py_XDECREF(kw);
        Py_DECREF(ctor);
    }
    /* the heap is the program's again, whatever happened above */
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    int unfrozen = froze ? gc_do("unfreeze") : 0;
    if (et) {
        if (unfrozen < 0)
            PyErr_Clear();
        PyErr_Restore(et, ev, tb);
        goto done;
    }
    if (unfrozen < 0 || !graph)
        goto done;
    PyObject *f = pym_module_attr("pympler._cli", "_garbage_report");
    if (!f)
        goto done;
    PyObject *a = Py_BuildValue("(O)", graph), *kw = Py_BuildValue("{sssO}", "kind", "test", "target", nodeid);
    report = a && kw ? PyObject_Call(f, a, kw) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(kw);
    Py_DECREF(f);
    if (!report)
        goto done;
    Py_ssize_t ncycles = PyLong_AsSsize_t(PyTuple_GET_ITEM(report, 2));
    if (ncycles == -1 && PyErr_Occurred())
        goto done;
    if (ncycles == 0) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (!(text = without_exit_line(PyTuple_GET_ITEM(report, 0))))
        goto done;
    PyObject *msg = PyUnicode_FromFormat("this test left %zd reference cycle%s for the garbage collector:\n\n%U",
                                         ncycles, ncycles == 1 ? "" : "s", text);
    if (msg)
        res = Py_BuildValue("(NOO)", msg, PyTuple_GET_ITEM(report, 1), graph); /* N: msg is the tuple's */
done:
    Py_XDECREF(graph);
    Py_XDECREF(report);
    Py_XDECREF(text);
    return res;
}

/* ---- leaks: censuses -------------------------------------------------------- */

/* One census: the objects (owned) and their count per type. */
typedef struct {
    pym_objvec objs;
    pym_ptrmap *per_type; /* type address -> count */
    pym_ptrmap *ids;      /* object address -> 1 */
} census_t;

static void census_free(census_t *c)
{
    pym_objvec_clear(&c->objs);
    pym_ptrmap_free(&c->per_type);
    pym_ptrmap_free(&c->ids);
}

static int census_take(census_t *c)
{
    pym_census_opts opts = {.collect = 2, .remove_dups = 1};
    memset(c, 0, sizeof *c);
    if (!(c->per_type = pym_ptrmap_new()) || !(c->ids = pym_ptrmap_new())) {
        PyErr_NoMemory();
        return -1;
    }
    if (pym_census_take(&opts, &c->objs) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < c->objs.n; i++) {
        PyObject *o = c->objs.items[i];
        int64_t n = 0;
        if (pym_ptrmap_get_or_insert(c->per_type, (uintptr_t)Py_TYPE(o), 1, &n) < 0 ||
            (n && pym_ptrmap_set(c->per_type, (uintptr_t)Py_TYPE(o), n + 1) < 0) ||
            pym_ptrmap_set(c->ids, (uintptr_t)o, 1) < 0) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

static int64_t count_of(const census_t *c, PyTypeObject *tp)
{
    int64_t n = 0;
    return pym_ptrmap_get(c->per_type, (uintptr_t)tp, &n) ? n : 0;
}

/* "module.Qualname", or the bare name for builtins. */
static PyObject *type_name(PyTypeObject *tp)
{
    PyObject *qual = PyObject_GetAttrString((PyObject *)tp, "__qualname__");
    PyObject *mod = qual ? PyObject_GetAttrString((PyObject *)tp, "__module__") : NULL;
    PyObject *r = NULL;
    if (!qual || !mod || !PyUnicode_Check(mod) || !PyUnicode_Check(qual)) {
        PyErr_Clear();
        r = PyUnicode_FromString(tp->tp_name);
    }
    else if (PyUnicode_CompareWithASCIIString(mod, "builtins") == 0)
        r = Py_NewRef(qual);
    else
        r = PyUnicode_FromFormat("%U.%U", mod, qual);
    Py_XDECREF(qual);
    Py_XDECREF(mod);
    return r;
}

/* ---- leaks: the chain from a root ------------------------------------------ */

/* sys.modules as {id(module.__dict__): name}, in a ptrmap to an index of names. */
typedef struct {
    pym_ptrmap *dicts; /* dict address -> index in names */
    PyObject *names;   /* list of module names */
} module_dicts;

static int module_dicts_build(module_dicts *md)
{
    PyObject *mods = PySys_GetObject("modules"), *items = NULL; /* borrowed */
    md->dicts = pym_ptrmap_new();
    md->names = PyList_New(0);
    if (!md->dicts || !md->names) {
        PyErr_NoMemory();
        return -1;
    }
    if (!mods || !PyDict_Check(mods))
        return 0;
    if (!(items = PyDict_Items(mods)))
        return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i), *mod = PyTuple_GET_ITEM(kv, 1);
        if (!PyModule_Check(mod) || !PyUnicode_Check(PyTuple_GET_ITEM(kv, 0)))
            continue;
        PyObject *d = PyModule_GetDict(mod); /* borrowed */
        if (!d || PyList_Append(md->names, PyTuple_GET_ITEM(kv, 0)) < 0 ||
            pym_ptrmap_set(md->dicts, (uintptr_t)d, PyList_GET_SIZE(md->names) - 1) < 0) {
            Py_DECREF(items);
            if (!PyErr_Occurred())
                PyErr_NoMemory();
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

static void module_dicts_free(module_dicts *md)
{
    pym_ptrmap_free(&md->dicts);
    Py_CLEAR(md->names);
}

/* The first key of dict d whose value is v, as str (repr for non-str keys);
 * "?" when none.  New reference or NULL. */
static PyObject *key_of(PyObject *d, PyObject *v)
{
    PyObject *k, *val;
    Py_ssize_t pos = 0;
    if (PyDict_Check(d))
        while (PyDict_Next(d, &pos, &k, &val))
            if (val == v)
                return PyUnicode_Check(k) ? Py_NewRef(k) : pym_repr_clip(k, 40);
    return PyUnicode_FromString("?");
}

/* The root's label, or NULL with no exception when obj is no root.  child is
 * the object obj refers to on the way to the leaked object, grandchild the
 * one after it (NULL at the end); *skip is how many of those the label names. */
static PyObject *root_label(const module_dicts *md, PyObject *obj, PyObject *child, PyObject *grandchild, int *skip)
{
    int64_t idx;
    *skip = 0;
    if (PyDict_Check(obj) && pym_ptrmap_get(md->dicts, (uintptr_t)obj, &idx)) {
        PyObject *key = key_of(obj, child);
        PyObject *r = key ? PyUnicode_FromFormat("%U.%U (module global)", PyList_GET_ITEM(md->names, idx), key) : NULL;
        Py_XDECREF(key);
        return r;
    }
    if (PyType_Check(obj) && child && grandchild && PyDict_Check(child) &&
        ((PyTypeObject *)obj)->tp_dict == child) {
        PyObject *name = type_name((PyTypeObject *)obj), *key = name ? key_of(child, grandchild) : NULL;
        PyObject *r = key ? PyUnicode_FromFormat("%U.%U (class attribute)", name, key) : NULL;
        Py_XDECREF(name);
        Py_XDECREF(key);
        *skip = 1; /* the class's __dict__ */
        return r;
    }
    if (PyFrame_Check(obj)) {
        PyCodeObject *code = PyFrame_GetCode((PyFrameObject *)obj);
        PyObject *r = PyUnicode_FromFormat("%U() at %U:%d (frame)", code->co_name, code->co_filename,
                                           PyFrame_GetLineNumber((PyFrameObject *)obj));
        Py_DECREF(code);
        return r;
    }
    return NULL;
}

/* The chain from the nearest root to obj: (labels, objects), objects from
 * the root's value down to obj.  No root within CHAIN_LEVELS: labels are the
 * referrer types seen last. */
static PyObject *chain_of(PyObject *obj, const module_dicts *md)
{
    pym_referrers *r = pym_referrers_new();
    pym_ptrmap *parent = pym_ptrmap_new(); /* referrer -> the object it refers to, towards obj */
    PyObject **queue = NULL, *labels = NULL, *objects = NULL, *res = NULL, *root = NULL, *label = NULL;
    size_t head = 0, tail = 0, cap = 1024;
    int skip = 0;
    if (!r || !parent || !(queue = PyMem_Malloc(cap * sizeof *queue))) {
        PyErr_NoMemory();
        goto done;
    }
    if (pym_referrers_collect(r, obj, CHAIN_LEVELS, &PyModule_Type) < 0)
        goto done;
    queue[tail++] = obj;
    if (pym_ptrmap_set(parent, (uintptr_t)obj, 0) < 0)
        goto nomem;
    while (head < tail && !root) {
        PyObject *cur = queue[head++], *const *refs;
        Py_ssize_t n = pym_referrers_of(r, cur, &refs);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *ref = refs[i];
            int64_t seen;
            if (pym_ptrmap_get(parent, (uintptr_t)ref, &seen) || ref == (PyObject *)queue)
                continue;
            if (pym_ptrmap_set(parent, (uintptr_t)ref, (int64_t)(uintptr_t)cur) < 0)
                goto nomem;
            int64_t gp = 0;
            pym_ptrmap_get(parent, (uintptr_t)cur, &gp);
            if ((label = root_label(md, ref, cur, (PyObject *)(uintptr_t)gp, &skip))) {
                root = ref;
                break;
            }
            if (PyErr_Occurred())
                goto done;
            if (tail == cap) {
                PyObject **q = PyMem_Realloc(queue, 2 * cap * sizeof *queue);
                if (!q)
                    goto nomem;
                queue = q;
                cap *= 2;
            }
            queue[tail++] = ref;
        }
    }
    if (!(labels = PyList_New(0)) || !(objects = PyList_New(0)))
        goto done;
    if (!root) {
        if (!(label = PyUnicode_FromFormat("(no module global, class attribute or frame within %d references)",
                                           CHAIN_LEVELS)))
            goto done;
    }
    if (PyList_Append(labels, label) < 0)
        goto done;
    /* down from the root's child to obj */
    int64_t next = 0;
    PyObject *cur = root;
    if (root)
        pym_ptrmap_get(parent, (uintptr_t)root, &next);
    else
        next = (int64_t)(uintptr_t)obj;
    for (; next; ) {
        cur = (PyObject *)(uintptr_t)next;
        if (skip > 0)
            skip--;
        else {
            const char *tn_full = Py_TYPE(cur)->tp_name, *dot = strrchr(tn_full, '.');
            PyObject *tn = PyUnicode_FromString(dot ? dot + 1 : tn_full);
            if (!tn || PyList_Append(labels, tn) < 0 || PyList_Append(objects, cur) < 0) {
                Py_XDECREF(tn);
                goto done;
            }
            Py_DECREF(tn);
        }
        if (cur == obj)
            break;
        next = 0;
        pym_ptrmap_get(parent, (uintptr_t)cur, &next);
    }
    res = PyTuple_Pack(2, labels, objects);
    goto done;
nomem:
    PyErr_NoMemory();
done:
    PyMem_Free(queue);
    pym_ptrmap_free(&parent);
    pym_referrers_free(&r);
    Py_XDECREF(labels);
    Py_XDECREF(objects);
    Py_XDECREF(label);
    return res;
}

/* ---- leaks ------------------------------------------------------------------ */

/* An object of type tp in `now` that was not in `before`, else the last of
 * that type (borrowed from now), or NULL. */
static PyObject *new_sample(const census_t *now, const census_t *before, PyTypeObject *tp)
{
    PyObject *last = NULL;
    for (Py_ssize_t i = now->objs.n; i-- > 0;) {
        PyObject *o = now->objs.items[i];
        if (Py_TYPE(o) != tp)
            continue;
        if (!pym_ptrmap_get(before->ids, (uintptr_t)o, NULL))
            return o;
        if (!last)
            last = o;
    }
    return last;
}

/* leaks(call, runs=4, nodeid='') -> None or (text, findings): call() is the
 * test's body, already run once; it runs runs - 1 more times. */
static PyObject *tc_leaks(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"call", "runs", "nodeid", NULL};
    PyObject *call, *nodeid = NULL, *findings = NULL, *res = NULL, *text = NULL;
    Py_ssize_t runs = DEFAULT_RUNS;
    census_t cs[2];
    int64_t (*counts)[MAX_LEAK_TYPES] = NULL;
    memset(cs, 0, sizeof cs);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|nU:leaks", kwlist, &call, &runs, &nodeid))
        return NULL;
    if (!PyCallable_Check(call))
        return PyErr_Format(PyExc_TypeError, "leaks() needs the test's body as a callable, not %.100s",
                            Py_TYPE(call)->tp_name);
    if (runs < 3 || runs > 1000)
        return PyErr_Format(PyExc_ValueError, "pympler_leaks(runs=%zd): runs must be 3 to 1000 (the first run "
                            "fills caches; two more show growth)", runs);

    /* The types that grew from the first census to the second are the
     * candidates; each later run must grow them again. */
    PyTypeObject *cand[MAX_LEAK_TYPES];
    int ncand = 0;
    module_dicts md = {0};
    if (census_take(&cs[0]) < 0)
        goto done;
    counts = PyMem_Calloc((size_t)runs, sizeof *counts);
    if (!counts) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t run = 1; run < runs; run++) {
        census_t *prev = &cs[(run - 1) % 2], *now = &cs[run % 2];
        PyObject *r = PyObject_CallNoArgs(call);
        if (!r)
            goto done;
        Py_DECREF(r);
        if (run > 1)
            census_free(now);
        if (census_take(now) < 0)
            goto done;
        if (run == 1) {
            /* candidates: types that grew, largest growth first */
            size_t pos = 0;
            uintptr_t key;
            int64_t n;
            while (pym_ptrmap_next(now->per_type, &pos, &key, &n)) {
                int64_t d = n - count_of(prev, (PyTypeObject *)key);
                if (d <= 0)
                    continue;
                int at = ncand < MAX_LEAK_TYPES ? ncand++ : MAX_LEAK_TYPES;
                if (at == MAX_LEAK_TYPES) {
                    /* full: replace the smallest growth if this one is bigger */
                    int min = 0;
                    for (int k = 1; k < ncand; k++)
                        if (counts[1][k] - counts[0][k] < counts[1][min] - counts[0][min])
                            min = k;
                    if (d <= counts[1][min] - counts[0][min])
                        continue;
                    at = min;
                }
                cand[at] = (PyTypeObject *)key;
                counts[0][at] = count_of(prev, (PyTypeObject *)key);
                counts[1][at] = n;
            }
        } else {
            for (int k = 0; k < ncand; k++)
                counts[run][k] = count_of(now, cand[k]);
        }
    }
    if (!(findings = PyList_New(0)) || module_dicts_build(&md) < 0)
        goto done;
    census_t *last = &cs[(runs - 1) % 2], *before = &cs[(runs - 2) % 2];
    for (int k = 0; k < ncand; k++) {
        int growing = 1;
        for (Py_ssize_t run = 1; run < runs && growing; run++)
            growing = counts[run][k] > counts[run - 1][k];
        if (!growing)
            continue;
        PyObject *sample = new_sample(last, before, cand[k]);
        PyObject *name = type_name(cand[k]), *cl = PyList_New(0), *gl = PyList_New(0), *chain = NULL, *f = NULL;
        for (Py_ssize_t run = 0; cl && gl && run < runs; run++) {
            PyObject *c = PyLong_FromLongLong(counts[run][k]);
            PyObject *g = run ? PyLong_FromLongLong(counts[run][k] - counts[run - 1][k]) : NULL;
            if (!c || PyList_Append(cl, c) < 0 || (run && (!g || PyList_Append(gl, g) < 0)))
                Py_CLEAR(cl);
            Py_XDECREF(c);
            Py_XDECREF(g);
        }
        if (name && cl && gl && sample && (chain = chain_of(sample, &md)))
            f = Py_BuildValue("{sOsOsOsOsO}", "type", name, "counts", cl, "growth", gl, "chain",
                              PyTuple_GET_ITEM(chain, 0), "objects", PyTuple_GET_ITEM(chain, 1));
        Py_XDECREF(name);
        Py_XDECREF(cl);
        Py_XDECREF(gl);
        Py_XDECREF(chain);
        if (!f || PyList_Append(findings, f) < 0) {
            Py_XDECREF(f);
            goto done;
        }
        Py_DECREF(f);
    }
    if (PyList_GET_SIZE(findings) == 0) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    /* the failure's text */
    if (!(text = PyUnicode_FromFormat("this test leaks: each run of its body keeps more objects alive "
                                      "(%zd runs; the first fills caches)\n",
                                      runs)))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(findings); i++) {
        PyObject *f = PyList_GET_ITEM(findings, i);
        PyObject *sep = PyUnicode_FromString(" -> ");
        PyObject *chain = sep ? PyUnicode_Join(sep, PyDict_GetItemString(f, "chain")) : NULL;
        PyObject *cl = PyDict_GetItemString(f, "counts"), *gl = PyDict_GetItemString(f, "growth");
        PyObject *gs = PyUnicode_FromString(""), *line = NULL;
        int same = 1;
        for (Py_ssize_t j = 1; j < PyList_GET_SIZE(gl); j++)
            same = same && PyObject_RichCompareBool(PyList_GET_ITEM(gl, j), PyList_GET_ITEM(gl, 0), Py_EQ) == 1;
        /* "+1 per run (alive: 1, 2, 3, 4)", or each run's growth when it varies */
        if (gs && same)
            Py_SETREF(gs, PyUnicode_FromFormat("+%S per run", PyList_GET_ITEM(gl, 0)));
        for (Py_ssize_t j = 0; gs && !same && j < PyList_GET_SIZE(gl); j++)
            Py_SETREF(gs, PyUnicode_FromFormat("%U%s+%S", gs, j ? ", " : "", PyList_GET_ITEM(gl, j)));
        Py_SETREF(gs, gs ? PyUnicode_FromFormat("%U (alive after each run:", gs) : NULL);
        for (Py_ssize_t j = 0; gs && j < PyList_GET_SIZE(cl); j++)
            Py_SETREF(gs, PyUnicode_FromFormat("%U%s%S", gs, j ? ", " : " ", PyList_GET_ITEM(cl, j)));
        if (gs)
            line = PyUnicode_FromFormat("\n  %U: %U)\n    kept alive by %U\n",
                                        PyDict_GetItemString(f, "type"), gs, chain);
        Py_XDECREF(sep);
        Py_XDECREF(chain);
        Py_XDECREF(gs);
        if (!line) {
            Py_CLEAR(text);
            goto done;
        }
        PyObject *t = PyUnicode_Concat(text, line);
        Py_DECREF(line);
        Py_SETREF(text, t);
        if (!text)
            goto done;
    }
    res = PyTuple_Pack(2, text, findings);
done:
    census_free(&cs[0]);
    census_free(&cs[1]);
    module_dicts_free(&md);
    PyMem_Free(counts);
    Py_XDECREF(findings);
    Py_XDECREF(text);
    return res;
}

/* ---- artifacts ------------------------------------------------------------- */

/* check_artifacts(dir) -> None, or the reason it cannot be written (str). */
static PyObject *tc_check_artifacts(PyObject *Py_UNUSED(m), PyObject *dir)
{
    PyObject *os = PyImport_ImportModule("os"), *r = NULL, *res = NULL;
    if (!os)
        return NULL;
    PyObject *kw = Py_BuildValue("{sO}", "exist_ok", Py_True), *a = Py_BuildValue("(O)", dir);
    PyObject *makedirs = PyObject_GetAttrString(os, "makedirs");
    if (kw && a && makedirs && (r = PyObject_Call(makedirs, a, kw))) {
        /* writable: a probe file made and removed */
        PyObject *path = PyUnicode_FromFormat("%S/.pympler-probe-%d", dir, (int)getpid()), *b = NULL;
        FILE *f = NULL;
        if (path && PyUnicode_FSConverter(path, &b) && (f = fopen(PyBytes_AS_STRING(b), "w"))) {
            fclose(f);
            remove(PyBytes_AS_STRING(b));
            res = Py_NewRef(Py_None);
        } else if (path && b) {
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, dir);
        }
        Py_XDECREF(path);
        Py_XDECREF(b);
    }
    if (!res && PyErr_ExceptionMatches(PyExc_OSError)) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyErr_NormalizeException(&et, &ev, &tb);
        res = PyUnicode_FromFormat("--pympler-artifacts %R cannot be written: %S", dir, ev ? ev : Py_None);
        Py_XDECREF(et);
        Py_XDECREF(ev);
        Py_XDECREF(tb);
    }
    Py_XDECREF(r);
    Py_XDECREF(kw);
    Py_XDECREF(a);
    Py_XDECREF(makedirs);
    Py_DECREF(os);
    return res;
}

/* A file name for a test id: [A-Za-z0-9._-] kept, the rest as '_', cut. */
static PyObject *file_stem(PyObject *nodeid)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(nodeid), m = n < 150 ? n : 150;
    PyObject *out = PyUnicode_New(m, 127);
    if (!out)
        return NULL;
    for (Py_ssize_t i = 0; i < m; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(nodeid, i);
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '-' || c == '_';
        PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), i, ok ? c : '_');
    }
    return out;
}

static int write_bytes(PyObject *dir, PyObject *name, PyObject *data)
{
    PyObject *path = PyUnicode_FromFormat("%S/%U", dir, name), *b = NULL;
    int rc = -1;
    if (path && PyUnicode_FSConverter(path, &b)) {
        FILE *f = fopen(PyBytes_AS_STRING(b), "wb");
        if (f && fwrite(PyBytes_AS_STRING(data), 1, (size_t)PyBytes_GET_SIZE(data), f) ==
                     (size_t)PyBytes_GET_SIZE(data) && fclose(f) == 0)
            rc = 0;
        else {
            if (f)
                fclose(f);
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        }
    }
    Py_XDECREF(path);
    Py_XDECREF(b);
    return rc;
}

/* write_artifacts(dir, nodeid, cycles, leaks) -> [paths]: cycles is
 * end_cycles' result or None, leaks leaks'.  NODEID.svg (the cycles'
 * picture, else the leak chains') and NODEID.json. */
static PyObject *tc_write_artifacts(PyObject *Py_UNUSED(m), PyObject *args)
{
    PyObject *dir, *nodeid, *cycles, *leaks, *stem = NULL, *svg = NULL, *graph = NULL, *doc = NULL, *json = NULL;
    PyObject *paths = NULL, *res = NULL, *name = NULL;
    if (!PyArg_ParseTuple(args, "OUOO:write_artifacts", &dir, &nodeid, &cycles, &leaks))
        return NULL;
    if (!(stem = file_stem(nodeid)) || !(paths = PyList_New(0)))
        goto done;
    if (cycles != Py_None) {
        graph = Py_NewRef(PyTuple_GetItem(cycles, 2));
    } else if (leaks != Py_None) {
        PyObject *objs = PyList_New(0), *findings = PyTuple_GetItem(leaks, 1);
        for (Py_ssize_t i = 0; objs && findings && i < PyList_GET_SIZE(findings); i++) {
            PyObject *more = PyDict_GetItemString(PyList_GET_ITEM(findings, i), "objects");
            Py_ssize_t n = PyList_GET_SIZE(objs);
            if (more && PyList_SetSlice(objs, n, n, more) < 0)
                Py_CLEAR(objs);
        }
        PyObject *ctor = objs ? pym_module_attr("pympler.refgraph", "ReferenceGraph") : NULL;
        graph = ctor ? PyObject_CallOneArg(ctor, objs) : NULL;
        Py_XDECREF(ctor);
        Py_XDECREF(objs);
    }
    if (!graph && PyErr_Occurred())
        goto done;
    if (graph) {
        PyObject *m = PyObject_GetAttrString(graph, "render_bytes");
        PyObject *a = Py_BuildValue("(s)", "svg"), *kw = Py_BuildValue("{sdsO}", "aspect", 1.5, "annotate", Py_True);
        svg = m && a && kw ? PyObject_Call(m, a, kw) : NULL;
        Py_XDECREF(m);
        Py_XDECREF(a);
        Py_XDECREF(kw);
        if (!svg || !(name = PyUnicode_FromFormat("%U.svg", stem)) || write_bytes(dir, name, svg) < 0)
            goto done;
        PyObject *p = PyUnicode_FromFormat("%S/%U", dir, name);
        if (!p || PyList_Append(paths, p) < 0) {
            Py_XDECREF(p);
            goto done;
        }
        Py_DECREF(p);
        Py_CLEAR(name);
    }
    /* the JSON: {"version": 1, "test", "cycles": the garbage report, "leaks": [...]} */
    PyObject *jsonmod = PyImport_ImportModule("json");
    if (!jsonmod)
        goto done;
    PyObject *cyc = cycles != Py_None ? PyObject_CallMethod(jsonmod, "loads", "O", PyTuple_GetItem(cycles, 1))
                                      : Py_NewRef(Py_None);
    PyObject *lk = PyList_New(0);
    if (cyc && lk && leaks != Py_None) {
        PyObject *findings = PyTuple_GetItem(leaks, 1);
        for (Py_ssize_t i = 0; findings && i < PyList_GET_SIZE(findings); i++) {
            PyObject *f = PyDict_Copy(PyList_GET_ITEM(findings, i));
            if (!f || PyDict_DelItemString(f, "objects") < 0 || PyList_Append(lk, f) < 0) {
                Py_XDECREF(f);
                Py_CLEAR(lk);
                break;
            }
            Py_DECREF(f);
        }
    }
    doc = cyc && lk ? Py_BuildValue("{sisOsOsO}", "version", 1, "test", nodeid, "cycles", cyc, "leaks", lk) : NULL;
    Py_XDECREF(cyc);
    Py_XDECREF(lk);
    if (doc) {
        PyObject *kw = Py_BuildValue("{si}", "indent", 2), *a = PyTuple_Pack(1, doc), *f = NULL;
        f = kw && a ? PyObject_GetAttrString(jsonmod, "dumps") : NULL;
        json = f ? PyObject_Call(f, a, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(a);
        Py_XDECREF(f);
    }
    Py_DECREF(jsonmod);
    if (!json)
        goto done;
    Py_SETREF(json, PyUnicode_AsUTF8String(json));
    if (!json || !(name = PyUnicode_FromFormat("%U.json", stem)) || write_bytes(dir, name, json) < 0)
        goto done;
    PyObject *p = PyUnicode_FromFormat("%S/%U", dir, name);
    if (!p || PyList_Append(paths, p) < 0) {
        Py_XDECREF(p);
        goto done;
    }
    Py_DECREF(p);
    res = Py_NewRef(paths);
done:
    Py_XDECREF(stem);
    Py_XDECREF(svg);
    Py_XDECREF(graph);
    Py_XDECREF(doc);
    Py_XDECREF(json);
    Py_XDECREF(paths);
    Py_XDECREF(name);
    return res;
}

/* ---- the plugin's two calls ---------------------------------------------- */

/* item.config.getoption(name) as a truth value, or -1. */
static int option_on(PyObject *config, const char *name)
{
    PyObject *v = PyObject_CallMethod(config, "getoption", "s", name);
    int on = v ? PyObject_IsTrue(v) : -1;
    Py_XDECREF(v);
    return on;
}

/* item.get_closest_marker(name): new reference, None, or NULL. */
static PyObject *marker(PyObject *item, const char *name)
{
    return PyObject_CallMethod(item, "get_closest_marker", "s", name);
}

/* runs of @pytest.mark.pympler_leaks(runs=N) (or (N)), DEFAULT_RUNS without. */
static Py_ssize_t marker_runs(PyObject *item)
{
    PyObject *mk = marker(item, "pympler_leaks"), *v = NULL;
    Py_ssize_t runs = DEFAULT_RUNS;
    if (!mk)
        return -1;
    if (mk != Py_None) {
        PyObject *kw = PyObject_GetAttrString(mk, "kwargs"), *args = kw ? PyObject_GetAttrString(mk, "args") : NULL;
        if (kw && args) {
            v = PyMapping_Check(kw) && PyMapping_HasKeyString(kw, "runs") ? PyMapping_GetItemString(kw, "runs")
                : PyTuple_Check(args) && PyTuple_GET_SIZE(args) > 0 ? Py_NewRef(PyTuple_GET_ITEM(args, 0)) : NULL;
            if (v) {
                runs = PyLong_Check(v) && !PyBool_Check(v) ? PyLong_AsSsize_t(v) : -2;
                if (runs == -1 && PyErr_Occurred())
                    PyErr_Clear();
                if (runs < 3 || runs > 1000)
                    PyErr_Format(PyExc_ValueError, "pympler_leaks(runs=%R): runs must be an int from 3 to 1000 "
                                 "(the first run fills caches; two more show growth)", v);
            }
        }
        Py_XDECREF(kw);
        Py_XDECREF(args);
        Py_XDECREF(v);
    }
    Py_DECREF(mk);
    return PyErr_Occurred() ? -1 : runs;
}

/* Whether the option is on and the test not marked to be ignored. */
static int wanted(PyObject *item, PyObject *config, const char *option, const char *ignore)
{
    int on = option_on(config, option);
    if (on <= 0)
        return on;
    PyObject *mk = marker(item, ignore);
    if (!mk)
        return -1;
    on = mk == Py_None;
    Py_DECREF(mk);
    return on;
}

/* begin(item) -> state: before the test's body (the plugin's
 * pytest_runtest_call): what is checked, and the cycle check begun. */
static PyObject *tc_begin(PyObject *m, PyObject *item)
{
    PyObject *config = PyObject_GetAttrString(item, "config"), *token = NULL;
    if (!config)
        return NULL;
    int cycles = wanted(item, config, "pympler_cycles", "pympler_ignore_cycles");
    int leaks = cycles < 0 ? -1 : wanted(item, config, "pympler_leaks", "pympler_ignore_leaks");
    Py_ssize_t runs = leaks > 0 ? marker_runs(item) : 0;
    Py_DECREF(config);
    if (cycles < 0 || leaks < 0 || runs < 0)
        return NULL;
    if (cycles && !(token = tc_begin_cycles(m, NULL)))
        return NULL;
    return Py_BuildValue("(Nn)", token ? token : Py_NewRef(Py_None), runs);
}

/* end(item, state, failed): after the body.  Undoes begin; unless the body
 * failed, checks and fails the test (pytest.fail) with what it found. */
static PyObject *tc_end(PyObject *m, PyObject *args)
{
    PyObject *item, *state, *token, *nodeid = NULL, *cyc = NULL, *lk = NULL, *msg = NULL, *res = NULL;
    PyObject *config = NULL, *where = NULL;
    int failed;
    Py_ssize_t runs;
    if (!PyArg_ParseTuple(args, "OO!p:end", &item, &PyTuple_Type, &state, &failed))
        return NULL;
    if (!PyArg_ParseTuple(state, "On:end", &token, &runs))
        return NULL;
    if (!(nodeid = PyObject_GetAttrString(item, "nodeid")) || !PyUnicode_Check(nodeid)) {
        if (nodeid)
            PyErr_SetString(PyExc_TypeError, "end() needs a pytest item (its nodeid a str)");
        goto done;
    }
    if (token != Py_None) {
        PyObject *a = Py_BuildValue("(OO)", token, nodeid);
        cyc = a ? tc_end_cycles(m, a) : NULL;
        Py_XDECREF(a);
        if (!cyc)
            goto done;
    }
    if (failed) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (runs > 0) {
        PyObject *body = PyObject_GetAttrString(item, "runtest");
        PyObject *a = body ? Py_BuildValue("(On)", body, runs) : NULL, *kw = Py_BuildValue("{sO}", "nodeid", nodeid);
        lk = a && kw ? tc_leaks(m, a, kw) : NULL;
        Py_XDECREF(body);
        Py_XDECREF(a);
        Py_XDECREF(kw);
        if (!lk)
            goto done;
    }
    if ((!cyc || cyc == Py_None) && (!lk || lk == Py_None)) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (!cyc)
        cyc = Py_NewRef(Py_None);
    if (!lk)
        lk = Py_NewRef(Py_None);
    if (cyc != Py_None && lk != Py_None)
        msg = PyUnicode_FromFormat("pympler: %U\n%U", PyTuple_GET_ITEM(cyc, 0), PyTuple_GET_ITEM(lk, 0));
    else
        msg = PyUnicode_FromFormat("pympler: %U", PyTuple_GET_ITEM(cyc != Py_None ? cyc : lk, 0));
    if (!msg)
        goto done;
    if (!(config = PyObject_GetAttrString(item, "config")) ||
        !(where = PyObject_CallMethod(config, "getoption", "s", "pympler_artifacts")))
        goto done;
    if (where != Py_None) {
        PyObject *a = Py_BuildValue("(OOOO)", where, nodeid, cyc, lk);
        PyObject *paths = a ? tc_write_artifacts(m, a) : NULL;
        Py_XDECREF(a);
        if (!paths)
            goto done;
        PyObject *sep = PyUnicode_FromString(", ");
        PyObject *joined = sep ? PyUnicode_Join(sep, paths) : NULL;
        Py_XDECREF(sep);
        Py_DECREF(paths);
        if (!joined)
            goto done;
        Py_SETREF(msg, PyUnicode_FromFormat("%U\nartifacts: %U", msg, joined));
        Py_DECREF(joined);
        if (!msg)
            goto done;
    }
    /* pytest.fail(msg, pytrace=False): the test fails with the findings as its message */
    PyObject *fail = pym_module_attr("pytest", "fail");
    if (fail) {
        PyObject *a = PyTuple_Pack(1, msg), *kw = Py_BuildValue("{sO}", "pytrace", Py_False);
        PyObject *r = a && kw ? PyObject_Call(fail, a, kw) : NULL;
        Py_XDECREF(r); /* pytest.fail raises: r is NULL */
        Py_XDECREF(a);
        Py_XDECREF(kw);
        Py_DECREF(fail);
    }
done:
    Py_XDECREF(nodeid);
    Py_XDECREF(cyc);
    Py_XDECREF(lk);
    Py_XDECREF(msg);
    Py_XDECREF(config);
    Py_XDECREF(where);
    return res;
}

static PyMethodDef module_methods[] = {
    {"begin", tc_begin, METH_O,
     "begin(item) -> state\n--\n\nBefore a test's body: which checks the options and markers ask for, and the "
     "cycle check begun."},
    {"end", tc_end, METH_VARARGS,
     "end(item, state, failed)\n--\n\nAfter the body: the checks; a finding fails the test (pytest.fail) with "
     "it, and its artifacts are written when --pympler-artifacts is given."},
    {"begin_cycles", tc_begin_cycles, METH_NOARGS,
     "begin_cycles() -> token\n--\n\nBefore a test's body: freeze the heap (or collect it when the program "
     "froze objects itself), so the collection after the body sees only what the body made."},
    {"end_cycles", tc_end_cycles, METH_VARARGS,
     "end_cycles(token, nodeid) -> None or (text, json, graph)\n--\n\nAfter the body: the reference cycles "
     "it left for the collector (GarbageGraph, gc.garbage left as found), and the heap unfrozen."},
    {"leaks", (PyCFunction)(void (*)(void))tc_leaks, METH_VARARGS | METH_KEYWORDS,
     "leaks(call, runs=4, nodeid='') -> None or (text, findings)\n--\n\nRun call() runs - 1 more times with a "
     "census after each: the types that grow at every run, each with the chain of references from a root "
     "that keeps an object of it alive."},
    {"check_artifacts", tc_check_artifacts, METH_O,
     "check_artifacts(dir) -> None or str\n--\n\nMake dir; None when files can be written there, else why not."},
    {"write_artifacts", tc_write_artifacts, METH_VARARGS,
     "write_artifacts(dir, nodeid, cycles, leaks) -> [paths]\n--\n\nThe failing test's picture (SVG) and "
     "findings (JSON) in dir."},
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    return PyModule_AddIntConstant(m, "DEFAULT_RUNS", DEFAULT_RUNS);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler._testcheck",
    .m_doc = "The checks of pympler's pytest plugin: garbage cycles and leaks of a test, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__testcheck(void)
{
    return PyModuleDef_Init(&module_def);
}
