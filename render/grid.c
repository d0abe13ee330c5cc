/* grid.c: the components of a graph on a grid near a screen's aspect
 * (render_int.h, render/README.md "Components on a grid").
 *
 * Graphviz's own packing (packmode=array) cannot be used with dot: Graphviz
 * 2.42's dot lays the components out as subgraphs that do not know the graph
 * has edge labels (initSubg copies no GD_has_labels), and every edge label,
 * xlabel, headlabel and taillabel of a forward edge is lost.  So, as
 * Graphviz's gvpack and `neato -n2` do: each component is copied into a
 * graph of its own and laid out with the engine asked for; the number of
 * columns whose picture is nearest the aspect is chosen from the laid-out
 * sizes; each component's positions (nodes, edge splines, label positions)
 * are translated into its cell and set on the original graph as pos / lp
 * attributes; and the original graph is laid out with "nop2", which keeps
 * them (and places the graph's label).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvc.h>

#include "render_int.h"

/* ================================================================ choosing the columns */

/* Width and height of the array of n cells with `cols` columns. */
static void array_size(const double *w, const double *h, int n, int cols, double gap, double *width,
                       double *height)
{
    double W = 0, H = 0;
    for (int c = 0; c < cols; c++) {
        double m = 0;
        for (int i = c; i < n; i += cols)
            m = w[i] > m ? w[i] : m;
        W += m + gap;
    }
    for (int r = 0; r * cols < n; r++) {
        double m = 0;
        for (int i = r * cols; i < n && i < (r + 1) * cols; i++)
            m = h[i] > m ? h[i] : m;
        H += m + gap;
    }
    *width = W;
    *height = H;
}

int pym__render_grid_columns(const double *w, const double *h, int n, double gap, double aspect)
{
    int best = 1;
    double best_miss = INFINITY;

    if (n <= 1 || !(aspect > 0))
        return 1;
    for (int cols = 1; cols <= n; cols++) {
        double W, H, miss;
        array_size(w, h, n, cols, gap, &W, &H);
        if (!(W > 0 && H > 0))
            continue;
        miss = fabs(log(W / H) - log(aspect));
        if (miss < best_miss - 1e-9) { /* ties: fewer columns */
            best_miss = miss;
            best = cols;
        }
    }
    return best;
}

/* ================================================================ components as graphs */

static int find(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Graph, node and edge attributes declared on g, declared on c with g's defaults. */
static int copy_declarations(Agraph_t *g, Agraph_t *c)
{
    static const int kinds[] = {AGRAPH, AGNODE, AGEDGE};
    for (size_t k = 0; k < 3; k++)
        for (Agsym_t *sym = agnxtattr(g, kinds[k], NULL); sym; sym = agnxtattr(g, kinds[k], sym))
            if (!agattr(c, kinds[k], sym->name, sym->defval))
                return -1;
    return 0;
}

/* "x,y" / "e,x,y" / "s,x,y" points of a pos attribute (space- and
 * ';'-separated), each moved by (dx, dy); malloc'd, NULL when out of memory
 * or when the text is not such a list (then the attribute is left out). */
static char *translate_points(const char *in, double dx, double dy)
{
    size_t cap = strlen(in) * 2 + 64, used = 0;
    char *out = malloc(cap);
    const char *p = in;

    if (!out)
        return NULL;
    while (*p) {
        char prefix[3] = "";
        double x, y;
        int nread = 0;
        if (*p == ' ' || *p == ';') {
            if (used + 2 > cap)
                break;
            out[used++] = *p++;
            continue;
        }
        if ((p[0] == 'e' || p[0] == 's') && p[1] == ',') {
            prefix[0] = p[0];
            prefix[1] = ',';
            p += 2;
        }
        if (sscanf(p, "%lf,%lf%n", &x, &y, &nread) != 2 || nread <= 0) {
            free(out);
            return NULL;
        }
        p += nread;
        if (used + 64 > cap) {
            char *bigger = realloc(out, cap *= 2);
            if (!bigger) {
                free(out);
                return NULL;
            }
            out = bigger;
        }
        used += (size_t)snprintf(out + used, cap - used, "%s%.5g,%.5g", prefix, x + dx, y + dy);
    }
    out[used] = '\0';
    return out;
}

/* Set attribute `name` of dst (in g) to src's value of it (in c) moved by
 * (dx, dy); nothing when src has none.  0 or -1. */
static int move_attr(void *src, void *dst, const char *name, double dx, double dy)
{
    char nm[16], empty[] = "";
    const char *v;
    char *moved;
    snprintf(nm, sizeof nm, "%s", name);
    v = agget(src, nm);
    if (!v || !v[0])
        return 0;
    if (!(moved = translate_points(v, dx, dy)))
        return 0; /* not a list of points: Graphviz places it */
    int r = agsafeset(dst, nm, moved, empty);
    free(moved);
    return r;
}

/* agcopyattr(from, to), as 0 or -1: Graphviz 2.42's returns 1 (failure)
 * when there is no attribute of that kind to copy. */
static int copy_values(Agraph_t *g, void *from, void *to)
{
    if (!agnxtattr(g, AGTYPE(from) == AGOUTEDGE || AGTYPE(from) == AGINEDGE ? AGEDGE : AGTYPE(from), NULL))
        return 0;
    return agcopyattr(from, to) == 0 ? 0 : -1;
}

typedef struct {
    Agraph_t *g;  /* the component as a graph of its own */
    boxf bb;      /* its laid-out bounding box */
} grid_comp;

int pym__render_grid_layout(GVC_t *gvc, Agraph_t *g, const char *engine, double aspect, int *columns,
                            char *errbuf, size_t errlen)
{
    int nn = agnnodes(g), max_seq = 0, max_eseq = 0, ncomp = 0, rc = -1, cols;
    int *parent = NULL, *comp_of = NULL;
    Agnode_t **nmap = NULL, *v;
    grid_comp *comps = NULL;
    double *w = NULL, *h = NULL, *colw = NULL, *rowh = NULL;
    char eng[16], label[] = "label", empty[] = "";

    (void)errbuf;
    (void)errlen;
    *columns = 0;
    snprintf(eng, sizeof eng, "%s", engine);
    for (v = agfstnode(g); v; v = agnxtnode(g, v)) {
        if ((int)AGSEQ(v) > max_seq)
            max_seq = (int)AGSEQ(v);
        for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e))
            if ((int)AGSEQ(e) > max_eseq)
                max_eseq = (int)AGSEQ(e);
    }
    parent = malloc(((size_t)max_seq + 1) * sizeof *parent);
    comp_of = malloc(((size_t)max_seq + 1) * sizeof *comp_of);
    nmap = calloc((size_t)max_seq + 1, sizeof *nmap);
    comps = calloc((size_t)nn + 1, sizeof *comps);
    if (!parent || !comp_of || !nmap || !comps)
        goto done;
    for (int i = 0; i <= max_seq; i++) {
        parent[i] = i;
        comp_of[i] = -1;
    }
    for (v = agfstnode(g); v; v = agnxtnode(g, v))
        for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
            int a = find(parent, (int)AGSEQ(agtail(e))), b = find(parent, (int)AGSEQ(aghead(e)));
            if (a != b)
                parent[a > b ? a : b] = a > b ? b : a;
        }

    /* 1. each component (numbered by its first node) as a graph of its own */
    for (v = agfstnode(g); v; v = agnxtnode(g, v)) {
        int r = find(parent, (int)AGSEQ(v)), c = comp_of[r];
        char name[32];
        Agnode_t *nv;
        if (c < 0) {
            c = comp_of[r] = ncomp++;
            snprintf(name, sizeof name, "component%d", c);
            comps[c].g = agopen(name, agisdirected(g) ? Agdirected : Agundirected, NULL);
            if (!comps[c].g || copy_declarations(g, comps[c].g) < 0 || copy_values(g, g, comps[c].g) < 0 ||
                agsafeset(comps[c].g, label, empty, empty) != 0)
                goto done;
        }
        if (!(nv = agnode(comps[c].g, agnameof(v), 1)) || copy_values(g, v, nv) < 0)
            goto done;
        nmap[AGSEQ(v)] = nv;
    }
    for (v = agfstnode(g); v; v = agnxtnode(g, v))
        for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
            Agnode_t *t = nmap[AGSEQ(agtail(e))], *hd = nmap[AGSEQ(aghead(e))];
            Agedge_t *ne = agedge(agraphof(t), t, hd, NULL, 1);
            if (!ne || copy_values(g, e, ne) < 0)
                goto done;
        }

    /* 2. lay each out; the "dot" output attaches pos, lp, bb as attributes */
    for (int c = 0; c < ncomp; c++) {
        char *data = NULL;
        unsigned int len = 0;
        int bad = gvLayout(gvc, comps[c].g, eng) != 0 || agerrors() >= AGERR;
        if (!bad) {
            bad = gvRenderData(gvc, comps[c].g, "dot", &data, &len) != 0 || agerrors() >= AGERR;
            if (data)
                gvFreeRenderData(data);
            comps[c].bb = GD_bb(comps[c].g);
        }
        gvFreeLayout(gvc, comps[c].g);
        if (bad) {
            rc = -2;
            goto done;
        }
    }

    /* 3. the columns, and the cell of each component */
    w = calloc((size_t)ncomp + 1, sizeof *w);
    h = calloc((size_t)ncomp + 1, sizeof *h);
    colw = calloc((size_t)ncomp + 1, sizeof *colw);
    rowh = calloc((size_t)ncomp + 1, sizeof *rowh);
    if (!w || !h || !colw || !rowh)
        goto done;
    for (int c = 0; c < ncomp; c++) {
        w[c] = comps[c].bb.UR.x - comps[c].bb.LL.x;
        h[c] = comps[c].bb.UR.y - comps[c].bb.LL.y;
    }
    cols = pym__render_grid_columns(w, h, ncomp, PYM__GRID_GAP, aspect);
    *columns = cols;
    for (int c = 0; c < ncomp; c++) {
        if (w[c] + PYM__GRID_GAP > colw[c % cols])
            colw[c % cols] = w[c] + PYM__GRID_GAP;
        if (h[c] + PYM__GRID_GAP > rowh[c / cols])
            rowh[c / cols] = h[c] + PYM__GRID_GAP;
    }

    /* 4. positions moved into the cells (row 0 at the top: y grows upwards) */
    {
        int nrows = (ncomp + cols - 1) / cols;
        double total_h = 0;
        for (int r = 0; r < nrows; r++)
            total_h += rowh[r];
        for (v = agfstnode(g); v; v = agnxtnode(g, v)) {
            int c = comp_of[find(parent, (int)AGSEQ(v))], col = c % cols, row = c / cols;
            double x0 = 0, ytop = total_h, dx, dy;
            for (int k = 0; k < col; k++)
                x0 += colw[k];
            for (int k = 0; k < row; k++)
                ytop -= rowh[k];
            /* centred in its cell */
            dx = x0 + (colw[col] - w[c]) / 2 - comps[c].bb.LL.x;
            dy = ytop - rowh[row] + (rowh[row] - h[c]) / 2 - comps[c].bb.LL.y;
            if (move_attr(nmap[AGSEQ(v)], v, "pos", dx, dy) < 0)
                goto done;
            Agedge_t *ce = agfstout(comps[c].g, nmap[AGSEQ(v)]);
            for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e), ce = ce ? agnxtout(comps[c].g, ce) : NULL) {
                if (!ce)
                    break;
                if (move_attr(ce, e, "pos", dx, dy) < 0 || move_attr(ce, e, "lp", dx, dy) < 0 ||
                    move_attr(ce, e, "xlp", dx, dy) < 0 || move_attr(ce, e, "head_lp", dx, dy) < 0 ||
                    move_attr(ce, e, "tail_lp", dx, dy) < 0)
                    goto done;
            }
        }
    }
    for (int c = 0; c < ncomp; c++) {
        agclose(comps[c].g);
        comps[c].g = NULL;
    }

    /* 5. the whole graph, keeping those positions */
    if (gvLayout(gvc, g, "nop2") != 0 || agerrors() >= AGERR) {
        rc = -2;
        goto done;
    }
    rc = 0;
done:
    for (int c = 0; comps && c < ncomp; c++)
        if (comps[c].g)
            agclose(comps[c].g);
    free(parent);
    free(comp_of);
    free(nmap);
    free(comps);
    free(w);
    free(h);
    free(colw);
    free(rowh);
    return rc;
}
