/* chart.c: memory-over-time charts as SVG text (chart.h).
 *
 * One layout for the three kinds: a plot area with a y axis of bytes (or
 * percent) and a time axis, a legend on the right.  Many time points are
 * thinned to PYM_CHART_MAX_COLUMNS, so a chart of 1,000 snapshots stays a
 * few dozen kilobytes; one time point is drawn as a bar (an area needs two).
 */
#include "chart.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "strbuf.h"

#define DEFAULT_W 760
#define DEFAULT_H 360
#define MARGIN_L 72
#define MARGIN_R 12
#define MARGIN_B 46
#define LEGEND_W 200
#define LEGEND_ROW 16
#define NAME_CHARS 30

/* Twenty colours (Tableau's 20, dark and light of ten hues, ordered so
 * that neighbours differ in hue): classes stay apart up to twenty. */
static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac", "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d",
    "#499894", "#86bcb6", "#d37295", "#fabfd2", "#d4a6c8", "#79706e",
};
#define NCOLORS (sizeof palette / sizeof palette[0])

typedef struct {
    pym_strbuf *b;
    const pym_chart *c;
    double px, py, pw, ph; /* the plot area */
    double x0, x1, ymax;   /* the axes' ranges */
    size_t *cols;          /* the time points drawn */
    size_t ncols;
    int bars;              /* one time point: bars, not areas */
} layout;

double pym_chart_nice_step(double max, int ticks)
{
    if (!(max > 0) || !isfinite(max) || ticks < 1)
        return 1;
    double raw = max / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nice * mag;
}

char *pym_chart_bytes_label(double v, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    size_t u = 0;
    while (fabs(v) >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, "%.4g %s", v, units[u]);
    return buf;
}

/* A y-axis label in the axis's unit (every label of an axis in one unit). */
static void axis_bytes_label(double v, double unit, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    size_t u = 0;
    for (double x = unit; x >= 1024 && u + 1 < sizeof units / sizeof units[0]; x /= 1024)
        u++;
    if (v == 0)
        snprintf(buf, n, "0 B");
    else
        snprintf(buf, n, "%.4g %s", v / unit, units[u]);
}

/* Seconds as a time-axis label, one style for the whole axis (by its end):
 * "12.5 s" within two minutes, else m:ss, or h:mm:ss from two hours. */
static void time_label(double t, double end, char *buf, size_t n)
{
    long whole = (long)(t + 0.5);
    if (end < 120)
        snprintf(buf, n, "%.3g s", t);
    else if (end < 7200)
        snprintf(buf, n, "%ld:%02ld", whole / 60, whole % 60);
    else
        snprintf(buf, n, "%ld:%02ld:%02ld", whole / 3600, whole / 60 % 60, whole % 60);
}

/* A time step for at most `ticks` ticks over span seconds: a nice decimal
 * one within two minutes, else a whole number of seconds, minutes or hours
 * that a clock reads well (30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, ...). */
static double time_step(double span, double end, int ticks)
{
    static const double clock[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
                                   3600, 7200, 10800, 21600, 43200, 86400};
    if (end < 120)
        return pym_chart_nice_step(span, ticks);
    for (size_t i = 0; i < sizeof clock / sizeof clock[0]; i++)
        if (span / clock[i] <= ticks)
            return clock[i];
    return pym_chart_nice_step(span / 86400, ticks) * 86400;
}

/* Escaped text into the buffer, cut at max_chars (0: whole). */
static void put_text(pym_strbuf *b, const char *s, size_t max_chars)
{
    pym_xml_escape_into(b, s ? s : "", s ? strlen(s) : 0, max_chars);
}

static double value(const pym_chart *c, size_t s, size_t i)
{
    double v = c->y[s * c->npoints + i];
    return isfinite(v) && v > 0 ? v : 0;
}

static double sum_at(const pym_chart *c, size_t i)
{
    double t = 0;
    for (size_t s = 0; s < c->nseries; s++)
        t += value(c, s, i);
    return t;
}

static double sx(const layout *l, double t)
{
    return l->px + (t - l->x0) / (l->x1 - l->x0) * l->pw;
}

static double sy(const layout *l, double v)
{
    return l->py + l->ph - v / l->ymax * l->ph;
}

/* The y range and its ticks. */
static void y_axis(layout *l)
{
    const pym_chart *c = l->c;
    pym_strbuf *b = l->b;
    double max = 0, step, unit = 1;
    char lab[32];

    if (c->kind == PYM_CHART_SHARE) {
        max = 100;
        step = 20;
    } else {
        for (size_t k = 0; k < l->ncols; k++) {
            size_t i = l->cols[k];
            if (c->kind == PYM_CHART_STACKED) {
                double t = sum_at(c, i);
                max = t > max ? t : max;
            } else {
                for (size_t s = 0; s < c->nseries; s++)
                    max = value(c, s, i) > max ? value(c, s, i) : max;
            }
        }
        if (!(max > 0))
            max = 1;
        /* the unit in which the top reads below 1000: 1008 B is an axis to 1 KB */
        while (max / unit >= 1000 && unit < 1024.0 * 1024 * 1024 * 1024 * 1024)
            unit *= 1024;
        /* ticks at nice multiples of the unit, so labels read 0, 2 MB, 4 MB */
        step = pym_chart_nice_step(max / unit, 5) * unit;
        double top = ceil(max / step - 1e-9) * step;
        /* a line at the very top would hide in the frame: room above it */
        max = c->kind == PYM_CHART_LINES && max > 0.97 * top ? top + step : top;
    }
    l->ymax = max;
    pym_strbuf_puts(b, "<g class=\"y-axis\">\n");
    for (int k = 0; k * step <= max * (1 + 1e-9) && k <= 20; k++) {
        double v = k * step, y = sy(l, v);
        if (c->kind == PYM_CHART_SHARE)
            snprintf(lab, sizeof lab, "%d%%", (int)v);
        else
            axis_bytes_label(v, unit, lab, sizeof lab);
        pym_strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          l->px, y, l->px + l->pw, y, l->px - 6, y + 4, lab);
    }
    pym_strbuf_printf(b, "<text class=\"axis-title\" transform=\"translate(14 %.1f) rotate(-90)\" "
                         "text-anchor=\"middle\">",
                      l->py + l->ph / 2);
    put_text(b, c->y_label ? c->y_label : "size", 40);
    pym_strbuf_puts(b, c->kind == PYM_CHART_SHARE ? " (% of the total)" : "");
    pym_strbuf_puts(b, "</text>\n</g>\n");
}

static void x_axis(layout *l)
{
    pym_strbuf *b = l->b;
    char lab[32];
    double span = l->x1 - l->x0, step = time_step(span, l->x1, 6);
    double first = ceil(l->x0 / step - 1e-9) * step;

    pym_strbuf_puts(b, "<g class=\"x-axis\">\n");
    for (int k = 0; k <= 12; k++) {
        double t = first + k * step;
        if (t > l->x1 + step * 1e-9)
            break;
        time_label(t < 0 ? 0 : t, l->x1, lab, sizeof lab);
        pym_strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                          sx(l, t), l->py + l->ph, sx(l, t), l->py + l->ph + 4, sx(l, t), l->py + l->ph + 17, lab);
    }
    pym_strbuf_printf(b, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                         "time since the tracker started</text>\n</g>\n",
                      l->px + l->pw / 2, l->py + l->ph + 38);
}

static void series_open(layout *l, size_t s)
{
    pym_strbuf_puts(l->b, "<g class=\"series\"><title>");
    put_text(l->b, l->c->names[s], 0);
    pym_strbuf_puts(l->b, "</title>");
}

/* The stacked kinds: series s between the sum of those before it and that
 * plus its own value (as a share of the column's sum for SHARE). */
static double stack_at(const layout *l, size_t upto, size_t i)
{
    const pym_chart *c = l->c;
    double t = 0, all = c->kind == PYM_CHART_SHARE ? sum_at(c, i) : 0;
    for (size_t s = 0; s < upto; s++)
        t += value(c, s, i);
    if (c->kind == PYM_CHART_SHARE)
        return all > 0 ? t / all * 100 : 0;
    return t;
}

static void draw_stacked(layout *l)
{
    const pym_chart *c = l->c;
    pym_strbuf *b = l->b;
    for (size_t s = 0; s < c->nseries; s++) {
        const char *color = palette[s % NCOLORS];
        series_open(l, s);
        if (l->bars) {
            double w = l->pw / 3 < 60 ? l->pw / 3 : 60, xm = l->px + l->pw / 2;
            double lo = stack_at(l, s, 0), hi = stack_at(l, s + 1, 0);
            pym_strbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                              xm - w / 2, sy(l, hi), w, sy(l, lo) - sy(l, hi), color);
        } else {
            pym_strbuf_printf(b, "<path fill=\"%s\" stroke=\"%s\" stroke-width=\"0.5\" d=\"", color, color);
            for (size_t k = 0; k < l->ncols; k++) {
                size_t i = l->cols[k];
                pym_strbuf_printf(b, "%s%.1f %.1f", k ? " L" : "M", sx(l, c->x[i]), sy(l, stack_at(l, s + 1, i)));
            }
            for (size_t k = l->ncols; k-- > 0;) {
                size_t i = l->cols[k];
                pym_strbuf_printf(b, " L%.1f %.1f", sx(l, c->x[i]), sy(l, stack_at(l, s, i)));
            }
            pym_strbuf_puts(b, " Z\"/>");
        }
        pym_strbuf_puts(b, "</g>\n");
    }
}

static void draw_lines(layout *l)
{
    const pym_chart *c = l->c;
    pym_strbuf *b = l->b;
    for (size_t s = 0; s < c->nseries; s++) {
        const char *color = palette[s % NCOLORS];
        int open = 0;
        series_open(l, s);
        for (size_t k = 0; k < l->ncols; k++) {
            size_t i = l->cols[k];
            double v = c->y[s * c->npoints + i];
            int has = isfinite(v);
            int next = k + 1 < l->ncols && isfinite(c->y[s * c->npoints + l->cols[k + 1]]);
            double x = l->bars ? l->px + l->pw / 2 : sx(l, c->x[i]);
            if (!has) {
                if (open)
                    pym_strbuf_puts(b, "\"/>");
                open = 0;
                continue;
            }
            v = v > 0 ? v : 0;
            if (!open && !next) { /* a point alone: a dot */
                pym_strbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", x, sy(l, v), color);
                continue;
            }
            if (!open)
                pym_strbuf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
            pym_strbuf_printf(b, "%s%.1f,%.1f", open ? " " : "", x, sy(l, v));
            open = 1;
        }
        if (open)
            pym_strbuf_puts(b, "\"/>");
        pym_strbuf_puts(b, "</g>\n");
    }
}

static void legend(layout *l)
{
    const pym_chart *c = l->c;
    pym_strbuf *b = l->b;
    size_t n = c->nseries, shown = n;
    double x = l->px + l->pw + 16, y = l->py;
    size_t fit = (size_t)(l->ph / LEGEND_ROW);

    if (fit < 2)
        fit = 2;
    if (fit > PYM_CHART_MAX_LEGEND)
        fit = PYM_CHART_MAX_LEGEND;
    if (shown > fit)
        shown = fit - 1;
    pym_strbuf_puts(b, "<g class=\"legend\">\n");
    for (size_t k = 0; k < shown; k++) {
        /* stacked: the top of the stack first, as the picture reads */
        size_t s = c->kind == PYM_CHART_LINES ? k : n - 1 - k;
        pym_strbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                             "<text class=\"legend-name\" x=\"%.1f\" y=\"%.1f\"><title>",
                          x, y + k * LEGEND_ROW, palette[s % NCOLORS], x + 15, y + k * LEGEND_ROW + 9);
        put_text(b, c->names[s], 0);
        pym_strbuf_puts(b, "</title>");
        put_text(b, c->names[s], NAME_CHARS);
        pym_strbuf_puts(b, "</text>\n");
    }
    if (shown < n)
        pym_strbuf_printf(b, "<text class=\"legend-more\" x=\"%.1f\" y=\"%.1f\">... and %zu more</text>\n", x + 15,
                          y + shown * LEGEND_ROW + 9, n - shown);
    pym_strbuf_puts(b, "</g>\n");
}

static int valid(const pym_chart *c)
{
    if (!c || c->npoints == 0 || c->nseries == 0 || !c->x || !c->y || !c->names || c->width < 0 ||
        c->height < 0 || (unsigned)c->kind > PYM_CHART_LINES || c->nseries > ((size_t)-1) / 2 / c->npoints)
        return 0;
    for (size_t i = 0; i < c->npoints; i++)
        if (!isfinite(c->x[i]) || c->x[i] < 0 || (i && c->x[i] < c->x[i - 1]))
            return 0;
    return 1;
}

char *pym_chart_svg(const pym_chart *c, size_t *len)
{
    pym_strbuf b;
    layout l = {.b = &b, .c = c};
    int w, h;

    if (!valid(c)) {
        errno = EINVAL;
        return NULL;
    }
    w = c->width ? c->width : DEFAULT_W;
    h = c->height ? c->height : DEFAULT_H;
    if (w < LEGEND_W + MARGIN_L + 80)
        w = LEGEND_W + MARGIN_L + 80;
    if (h < 160)
        h = 160;
    l.px = MARGIN_L;
    l.py = c->title ? 34 : 14;
    l.pw = w - MARGIN_L - LEGEND_W - MARGIN_R;
    l.ph = h - l.py - MARGIN_B;

    /* the time points drawn: all, or PYM_CHART_MAX_COLUMNS evenly spaced */
    l.ncols = c->npoints < PYM_CHART_MAX_COLUMNS ? c->npoints : PYM_CHART_MAX_COLUMNS;
    if (!(l.cols = malloc(l.ncols * sizeof *l.cols))) {
        errno = ENOMEM;
        return NULL;
    }
    for (size_t k = 0; k < l.ncols; k++)
        l.cols[k] = l.ncols == 1 ? 0 : (size_t)((double)k * (double)(c->npoints - 1) / (double)(l.ncols - 1) + 0.5);
    l.x0 = c->x[0];
    l.x1 = c->x[c->npoints - 1];
    l.bars = l.x1 <= l.x0; /* one time (or all at one time): nothing to spread over */
    if (l.bars) {
        l.x0 = l.x0 > 0.5 ? l.x0 - 0.5 : 0;
        l.x1 = l.x0 + 1;
    }

    pym_strbuf_init(&b);
    pym_strbuf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                          "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"DejaVu Sans, sans-serif\" "
                          "font-size=\"11\">\n<title>",
                      w, h, w, h);
    put_text(&b, c->title ? c->title : "memory over time", 0);
    pym_strbuf_printf(&b, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w, h);
    if (c->title) {
        pym_strbuf_printf(&b, "<text class=\"chart-title\" x=\"%.1f\" y=\"20\" font-size=\"13\" "
                              "font-weight=\"bold\">",
                          l.px);
        put_text(&b, c->title, 90);
        pym_strbuf_puts(&b, "</text>\n");
    }
    y_axis(&l);
    x_axis(&l);
    pym_strbuf_puts(&b, "<g class=\"plot\">\n");
    if (c->kind == PYM_CHART_LINES)
        draw_lines(&l);
    else
        draw_stacked(&l);
    pym_strbuf_printf(&b, "</g>\n<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "fill=\"none\" stroke=\"#666\"/>\n",
                      l.px, l.py, l.pw, l.ph);
    legend(&l);
    pym_strbuf_puts(&b, "</svg>\n");
    free(l.cols);
    if (pym_strbuf_failed(&b)) {
        pym_strbuf_free(&b);
        errno = ENOMEM;
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.data;
}
