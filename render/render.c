/* render.c: DOT text -> bytes through libgvc, in-process (render.h).
 *
 * One call: take the Graphviz mutex; parse with agmemread; measure the graph
 * and plan the layout (engine, edge labels: the caps in render.h); apply
 * Pympler's defaults and the unflatten transformation; gvLayout ->
 * gvRenderData -> gvFreeRenderData -> gvFreeLayout -> agclose; release the
 * mutex.  The GVC_t is created on first use and kept for the life of the
 * process (gvContext reads the plugin configuration, ~5 ms, and a second
 * context is unsafe: see pym_render_shutdown).  Nothing touches the graph
 * between gvLayout and gvFreeLayout (that crashes Graphviz 2.42).
 *
 * Graphviz reports errors through agerr: while the mutex is held, its message
 * hook (agseterrf) collects them into one buffer; they arrive in fragments
 * ("Error", ": ", text, continuation lines), and are cut into lines when the
 * call fails.  As in Graphviz's own dot program, an error level message
 * anywhere fails the call.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gvc.h>

#include "render.h"
#include "render_int.h"

/* ================================================================ choices */

const char *const pym_render_engines[] = {"dot", "neato", "fdp", "sfdp", "circo", "twopi", NULL};
const char *const pym_render_formats[] = {"png", "svg", "pdf", "ps", "eps", "dot", "plain", "json", NULL};

static int in_list(const char *s, const char *const *list)
{
    if (!s)
        return 0;
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

int pym_render_engine_ok(const char *engine)
{
    return in_list(engine, pym_render_engines);
}

int pym_render_format_ok(const char *format)
{
    return in_list(format, pym_render_formats);
}

const char *pym_render_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define PYM_RENDER_STR_(name, c, msg)                                                            \
    case c:                                                                                      \
        return msg;
        PYM_RENDER_ERRNO_MAP(PYM_RENDER_STR_)
#undef PYM_RENDER_STR_
    default:
        return "unknown error";
    }
}

/* ================================================================ messages */

/* Write a formatted one-line message into err (may be NULL).  Returns code. */
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
    }
    return code;
}

static void list_choices(char *buf, size_t size, const char *const *list)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; list[i] && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", list[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Graphviz messages of the current call; guarded by gv_lock. */
static struct {
    char text[PYM_RENDER_MSG_CAP];
    size_t len;
} gv_msgs;

/* The agseterrf hook: append a fragment.  Graphviz ignores the result. */
static int collect_message(char *fragment)
{
    size_t n = strlen(fragment);
    if (n > PYM_RENDER_MSG_CAP - 1 - gv_msgs.len)
        n = PYM_RENDER_MSG_CAP - 1 - gv_msgs.len;
    memcpy(gv_msgs.text + gv_msgs.len, fragment, n);
    gv_msgs.len += n;
    gv_msgs.text[gv_msgs.len] = '\0';
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Number of warnings among the collected messages. */
static int count_warnings(void)
{
    int n = 0;
    for (const char *p = gv_msgs.text; *p;) {
        if (starts_with(p, "Warning: "))
            n++;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return n;
}

/* The first error among the collected messages, as one line: "Error: "
 * removed, its continuation lines (those that start neither with "Error:" nor
 * with "Warning:") joined with spaces.  Writes it into buf; returns 0 when
 * there is none. */
static int first_error(char *buf, size_t size)
{
    const char *p = gv_msgs.text, *line;
    size_t used = 0;

    while (*p && !starts_with(p, "Error: ")) {
        p = strchr(p, '\n');
        if (!p)
            return 0;
        p++;
    }
    if (!*p || size == 0)
        return 0;
    p += strlen("Error: ");
    for (line = p; *line; ) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (line != p && (starts_with(line, "Error:") || starts_with(line, "Warning:")))
            break;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        if (n > 0 && used < size - 1) {
            if (used > 0)
                buf[used++] = ' ';
            for (size_t i = 0; i < n && used < size - 1; i++)
                buf[used++] = (line[i] == '\t' || line[i] == '\r') ? ' ' : line[i];
        }
        if (!end)
            break;
        line = end + 1;
    }
    buf[used < size ? used : size - 1] = '\0';
    return used > 0;
}

/* Fail with Graphviz's first error message, or `fallback` when it gave none. */
static int fail_graphviz(int code, char *err, size_t errlen, const char *fallback)
{
    char msg[512];
    if (first_error(msg, sizeof msg))
        return fail(code, err, errlen, "%s", msg);
    return fail(code, err, errlen, "%s", fallback);
}

/* ================================================================ engine choice */

pym__render_plan pym__render_plan_layout(const char *wanted, const pym__render_stats *st, pym__render_pack pack,
                                         char *note, size_t notelen)
{
    const double budget = PYM_RENDER_BUDGET_SECONDS;
    const int has_labels = st->labels > 0;
    pym__render_plan plan = {wanted, 0, pym__render_estimate(wanted, st, pack, 1)};
    pym__render_plan sfdp = {"sfdp", 0, pym__render_estimate("sfdp", st, pack, 1)};
    pym__render_plan bare = {wanted, has_labels, pym__render_estimate(wanted, st, pack, 0)};
    pym__render_plan sfdp_bare = {"sfdp", has_labels, pym__render_estimate("sfdp", st, pack, 0)};
    pym__render_plan chosen;
    const char *what;

    if (plan.seconds <= budget)
        return plan;
    if (strcmp(wanted, "sfdp") && sfdp.seconds <= budget)
        chosen = sfdp, what = "laid out with sfdp";
    else if (has_labels && bare.seconds <= budget)
        chosen = bare, what = "drawn without its edge labels";
    else if (sfdp_bare.seconds < bare.seconds) /* not when the graph forces slow packing */
        chosen = sfdp_bare, what = has_labels ? "laid out with sfdp, without its edge labels" : "laid out with sfdp";
    else if (has_labels)
        chosen = bare, what = "drawn without its edge labels";
    else
        return plan; /* nothing would be faster */
    if (note && notelen)
        snprintf(note, notelen,
                 "%s would take about %.0f s for this graph (%d nodes, %d edges, %d labelled; up to %d nodes and "
                 "%d independent cycles in one component): %s",
                 wanted, plan.seconds < 1e6 ? plan.seconds : 1e6, st->nodes, st->edges, st->labels, st->largest,
                 st->largest_excess, what);
    return chosen;
}

/* ================================================================ attributes */

/* Give kind-objects of g the default `value` for attribute `name`, as the dot
 * program's -N/-E options do: objects that set it keep their value.  When
 * the graph never mentions the attribute it is declared with this default;
 * when it was declared only by some objects (default "") the default becomes
 * `value` and objects without a value get it.  A default the graph declared
 * itself is kept.  Returns 0 or -1. */
static int set_default(Agraph_t *g, int kind, char *name, char *value)
{
    Agsym_t *sym = agattr(g, kind, name, NULL);
    if (!sym)
        return agattr(g, kind, name, value) ? 0 : -1;
    if (sym->defval && sym->defval[0])
        return 0;
    if (!agattr(g, kind, name, value))
        return -1;
    sym = agattr(g, kind, name, NULL);
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        if (kind == AGNODE) {
            const char *v = agxget(n, sym);
            if ((!v || !v[0]) && agxset(n, sym, value) != 0)
                return -1;
            continue;
        }
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
            const char *v = agxget(e, sym);
            if ((!v || !v[0]) && agxset(e, sym, value) != 0)
                return -1;
        }
    }
    return 0;
}

static int apply_pympler_style(Agraph_t *g)
{
    static const struct {
        int kind;
        const char *name, *value;
    } style[] = {
        {AGNODE, "fontsize", "10"},       {AGEDGE, "fontsize", "10"},
        {AGNODE, "style", "filled"},      {AGNODE, "fillcolor", "#E5EDB8"},
        {AGNODE, "color", "#CCCCCC"},
    };
    for (size_t i = 0; i < sizeof style / sizeof style[0]; i++) {
        char name[16], value[16];
        /* cgraph takes char *: copies, so that string literals are never written */
        snprintf(name, sizeof name, "%s", style[i].name);
        snprintf(value, sizeof value, "%s", style[i].value);
        if (set_default(g, style[i].kind, name, value) < 0)
            return -1;
    }
    return 0;
}

/* How the graph asks for its components to be placed: -1 when it sets
 * neither pack nor packmode (render_locked decides), else as Graphviz reads
 * them: packmode "array..." is an array, another packmode or pack set to a
 * margin (integer >= 0) or true/yes is polyomino packing, pack set to
 * anything else is no packing. */
static int graph_packs(Agraph_t *g)
{
    char pack[] = "pack", packmode[] = "packmode";
    const char *v = agget(g, packmode);
    if (v && v[0])
        return strncmp(v, "array", 5) ? PYM__PACK_POLY : PYM__PACK_ARRAY;
    v = agget(g, pack);
    if (!v || !v[0])
        return -1;
    if ((v[0] >= '0' && v[0] <= '9') || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
        return PYM__PACK_POLY;
    return PYM__PACK_NONE;
}

/* Remove every edge label (label, xlabel, headlabel, taillabel): their
 * placement is what makes dense graphs slow.  Returns 0 or -1. */
static int drop_edge_labels(Agraph_t *g)
{
    static const char *const names[] = {"label", "xlabel", "headlabel", "taillabel"};
    char empty[] = "";

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char name[16];
        Agsym_t *sym;
        snprintf(name, sizeof name, "%s", names[i]);
        if (!(sym = agattr(g, AGEDGE, name, NULL)))
            continue;
        if (!agattr(g, AGEDGE, name, empty))
            return -1;
        for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n))
            for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e))
                if (agxset(e, sym, empty) != 0)
                    return -1;
    }
    return 0;
}

/* ================================================================ the call */

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx;  /* guarded by gv_lock */
static int gv_closed;  /* pym_render_shutdown was called: no new context */

/* Final: Graphviz 2.42's pango plugin keeps a static pointer to a font name
 * owned by the context, so laying out under a second context reads freed
 * memory (valgrind: invalid read in strcmp from textspan_size). */
void pym_render_shutdown(void)
{
    pthread_mutex_lock(&gv_lock);
    if (gv_ctx) {
        gvFreeContext(gv_ctx);
        gv_ctx = NULL;
    }
    gv_closed = 1;
    pthread_mutex_unlock(&gv_lock);
}

/* Everything between taking and releasing the lock.  dot is NUL-terminated. */
static int render_locked(const char *dot, const pym_render_opts *opts, const char *engine, const char *format,
                         unsigned char **out, size_t *len, pym_render_info *info, char *err, size_t errlen)
{
    Agraph_t *g = NULL;
    pym__render_stats st = {0};
    char *data = NULL;
    unsigned int datalen = 0;
    int rc = 0, laid_out = 0, pack, grid;
    pym__render_plan plan;
    char eng[16];

    if (gv_closed)
        return fail(PYM_RENDER_E_NOGRAPHVIZ, err, errlen, "the renderer was shut down");
    if (!gv_ctx) {
        gv_ctx = gvContext();
        if (!gv_ctx)
            return fail(PYM_RENDER_E_NOGRAPHVIZ, err, errlen, "cannot create a Graphviz context");
    }

    g = agmemread(dot);
    if (!g || agerrors() >= AGERR) {
        rc = fail_graphviz(PYM_RENDER_E_SYNTAX, err, errlen, "DOT syntax error");
        goto done;
    }
    info->nodes = agnnodes(g);
    info->edges = agnedges(g);
    if (info->nodes > PYM_RENDER_MAX_NODES || info->edges > PYM_RENDER_MAX_EDGES) {
        rc = fail(PYM_RENDER_E_TOOBIG, err, errlen,
                  "graph too large to lay out: %d nodes and %d edges (limits %d and %d); "
                  "collapse it first",
                  info->nodes, info->edges, PYM_RENDER_MAX_NODES, PYM_RENDER_MAX_EDGES);
        goto done;
    }
    if (pym__render_measure(g, &st) < 0) {
        rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
        goto done;
    }
    info->components = st.ncomps;

    pack = graph_packs(g);
    /* a grid near opts->aspect (grid.c), when the graph leaves packing to us */
    grid = pack < 0 && opts->aspect > 0 && st.ncomps > 1 && !agfstsubg(g);
    if (pack < 0 && st.ncomps > 1 &&
        (st.nodes > PYM_RENDER_PACK_MIN_NODES || st.ncomps > PYM_RENDER_PACK_MIN_COMPONENTS)) {
        char name[] = "packmode", value[] = "array", empty[] = "";
        if (agsafeset(g, name, value, empty) != 0) {
            rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
            goto done;
        }
        pack = PYM__PACK_ARRAY;
    }
    if (pack < 0)
        pack = PYM__PACK_NONE;
    plan = pym__render_plan_layout(engine, &st, (pym__render_pack)pack, info->note, sizeof info->note);
    snprintf(eng, sizeof eng, "%s", plan.engine);
    snprintf(info->engine, sizeof info->engine, "%s", eng);
    info->seconds = plan.seconds;
    if (grid && (plan.drop_labels || plan.seconds > PYM_RENDER_BUDGET_SECONDS * PYM_RENDER_GRID_SHARE))
        grid = 0; /* large graphs: as the caps say */
    if (grid && pack == PYM__PACK_ARRAY) {
        char name[] = "packmode", empty[] = ""; /* set above; the grid places the components */
        if (agsafeset(g, name, empty, empty) != 0) {
            rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
            goto done;
        }
    }
    if (plan.drop_labels) {
        if (drop_edge_labels(g) < 0) {
            rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
            goto done;
        }
        info->labels_dropped = st.labels;
    }

    if (opts->pympler_style && apply_pympler_style(g) < 0) {
        rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
        goto done;
    }
    if (opts->unflatten &&
        pym__render_unflatten(g, opts->unflatten_chain > 0 ? opts->unflatten_chain : 7) < 0) {
        rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
        goto done;
    }

    /* From here to gvFreeLayout the graph must not change. */
    if (grid) {
        int r = pym__render_grid_layout(gv_ctx, g, eng, opts->aspect, &info->columns, err, errlen);
        laid_out = 1; /* as after gvLayout, also on failure */
        if (r == -1) {
            rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
            goto done;
        }
        if (r < 0) {
            rc = fail_graphviz(PYM_RENDER_E_LAYOUT, err, errlen, "layout failed");
            goto done;
        }
    }
    else if (gvLayout(gv_ctx, g, eng) != 0 || agerrors() >= AGERR) {
        laid_out = 1; /* gvLayout may have allocated before failing: freeing is safe */
        rc = fail_graphviz(PYM_RENDER_E_LAYOUT, err, errlen, "layout failed");
        goto done;
    }
    laid_out = 1;
    if (gvRenderData(gv_ctx, g, format, &data, &datalen) != 0 || agerrors() >= AGERR) {
        rc = fail_graphviz(PYM_RENDER_E_RENDER, err, errlen, "rendering failed");
        goto done;
    }
    *out = malloc((size_t)datalen + 1);
    if (!*out) {
        rc = fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
        goto done;
    }
    memcpy(*out, data, datalen);
    (*out)[datalen] = '\0';
    *len = datalen;

done:
    if (data)
        gvFreeRenderData(data);
    if (laid_out)
        gvFreeLayout(gv_ctx, g);
    if (g)
        agclose(g);
    pym__render_stats_free(&st);
    info->warnings = count_warnings();
    return rc;
}

int pym_render_dot(const char *dot, size_t dotlen, const pym_render_opts *opts, unsigned char **out,
                   size_t *len, char *err, size_t errlen)
{
    return pym_render_dot_ex(dot, dotlen, opts, out, len, NULL, err, errlen);
}

int pym_render_dot_ex(const char *dot, size_t dotlen, const pym_render_opts *opts, unsigned char **out,
                      size_t *len, pym_render_info *info, char *err, size_t errlen)
{
    static const pym_render_opts defaults = {0};
    pym_render_info scratch;
    const char *engine, *format;
    char choices[128], *text;
    agusererrf old_hook;
    agerrlevel_t old_level;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!opts)
        opts = &defaults;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (!out || !len || (!dot && dotlen))
        return fail(PYM_RENDER_E_ARG, err, errlen, "invalid argument: NULL %s", !dot ? "dot text" : "output");
    *out = NULL;
    *len = 0;
    engine = opts->engine ? opts->engine : "dot";
    format = opts->format ? opts->format : "svg";
    if (!pym_render_engine_ok(engine)) {
        list_choices(choices, sizeof choices, pym_render_engines);
        return fail(PYM_RENDER_E_ENGINE, err, errlen, "unknown layout engine '%.40s'; choose one of %s",
                    engine, choices);
    }
    if (!pym_render_format_ok(format)) {
        list_choices(choices, sizeof choices, pym_render_formats);
        return fail(PYM_RENDER_E_FORMAT, err, errlen, "unknown format '%.40s'; choose one of %s", format,
                    choices);
    }
    if (dotlen && memchr(dot, '\0', dotlen))
        return fail(PYM_RENDER_E_SYNTAX, err, errlen, "DOT text contains a NUL byte at offset %zu",
                    (size_t)((const char *)memchr(dot, '\0', dotlen) - dot));
    text = malloc(dotlen + 1);
    if (!text)
        return fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
    if (dotlen)
        memcpy(text, dot, dotlen);
    text[dotlen] = '\0';

    pthread_mutex_lock(&gv_lock);
    gv_msgs.len = 0;
    gv_msgs.text[0] = '\0';
    old_hook = agseterrf(collect_message);
    old_level = agseterr(AGWARN);
    agreseterrors();
    rc = render_locked(text, opts, engine, format, out, len, info, err, errlen);
    agreseterrors();
    agseterr(old_level);
    agseterrf(old_hook);
    pthread_mutex_unlock(&gv_lock);

    free(text);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return rc;
}
