/* refs.h: enumerate an object's referents the way Pympler's _xxx_refs
 * functions do, one at a time, without recursion.
 *
 * A cursor is opened on an object with its typedef; each pym_refs_next()
 * yields the next referent.  In named mode it also yields the name Pympler's
 * asized() shows for it ('[K] key', '[V] key: repr', attribute names); unnamed
 * referents (sequence items) come with a NULL name and the caller names them.
 * Cursors never materialise an instance __dict__: when an instance's
 * attributes live in inline values, the cursor yields PYM_REF_VIRTUAL_DICT and
 * the caller sizes the dict that reading obj.__dict__ would create.
 */
#ifndef PYM_REFS_H
#define PYM_REFS_H

#include "typedef.h"

enum {
    PYM_REF_END = 0,
    PYM_REF_OBJECT = 1,       /* *child is a new reference */
    PYM_REF_VIRTUAL_DICT = 2, /* the would-be __dict__ of the cursor's object */
};

typedef struct pym_refcursor {
    uint8_t kind;    /* internal cursor kind */
    uint8_t named;   /* yield names */
    uint8_t phase;   /* position within multi-part kinds */
    uint8_t key_out; /* dict kinds: the key of the current pair was yielded */
    uint8_t borrowed; /* the last child is borrowed (valid until the next call) */
    uint8_t bounded; /* items() of a real dict: trusted for `used` pairs only */
    Py_ssize_t pos;  /* index or dict position */
    Py_ssize_t used; /* container size at open, to detect mutation */
    void *token;     /* inline-values pointer at open (virtual dicts) */
    PyObject *obj;   /* owned: the object whose referents these are */
    PyObject *aux;   /* owned: list of (name, value), dict or iterator */
    PyObject *pend_key, *pend_val; /* owned: dict pair in progress */
    pym_typedef *td; /* borrowed */
} pym_refcursor;

/* Open a cursor.  `virtual_dict` says obj stands for its would-be __dict__.
 * Returns 0, or -1 with an exception (the cursor is then closed). */
int pym_refs_open(pym_refcursor *c, PyObject *obj, pym_typedef *td, int named, int virtual_dict);

/* Next referent: PYM_REF_OBJECT with *child (a new reference, or borrowed
 * when c->borrowed is set: then it stays valid until the next call, as long as
 * no Python code runs in between) and, in named mode,
 * *name (new ref, or NULL when the referent is unnamed); PYM_REF_VIRTUAL_DICT
 * with *name; PYM_REF_END; or -1 with an exception. */
int pym_refs_next(pym_refcursor *c, PyObject **child, PyObject **name);

void pym_refs_close(pym_refcursor *c);

/* True when this cursor's referents come from attribute lookups or items()
 * calls, which may create new objects (temporaries). */
int pym_refs_may_create(const pym_refcursor *c);

/* Name of the module whose referents Pympler never follows (itself). */
#define PYM_SELF_MODULE "pympler.asizeof"

#endif
