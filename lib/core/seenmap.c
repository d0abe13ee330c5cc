/* seenmap.c: two-level map over the address space (see seenmap.h).
 *
 * Each chunk holds a 4-bit code per 8-byte slot: 0 absent, 1 count -1,
 * 2 count 0, 3..14 counts 1..12, 15 the count is in the side table.  Most
 * objects are seen once or a few times, so the side table stays tiny and the
 * codes of neighbouring objects share cache lines. */
#include "seenmap.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_SHIFT 16 /* 64 KiB of address space per chunk */
#define SLOT_SHIFT 3   /* one bit per 8 bytes */
#define SLOTS ((size_t)1 << (CHUNK_SHIFT - SLOT_SHIFT))
#define WORDS (SLOTS / 64)

#define CODE_ABSENT 0
#define CODE_BIG 15
#define CODE_MIN_COUNT (-1)
#define CODE_MAX_COUNT 12

typedef struct {
    uintptr_t id;              /* address >> CHUNK_SHIFT */
    uint8_t codes[SLOTS / 2]; /* two 4-bit codes per byte */
} chunk;

/* Counts other than 1, in an open-addressing table of their own. */
typedef struct {
    uintptr_t key;
    int64_t count;
} count_entry;

typedef struct {
    count_entry *e;
    size_t mask, used;
} count_table;

struct pym_seenmap {
    chunk **chunks;  /* [0, nchunks) in use, [nchunks, allocated) kept for reuse */
    size_t nchunks, allocated, cap;
    uint32_t *index; /* open addressing: chunk number + 1, 0 = empty */
    size_t mask;
    chunk *recent[64]; /* direct-mapped cache of chunks by id */
    count_table counts;
    size_t used;
};

static inline size_t key_hash(uintptr_t key)
{
    return (size_t)(((uint64_t)(key >> 3) * 0x9E3779B97F4A7C15ull) >> 20);
}

static int count_grow(count_table *t)
{
    size_t n = t->e ? (t->mask + 1) * 2 : 64;
    count_entry *ne = calloc(n, sizeof *ne);
    if (!ne)
        return -1;
    for (size_t j = 0; t->e && j <= t->mask; j++) {
        if (!t->e[j].key)
            continue;
        size_t i = key_hash(t->e[j].key) & (n - 1);
        while (ne[i].key)
            i = (i + 1) & (n - 1);
        ne[i] = t->e[j];
    }
    free(t->e);
    t->e = ne;
    t->mask = n - 1;
    return 0;
}

/* The entry for key, inserting it (count 0) when absent; NULL on OOM. */
static count_entry *count_slot(count_table *t, uintptr_t key)
{
    if (t->e) {
        size_t i = key_hash(key) & t->mask;
        for (;;) {
            if (t->e[i].key == key)
                return &t->e[i];
            if (!t->e[i].key)
                break;
            i = (i + 1) & t->mask;
        }
    }
    if ((!t->e || (t->used + 1) * 2 > t->mask + 1) && count_grow(t) < 0)
        return NULL;
    size_t i = key_hash(key) & t->mask;
    while (t->e[i].key)
        i = (i + 1) & t->mask;
    t->e[i].key = key;
    t->e[i].count = 0;
    t->used++;
    return &t->e[i];
}

static int64_t count_get(const count_table *t, uintptr_t key)
{
    if (!t->e)
        return 1;
    size_t i = key_hash(key) & t->mask;
    while (t->e[i].key) {
        if (t->e[i].key == key)
            return t->e[i].count;
        i = (i + 1) & t->mask;
    }
    return 1;
}

static inline size_t chunk_hash(uintptr_t id)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 24);
}

pym_seenmap *pym_seenmap_new(void)
{
    pym_seenmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->mask = 255;
    m->index = calloc(m->mask + 1, sizeof *m->index);
    if (!m->index) {
        pym_seenmap_free(&m);
        return NULL;
    }
    return m;
}

void pym_seenmap_free(pym_seenmap **map)
{
    if (!map || !*map)
        return;
    pym_seenmap *m = *map;
    for (size_t i = 0; i < m->allocated; i++)
        free(m->chunks[i]);
    free(m->chunks);
    free(m->index);
    free(m->counts.e);
    free(m);
    *map = NULL;
}

void pym_seenmap_clear(pym_seenmap *m)
{
    m->nchunks = 0;
    memset(m->index, 0, (m->mask + 1) * sizeof *m->index);
    memset(m->recent, 0, sizeof m->recent);
    if (m->counts.e)
        memset(m->counts.e, 0, (m->counts.mask + 1) * sizeof *m->counts.e);
    m->counts.used = 0;
    m->used = 0;
}

static int reindex(pym_seenmap *m, size_t slots)
{
    uint32_t *ix = calloc(slots, sizeof *ix);
    if (!ix)
        return -1;
    for (size_t c = 0; c < m->nchunks; c++) {
        size_t i = chunk_hash(m->chunks[c]->id) & (slots - 1);
        while (ix[i])
            i = (i + 1) & (slots - 1);
        ix[i] = (uint32_t)(c + 1);
    }
    free(m->index);
    m->index = ix;
    m->mask = slots - 1;
    return 0;
}

/* The chunk for id; created (zeroed) when absent and create is set. */
static chunk *find_chunk(pym_seenmap *m, uintptr_t id, int create)
{
    chunk **slot = &m->recent[id & 63];
    if (*slot && (*slot)->id == id)
        return *slot;
    size_t i = chunk_hash(id) & m->mask;
    for (;;) {
        uint32_t e = m->index[i];
        if (!e)
            break;
        if (m->chunks[e - 1]->id == id)
            return *slot = m->chunks[e - 1];
        i = (i + 1) & m->mask;
    }
    if (!create)
        return NULL;
    if ((m->nchunks + 1) * 2 > m->mask + 1) {
        if (reindex(m, (m->mask + 1) * 2) < 0)
            return NULL;
        i = chunk_hash(id) & m->mask;
        while (m->index[i])
            i = (i + 1) & m->mask;
    }
    if (m->nchunks == m->allocated) {
        if (m->allocated == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 64;
            chunk **nc = realloc(m->chunks, cap * sizeof *nc);
            if (!nc)
                return NULL;
            m->chunks = nc;
            m->cap = cap;
        }
        chunk *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        m->chunks[m->allocated++] = c;
    }
    chunk *c = m->chunks[m->nchunks++];
    memset(c, 0, sizeof *c);
    c->id = id;
    m->index[i] = (uint32_t)m->nchunks;
    return *slot = c;
}

static inline unsigned get_code(const chunk *c, uintptr_t key)
{
    size_t off = (key >> SLOT_SHIFT) & (SLOTS - 1);
    uint8_t b = c->codes[off >> 1];
    return (off & 1) ? (unsigned)(b >> 4) : (unsigned)(b & 15);
}

static inline void put_code(chunk *c, uintptr_t key, unsigned code)
{
    size_t off = (key >> SLOT_SHIFT) & (SLOTS - 1);
    uint8_t *b = &c->codes[off >> 1];
    *b = (off & 1) ? (uint8_t)((*b & 0x0F) | (code << 4)) : (uint8_t)((*b & 0xF0) | code);
}

static inline int64_t decode(const pym_seenmap *m, uintptr_t key, unsigned code)
{
    return code == CODE_BIG ? count_get(&m->counts, key) : (int64_t)code - 2;
}

/* Store count for a present or new key; the caller counts new keys. */
static int encode(pym_seenmap *m, chunk *c, uintptr_t key, int64_t count)
{
    if (count >= CODE_MIN_COUNT && count <= CODE_MAX_COUNT) {
        put_code(c, key, (unsigned)(count + 2));
        return 0;
    }
    count_entry *e = count_slot(&m->counts, key);
    if (!e)
        return -1;
    e->count = count;
    put_code(c, key, CODE_BIG);
    return 0;
}

int pym_seenmap_get(pym_seenmap *m, uintptr_t key, int64_t *count)
{
    chunk *c = find_chunk(m, key >> CHUNK_SHIFT, 0);
    if (!c)
        return 0;
    unsigned code = get_code(c, key);
    if (code == CODE_ABSENT)
        return 0;
    if (count)
        *count = decode(m, key, code);
    return 1;
}

int pym_seenmap_get_or_insert(pym_seenmap *m, uintptr_t key, int64_t initial, int64_t *count)
{
    chunk *c = find_chunk(m, key >> CHUNK_SHIFT, 1);
    if (!c)
        return -1;
    unsigned code = get_code(c, key);
    if (code != CODE_ABSENT) {
        *count = decode(m, key, code);
        return 1;
    }
    if (encode(m, c, key, initial) < 0)
        return -1;
    m->used++;
    return 0;
}

int pym_seenmap_set(pym_seenmap *m, uintptr_t key, int64_t count)
{
    chunk *c = find_chunk(m, key >> CHUNK_SHIFT, 1);
    if (!c)
        return -1;
    int fresh = get_code(c, key) == CODE_ABSENT;
    if (encode(m, c, key, count) < 0)
        return -1;
    m->used += fresh;
    return 0;
}

int pym_seenmap_again(pym_seenmap *m, uintptr_t key)
{
    chunk *c = find_chunk(m, key >> CHUNK_SHIFT, 1);
    if (!c)
        return -1;
    unsigned code = get_code(c, key);
    if (code == CODE_ABSENT) {
        m->used++;
        put_code(c, key, 1 + 2); /* absent counts as 0: now 1 */
        return 0;
    }
    int64_t n = decode(m, key, code) + 1;
    return n > 0 ? encode(m, c, key, n) : 0;
}

int pym_seenmap_setdefault(pym_seenmap *m, uintptr_t key, int64_t count)
{
    int64_t old;
    int r = pym_seenmap_get_or_insert(m, key, count, &old);
    return r < 0 ? -1 : r == 0;
}

size_t pym_seenmap_size(const pym_seenmap *m)
{
    return m->used;
}

size_t pym_seenmap_bytes(const pym_seenmap *m)
{
    return sizeof *m + m->allocated * sizeof(chunk) + m->cap * sizeof(chunk *) +
           (m->mask + 1) * sizeof(uint32_t) + (m->counts.e ? (m->counts.mask + 1) * sizeof(count_entry) : 0);
}

int pym_seenmap_next(pym_seenmap *m, size_t *pos, uintptr_t *key, int64_t *count)
{
    size_t p = *pos;
    while (p / SLOTS < m->nchunks) {
        chunk *c = m->chunks[p / SLOTS];
        size_t off = p % SLOTS;
        /* skip empty bytes (two slots each) quickly */
        if (!(off & 1) && c->codes[off >> 1] == 0) {
            p += 2;
            continue;
        }
        uintptr_t k = (c->id << CHUNK_SHIFT) | ((uintptr_t)off << SLOT_SHIFT);
        unsigned code = get_code(c, k);
        p++;
        if (code == CODE_ABSENT)
            continue;
        *pos = p;
        if (key)
            *key = k;
        if (count)
            *count = decode(m, k, code);
        return 1;
    }
    *pos = p;
    return 0;
}
