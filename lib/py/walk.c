/* walk.c: the graph walk of walk.h (its loop: walk_loop.h), and the two
 * gc policies. */
#include "walk_loop.h"

#include <stdlib.h>
#include <string.h>

int pym_walk_init(pym_walk *w, const pym_walk_policy *policy, const pym_walk_visitor *visitor,
                  void *ctx)
{
    if (visitor->data_size > PYM_WALK_MAX_DATA) {
        PyErr_SetString(PyExc_SystemError, "walk visitor state too big");
        return -1;
    }
    memset(w, 0, sizeof *w);
    w->policy = policy;
    w->visitor = visitor;
    w->ctx = ctx;
    w->limit = PY_SSIZE_T_MAX;
    w->order = PYM_WALK_DFS;
    w->stride = pym_walk_stride(policy, visitor);
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

int pym_walk_run(pym_walk *w, PyObject *root)
{
    return pym_walk_run_with(w, w->policy, w->visitor, root);
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
    ref->name = NULL;
    ref->kind = 0;
    ref->owned = 0;
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
