/* ptrindex.c: address -> index map (see ptrindex.h). */
#include "ptrindex.h"

#include <stdlib.h>

typedef struct {
    uintptr_t key;
    uint32_t index;
} entry;

struct pym_ptrindex {
    entry *e;
    size_t mask, used;
};

static inline size_t hash_key(uintptr_t key)
{
    return (size_t)(((uint64_t)(key >> 3) * 0x9E3779B97F4A7C15ull) >> 20);
}

static int resize(pym_ptrindex *m, size_t slots)
{
    entry *ne = calloc(slots, sizeof *ne);
    if (!ne)
        return -1;
    for (size_t j = 0; m->e && j <= m->mask; j++) {
        if (!m->e[j].key)
            continue;
        size_t i = hash_key(m->e[j].key) & (slots - 1);
        while (ne[i].key)
            i = (i + 1) & (slots - 1);
        ne[i] = m->e[j];
    }
    free(m->e);
    m->e = ne;
    m->mask = slots - 1;
    return 0;
}

pym_ptrindex *pym_ptrindex_new(size_t expected)
{
    pym_ptrindex *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    size_t slots = 16;
    while (slots < expected * 2 && slots < ((size_t)1 << 40))
        slots *= 2;
    if (resize(m, slots) < 0) {
        free(m);
        return NULL;
    }
    return m;
}

void pym_ptrindex_free(pym_ptrindex **map)
{
    if (!map || !*map)
        return;
    free((*map)->e);
    free(*map);
    *map = NULL;
}

int pym_ptrindex_put(pym_ptrindex *m, uintptr_t key, uint32_t index)
{
    if ((m->used + 1) * 2 > m->mask + 1 && resize(m, (m->mask + 1) * 2) < 0)
        return -1;
    size_t i = hash_key(key) & m->mask;
    while (m->e[i].key) {
        if (m->e[i].key == key)
            return 0;
        i = (i + 1) & m->mask;
    }
    m->e[i].key = key;
    m->e[i].index = index;
    m->used++;
    return 1;
}

uint32_t pym_ptrindex_get(const pym_ptrindex *m, uintptr_t key)
{
    size_t i = hash_key(key) & m->mask;
    while (m->e[i].key) {
        if (m->e[i].key == key)
            return m->e[i].index;
        i = (i + 1) & m->mask;
    }
    return PYM_PTRINDEX_NONE;
}

size_t pym_ptrindex_size(const pym_ptrindex *m)
{
    return m->used;
}
