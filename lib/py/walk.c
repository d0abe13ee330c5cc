/* walk.c: the graph walk of walk.h, and its two gc policies.
 *
 * A frame is [header | policy cursor | visitor data], `stride` bytes, in one
 * array that is the stack (depth-first) or the queue (breadth-first).  The
 * slot past the last frame is where a met node's data is filled, so a node
 * that is not looked into costs no push.  Pointers into the array are taken
 * only after it has grown for the step (it may move when it grows).
 */
#include "walk.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject *obj; /* borrowed: the visitor keeps it alive */
    Py_ssize_t depth;
} frame_head;

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

static inline frame_head *frame_at(pym_walk *w, size_t i)
{
    return (frame_head *)(w->frames + i * w->stride);
}

static inline void *cursor_of(pym_walk *w, frame_head *f)
{
    (void)w;
    return (char *)f + ALIGN16(sizeof(frame_head));
}

static inline void *data_of(pym_walk *w, frame_head *f)
{
    return (char *)f + ALIGN16(sizeof(frame_head)) + ALIGN16(w->policy->cursor_size);
}

int pym_walk_init(pym_walk *w, const pym_walk_policy *policy, const pym_walk_visitor *visitor,
                  void *ctx)
{
    memset(w, 0, sizeof *w);
    w->policy = policy;
    w->visitor = visitor;
    w->ctx = ctx;
    w->limit = PY_SSIZE_T_MAX;
    w->order = PYM_WALK_DFS;
    w->stride = ALIGN16(sizeof(frame_head)) + ALIGN16(policy->cursor_size) +
                ALIGN16(visitor->data_size);
    return 0;
}

void pym_walk_fini(pym_walk *w)
{
    free(w->frames);
    free(w->buf);
    w->frames = NULL;
    w->buf = NULL;
    w->nframes = w->capframes = w->head = w->nbuf = w->capbuf = 0;
}

/* Room for one more frame than there are.  0, or -1 with MemoryError. */
static int reserve_frame(pym_walk *w)
{
    if (w->nframes < w->capframes)
        return 0;
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

static void ref_release(pym_walk_ref *ref)
{
    Py_CLEAR(ref->name);
    if (ref->owned)
        Py_CLEAR(ref->obj);
}

/* The policy failed on the node of frame f (not on the stack): error()
 * decides.  0 when the node was left FAILED, -1 to end the walk. */
static int failed(pym_walk *w, frame_head *f, void *parent)
{
    const pym_walk_visitor *v = w->visitor;
    void *data = data_of(w, f);
    if (!v->error || v->error(w, data) < 0) {
        if (v->discard)
            v->discard(w, data);
        return -1;
    }
    return v->leave ? v->leave(w, data, parent, PYM_WALK_FAILED) : 0;
}

/* Meet ref at depth, from the node whose data is parent.  The frame array
 * has room for one more frame.  0, or -1 with an exception. */
static int meet(pym_walk *w, void *parent, pym_walk_ref *ref, Py_ssize_t depth)
{
    const pym_walk_visitor *v = w->visitor;
    if (depth > 0) {
        if (v->admit && !v->admit(w, ref->obj)) {
            ref_release(ref);
            return 0;
        }
        if (w->seen && !(w->skip_single && Py_REFCNT(ref->obj) == 1)) {
            int r = pym_seenmap_setdefault(w->seen, (uintptr_t)ref->obj, 1);
            if (r <= 0) {
                ref_release(ref);
                if (r < 0)
                    PyErr_NoMemory();
                return r;
            }
        }
    }
    frame_head *f = frame_at(w, w->nframes);
    void *data = data_of(w, f);
    PyObject *obj = ref->obj;
    int r = v->enter(w, parent, ref, depth, data);
    if (r <= PYM_WALK_SKIP)
        return r;
    if (r == PYM_WALK_DESCEND && depth < w->limit) {
        f->obj = obj;
        f->depth = depth;
        if (w->order == PYM_WALK_BFS) {
            w->nframes++; /* opened when its turn comes */
            return 0;
        }
        if (w->policy->open(w, cursor_of(w, f), obj, depth, data) < 0)
            return failed(w, f, parent);
        w->nframes++;
        return 0;
    }
    return v->leave ? v->leave(w, data, parent, PYM_WALK_CUT) : 0;
}

/* Leave the top frame. */
static int pop(pym_walk *w, int how)
{
    frame_head *f = frame_at(w, --w->nframes);
    w->policy->close(w, cursor_of(w, f));
    if (!w->visitor->leave)
        return 0;
    void *parent = w->nframes ? data_of(w, frame_at(w, w->nframes - 1)) : NULL;
    return w->visitor->leave(w, data_of(w, f), parent, how);
}

static int run_dfs(pym_walk *w)
{
    int rc = 0;
    while (rc >= 0 && w->nframes) {
        if (reserve_frame(w) < 0)
            return -1;
        frame_head *f = frame_at(w, w->nframes - 1);
        pym_walk_ref ref = {NULL, NULL, 0, 0};
        int r = w->policy->next(w, cursor_of(w, f), &ref);
        if (r > 0)
            rc = meet(w, data_of(w, f), &ref, f->depth + 1);
        else if (r == 0)
            rc = pop(w, PYM_WALK_DONE);
        else {
            w->nframes--;
            w->policy->close(w, cursor_of(w, f));
            rc = failed(w, f, w->nframes ? data_of(w, frame_at(w, w->nframes - 1)) : NULL);
        }
    }
    return rc;
}

/* Breadth-first: frames are a queue; each is opened, drained and closed in
 * turn, its referents queued behind it. */
static int run_bfs(pym_walk *w)
{
    const pym_walk_visitor *v = w->visitor;
    while (w->head < w->nframes) {
        size_t i = w->head++;
        frame_head *f = frame_at(w, i);
        if (w->policy->open(w, cursor_of(w, f), f->obj, f->depth, data_of(w, f)) < 0) {
            if (failed(w, f, NULL) < 0)
                return -1;
            continue;
        }
        int how = PYM_WALK_DONE;
        for (;;) {
            if (reserve_frame(w) < 0) {
                f = frame_at(w, i);
                w->policy->close(w, cursor_of(w, f));
                return -1;
            }
            f = frame_at(w, i);
            pym_walk_ref ref = {NULL, NULL, 0, 0};
            int r = w->policy->next(w, cursor_of(w, f), &ref);
            if (r == 0)
                break;
            if (r < 0) {
                how = PYM_WALK_FAILED;
                break;
            }
            if (meet(w, data_of(w, f), &ref, f->depth + 1) < 0) {
                f = frame_at(w, i);
                w->policy->close(w, cursor_of(w, f));
                return -1;
            }
        }
        f = frame_at(w, i);
        w->policy->close(w, cursor_of(w, f));
        if (how == PYM_WALK_FAILED) {
            if (failed(w, f, NULL) < 0)
                return -1;
        }
        else if (v->leave && v->leave(w, data_of(w, f), NULL, PYM_WALK_DONE) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The walk failed: discard every node still held (DFS: the open frames;
 * BFS: the queued ones, never opened). */
static void discard_all(pym_walk *w)
{
    const pym_walk_visitor *v = w->visitor;
    if (w->order == PYM_WALK_BFS) {
        for (size_t i = w->head; i < w->nframes; i++)
            if (v->discard)
                v->discard(w, data_of(w, frame_at(w, i)));
    }
    else {
        while (w->nframes) {
            frame_head *f = frame_at(w, --w->nframes);
            w->policy->close(w, cursor_of(w, f));
            if (v->discard)
                v->discard(w, data_of(w, f));
        }
    }
}

int pym_walk_run(pym_walk *w, PyObject *root)
{
    if (w->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this walk is already running (re-entrant call)");
        return -1;
    }
    w->busy = 1;
    w->nframes = w->head = w->nbuf = 0;
    pym_walk_ref ref = {root, NULL, 0, 0};
    int rc = reserve_frame(w);
    if (rc == 0)
        rc = meet(w, NULL, &ref, 0);
    if (rc == 0)
        rc = w->order == PYM_WALK_BFS ? run_bfs(w) : run_dfs(w);
    if (rc < 0)
        discard_all(w);
    w->nframes = w->head = w->nbuf = 0;
    w->busy = 0;
    return rc;
}

/* ---- the gc policies ------------------------------------------------------ */

typedef struct {
    size_t start, pos, end;
} gc_cursor;

static int buffer_ref(PyObject *ref, void *arg)
{
    pym_walk *w = arg;
    if (w->nbuf == w->capbuf) {
        size_t cap = w->capbuf ? w->capbuf * 2 : 256;
        PyObject **b = realloc(w->buf, cap * sizeof *b);
        if (!b)
            return -1;
        w->buf = b;
        w->capbuf = cap;
    }
    pym_prefetch_tracked(ref);
    w->buf[w->nbuf++] = ref;
    return 0;
}

static int gc_open_with(pym_walk *w, gc_cursor *c, PyObject *obj, int keys)
{
    c->start = c->pos = w->nbuf;
    if (pym_walk_gc_referents(obj, buffer_ref, w) < 0)
        goto nomem;
    if (keys && PyDict_Check(obj)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(obj, &pos, &key, &value))
            if (buffer_ref(key, w) < 0)
                goto nomem;
    }
    c->end = w->nbuf;
    return 0;
nomem:
    w->nbuf = c->start;
    PyErr_NoMemory();
    return -1;
}

static int gc_open(pym_walk *w, void *cursor, PyObject *obj, Py_ssize_t depth, void *data)
{
    (void)depth;
    (void)data;
    return gc_open_with(w, cursor, obj, 0);
}

static int gc_keys_open(pym_walk *w, void *cursor, PyObject *obj, Py_ssize_t depth, void *data)
{
    (void)depth;
    (void)data;
    return gc_open_with(w, cursor, obj, 1);
}

static int gc_next(pym_walk *w, void *cursor, pym_walk_ref *ref)
{
    gc_cursor *c = cursor;
    if (c->pos == c->end)
        return 0;
    ref->obj = w->buf[c->pos++];
    return 1;
}

/* Depth-first, a node's referents are buffered above its parent's and
 * closed first; breadth-first, one node is open at a time. */
static void gc_close(pym_walk *w, void *cursor)
{
    w->nbuf = ((gc_cursor *)cursor)->start;
}

const pym_walk_policy pym_walk_gc = {sizeof(gc_cursor), gc_open, gc_next, gc_close};
const pym_walk_policy pym_walk_gc_and_keys = {sizeof(gc_cursor), gc_keys_open, gc_next, gc_close};
