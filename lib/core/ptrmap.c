/* ptrmap.c: address -> count hash map with 3-bit inline counts.
 *
 * Slot layout: key | code, where key is the 8-byte aligned address and code
 * (low 3 bits) encodes the count: 1 -> -1, 2 -> 0, 3..6 -> 1..4, 7 -> the
 * count lives in the overflow map.  A slot of 0 is empty.  Code 0 never occurs
 * in a used slot, so an empty slot is simply 0.  Linear probing; no deletion
 * (traversals only ever add), which keeps probing simple.
 */
#include "ptrmap.h"

#include <stdlib.h>
#include <string.h>

#define CODE_MASK ((uintptr_t)7)
#define CODE_BIG 7
#define MIN_SLOTS 64 /* power of two */

typedef struct {
    uintptr_t key;
    int64_t count;
} big_entry;

struct pym_ptrmap {
    uintptr_t *slots;
    size_t mask; /* slots - 1 */
    size_t used;
    /* overflow: a small open-addressing table of (key, count) */
    big_entry *big;
    size_t big_mask;
    size_t big_used;
};

static inline size_t hash_ptr(uintptr_t key)
{
    /* Fibonacci hashing of the address without its alignment bits. */
    uint64_t h = (uint64_t)(key >> 3) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17);
}

static inline int count_code(int64_t count)
{
    if (count >= -1 && count <= 4)
        return (int)(count + 2);
    return CODE_BIG;
}

/* ---- overflow map ------------------------------------------------------ */

static big_entry *big_find(const pym_ptrmap *m, uintptr_t key)
{
    if (!m->big)
        return NULL;
    size_t i = hash_ptr(key) & m->big_mask;
    for (;;) {
        big_entry *e = &m->big[i];
        if (e->key == key)
            return e;
        if (e->key == 0)
            return NULL;
        i = (i + 1) & m->big_mask;
    }
}

static int big_grow(pym_ptrmap *m)
{
    size_t n = m->big ? (m->big_mask + 1) * 2 : 16;
    big_entry *nb = calloc(n, sizeof *nb);
    if (!nb)
        return -1;
    if (m->big) {
        for (size_t j = 0; j <= m->big_mask; j++) {
            if (m->big[j].key == 0)
                continue;
            size_t i = hash_ptr(m->big[j].key) & (n - 1);
            while (nb[i].key)
                i = (i + 1) & (n - 1);
            nb[i] = m->big[j];
        }
        free(m->big);
    }
    m->big = nb;
    m->big_mask = n - 1;
    return 0;
}

static int big_set(pym_ptrmap *m, uintptr_t key, int64_t count)
{
    big_entry *e = big_find(m, key);
    if (e) {
        e->count = count;
        return 0;
    }
    if (!m->big || (m->big_used + 1) * 4 > (m->big_mask + 1) * 3) {
        if (big_grow(m) < 0)
            return -1;
    }
    size_t i = hash_ptr(key) & m->big_mask;
    while (m->big[i].key)
        i = (i + 1) & m->big_mask;
    m->big[i].key = key;
    m->big[i].count = count;
    m->big_used++;
    return 0;
}

/* ---- main table ------------------------------------------------------- */

pym_ptrmap *pym_ptrmap_new(void)
{
    pym_ptrmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->slots = calloc(MIN_SLOTS, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->mask = MIN_SLOTS - 1;
    return m;
}

void pym_ptrmap_free(pym_ptrmap **map)
{
    if (!map || !*map)
        return;
    free((*map)->slots);
    free((*map)->big);
    free(*map);
    *map = NULL;
}

void pym_ptrmap_clear(pym_ptrmap *m)
{
    memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
    m->used = 0;
    if (m->big)
        memset(m->big, 0, (m->big_mask + 1) * sizeof *m->big);
    m->big_used = 0;
}

/* Index of key's slot, or of the empty slot where it would go. */
static inline size_t find_slot(const pym_ptrmap *m, uintptr_t key)
{
    size_t i = hash_ptr(key) & m->mask;
    for (;;) {
        uintptr_t s = m->slots[i];
        if (s == 0 || (s & ~CODE_MASK) == key)
            return i;
        i = (i + 1) & m->mask;
    }
}

static int grow(pym_ptrmap *m)
{
    size_t n = (m->mask + 1) * 2;
    uintptr_t *ns = calloc(n, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t j = 0; j <= m->mask; j++) {
        uintptr_t s = m->slots[j];
        if (!s)
            continue;
        size_t i = hash_ptr(s & ~CODE_MASK) & (n - 1);
        while (ns[i])
            i = (i + 1) & (n - 1);
        ns[i] = s;
    }
    free(m->slots);
    m->slots = ns;
    m->mask = n - 1;
    return 0;
}

static int64_t decode(const pym_ptrmap *m, uintptr_t s)
{
    int code = (int)(s & CODE_MASK);
    if (code != CODE_BIG)
        return (int64_t)code - 2;
    const big_entry *e = big_find(m, s & ~CODE_MASK);
    return e ? e->count : 0;
}

int pym_ptrmap_get(const pym_ptrmap *m, uintptr_t key, int64_t *count)
{
    uintptr_t s = m->slots[find_slot(m, key)];
    if (!s)
        return 0;
    if (count)
        *count = decode(m, s);
    return 1;
}

/* Store count into the (existing or empty) slot i for key. */
static int store(pym_ptrmap *m, size_t i, uintptr_t key, int64_t count)
{
    int code = count_code(count);
    if (code == CODE_BIG && big_set(m, key, count) < 0)
        return -1;
    m->slots[i] = key | (uintptr_t)code;
    return 0;
}

int pym_ptrmap_set(pym_ptrmap *m, uintptr_t key, int64_t count)
{
    size_t i = find_slot(m, key);
    if (m->slots[i])
        return store(m, i, key, count);
    if ((m->used + 1) * 10 > (m->mask + 1) * 7) {
        if (grow(m) < 0)
            return -1;
        i = find_slot(m, key);
    }
    if (store(m, i, key, count) < 0)
        return -1;
    m->used++;
    return 0;
}

int pym_ptrmap_setdefault(pym_ptrmap *m, uintptr_t key, int64_t count)
{
    if (m->slots[find_slot(m, key)])
        return 0;
    return pym_ptrmap_set(m, key, count) < 0 ? -1 : 1;
}

int pym_ptrmap_get_or_insert(pym_ptrmap *m, uintptr_t key, int64_t initial, int64_t *count)
{
    size_t i = find_slot(m, key);
    uintptr_t s = m->slots[i];
    if (s) {
        *count = decode(m, s);
        return 1;
    }
    if ((m->used + 1) * 10 > (m->mask + 1) * 7) {
        if (grow(m) < 0)
            return -1;
        i = find_slot(m, key);
    }
    if (store(m, i, key, initial) < 0)
        return -1;
    m->used++;
    return 0;
}

size_t pym_ptrmap_size(const pym_ptrmap *m)
{
    return m->used;
}

size_t pym_ptrmap_bytes(const pym_ptrmap *m)
{
    size_t b = sizeof *m + (m->mask + 1) * sizeof *m->slots;
    if (m->big)
        b += (m->big_mask + 1) * sizeof *m->big;
    return b;
}

int pym_ptrmap_next(const pym_ptrmap *m, size_t *pos, uintptr_t *key, int64_t *count)
{
    for (size_t i = *pos; i <= m->mask; i++) {
        uintptr_t s = m->slots[i];
        if (!s)
            continue;
        *pos = i + 1;
        if (key)
            *key = s & ~CODE_MASK;
        if (count)
            *count = decode(m, s);
        return 1;
    }
    *pos = m->mask + 1;
    return 0;
}
