/* typedef.h: how each kind of object is sized (Pympler's _Typedef).
 *
 * A typedef says, for the instances of one type (or for one class object,
 * Pympler's "<class ... def>" keys), the basic and item size, which length
 * function and which referents function apply, whether the object counts as
 * data or only as code, and its kind (static, dynamic, derived, ignored,
 * inferred).  The builtin ("static") typedefs are made once per process in
 * Pympler's registration order; all others are derived from the first object
 * of their type met in one sizing run (see docs/asizeof.md for why this is per
 * run and not per process).
 */
#ifndef PYM_TYPEDEF_H
#define PYM_TYPEDEF_H

#include "pyrt.h"

#include <stdint.h>

typedef enum {
    PYM_KIND_STATIC,
    PYM_KIND_DYNAMIC,
    PYM_KIND_DERIVED,
    PYM_KIND_IGNORED,
    PYM_KIND_INFERRED,
    PYM_KIND_COUNT
} pym_kind;

/* Length functions, named as Pympler names them (_len_xxx). */
typedef enum {
    PYM_LEN_NONE,
    PYM_LEN_LEN,
    PYM_LEN_BYTEARRAY,
    PYM_LEN_CODE,
    PYM_LEN_DICT,
    PYM_LEN_FRAME,
    PYM_LEN_INT,
    PYM_LEN_ITER,
    PYM_LEN_LIST,
    PYM_LEN_MODULE,
    PYM_LEN_SET,
    PYM_LEN_SLICE,
    PYM_LEN_STRUCT,
    PYM_LEN_UNICODE,
    PYM_LEN_ARRAY,
    PYM_LEN_NUMPY,
    PYM_LEN_NUMPY_MEMMAP
} pym_leng;

/* Referent functions (_xxx_refs). */
typedef enum {
    PYM_REFS_NONE,
    PYM_REFS_CELL,
    PYM_REFS_CLASS,
    PYM_REFS_CO,
    PYM_REFS_DICT,
    PYM_REFS_ENUM,
    PYM_REFS_EXC,
    PYM_REFS_FILE,
    PYM_REFS_FRAME,
    PYM_REFS_FUNC,
    PYM_REFS_GEN,
    PYM_REFS_IM,
    PYM_REFS_INST,
    PYM_REFS_ITER,
    PYM_REFS_MODULE,
    PYM_REFS_NAMEDTUPLE,
    PYM_REFS_PROP,
    PYM_REFS_SEQ,
    PYM_REFS_STAT,
    PYM_REFS_STATVFS,
    PYM_REFS_TB,
    PYM_REFS_TYPE,
    PYM_REFS_WEAK,
    PYM_REFS_NUMPY
} pym_refs;

typedef struct pym_typedef {
    PyObject *type;  /* owned: the type this typedef describes (Pympler's .type) */
    Py_ssize_t base; /* basic size, GC header included */
    Py_ssize_t item; /* item size */
    uint8_t leng;    /* pym_leng */
    uint8_t refs;    /* pym_refs */
    uint8_t kind;    /* pym_kind */
    uint8_t both;    /* 1: data, 0: code only */
    uint8_t vari;    /* item size varies: read obj.itemsize */
    uint8_t mapped;  /* numpy.memmap: add the mapped share of the file */
    uint8_t direct;  /* instances: 0 unknown, else PYM_DIRECT_* bits + 1 */
    PyObject *slots; /* owned, lazily: mangled __slots__ names (tuple) or Py_None */
    /* how sys.getsizeof is computed for sz_type (a static type), see flatsize.c */
    PyTypeObject *sz_type;
    unsigned int sz_version; /* heap types: tp_version_tag when resolved */
    uint8_t sz_kind;
    PyCFunction sz_fn;
    Py_ssize_t sz_pre;
} pym_typedef;

/* Which instance attributes the engine may read without a lookup. */
#define PYM_DIRECT_DICT 1  /* __dict__ is the standard slot */
#define PYM_DIRECT_CLASS 2 /* __class__ is type(obj) */

/* Table keys: a type (instances of it) or a class object tagged as class key. */
#define PYM_TD_CLASSKEY ((uintptr_t)1)

static inline uintptr_t pym_td_key_of(PyObject *obj)
{
    if (Py_IS_TYPE(obj, &PyType_Type))
        return (uintptr_t)obj | PYM_TD_CLASSKEY;
    return (uintptr_t)Py_TYPE(obj);
}

static inline PyObject *pym_td_key_object(uintptr_t key)
{
    return (PyObject *)(key & ~PYM_TD_CLASSKEY);
}

/* A table from keys to typedefs; owns both the key objects and typedefs. */
typedef struct pym_tdtab pym_tdtab;

pym_tdtab *pym_tdtab_new(void);
void pym_tdtab_free(pym_tdtab **tab);
pym_typedef *pym_tdtab_get(const pym_tdtab *tab, uintptr_t key);
/* Insert td under key (takes ownership of td, adds a reference to the key's
 * object).  Returns 0, or -1 with MemoryError set (td is then freed). */
int pym_tdtab_put(pym_tdtab *tab, uintptr_t key, pym_typedef *td);
size_t pym_tdtab_size(const pym_tdtab *tab);
/* Iterate in insertion order: *pos from 0; returns 1 with key and typedef. */
int pym_tdtab_next(const pym_tdtab *tab, size_t *pos, uintptr_t *key, pym_typedef **td);

/* The process-wide table: the static typedefs, in Pympler's order, plus the
 * ones saved with basicsize(..., save=True). */
pym_tdtab *pym_td_global(void);
/* Build the global table; idempotent.  0, or -1 with an exception. */
int pym_td_init(PyObject *dict_types);

/* Options that shape a new typedef. */
typedef struct {
    int derive, frames, infer;
    pym_tdtab *dynamic; /* searched by derive besides the global table */
} pym_td_opts;

/* Make the typedef for obj's key (Pympler's _typedef(obj)).  New typedef the
 * caller owns, or NULL with an exception set. */
pym_typedef *pym_typedef_make(PyObject *obj, const pym_td_opts *opts);
void pym_typedef_free(pym_typedef *td);

/* Find or make: global table, then `dynamic` (which receives new typedefs
 * when non-NULL; otherwise *made is set and the caller frees it). */
pym_typedef *pym_typedef_lookup(PyObject *obj, const pym_td_opts *opts, pym_typedef **made);

/* Names as Pympler prints them. */
const char *pym_kind_name(int kind);
const char *pym_leng_name(int leng);
const char *pym_refs_name(int refs);

/* dict-like class registry (Pympler's _dict_types), a dict module -> tuple
 * of class names: the one given to the first pym_td_init, owned here for the
 * process (every import of pympler.asizeof shows this same dict). */
extern PyObject *pym_dict_types;

/* adict() added cls to pym_dict_types: if instances of cls were sized as
 * plain instances before, they stay so (Pympler keeps the first rule of a
 * type forever).  0, or -1 with an exception. */
int pym_td_adict_added(PyObject *cls);

/* The numpy.memmap mapped fraction (Pympler's _amapped). */
extern double pym_amapped;

#endif
