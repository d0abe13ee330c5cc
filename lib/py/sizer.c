/* sizer.c: Pympler's Asizer._sizer as the engine's graph walk (walk.h).
 *
 * Pympler's recursive _sizer(obj, pid, deep, sized) becomes:
 *   enter()   - the part before the referents loop: seen-table bookkeeping,
 *               typedef, flat size; asks the walk to descend when referents
 *               follow (the walk stops at the `limit`);
 *   the walk  - pulls the next referent of the top frame (refs.c, the
 *               policy) and enters it;
 *   finish()  - the part after the loop: rank, total, Asized; the result is
 *               added to the parent node.
 * RuntimeError raised while sizing one object (Pympler's "missed") ends just
 * that object, with what was summed so far; any other exception ends the
 * whole run, as in Pympler.
 */
#include "sizer.h"

#include "flatsize.h"
#include "refs.h"
#include "walk_loop.h"

#include <stdlib.h>
#include <string.h>

/* One object being sized. */
typedef struct {
    PyObject *obj; /* owned; for a virtual dict: the instance */
    PyObject *name; /* owned or NULL: the name the parent gave */
    PyObject *rs;   /* owned list of child Asized, or NULL */
    pym_typedef *td;
    uintptr_t key, id, pid;
    pym_wsize s, f;
    Py_ssize_t deep;
    uint8_t virt, sized, named;
} node;

/* A finished node's result on its way to the parent. */
typedef struct {
    pym_wsize s;
    PyObject *asized; /* owned or NULL */
} node_result;

/* One pym_sizer_size() call: the walk's context. */
typedef struct {
    pym_sizer *z;
    int fast;        /* no statistics, profiles or exclusions */
    int sized;       /* an Asized tree is wanted */
    node_result top; /* the root's result */
} sizing;

/* ---- state ------------------------------------------------------------ */

/* Typedef keys tag class keys in bit 0, but ptrmap keys must be 8-byte
 * aligned; a class key becomes the address one word into the class object,
 * which no other object can have. */
static inline uintptr_t map_key(uintptr_t tdkey)
{
    return (tdkey & PYM_TD_CLASSKEY) ? (tdkey & ~PYM_TD_CLASSKEY) + sizeof(void *) : tdkey;
}

int pym_sizer_init(pym_sizer *z, pym_asized_ctor make_asized, void *ctx)
{
    memset(z, 0, sizeof *z);
    z->make_asized = make_asized;
    z->make_asized_ctx = ctx;
    z->seen = pym_seenmap_new();
    z->excl = pym_ptrmap_new();
    z->prof_index = pym_ptrmap_new();
    z->dynamic = pym_tdtab_new();
    z->keepalive = PyList_New(0);
    z->excl_keys = PyList_New(0);
    if (!z->seen || !z->excl || !z->prof_index || !z->dynamic || !z->keepalive || !z->excl_keys) {
        pym_sizer_fini(z);
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    z->above = 1024;
    z->mask = 7;
    z->clip = 80;
    z->cutoff = 10;
    z->limit = 100;
    z->ignored = 1;
    return 0;
}

static void clear_stats(pym_sizer *z)
{
    for (size_t i = 0; i < z->nprofs; i++)
        Py_CLEAR(z->profs[i].objref);
    z->nprofs = 0;
    if (z->prof_index)
        pym_ptrmap_clear(z->prof_index);
    for (size_t i = 0; i < z->nranks; i++)
        Py_CLEAR(z->ranks[i].objref);
    z->nranks = 0;
}

void pym_sizer_fini(pym_sizer *z)
{
    clear_stats(z);
    free(z->profs);
    z->profs = NULL;
    pym_seenmap_free(&z->seen);
    pym_ptrmap_free(&z->excl);
    pym_ptrmap_free(&z->prof_index);
    pym_tdtab_free(&z->dynamic);
    Py_CLEAR(z->keepalive);
    Py_CLEAR(z->excl_keys);
    pym_walk_fini(&z->walk);
}

int pym_sizer_clear(pym_sizer *z)
{
    z->depth = 0;
    z->missed = 0;
    z->ranked = 0;
    z->total = 0;
    clear_stats(z);
    pym_seenmap_clear(z->seen);
    /* excluded types stay, their counts restart at 0 */
    Py_ssize_t n = PyList_GET_SIZE(z->excl_keys);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(z->excl_keys, i);
        uintptr_t key = (uintptr_t)PyTuple_GET_ITEM(t, 0);
        if (PyTuple_GET_ITEM(t, 1) == Py_True)
            key |= PYM_TD_CLASSKEY;
        if (pym_ptrmap_set(z->excl, map_key(key), 0) < 0) {
            PyErr_NoMemory();
            return -1;
        }
    }
    memset(z->tcache, 0, sizeof z->tcache);
    pym_tdtab_free(&z->dynamic);
    if (!(z->dynamic = pym_tdtab_new()))
        return -1;
    return PyList_SetSlice(z->keepalive, 0, PyList_GET_SIZE(z->keepalive), NULL);
}

pym_td_opts pym_sizer_td_opts(pym_sizer *z)
{
    pym_td_opts o = {z->derive, z->frames, z->infer, z->dynamic};
    return o;
}

int pym_sizer_seen_default(pym_sizer *z, PyObject *obj, int64_t count)
{
    if (pym_seenmap_setdefault(z->seen, (uintptr_t)obj, count) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int seen_again(pym_sizer *z, uintptr_t id)
{
    if (pym_seenmap_again(z->seen, id) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

int pym_sizer_seen_again(pym_sizer *z, PyObject *obj)
{
    return seen_again(z, (uintptr_t)obj);
}

int pym_sizer_exclude_type(pym_sizer *z, PyObject *obj)
{
    if (!Py_IS_TYPE(obj, &PyType_Type))
        return 0; /* Pympler's _key2tuple: only classes have keys */
    uintptr_t keys[2] = {(uintptr_t)obj | PYM_TD_CLASSKEY, (uintptr_t)obj};
    for (int i = 0; i < 2; i++) {
        int r = pym_ptrmap_setdefault(z->excl, map_key(keys[i]), 0);
        if (r < 0) {
            PyErr_NoMemory();
            return -1;
        }
        if (r == 1) {
            PyObject *t = PyTuple_Pack(2, obj, i == 0 ? Py_True : Py_False);
            if (!t || PyList_Append(z->excl_keys, t) < 0) {
                Py_XDECREF(t);
                return -1;
            }
            Py_DECREF(t);
        }
    }
    return 0;
}

void pym_sizer_counts(pym_sizer *z, Py_ssize_t *sized, Py_ssize_t *seen, Py_ssize_t *duplicate)
{
    size_t pos = 0;
    uintptr_t key;
    int64_t c;
    Py_ssize_t a = 0, b = 0, d = 0;
    while (pym_seenmap_next(z->seen, &pos, &key, &c)) {
        if (c > 0) {
            a++;
            b += (Py_ssize_t)c;
        }
        if (c > 1)
            d++;
    }
    if (sized)
        *sized = a;
    if (seen)
        *seen = b;
    if (duplicate)
        *duplicate = d;
}

/* ---- statistics -------------------------------------------------------- */

/* The object a profile or rank remembers: a weak reference when possible,
 * else a strong one; for a would-be __dict__, a detached copy. */
static PyObject *remember(PyObject *obj, int virt, int *weak)
{
    if (virt) {
        *weak = 0;
        return pym_virtual_dict_copy(obj);
    }
    if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(obj))) {
        PyObject *w = PyWeakref_NewRef(obj, NULL);
        if (w) {
            *weak = 1;
            return w;
        }
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            return NULL;
        PyErr_Clear();
    }
    *weak = 0;
    return Py_NewRef(obj);
}

static int prof_update(pym_sizer *z, uintptr_t key, PyObject *obj, int virt, pym_wsize size)
{
    int64_t ix;
    if (!pym_ptrmap_get(z->prof_index, map_key(key), &ix)) {
        if (z->nprofs == z->cap_profs) {
            size_t cap = z->cap_profs ? z->cap_profs * 2 : 16;
            pym_prof *np = realloc(z->profs, cap * sizeof *np);
            if (!np) {
                PyErr_NoMemory();
                return -1;
            }
            z->profs = np;
            z->cap_profs = cap;
        }
        ix = (int64_t)z->nprofs;
        if (pym_ptrmap_set(z->prof_index, map_key(key), ix) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        memset(&z->profs[z->nprofs], 0, sizeof z->profs[0]);
        z->profs[z->nprofs].key = key;
        z->nprofs++;
    }
    pym_prof *p = &z->profs[ix];
    p->number++;
    p->total += size;
    if (p->high < size) {
        p->high = size;
        int weak;
        PyObject *ref = remember(obj, virt, &weak);
        if (!ref)
            return -1;
        Py_XSETREF(p->objref, ref);
        p->weak = weak;
    }
    return 0;
}

/* Pympler's _rank: keep the 100 largest, sorted by decreasing size. */
static int rank(pym_sizer *z, const node *n)
{
    size_t i = 0, j = z->nranks;
    while (i < j) {
        size_t m = (i + j) / 2;
        if (n->s < z->ranks[m].size)
            i = m + 1;
        else
            j = m;
    }
    if (i < PYM_MAX_RANKS) {
        int weak;
        PyObject *ref = remember(n->obj, n->virt, &weak);
        if (!ref)
            return -1;
        if (z->nranks == PYM_MAX_RANKS) {
            Py_CLEAR(z->ranks[PYM_MAX_RANKS - 1].objref);
            z->nranks--;
        }
        memmove(&z->ranks[i + 1], &z->ranks[i], (z->nranks - i) * sizeof z->ranks[0]);
        pym_rank *r = &z->ranks[i];
        r->key = n->key;
        r->id = n->id;
        r->pid = n->pid;
        r->size = n->s;
        r->deep = n->deep;
        r->objref = ref;
        r->weak = weak;
        z->nranks++;
    }
    z->ranked++;
    return 0;
}

/* ---- the walk --------------------------------------------------------- */

static void node_release(node *n)
{
    Py_CLEAR(n->obj);
    Py_CLEAR(n->name);
    Py_CLEAR(n->rs);
}

/* After the referents: rank, total, Asized.  Consumes n's references. */
static int finish(pym_sizer *z, node *n, int rank_ok, node_result *out)
{
    int rc = 0;
    out->s = n->s;
    out->asized = NULL;
    if (rank_ok && z->stats && n->s > z->above && z->above > 0)
        rc = rank(z, n);
    if (n->deep == 0)
        z->total += n->s;
    if (rc == 0 && n->sized) {
        PyObject *name = n->name ? Py_NewRef(n->name) : pym_name_or_repr(n->obj, z->clip);
        if (!name)
            rc = -1;
        else {
            out->asized = z->make_asized(z->make_asized_ctx, n->s, n->f, n->rs, name);
            Py_DECREF(name);
            if (!out->asized)
                rc = -1;
        }
    }
    node_release(n);
    return rc;
}

/* Hand a finished node's result to its parent, or (p NULL) to the caller. */
static int deliver(node *p, node_result *r, node_result *top)
{
    if (!p) {
        *top = *r;
        return 0;
    }
    p->s += r->s;
    if (r->asized) {
        int rc = p->rs ? PyList_Append(p->rs, r->asized) : 0;
        Py_DECREF(r->asized);
        return rc;
    }
    return 0;
}

/* RuntimeError (incl. RecursionError) while sizing one object is counted as
 * missed, as Pympler does; anything else propagates. */
static int missed(pym_sizer *z)
{
    if (!PyErr_ExceptionMatches(PyExc_RuntimeError))
        return -1;
    PyErr_Clear();
    z->missed++;
    return 0;
}

static pym_typedef *typedef_of(pym_sizer *z, PyObject *obj, uintptr_t key)
{
    size_t slot = (key >> 4) & (sizeof z->tcache / sizeof z->tcache[0] - 1);
    if (z->tcache[slot].key == key)
        return z->tcache[slot].td;
    pym_typedef *td = pym_tdtab_get(pym_td_global(), key);
    if (!td)
        td = pym_tdtab_get(z->dynamic, key);
    if (!td) {
        pym_td_opts o = pym_sizer_td_opts(z);
        td = pym_typedef_lookup(obj, &o, NULL);
        if (!td)
            return NULL;
    }
    z->tcache[slot].key = key;
    z->tcache[slot].td = td;
    return td;
}

/* Enter one object (Pympler's _sizer up to its referents loop) met from
 * parent (NULL: the root).  Steals obj and name.  Returns PYM_WALK_DESCEND
 * with the node in *out when its referents follow (the walk stops at the
 * limit), PYM_WALK_SKIP when the node finished (its result delivered), -1 on
 * a propagating error. */
static int enter(pym_sizer *z, node *parent, PyObject *obj, uintptr_t pid, Py_ssize_t deep,
                 int sized, PyObject *name, int virt, node_result *top, node *out)
{
    node n;
    n.obj = obj;
    n.name = name;
    n.rs = NULL;
    n.td = NULL;
    n.key = 0;
    n.pid = pid;
    n.s = n.f = 0;
    n.deep = deep;
    n.sized = (uint8_t)sized;
    n.named = 0;
    n.virt = (uint8_t)virt;
    n.id = virt ? (uintptr_t)obj + sizeof(void *) : (uintptr_t)obj;
    node_result res;

    int64_t count;
    int r = pym_seenmap_get_or_insert(z->seen, n.id, 1, &count);
    if (r < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    if (r == 1) {
        if (deep || count) {
            if (count && seen_again(z, n.id) < 0)
                goto fail;
            if (finish(z, &n, 0, &res) < 0)
                return -1;
            return deliver(parent, &res, top);
        }
        if (seen_again(z, n.id) < 0)
            goto fail;
    }

    n.key = virt ? (uintptr_t)&PyDict_Type : pym_td_key_of(obj);
    int64_t ex;
    if (pym_ptrmap_size(z->excl) && pym_ptrmap_get(z->excl, map_key(n.key), &ex)) {
        if (pym_ptrmap_set(z->excl, map_key(n.key), ex + 1) < 0) {
            PyErr_NoMemory();
            goto fail;
        }
        goto done;
    }
    n.td = virt ? pym_tdtab_get(pym_td_global(), n.key) : typedef_of(z, obj, n.key);
    if (!n.td)
        goto error;
    if (!(n.td->both || z->code) || (z->ignored && n.td->kind == PYM_KIND_IGNORED))
        goto done;
    pym_wsize flat;
    if (virt) {
        flat = pym_virtual_dict_size(obj);
        if (z->mask)
            flat = (flat + z->mask) & ~(pym_wsize)z->mask;
    }
    else {
        flat = pym_flat(n.td, obj, z->mask);
    }
    if (flat < 0)
        goto error; /* a missed object's flat size stays 0, as in Pympler */
    n.s = n.f = flat;
    if (z->profile && prof_update(z, n.key, obj, virt, n.s) < 0)
        goto error;
    if (n.td->refs && !(deep && PyModule_Check(obj))) {
        /* the walk opens the referents (refs_open), below the limit */
        n.named = (uint8_t)(sized && deep < z->detail && deep < z->limit);
        *out = n;
        return PYM_WALK_DESCEND;
    }
done:
    if (finish(z, &n, 1, &res) < 0)
        return -1;
    return deliver(parent, &res, top);
error:
    if (missed(z) == 0) {
        if (finish(z, &n, 0, &res) < 0)
            return -1;
        return deliver(parent, &res, top);
    }
fail:
    node_release(&n);
    return -1;
}

/* Temporaries (objects only we hold, or made by attribute lookups) stay
 * alive until the state is cleared, so their addresses in the seen table are
 * never reused by other objects (Pympler's id-reuse accident). */
static int keep_if_temporary(pym_sizer *z, PyObject *child, int from_lookup)
{
    if (Py_REFCNT(child) == 1 || from_lookup)
        return PyList_Append(z->keepalive, child);
    return 0;
}

/* The hot path: a child that will not be walked further -- its typedef has
 * no referents (ints, strings, floats...) or it is not sized at all (a class
 * while code=False) -- is counted right here when no statistics, exclusions
 * or Asized names are wanted.  Returns 1 when handled, 0 when the general path
 * must run, -1 on a propagating error. */
static int leaf(pym_sizer *z, node *parent, PyObject *child)
{
    uintptr_t key = pym_td_key_of(child);
    size_t slot = (key >> 4) & (sizeof z->tcache / sizeof z->tcache[0] - 1);
    if (z->tcache[slot].key != key)
        return 0;
    pym_typedef *td = z->tcache[slot].td;
    int sized = (td->both || z->code) && !(z->ignored && td->kind == PYM_KIND_IGNORED);
    if (sized && td->refs != PYM_REFS_NONE)
        return 0;
    int64_t count;
    int r = pym_seenmap_get_or_insert(z->seen, (uintptr_t)child, 1, &count);
    if (r < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (r == 1)
        return count ? (seen_again(z, (uintptr_t)child) < 0 ? -1 : 1) : 1;
    if (!sized)
        return 1;
    pym_wsize s = pym_flat(td, child, z->mask);
    if (s < 0)
        return missed(z) == 0 ? 1 : -1;
    parent->s += s;
    return 1;
}

/* ---- the walk: Pympler's referents (refs.c) as the walk's policy -------- */

#define REF_MAY_CREATE 0x100 /* in pym_walk_ref.kind: from a lookup */

static int refs_open(pym_walk *w, void *cursor, PyObject *obj, Py_ssize_t depth, void *data)
{
    node *n = data;
    (void)w;
    (void)depth;
    if (n->named && !n->rs && !(n->rs = PyList_New(0)))
        return -1;
    return pym_refs_open(cursor, obj, n->td, n->named, n->virt);
}

static inline __attribute__((always_inline)) int refs_next(pym_walk *w, void *cursor, pym_walk_ref *ref)
{
    pym_refcursor *c = cursor;
    PyObject *child, *name; /* locals: ref stays in registers */
    (void)w;
    int r = pym_refs_next(c, &child, &name);
    if (r <= 0)
        return r;
    ref->obj = child;
    ref->name = name;
    ref->kind = r;
    if (r == PYM_REF_VIRTUAL_DICT) {
        ref->obj = c->obj; /* the instance stands for its would-be __dict__ */
        ref->owned = 0;
    }
    else {
        ref->owned = !c->borrowed;
        if (ref->owned && pym_refs_may_create(c))
            ref->kind |= REF_MAY_CREATE;
    }
    return 1;
}

static void refs_close(pym_walk *w, void *cursor)
{
    (void)w;
    pym_refs_close(cursor);
}

static const pym_walk_policy refs_policy = {sizeof(pym_refcursor), refs_open, refs_next, refs_close};

static int sizer_enter_node(pym_walk *w, node *fn, PyObject *child, PyObject *cname,
                            Py_ssize_t depth, int virt, void *data);

/* The visitor: a met referent becomes a node (enter), a node's result goes
 * to its parent when it is left.  The leaves first, inline: most referents
 * are ints and strings. */
static inline __attribute__((always_inline)) int sizer_enter(pym_walk *w, void *parent,
                                                             pym_walk_ref *ref, Py_ssize_t depth,
                                                             void *data)
{
    sizing *run = w->ctx;
    pym_sizer *z = run->z;
    node *fn = parent;
    if (!fn)
        return enter(z, NULL, Py_NewRef(ref->obj), 0, 0, run->sized, NULL, 0, &run->top, data);
    int virt = (ref->kind & 0xff) == PYM_REF_VIRTUAL_DICT;
    PyObject *child = ref->obj, *cname = ref->name;
    if (!ref->owned) {
        Py_INCREF(child);
    }
    else if (keep_if_temporary(z, child, (ref->kind & REF_MAY_CREATE) != 0) < 0) {
        Py_DECREF(child);
        Py_XDECREF(cname);
        return -1;
    }
    if (!virt && run->fast && !fn->named) {
        int l = leaf(z, fn, child);
        if (l != 0) {
            Py_DECREF(child);
            Py_XDECREF(cname);
            return l < 0 ? -1 : PYM_WALK_SKIP;
        }
    }
    return sizer_enter_node(w, fn, child, cname, depth, virt, data);
}

/* sizer_enter past the leaves: name the child, enter it. */
static int sizer_enter_node(pym_walk *w, node *fn, PyObject *child, PyObject *cname,
                            Py_ssize_t depth, int virt, void *data)
{
    sizing *run = w->ctx;
    pym_sizer *z = run->z;
    PyObject *name = NULL;
    if (fn->named) {
        name = cname ? cname : pym_name_or_repr(child, z->clip);
        if (!name) {
            Py_DECREF(child);
            return -1;
        }
    }
    else {
        Py_XDECREF(cname);
    }
    return enter(z, fn, child, fn->id, depth, fn->named, name, virt, &run->top, data);
}

/* Left: after its referents (DONE), when they failed with a RuntimeError
 * (FAILED: Pympler's missed), or at the limit (CUT). */
static int sizer_leave(pym_walk *w, void *data, void *parent, int how)
{
    sizing *run = w->ctx;
    node n = *(node *)data;
    if (how == PYM_WALK_DONE && run->z->depth < n.deep + 1)
        run->z->depth = n.deep + 1;
    node_result res;
    if (finish(run->z, &n, how != PYM_WALK_FAILED, &res) < 0)
        return -1;
    return deliver(parent, &res, &run->top);
}

static int sizer_error(pym_walk *w, void *data)
{
    (void)data;
    return missed(((sizing *)w->ctx)->z);
}

static void sizer_discard(pym_walk *w, void *data)
{
    (void)w;
    node_release(data);
}

_Static_assert(sizeof(node) <= PYM_WALK_MAX_DATA, "a sizer node fits in a walk frame");

static const pym_walk_visitor sizer_visitor = {
    .data_size = sizeof(node),
    .own_seen = 1,
    .enter = sizer_enter,
    .leave = sizer_leave,
    .error = sizer_error,
    .discard = sizer_discard,
};

pym_wsize pym_sizer_size(pym_sizer *z, PyObject *obj, PyObject **asized)
{
    /* the stack and state belong to z: a nested run must use another sizer */
    if (z->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this sizer is already sizing (re-entrant call)");
        return -1;
    }
    z->busy = 1;
    sizing run = {z, !z->stats && !z->profile && !pym_ptrmap_size(z->excl), asized != NULL, {0, NULL}};
    if (!z->walk.policy)
        pym_walk_init(&z->walk, &refs_policy, &sizer_visitor, NULL);
    z->walk.ctx = &run;
    z->walk.limit = z->limit;
    /* the loop with this file's policy and visitor: direct calls */
    int rc = pym_walk_run_with(&z->walk, &refs_policy, &sizer_visitor, obj);
    z->walk.ctx = NULL;
    if (rc < 0)
        Py_CLEAR(run.top.asized);
    z->busy = 0;
    if (rc < 0)
        return -1;
    if (asized)
        *asized = run.top.asized;
    else
        Py_XDECREF(run.top.asized);
    return run.top.s;
}
