/* ptrindex: a map from object addresses to small indices (uint32_t), for
 * numbering the objects of a graph.  Open addressing, no deletion.  Keeps no
 * reference to anything.  Not thread-safe. */
#ifndef PYM_PTRINDEX_H
#define PYM_PTRINDEX_H

#include <stddef.h>
#include <stdint.h>

#define PYM_PTRINDEX_NONE UINT32_MAX

typedef struct pym_ptrindex pym_ptrindex;

/* A map sized for about `expected` keys (it grows beyond); NULL on OOM. */
pym_ptrindex *pym_ptrindex_new(size_t expected);
void pym_ptrindex_free(pym_ptrindex **map); /* nulls *map; NULL ok */

/* Insert key -> index unless key is present.  Returns 1 inserted, 0 present
 * (the stored index is kept), -1 on OOM.  key must be non-zero. */
int pym_ptrindex_put(pym_ptrindex *map, uintptr_t key, uint32_t index);
/* The index of key, or PYM_PTRINDEX_NONE. */
uint32_t pym_ptrindex_get(const pym_ptrindex *map, uintptr_t key);
size_t pym_ptrindex_size(const pym_ptrindex *map);

#endif
