/* referrers.c: breadth-first referrer search, one heap scan per level.
 * See referrers.h for the contract and docs/refbrowser.md for the design.
 *
 * Invariants:
 *   - r->e[k].obj and every r->e[k].refs[i] are owned references;
 *   - r->where maps the address of r->e[k].obj to k, for every entry;
 *   - a target's referrers are appended in scan order, each scanned object at
 *     most once per target (gc.get_referrers() stops at the first hit);
 *   - r->edges, when built, is sorted by (dst, src) without duplicates, and
 *     src indexes r->all, whose references the table owns.
 *
 * Scans are the engine's walk (walk.h): the collector's lists in place
 * (pym_gc_foreach, the order of gc.get_objects() and so of
 * gc.get_referrers()), each object's gc referents; a visit only reads, pushes
 * to C arrays and increfs, so nothing is freed or untracked under the walk.
 */
#include "referrers.h"
#include "ptrindex.h"
#include "walk.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject *obj;   /* owned */
    PyObject **refs; /* owned references, gc order */
    size_t n, cap;
    int done;        /* referrers collected */
} rr_entry;

typedef struct {
    uintptr_t dst;
    size_t src;
} rr_edge;

struct pym_referrers {
    rr_entry *e;
    size_t n, cap;
    pym_ptrindex *where; /* object address -> entry index */
    rr_edge *edges;      /* reverse index, NULL until built */
    size_t nedges, edgecap;
    PyObject **all;      /* owned: the tracked objects edges' src index */
    size_t nall, allcap;
};

/* ======================================================================
 * Table
 * ====================================================================== */

pym_referrers *pym_referrers_new(void)
{
    pym_referrers *r = calloc(1, sizeof(*r));
    if (!r || !(r->where = pym_ptrindex_new(64))) {
        free(r);
        PyErr_NoMemory();
        return NULL;
    }
    return r;
}

void pym_referrers_free(pym_referrers **rp)
{
    pym_referrers *r = rp ? *rp : NULL;
    if (!r)
        return;
    for (size_t k = 0; k < r->n; k++) {
        for (size_t i = 0; i < r->e[k].n; i++)
            Py_DECREF(r->e[k].refs[i]);
        free(r->e[k].refs);
        Py_DECREF(r->e[k].obj);
    }
    free(r->e);
    free(r->edges);
    for (size_t i = 0; i < r->nall; i++)
        Py_DECREF(r->all[i]);
    free(r->all);
    pym_ptrindex_free(&r->where);
    free(r);
    *rp = NULL;
}

/* The entry of obj, created when absent.  Returns its index, or -1 on OOM
 * (no exception set). */
static Py_ssize_t entry_get(pym_referrers *r, PyObject *obj, int *created)
{
    uint32_t k = pym_ptrindex_get(r->where, (uintptr_t)obj);
    *created = 0;
    if (k != PYM_PTRINDEX_NONE)
        return (Py_ssize_t)k;
    if (r->n >= UINT32_MAX - 1)
        return -1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        rr_entry *e = realloc(r->e, cap * sizeof(*e));
        if (!e)
            return -1;
        r->e = e;
        r->cap = cap;
    }
    if (pym_ptrindex_put(r->where, (uintptr_t)obj, (uint32_t)r->n) < 0)
        return -1;
    r->e[r->n] = (rr_entry){.obj = Py_NewRef(obj)};
    *created = 1;
    return (Py_ssize_t)r->n++;
}

/* Append referrer ref to entry e unless it is its last one.  0, or -1 on OOM. */
static int entry_push(rr_entry *e, PyObject *ref)
{
    if (e->n && e->refs[e->n - 1] == ref)
        return 0;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 4;
        PyObject **refs = realloc(e->refs, cap * sizeof(*refs));
        if (!refs)
            return -1;
        e->refs = refs;
        e->cap = cap;
    }
    e->refs[e->n++] = Py_NewRef(ref);
    return 0;
}

Py_ssize_t pym_referrers_of(const pym_referrers *r, PyObject *obj, PyObject *const **items)
{
    uint32_t k = pym_ptrindex_get(r->where, (uintptr_t)obj);
    if (k == PYM_PTRINDEX_NONE || !r->e[k].done)
        return -1;
    *items = r->e[k].refs;
    return (Py_ssize_t)r->e[k].n;
}


/* ======================================================================
 * Scans
 * ====================================================================== */

typedef struct {
    pym_referrers *r;
    pym_ptrindex *targets; /* address -> entry index, this level only */
    PyObject *cur;         /* the object being traversed */
    size_t cur_index;
    int oom;
} scan_ctx;

static int visit_level(PyObject *p, void *arg)
{
    scan_ctx *c = arg;
    uint32_t k = pym_ptrindex_get(c->targets, (uintptr_t)p);
    if (k == PYM_PTRINDEX_NONE)
        return 0;
    if (entry_push(&c->r->e[k], c->cur) < 0) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

/* How deep untrackable_tuple() looks into tuples of tuples: deeper ones
 * count as trackable (kept as referrers). */
#define RR_TUPLE_UNTRACK_DEPTH 4

/* Would the next collection untrack this tracked tuple: an exact tuple
 * whose items are none of them (possibly) tracked containers, as CPython's
 * _PyTuple_MaybeUntrack decides during a collection -- here with the tuples
 * among the items judged the same way (a collection walks them too), to
 * RR_TUPLE_UNTRACK_DEPTH levels.  Such tuples (a module code object's
 * co_consts, say) are left out of the scans: in Pympler the imports of its
 * Python modules run collections that untrack them before
 * gc.get_referrers() looks, so they are never referrers there.  Iterative:
 * a small stack of (tuple, next item) pairs. */
static int untrackable_tuple(PyObject *op)
{
    struct {
        PyObject *t;
        Py_ssize_t i;
    } stack[RR_TUPLE_UNTRACK_DEPTH];
    int top = 0;
    if (!PyTuple_CheckExact(op))
        return 0;
    stack[0].t = op;
    stack[0].i = 0;
    while (top >= 0) {
        PyObject *t = stack[top].t;
        if (stack[top].i == PyTuple_GET_SIZE(t)) {
            top--;
            continue;
        }
        PyObject *item = PyTuple_GET_ITEM(t, stack[top].i++);
        if (!item)
            return 0;
        if (!PyObject_IS_GC(item))
            continue;
        if (!PyTuple_CheckExact(item))
            return 0; /* a container of another type: tracked, or may be */
        if (!pym_is_tracked(item))
            continue;
        if (top + 1 == RR_TUPLE_UNTRACK_DEPTH)
            return 0;
        top++;
        stack[top].t = item;
        stack[top].i = 0;
    }
    return 1;
}

/* pym_gc_foreach callback of a level scan: one tracked object. */
static int scan_one(PyObject *op, void *arg)
{
    scan_ctx *c = arg;
    if (untrackable_tuple(op))
        return 0;
    c->cur = op;
    pym_walk_gc_referents(op, visit_level, c);
    return c->oom;
}

/* One scan: the referrers of the entries frontier[0..n). */
static int scan_level(pym_referrers *r, const size_t *frontier, size_t n)
{
    scan_ctx c = {.r = r};
    c.targets = pym_ptrindex_new(2 * n + 8);
    if (!c.targets) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (pym_ptrindex_put(c.targets, (uintptr_t)r->e[frontier[i]].obj, (uint32_t)frontier[i]) < 0) {
            pym_ptrindex_free(&c.targets);
            PyErr_NoMemory();
            return -1;
        }
    pym_gc_foreach(scan_one, &c);
    pym_ptrindex_free(&c.targets);
    if (c.oom) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int visit_index(PyObject *p, void *arg)
{
    scan_ctx *c = arg;
    pym_referrers *r = c->r;
    /* Every referrer is a tracked object: edges to anything else can never
     * be asked for after level 0. */
    if (!pym_is_tracked(p))
        return 0;
    if (r->nedges == r->edgecap) {
        size_t cap = r->edgecap ? 2 * r->edgecap : 1 << 16;
        rr_edge *e = realloc(r->edges, cap * sizeof(*e));
        if (!e) {
            c->oom = 1;
            return 1;
        }
        r->edges = e;
        r->edgecap = cap;
    }
    r->edges[r->nedges++] = (rr_edge){(uintptr_t)p, c->cur_index};
    return 0;
}

static int edge_cmp(const void *a, const void *b)
{
    const rr_edge *x = a, *y = b;
    if (x->dst != y->dst)
        return x->dst < y->dst ? -1 : 1;
    return (x->src > y->src) - (x->src < y->src);
}

/* pym_gc_foreach callback of the index scan: keep op (edges name it by its
 * position in r->all) and record its edges. */
static int index_one(PyObject *op, void *arg)
{
    scan_ctx *c = arg;
    pym_referrers *r = c->r;
    if (!Py_TYPE(op)->tp_traverse || untrackable_tuple(op))
        return 0; /* no referents, or left out as in a level scan */
    if (r->nall == r->allcap) {
        size_t cap = r->allcap ? 2 * r->allcap : 1 << 12;
        PyObject **all = realloc(r->all, cap * sizeof(*all));
        if (!all) {
            c->oom = 1;
            return 1;
        }
        r->all = all;
        r->allcap = cap;
    }
    r->all[r->nall] = Py_NewRef(op);
    c->cur_index = r->nall++;
    pym_walk_gc_referents(op, visit_index, c);
    return c->oom;
}

/* One scan: every edge from a tracked object to a tracked object. */
static int build_index(pym_referrers *r)
{
    scan_ctx c = {.r = r};
    pym_gc_foreach(index_one, &c);
    if (c.oom) {
        for (size_t i = 0; i < r->nall; i++)
            Py_DECREF(r->all[i]);
        free(r->all);
        r->all = NULL;
        r->nall = r->allcap = 0;
        free(r->edges);
        r->edges = NULL;
        r->nedges = r->edgecap = 0;
        PyErr_NoMemory();
        return -1;
    }
    qsort(r->edges, r->nedges, sizeof(*r->edges), edge_cmp);
    size_t w = 0;
    for (size_t i = 0; i < r->nedges; i++)
        if (!w || r->edges[i].dst != r->edges[w - 1].dst || r->edges[i].src != r->edges[w - 1].src)
            r->edges[w++] = r->edges[i];
    r->nedges = w;
    if (!r->edges) /* no edge at all: mark the index as built */
        r->edges = malloc(sizeof(*r->edges));
    if (!r->edges) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The referrers of frontier[0..n) from the reverse index. */
static int index_level(pym_referrers *r, const size_t *frontier, size_t n)
{
    for (size_t f = 0; f < n; f++) {
        rr_entry *e = &r->e[frontier[f]];
        uintptr_t key = (uintptr_t)e->obj;
        size_t lo = 0, hi = r->nedges;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (r->edges[mid].dst < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < r->nedges && r->edges[lo].dst == key; lo++)
            if (entry_push(e, r->all[r->edges[lo].src]) < 0) {
                PyErr_NoMemory();
                return -1;
            }
    }
    return 0;
}

/* ======================================================================
 * Breadth-first driver
 * ====================================================================== */

int pym_referrers_collect(pym_referrers *r, PyObject *root, Py_ssize_t levels, PyTypeObject *noexpand)
{
    size_t *front = NULL, *next = NULL, nfront = 0, nnext = 0, capnext = 0;
    int created, rc = -1;
    if (levels <= 0)
        return 0;
    Py_ssize_t k = entry_get(r, root, &created);
    if (k < 0 || !(front = malloc(sizeof(*front)))) {
        PyErr_NoMemory();
        goto done;
    }
    if (!r->e[k].done)
        front[nfront++] = (size_t)k;
    for (Py_ssize_t d = 0; d < levels && nfront; d++) {
        int step;
        if (d < PYM_REFERRERS_LEVEL_SCANS && !r->edges)
            step = scan_level(r, front, nfront);
        else
            step = (r->edges || build_index(r) == 0) ? index_level(r, front, nfront) : -1;
        if (step < 0)
            goto done;
        for (size_t i = 0; i < nfront; i++)
            r->e[front[i]].done = 1;
        if (d + 1 == levels)
            break;
        nnext = 0;
        for (size_t i = 0; i < nfront; i++) {
            for (size_t j = 0; j < r->e[front[i]].n; j++) {
                PyObject *ref = r->e[front[i]].refs[j];
                if (noexpand && PyObject_TypeCheck(ref, noexpand))
                    continue;
                Py_ssize_t nk = entry_get(r, ref, &created);
                if (nk < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
                if (!created)
                    continue;
                if (nnext == capnext) {
                    size_t cap = capnext ? 2 * capnext : 64;
                    size_t *grown = realloc(next, cap * sizeof(*grown));
                    if (!grown) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    next = grown;
                    capnext = cap;
                }
                next[nnext++] = (size_t)nk;
            }
        }
        free(front);
        front = next;
        nfront = nnext;
        next = NULL;
        capnext = 0;
    }
    rc = 0;
done:
    free(front);
    free(next);
    return rc;
}
