/* chart.h: charts of memory over time as standalone SVG documents.
 *
 * For the ClassTracker's HTML reports, pympler.charts and the web frontend:
 * the memory of each tracked class over the snapshots (stacked areas), the
 * share of each class at each snapshot (areas stacked to 100%), and the
 * sizes of single instances over their lifetimes (lines).  Plain C and SVG
 * text: no matplotlib, no Graphviz, the same picture in every browser.
 */
#ifndef PYM_CHART_H
#define PYM_CHART_H

#include <stddef.h>

typedef enum {
    PYM_CHART_STACKED, /* series stacked: the total memory at each time */
    PYM_CHART_SHARE,   /* series stacked to 100% of their sum at each time */
    PYM_CHART_LINES,   /* one line per series; NAN where it has no value */
} pym_chart_kind;

typedef struct {
    pym_chart_kind kind;
    const char *title;        /* UTF-8 (escaped here); NULL: none */
    const char *y_label;      /* the quantity, e.g. "memory"; NULL: "size" */
    int width, height;        /* pixels; 0: 760 x 360 */
    size_t npoints;           /* time points, at least 1 */
    const double *x;          /* npoints seconds, ascending */
    size_t nseries;           /* at least 1 */
    const char *const *names; /* nseries UTF-8 names (escaped here) */
    const double *y;          /* nseries rows of npoints bytes (>= 0 or NAN) */
} pym_chart;

/* Most points a series is drawn with: more time points than this are thinned
 * out to evenly spaced ones (always keeping the first and the last). */
#define PYM_CHART_MAX_COLUMNS 400
/* Most legend rows; the rest are summed up as "... and N more". */
#define PYM_CHART_MAX_LEGEND 16

/* The chart as an SVG document: malloc'd, NUL-terminated, its length in
 * *len when len is not NULL.  NULL with errno EINVAL for a chart with no
 * points or series, a NULL array, a negative or non-finite time, or times
 * not ascending; ENOMEM when out of memory. */
char *pym_chart_svg(const pym_chart *c, size_t *len);

/* Byte count as a label: "0 B", "512 B", "1.5 KB", "20 MB" (binary
 * multiples, Pympler's unit names); at most 4 significant digits.  Writes
 * at most n bytes including the NUL; returns buf. */
char *pym_chart_bytes_label(double v, char *buf, size_t n);

/* A "nice" tick step (1, 2 or 5 times a power of ten) that divides
 * [0, max] into at most `ticks` parts. */
double pym_chart_nice_step(double max, int ticks);

#endif
