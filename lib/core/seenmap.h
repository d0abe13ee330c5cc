/* seenmap: the set of object addresses a traversal has met, with a count each.
 *
 * Memory is split into 64 KiB chunks of address space; each chunk that holds
 * a visited object gets two bitmaps with one bit per 8 bytes: "present", and
 * "count is not 1" (the exact count then lives in a small side map).  Objects
 * are at least 16 bytes and 8-byte aligned, so distinct objects never share a
 * bit; and because traversals meet objects roughly in allocation order, the
 * bitmaps are dense and cache friendly.  About 2 bits per 8 bytes of the
 * address ranges visited, plus 32 bytes per chunk: a few bytes per object.
 *
 * Keys must be non-zero and 8-byte aligned.  Not thread-safe.
 */
#ifndef PYM_SEENMAP_H
#define PYM_SEENMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pym_seenmap pym_seenmap;

/* NULL when out of memory; free with pym_seenmap_free (nulls the pointer). */
pym_seenmap *pym_seenmap_new(void);
void pym_seenmap_free(pym_seenmap **map);
/* Forget every key; keeps the memory for reuse. */
void pym_seenmap_clear(pym_seenmap *map);

/* 1 with *count when key is present, 0 when absent. */
int pym_seenmap_get(pym_seenmap *map, uintptr_t key, int64_t *count);
/* Present: return 1 with *count.  Absent: insert with `initial`, return 0.
 * -1 when out of memory (nothing inserted). */
int pym_seenmap_get_or_insert(pym_seenmap *map, uintptr_t key, int64_t initial, int64_t *count);
/* Set key's count, inserting it.  0, or -1 when out of memory. */
int pym_seenmap_set(pym_seenmap *map, uintptr_t key, int64_t count);
/* Pympler's _Seen.again(key): count + 1 when that is positive (so -1 stays
 * -1, 0 becomes 1, absent becomes 1).  0, or -1 when out of memory. */
int pym_seenmap_again(pym_seenmap *map, uintptr_t key);
/* Insert with count when absent: 1 inserted, 0 present, -1 out of memory. */
int pym_seenmap_setdefault(pym_seenmap *map, uintptr_t key, int64_t count);

/* Number of keys. */
size_t pym_seenmap_size(const pym_seenmap *map);
/* Bytes in use (chunks, tables, side map). */
size_t pym_seenmap_bytes(const pym_seenmap *map);

/* Iterate all keys: *pos starts at 0; 1 with key and count, 0 at the end.
 * The order is unspecified. */
int pym_seenmap_next(pym_seenmap *map, size_t *pos, uintptr_t *key, int64_t *count);

#endif
