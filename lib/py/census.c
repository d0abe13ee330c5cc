/* census.c: the objects muppy.get_objects() lists, in one pass.
 *
 * The engine's walk (walk.h): the tracked objects come from the collector's
 * own lists (pym_gc_foreach, in gc.get_objects() order, without building
 * that list).  Each is looked into for its gc referents, as
 * gc.get_referents does, and every referent the collector does not track is
 * gathered, in the order met.  With `untracked`, a depth-first graph walk
 * from each tracked object looks into untracked containers as well and adds
 * dict keys (tp_traverse skips the keys of string-keyed dicts).  The result
 * is the untracked objects, then the tracked ones, as Pympler orders them.
 */
#include "census.h"
#include "seenmap.h"
#include "walk.h"

#include <stdlib.h>
#include <string.h>

/* ---- pym_objvec -------------------------------------------------------- */

static int objvec_reserve(pym_objvec *v, Py_ssize_t need)
{
    if (need <= v->cap)
        return 0;
    Py_ssize_t cap = v->cap ? v->cap : 1024;
    while (cap < need) {
        if (cap > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)sizeof(PyObject *)) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    /* PyMem: a finished vector becomes a list's item array as it is. */
    PyObject **items = PyMem_Realloc(v->items, (size_t)cap * sizeof(PyObject *));
    if (!items) {
        PyErr_NoMemory();
        return -1;
    }
    v->items = items;
    v->cap = cap;
    return 0;
}

static inline int objvec_push(pym_objvec *v, PyObject *obj)
{
    if (v->n == v->cap && objvec_reserve(v, v->n + 1) < 0)
        return -1;
    v->items[v->n++] = Py_NewRef(obj);
    return 0;
}

int pym_objvec_push(pym_objvec *v, PyObject *obj)
{
    return objvec_push(v, obj);
}

void pym_objvec_clear(pym_objvec *v)
{
    /* Releasing may run finalizers that push to v again: detach first. */
    PyObject **items = v->items;
    Py_ssize_t n = v->n;
    v->items = NULL;
    v->n = v->cap = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        Py_DECREF(items[i]);
    PyMem_Free(items);
}

PyObject *pym_objvec_to_list(pym_objvec *v)
{
    PyObject *list = PyList_New(0);
    if (!list) {
        pym_objvec_clear(v);
        return NULL;
    }
    /* The list takes the array and its references: no copy of a vector
     * that may hold millions of objects. */
    PyListObject *l = (PyListObject *)list;
    l->ob_item = v->items;
    Py_SET_SIZE(l, v->n);
    l->allocated = v->cap;
    v->items = NULL;
    /* A young collection would walk every item of a big fresh list (it
     * outlives a few, as the caller summarizes or keeps it): start it old. */
    if (v->n > 100000)
        pym_gc_make_old(list);
    v->n = v->cap = 0;
    return list;
}

/* ---- which objects Pympler leaves out ---------------------------------- */

int pym_census_ignored(PyObject *obj)
{
    if (PyFrame_Check(obj))
        return 1;
    if (PyWeakref_CheckProxy(obj)) {
        PyObject *target = pym_weakref_borrow(obj);
        return target == Py_None || PyFrame_Check(target);
    }
    return 0;
}

/* ---- the traversal ------------------------------------------------------ */

#define RING_LAG 24
#define RING_SIZE 32 /* a power of two above RING_LAG */

typedef struct {
    const pym_census_opts *opts;
    pym_seenmap *seen;     /* remove_dups: every untracked object listed */
    pym_ptrmap *local;     /* !remove_dups: the current referrer's referents */
    pym_objvec *out;       /* untracked objects, in the order met */
    pym_objvec tracked;    /* the tracked objects, in the collector's order */
    pym_walk walk;         /* `untracked`: the descent from a tracked object */
    int failed;
    /* Referents queue here as tp_traverse reports them, each prefetched,
     * and are looked at RING_LAG visits later, when their memory has
     * arrived.  First in, first looked at: the order of the result is the
     * order of the visits.  Never more than RING_LAG + 1 wait, so a small
     * fixed ring; head and tail count up, slot n is ring[n % RING_SIZE]. */
    PyObject *ring[RING_SIZE];
    size_t head, tail;
} census;

/* Not listed: tracked objects and the objects to leave out. */
static inline int admitted(const census *c, PyObject *ref)
{
    if (pym_is_tracked(ref))
        return 0;
    return !(c->opts->exclude && pym_ptrmap_get(c->opts->exclude, (uintptr_t)ref, NULL));
}

/* Look at one queued referent: list it when the collector does not track
 * it and it was not listed yet.  0, or -1 when out of memory. */
static inline int take(census *c, PyObject *ref)
{
    if (!admitted(c, ref))
        return 0;
    int r;
    if (!c->seen)
        r = pym_ptrmap_setdefault(c->local, (uintptr_t)ref, 1);
    else if (Py_REFCNT(ref) == 1)
        /* An object with a single reference is met once, through it: it
         * needs no entry in the seen table (most strs, tuples, small dicts). */
        r = 1;
    else
        r = pym_seenmap_setdefault(c->seen, (uintptr_t)ref, 1);
    if (r <= 0)
        return r;
    return objvec_push(c->out, ref);
}

static int drain(census *c, size_t keep)
{
    while (c->tail - c->head > keep)
        if (take(c, c->ring[c->head++ % RING_SIZE]) < 0)
            return -1;
    return 0;
}

/* tp_traverse visitor: queue and prefetch. */
static int visit_queue(PyObject *ref, void *arg)
{
    census *c = arg;
    pym_prefetch_tracked(ref);
    c->ring[c->tail++ % RING_SIZE] = ref;
    if (c->tail - c->head > RING_LAG && take(c, c->ring[c->head++ % RING_SIZE]) < 0) {
        c->failed = 1;
        return -1;
    }
    return 0;
}

/* The `untracked` descent (walk.h): from a tracked object (the root, listed
 * by census_one) through untracked containers, their gc referents and dict
 * keys; every untracked object met is listed, once (the walk's seen set). */
static int descent_admit(pym_walk *w, PyObject *obj)
{
    return admitted(w->ctx, obj);
}

static int descent_enter(pym_walk *w, void *parent, pym_walk_ref *ref, Py_ssize_t depth, void *data)
{
    census *c = w->ctx;
    (void)parent;
    (void)data;
    if (depth > 0 && pym_objvec_push(c->out, ref->obj) < 0) /* out keeps it alive */
        return -1;
    return PYM_WALK_DESCEND;
}

static const pym_walk_visitor descent = {.admit = descent_admit, .enter = descent_enter};

/* pym_gc_foreach callback: one tracked object.  Nothing here allocates a
 * Python object or runs Python code. */
static int census_one(PyObject *obj, void *arg)
{
    census *c = arg;
    if (!c->opts->keep_frames && pym_census_ignored(obj))
        return 0;
    if (c->opts->exclude && pym_ptrmap_get(c->opts->exclude, (uintptr_t)obj, NULL))
        return 0;
    if (c->opts->untracked) {
        /* Without remove_dups, each object's descent has a seen set of its
         * own (Pympler's per-referrer lists). */
        if (!c->seen) {
            if (pym_seenmap_size(c->walk.seen) > 4096) {
                pym_seenmap_free(&c->walk.seen);
                if (!(c->walk.seen = pym_seenmap_new()))
                    return -1;
            }
            else
                pym_seenmap_clear(c->walk.seen);
        }
        if (pym_walk_run(&c->walk, obj) < 0)
            return -1;
        return pym_objvec_push(&c->tracked, obj);
    }
    if (c->local) {
        if (pym_ptrmap_size(c->local) > 4096) {
            pym_ptrmap_free(&c->local);
            if (!(c->local = pym_ptrmap_new()))
                return -1;
        }
        else
            pym_ptrmap_clear(c->local);
    }
    if (pym_walk_gc_referents(obj, visit_queue, c) && c->failed)
        return -1;
    /* The per-referrer table is about this object's referents: finish them
     * before the next. */
    if (c->local && drain(c, 0) < 0)
        return -1;
    return pym_objvec_push(&c->tracked, obj);
}

static int gc_collect(int rounds)
{
    PyObject *gc = PyImport_ImportModule("gc");
    if (!gc)
        return -1;
    for (int i = 0; i < rounds; i++) {
        PyObject *r = PyObject_CallMethod(gc, "collect", NULL);
        if (!r) {
            Py_DECREF(gc);
            return -1;
        }
        int found = PyLong_Check(r) && PyLong_AsLong(r) != 0;
        Py_DECREF(r);
        if (!found)
            break;
    }
    Py_DECREF(gc);
    return 0;
}

/* The sizes of the process's last census (see pym_census_take). */
static Py_ssize_t last_untracked, last_tracked;

int pym_census_take(const pym_census_opts *opts, pym_objvec *out)
{
    census c = {.opts = opts, .out = out};
    Py_ssize_t first = out->n;
    int rc = -1;

    if (opts->collect && gc_collect(opts->collect > 1 ? 2 : 1) < 0)
        return -1;
    pym_walk_init(&c.walk, &pym_walk_gc_and_keys, &descent, &c);
    if (opts->remove_dups ? !(c.seen = pym_seenmap_new())
                          : opts->untracked ? !(c.walk.seen = pym_seenmap_new())
                                            : !(c.local = pym_ptrmap_new())) {
        PyErr_NoMemory();
        goto done;
    }
    if (c.seen)
        c.walk.seen = c.seen;
    /* The last census's sizes, and a little more: a census taken again (a
     * tracker's, a benchmark's) fills its vectors without growing them,
     * which copies them and touches fresh memory each time.  Only a hint:
     * when it cannot be had, the vectors grow as needed. */
    Py_ssize_t hint = last_untracked + last_tracked;
    if (objvec_reserve(out, out->n + hint + hint / 16) < 0 ||
        objvec_reserve(&c.tracked, last_tracked + last_tracked / 16) < 0)
        PyErr_Clear();
    if (pym_gc_foreach(census_one, &c) || drain(&c, 0) < 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    last_untracked = out->n - first;
    last_tracked = c.tracked.n;
    /* The untracked objects first, then the tracked ones. */
    if (objvec_reserve(out, out->n + c.tracked.n) < 0)
        goto done;
    if (c.tracked.n)
        memcpy(out->items + out->n, c.tracked.items, (size_t)c.tracked.n * sizeof(PyObject *));
    out->n += c.tracked.n;
    PyMem_Free(c.tracked.items);
    c.tracked = (pym_objvec){0};
    rc = 0;
done:
    pym_objvec_clear(&c.tracked);
    pym_walk_fini(&c.walk);
    if (c.walk.seen != c.seen)
        pym_seenmap_free(&c.walk.seen);
    pym_seenmap_free(&c.seen);
    pym_ptrmap_free(&c.local);
    return rc;
}

PyObject *pym_census_list(const pym_census_opts *opts)
{
    pym_objvec v = {0};
    if (pym_census_take(opts, &v) < 0) {
        pym_objvec_clear(&v);
        return NULL;
    }
    return pym_objvec_to_list(&v);
}

/* ---- muppy.get_diff ------------------------------------------------------ */

/* The items of `from` whose identity is not in `other`, in order. */
static PyObject *not_in(PyObject *from, PyObject *other)
{
    pym_ptrmap *ids = pym_ptrmap_new();
    PyObject *res = NULL, *seq_from = NULL, *seq_other = NULL;
    if (!ids)
        return PyErr_NoMemory();
    if (!(seq_other = PySequence_Fast(other, "muppy.get_diff() needs two lists of objects")) ||
        !(seq_from = PySequence_Fast(from, "muppy.get_diff() needs two lists of objects")))
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq_other); i++)
        if (pym_ptrmap_set(ids, (uintptr_t)PySequence_Fast_GET_ITEM(seq_other, i), 1) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    if (!(res = PyList_New(0)))
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq_from); i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(seq_from, i);
        if (!pym_ptrmap_get(ids, (uintptr_t)o, NULL) && PyList_Append(res, o) < 0) {
            Py_CLEAR(res);
            goto done;
        }
    }
done:
    Py_XDECREF(seq_from);
    Py_XDECREF(seq_other);
    pym_ptrmap_free(&ids);
    return res;
}

PyObject *pym_identity_diff(PyObject *left, PyObject *right)
{
    PyObject *plus = not_in(right, left);
    PyObject *minus = plus ? not_in(left, right) : NULL;
    PyObject *res = minus ? Py_BuildValue("{sOsO}", "+", plus, "-", minus) : NULL;
    Py_XDECREF(plus);
    Py_XDECREF(minus);
    return res;
}
