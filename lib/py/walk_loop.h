/* walk_loop.h: the graph walk's loop (walk.h), for walk.c and for walks
 * that must not pay an indirect call per referent.
 *
 * pym_walk_run_with(w, P, V, root) is pym_walk_run() with the policy P and
 * the visitor V given again; where they are the addresses of `static const`
 * tables of the caller's file, the compiler calls (and inlines) their
 * functions directly (the sizer: a hot loop over millions of referents).
 * walk.c runs the same code through the pointers (pym_walk_run).
 *
 * A frame is [header | policy cursor | visitor data], `stride` bytes, in one
 * array that is the stack (depth-first) or the queue (breadth-first).  A met
 * node's data is filled on the C stack and moved to the slot past the last
 * frame (always there: the array grows after a push) when it is looked
 * into, so a leaf costs no access to the array.  Pointers into the array are
 * taken again after a push (the array may move when it grows).
 */
#ifndef PYM_WALK_LOOP_H
#define PYM_WALK_LOOP_H

#include "walk.h"

#include <stdlib.h>
#include <string.h>

#define PYM_WALK_INLINE static inline __attribute__((always_inline))

typedef struct {
    PyObject *obj; /* borrowed: the visitor keeps it alive */
    Py_ssize_t depth;
} pym_walk_head;

#define PYM_WALK_ALIGN(n) (((n) + 15) & ~(size_t)15)

PYM_WALK_INLINE size_t pym_walk_stride(const pym_walk_policy *P, const pym_walk_visitor *V)
{
    return PYM_WALK_ALIGN(sizeof(pym_walk_head)) + PYM_WALK_ALIGN(P->cursor_size) +
           PYM_WALK_ALIGN(V->data_size);
}

/* Frame i; the stride from P and V (a constant where they are), which is
 * w->stride. */
PYM_WALK_INLINE pym_walk_head *pym_walk_frame(pym_walk *w, const pym_walk_policy *P,
                                              const pym_walk_visitor *V, size_t i)
{
    return (pym_walk_head *)(w->frames + i * pym_walk_stride(P, V));
}

PYM_WALK_INLINE void *pym_walk_cursor(pym_walk_head *f)
{
    return (char *)f + PYM_WALK_ALIGN(sizeof(pym_walk_head));
}

PYM_WALK_INLINE void *pym_walk_data(const pym_walk_policy *P, pym_walk_head *f)
{
    return (char *)f + PYM_WALK_ALIGN(sizeof(pym_walk_head)) + PYM_WALK_ALIGN(P->cursor_size);
}

/* Room for one more frame than there are.  0, or -1 with MemoryError. */
static inline int pym_walk_grow(pym_walk *w)
{
    size_t cap = w->capframes ? w->capframes * 2 : 64;
    char *f = cap <= SIZE_MAX / w->stride ? realloc(w->frames, cap * w->stride) : NULL;
    if (!f) {
        PyErr_NoMemory();
        return -1;
    }
    w->frames = f;
    w->capframes = cap;
    return 0;
}

PYM_WALK_INLINE int pym_walk_reserve(pym_walk *w)
{
    return w->nframes < w->capframes ? 0 : pym_walk_grow(w);
}

PYM_WALK_INLINE void pym_walk_ref_release(pym_walk_ref *ref)
{
    Py_CLEAR(ref->name);
    if (ref->owned)
        Py_CLEAR(ref->obj);
}

/* The policy failed on the node of frame f (not on the stack): error()
 * decides.  0 when the node was left FAILED, -1 to end the walk. */
PYM_WALK_INLINE int pym_walk_failed(pym_walk *w, const pym_walk_policy *P,
                                    const pym_walk_visitor *V, pym_walk_head *f, void *parent)
{
    void *data = pym_walk_data(P, f);
    if (!V->error || V->error(w, data) < 0) {
        if (V->discard)
            V->discard(w, data);
        return -1;
    }
    return V->leave ? V->leave(w, data, parent, PYM_WALK_FAILED) : 0;
}

/* Meet ref at depth, from the node whose data is parent.  The frame array
 * has room for one more frame.  0, or -1 with an exception. */
PYM_WALK_INLINE int pym_walk_meet(pym_walk *w, const pym_walk_policy *P, const pym_walk_visitor *V,
                                  void *parent, pym_walk_ref *ref, Py_ssize_t depth)
{
    if (parent || depth > 0) { /* a referent (roots have neither) */
        if (V->admit && !V->admit(w, ref->obj)) {
            pym_walk_ref_release(ref);
            return 0;
        }
        if (!V->own_seen && w->seen && !(w->skip_single && Py_REFCNT(ref->obj) == 1)) {
            int r = pym_seenmap_setdefault(w->seen, (uintptr_t)ref->obj, 1);
            if (r <= 0) {
                pym_walk_ref_release(ref);
                if (r < 0)
                    PyErr_NoMemory();
                return r;
            }
        }
    }
    /* The node's data is filled here and moved to its frame only when it
     * is looked into: a leaf costs no access to the frame array. */
    _Alignas(16) char data[PYM_WALK_MAX_DATA];
    PyObject *obj = ref->obj;
    int r = V->enter(w, parent, ref, depth, data);
    if (r <= PYM_WALK_SKIP)
        return r;
    if (r == PYM_WALK_DESCEND && depth < w->limit) {
        pym_walk_head *f = pym_walk_frame(w, P, V, w->nframes);
        memcpy(pym_walk_data(P, f), data, V->data_size);
        f->obj = obj;
        f->depth = depth;
        if (w->order == PYM_WALK_BFS) {
            w->nframes++; /* opened when its turn comes */
            return pym_walk_reserve(w);
        }
        if (P->open(w, pym_walk_cursor(f), obj, depth, pym_walk_data(P, f)) < 0)
            return pym_walk_failed(w, P, V, f, parent);
        w->nframes++;
        return pym_walk_reserve(w); /* the next node's slot */
    }
    return V->leave ? V->leave(w, data, parent, PYM_WALK_CUT) : 0;
}

PYM_WALK_INLINE int pym_walk_dfs(pym_walk *w, const pym_walk_policy *P, const pym_walk_visitor *V)
{
    while (w->nframes) {
        /* The referents of the top frame, until one is looked into (a
         * push: its referents come first) or they end.  Nothing moves the
         * frame array but a push. */
        size_t top = w->nframes;
        pym_walk_head *f = pym_walk_frame(w, P, V, top - 1);
        void *cursor = pym_walk_cursor(f), *data = pym_walk_data(P, f);
        Py_ssize_t depth = f->depth + 1;
        pym_walk_ref ref; /* next() fills it */
        int r;
        while ((r = P->next(w, cursor, &ref)) > 0) {
            if (pym_walk_meet(w, P, V, data, &ref, depth) < 0)
                return -1;
            if (w->nframes != top)
                break;
        }
        if (r > 0)
            continue;
        /* the end of f's referents (r == 0), or its policy failed */
        w->nframes--;
        P->close(w, cursor);
        void *parent = w->nframes ? pym_walk_data(P, pym_walk_frame(w, P, V, w->nframes - 1)) : NULL;
        int rc = r < 0 ? pym_walk_failed(w, P, V, f, parent)
                       : V->leave ? V->leave(w, data, parent, PYM_WALK_DONE) : 0;
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Breadth-first: frames are a queue; each is opened, drained and closed in
 * turn, its referents queued behind it. */
PYM_WALK_INLINE int pym_walk_bfs(pym_walk *w, const pym_walk_policy *P, const pym_walk_visitor *V)
{
    while (w->head < w->nframes) {
        size_t i = w->head++;
        pym_walk_head *f = pym_walk_frame(w, P, V, i);
        if (P->open(w, pym_walk_cursor(f), f->obj, f->depth, pym_walk_data(P, f)) < 0) {
            if (pym_walk_failed(w, P, V, f, NULL) < 0)
                return -1;
            continue;
        }
        int r;
        for (;;) {
            f = pym_walk_frame(w, P, V, i);
            pym_walk_ref ref; /* next() fills it */
            if ((r = P->next(w, pym_walk_cursor(f), &ref)) <= 0)
                break;
            if (pym_walk_meet(w, P, V, pym_walk_data(P, f), &ref, f->depth + 1) < 0) {
                r = -2;
                break;
            }
        }
        f = pym_walk_frame(w, P, V, i);
        P->close(w, pym_walk_cursor(f));
        if (r == -2) {
            /* the walk ends: this frame, dequeued, is not left */
            if (V->discard)
                V->discard(w, pym_walk_data(P, f));
            return -1;
        }
        if (r < 0) {
            if (pym_walk_failed(w, P, V, f, NULL) < 0)
                return -1;
        }
        else if (V->leave && V->leave(w, pym_walk_data(P, f), NULL, PYM_WALK_DONE) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The walk failed: discard every node still held (DFS: the open frames;
 * BFS: the queued ones not left yet). */
PYM_WALK_INLINE void pym_walk_discard_all(pym_walk *w, const pym_walk_policy *P,
                                          const pym_walk_visitor *V)
{
    if (w->order == PYM_WALK_BFS) {
        for (size_t i = w->head; i < w->nframes; i++)
            if (V->discard)
                V->discard(w, pym_walk_data(P, pym_walk_frame(w, P, V, i)));
        return;
    }
    while (w->nframes) {
        pym_walk_head *f = pym_walk_frame(w, P, V, --w->nframes);
        P->close(w, pym_walk_cursor(f));
        if (V->discard)
            V->discard(w, pym_walk_data(P, f));
    }
}

PYM_WALK_INLINE int pym_walk_run_with(pym_walk *w, const pym_walk_policy *P,
                                      const pym_walk_visitor *V, PyObject *root)
{
    if (w->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this walk is already running (re-entrant call)");
        return -1;
    }
    w->busy = 1;
    w->nframes = w->head = w->nbuf = 0;
    pym_walk_ref ref = {root, NULL, 0, 0};
    int rc = pym_walk_reserve(w);
    if (rc == 0)
        rc = pym_walk_meet(w, P, V, NULL, &ref, 0);
    if (rc == 0)
        rc = w->order == PYM_WALK_BFS ? pym_walk_bfs(w, P, V) : pym_walk_dfs(w, P, V);
    if (rc < 0)
        pym_walk_discard_all(w, P, V);
    w->nframes = w->head = w->nbuf = 0;
    w->busy = 0;
    return rc;
}

#endif
