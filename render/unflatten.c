/* unflatten.c: Graphviz's `unflatten -l N` transformation, in-process.
 *
 * The unflatten program (graphviz cmd/tools/unflatten.c) reads a graph,
 * staggers the ranks of leaves hanging off a node so that a wide fan-out
 * becomes several shallower rows under dot, and writes the graph back.  Here
 * the same transformation runs on the parsed cgraph graph, before layout.
 * Only -l is implemented: Pympler calls `unflatten -l7`.
 *
 * Degrees are computed once up front (the original recomputes the degree of
 * each neighbour for every edge, which is quadratic around hubs).  The
 * transformation only adds minlen values, so the degrees stay valid.
 */
#include <stdio.h>
#include <stdlib.h>

#include "render_int.h"

int pym__render_degrees_init(pym__render_degrees *d, Agraph_t *g)
{
    Agnode_t *n;
    Agedge_t *e;
    int max_seq = 0;

    for (n = agfstnode(g); n; n = agnxtnode(g, n))
        if ((int)AGSEQ(n) > max_seq)
            max_seq = (int)AGSEQ(n);
    d->max_seq = max_seq;
    d->in = calloc((size_t)max_seq + 1, sizeof *d->in);
    d->out = calloc((size_t)max_seq + 1, sizeof *d->out);
    if (!d->in || !d->out) {
        pym__render_degrees_free(d);
        return -1;
    }
    for (n = agfstnode(g); n; n = agnxtnode(g, n))
        for (e = agfstout(g, n); e; e = agnxtout(g, e)) {
            d->in[AGSEQ(aghead(e))]++;
            if (aghead(e) != agtail(e))
                d->out[AGSEQ(n)]++;
        }
    return 0;
}

void pym__render_degrees_free(pym__render_degrees *d)
{
    free(d->in);
    free(d->out);
    d->in = d->out = NULL;
    d->max_seq = 0;
}

static int degree(const pym__render_degrees *d, Agnode_t *n)
{
    return d->in[AGSEQ(n)] + d->out[AGSEQ(n)];
}

/* Set minlen of e to 1 + (count mod chain) when e has none.  Returns 1 when
 * set, 0 when e already had one, -1 on failure. */
static int stagger(Agedge_t *e, Agsym_t *minlen, int count, int chain)
{
    char buf[16];
    const char *cur = agxget(e, minlen);

    if (cur && cur[0])
        return 0;
    snprintf(buf, sizeof buf, "%d", count % chain + 1);
    return agxset(e, minlen, buf) == 0 ? 1 : -1;
}

int pym__render_unflatten(Agraph_t *g, int chain)
{
    pym__render_degrees d;
    Agsym_t *minlen;
    Agnode_t *n;
    Agedge_t *e;
    int changed = 0, rc;

    if (chain < 1)
        return 0;
    /* Declare minlen with an empty default unless the graph did: declaring it
     * again with "" would reset a default the graph set itself. */
    minlen = agattr(g, AGEDGE, "minlen", NULL);
    if (!minlen)
        minlen = agattr(g, AGEDGE, "minlen", "");
    if (!minlen || pym__render_degrees_init(&d, g) < 0)
        return -1;

    for (n = agfstnode(g); n; n = agnxtnode(g, n)) {
        int count = 0;
        if (degree(&d, n) <= 1)
            continue;
        /* Leaves pointing at n: only the edges given a minlen advance the
         * stagger (as unflatten does). */
        for (e = agfstin(g, n); e; e = agnxtin(g, e)) {
            if (degree(&d, agtail(e)) != 1)
                continue;
            if ((rc = stagger(e, minlen, count, chain)) < 0)
                goto fail;
            count += rc;
            changed += rc;
        }
        /* Leaves n points at: every leaf edge advances it. */
        count = 0;
        for (e = agfstout(g, n); e; e = agnxtout(g, e)) {
            if (degree(&d, aghead(e)) != 1)
                continue;
            if ((rc = stagger(e, minlen, count, chain)) < 0)
                goto fail;
            count++;
            changed += rc;
        }
    }
    pym__render_degrees_free(&d);
    return changed;
fail:
    pym__render_degrees_free(&d);
    return -1;
}
