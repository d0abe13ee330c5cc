/* grid.c: the components of a graph on a grid near a screen's aspect
 * (render_int.h, render/README.md "Components on a grid").
 *
 * Graphviz lays the components of a graph out one by one and puts them on a
 * grid with packmode "array": row-major, with the flag "i" in input order
 * (the order of each component's first node), ceil(sqrt(C)) columns unless a
 * number follows the flags; each column is as wide as its widest cell, each
 * row as high as its highest.  Which number of columns gives a picture near a
 * screen's aspect depends on the sizes of the laid-out components, so
 * render.c lays the graph out once as "array_i", measures the components here
 * (pym__render_component_boxes), chooses the number of columns
 * (pym__render_grid_columns), and lays it out again as "array_iN" when N
 * differs from the first layout's.
 */
#include <math.h>
#include <stdlib.h>

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

/* ================================================================ measuring the components */

static int find(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static void grow(double *bb, double x0, double y0, double x1, double y1)
{
    if (x0 < bb[0])
        bb[0] = x0;
    if (y0 < bb[1])
        bb[1] = y0;
    if (x1 > bb[2])
        bb[2] = x1;
    if (y1 > bb[3])
        bb[3] = y1;
}

int pym__render_component_boxes(Agraph_t *g, double **w, double **h, int *n)
{
    int nn = agnnodes(g), max_seq = 0, ncomp = 0, rc = -1;
    int *parent = NULL, *index = NULL;
    double *bb = NULL;
    Agnode_t *v;

    *w = *h = NULL;
    *n = 0;
    for (v = agfstnode(g); v; v = agnxtnode(g, v))
        if ((int)AGSEQ(v) > max_seq)
            max_seq = (int)AGSEQ(v);
    parent = malloc(((size_t)max_seq + 1) * sizeof *parent);
    index = malloc(((size_t)max_seq + 1) * sizeof *index);
    bb = malloc(((size_t)nn + 1) * 4 * sizeof *bb);
    *w = malloc(((size_t)nn + 1) * sizeof **w);
    *h = malloc(((size_t)nn + 1) * sizeof **h);
    if (!parent || !index || !bb || !*w || !*h)
        goto done;
    for (int i = 0; i <= max_seq; i++)
        parent[i] = i;
    for (v = agfstnode(g); v; v = agnxtnode(g, v))
        for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
            int a = find(parent, (int)AGSEQ(agtail(e))), b = find(parent, (int)AGSEQ(aghead(e)));
            if (a != b)
                parent[a > b ? a : b] = a > b ? b : a;
        }
    /* components numbered by their first node, as Graphviz's ccomps finds them */
    for (int i = 0; i <= max_seq; i++)
        index[i] = -1;
    for (v = agfstnode(g); v; v = agnxtnode(g, v)) {
        int r = find(parent, (int)AGSEQ(v)), c = index[r];
        double x = ND_coord(v).x, y = ND_coord(v).y, hw = ND_width(v) * 36.0, hh = ND_height(v) * 36.0;
        if (c < 0) {
            c = index[r] = ncomp++;
            bb[4 * c] = bb[4 * c + 1] = INFINITY;
            bb[4 * c + 2] = bb[4 * c + 3] = -INFINITY;
        }
        grow(bb + 4 * c, x - hw, y - hh, x + hw, y + hh);
        for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
            textlabel_t *l = ED_label(e);
            if (ED_spl(e))
                grow(bb + 4 * c, ED_spl(e)->bb.LL.x, ED_spl(e)->bb.LL.y, ED_spl(e)->bb.UR.x, ED_spl(e)->bb.UR.y);
            if (l && l->set)
                grow(bb + 4 * c, l->pos.x - l->dimen.x / 2, l->pos.y - l->dimen.y / 2, l->pos.x + l->dimen.x / 2,
                     l->pos.y + l->dimen.y / 2);
        }
    }
    for (int c = 0; c < ncomp; c++) {
        (*w)[c] = bb[4 * c + 2] - bb[4 * c];
        (*h)[c] = bb[4 * c + 3] - bb[4 * c + 1];
    }
    *n = ncomp;
    rc = 0;
done:
    free(parent);
    free(index);
    free(bb);
    if (rc < 0) {
        free(*w);
        free(*h);
        *w = *h = NULL;
    }
    return rc;
}
