/* ptrmap: an open-addressing hash map from object addresses to small counts.
 *
 * It is the "seen" table of every traversal: one 8-byte slot per address, the
 * count packed into the low 3 bits (objects are 8-byte aligned), counts that do
 * not fit spill into an overflow map.  Keeps no reference to anything: keys are
 * plain addresses.  Not thread-safe.  Memory: 8 bytes per slot, load kept
 * between 0.35 and 0.7, so 11-23 bytes per key.
 */
#ifndef PYM_PTRMAP_H
#define PYM_PTRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pym_ptrmap pym_ptrmap;

/* Create an empty map; NULL when out of memory. Free with pym_ptrmap_free. */
pym_ptrmap *pym_ptrmap_new(void);
/* Free the map and set *map to NULL; a NULL *map is fine. */
void pym_ptrmap_free(pym_ptrmap **map);
/* Remove every key, keep the allocation. */
void pym_ptrmap_clear(pym_ptrmap *map);

/* Look up key (must be non-zero and 8-byte aligned).  Returns 1 and stores the
 * count in *count when present, 0 when absent. */
int pym_ptrmap_get(const pym_ptrmap *map, uintptr_t key, int64_t *count);
/* Set the count of key, inserting it when absent.  Returns 0, or -1 when out
 * of memory (the map is unchanged then). */
int pym_ptrmap_set(pym_ptrmap *map, uintptr_t key, int64_t count);
/* Insert key with count when absent; when present leave it.  Returns 1 when
 * inserted, 0 when it was present, -1 when out of memory. */
int pym_ptrmap_setdefault(pym_ptrmap *map, uintptr_t key, int64_t count);

/* The traversal hot path: when key is present return 1 with its count in
 * *count; when absent insert it with count `initial` and return 0; -1 when out
 * of memory. */
int pym_ptrmap_get_or_insert(pym_ptrmap *map, uintptr_t key, int64_t initial, int64_t *count);

/* Number of keys. */
size_t pym_ptrmap_size(const pym_ptrmap *map);
/* Bytes the map occupies (slots and overflow), for memory reports. */
size_t pym_ptrmap_bytes(const pym_ptrmap *map);

/* Iterate: start with *pos = 0; returns 1 with key/count filled, 0 at end. */
int pym_ptrmap_next(const pym_ptrmap *map, size_t *pos, uintptr_t *key, int64_t *count);

#endif
