/* render: DOT text -> PNG, SVG, PDF, ... in memory, through the Graphviz C
 * libraries (libgvc/libcgraph 2.42), in-process: no Graphviz program is ever
 * started.  Design notes: render/README.md.
 *
 * Ownership, once for the whole API: every pointer argument is borrowed for the
 * duration of the call and never stored; every buffer returned through an
 * `out` pointer is malloc'd and belongs to the caller, who frees it with
 * free().  Errors: functions return 0 or a negative PYM_RENDER_E_* code (table
 * below) and, when given an `err` buffer, write a one-line message into it
 * (always NUL-terminated, truncated to errlen - 1 bytes).
 *
 * Thread safety: Graphviz is not thread-safe (global parser and error state,
 * strtok, setlocale, rand).  Every call that touches Graphviz takes one
 * process-wide mutex; callers may call from any thread (release the GIL
 * first).  Graphviz's strtok use clobbers a caller's strtok state: use strtok_r.
 */
#ifndef PYM_RENDER_H
#define PYM_RENDER_H

#include "strbuf.h"
#include <stddef.h>

/* ---------------------------------------------------------------- errors */

/* X(NAME, code, message): PYM_RENDER_E_NAME = code; pym_render_strerror(code)
 * returns the message. */
#define PYM_RENDER_ERRNO_MAP(X)                                                                  \
    X(ENGINE, -1, "unknown layout engine")                                                       \
    X(FORMAT, -2, "unknown output format")                                                       \
    X(SYNTAX, -3, "DOT syntax error")                                                            \
    X(LAYOUT, -4, "layout failed")                                                               \
    X(RENDER, -5, "rendering failed")                                                            \
    X(NOMEM, -6, "out of memory")                                                                \
    X(TOOBIG, -7, "graph too large to lay out")                                                  \
    X(IO, -8, "cannot write the output file")                                                    \
    X(ARG, -9, "invalid argument")                                                               \
    X(NOGRAPHVIZ, -10, "Graphviz is not usable (no context or no plugins)")

enum {
#define PYM_RENDER_ENUM_(name, code, msg) PYM_RENDER_E_##name = code,
    PYM_RENDER_ERRNO_MAP(PYM_RENDER_ENUM_)
#undef PYM_RENDER_ENUM_
};

/* The message of a PYM_RENDER_E_* code ("unknown error" for any other value,
 * "success" for 0); a static string. */
const char *pym_render_strerror(int code);

/* ---------------------------------------------------------------- caps */

/* Every limit of the renderer, and what happens at it.  Layout cannot be
 * interrupted once started, so each call measures the graph first and
 * estimates the layout time of the requested engine (render/measure.c has the
 * formulas and the measurements behind them; render/README.md the table).
 *
 * PYM_RENDER_MAX_NODES, PYM_RENDER_MAX_EDGES: more nodes or edges than this and
 *   the call is refused with PYM_RENDER_E_TOOBIG whatever the engine: sfdp, the
 *   fastest engine for large graphs, takes 5 s (SVG) to 8.5 s (PNG) for 10,000
 *   nodes with 20,000 edges here with the other core busy, 13 s for 20,000
 *   nodes; 7.4 s (SVG) / 8 s (PNG) for 10,000 nodes with 100,000 unlabelled
 *   edges.  The caller collapses the graph first.
 * PYM_RENDER_BUDGET_SECONDS: when the estimate for the requested engine exceeds
 *   it, sfdp lays the graph out instead; when sfdp would too, the edge labels
 *   are dropped (with the requested engine if it then fits, else with sfdp);
 *   pym_render_info.note says what was done.  Placing edge labels is what
 *   makes dense graphs slow in every engine but dot: 200 nodes with 10,100
 *   labelled edges take sfdp 9 s, twopi > 90 s, neato ~120 s.  (dot:
 *   trees up to ~4,600 nodes, but only ~235 independent cycles in one
 *   component; neato ~1,100 nodes per component; fdp ~150; circo biconnected
 *   blocks of ~120 nodes).  Well below 10 s because the fits come from a quiet
 *   machine: with the other core busy the same layouts took up to twice as
 *   long, and PNG/PDF output of a big graph adds a second or two.
 * PYM_RENDER_PACK_MIN_NODES, PYM_RENDER_PACK_MIN_COMPONENTS: a graph of more
 *   nodes (in two or more components), or of more components, gets
 *   packmode=array unless it sets pack or packmode itself: components are laid
 *   out one by one and put on a grid.  Without it dot lays all components out
 *   together (5,000 nodes in 3-cycles: 20 s, packed 1.1 s) and the other
 *   engines use polyomino packing, quadratic in the number of components (sfdp,
 *   same graph: 28 s, as an array 0.4 s; 1,000 nodes: 1.1 s, 0.07 s).
 * PYM_RENDER_MSG_CAP: bytes of Graphviz messages kept per call (the rest is
 *   dropped; the first error is what err reports). */
#define PYM_RENDER_MAX_NODES 10000
#define PYM_RENDER_MAX_EDGES 100000
#define PYM_RENDER_BUDGET_SECONDS 4.0
#define PYM_RENDER_PACK_MIN_NODES 1000
#define PYM_RENDER_PACK_MIN_COMPONENTS 100
#define PYM_RENDER_MSG_CAP 4096
/* PYM_RENDER_GRID_SHARE: the grid of opts.aspect lays the components out one
 *   by one as graphs of their own (render/grid.c); only when the estimate for
 *   the graph is at most this share of PYM_RENDER_BUDGET_SECONDS and keeps the
 *   edge labels.  Above it the graph is laid out as the caps above say (large
 *   graphs: Graphviz's packmode=array, ceil(sqrt(components)) columns). */
#define PYM_RENDER_GRID_SHARE 0.25

/* ---------------------------------------------------------------- choices */

/* Engines and formats offered to users, NULL-terminated, in display order. */
extern const char *const pym_render_engines[]; /* dot neato fdp sfdp circo twopi */
extern const char *const pym_render_formats[]; /* png svg pdf ps eps dot plain json */

/* 1 when `engine` (resp. `format`) is in the list above, else 0 (NULL: 0).
 * Case-sensitive, as Graphviz is. */
int pym_render_engine_ok(const char *engine);
int pym_render_format_ok(const char *format);

/* ---------------------------------------------------------------- rendering */

/* What a call did: filled by the _ex functions when info is not NULL (also
 * on failure, as far as the call got). */
typedef struct {
    char engine[16]; /* the engine actually used ("" when layout was not reached) */
    char note[256];  /* "" or one sentence on what was changed and why, e.g. "dot
                        would take about 13 s for this graph (300 nodes, 599 edges,
                        0 labelled; up to 300 nodes and 300 independent cycles in
                        one component): laid out with sfdp" */
    int nodes;       /* nodes and edges of the parsed graph (0 before parsing) */
    int edges;
    int components;  /* its weakly connected components */
    double seconds;  /* estimated layout time with `engine` (render/measure.c) */
    int labels_dropped; /* edge labels removed before layout (0 normally) */
    int warnings;    /* number of Graphviz warnings (their text is not kept) */
    int columns;     /* columns of the grid of components (opts.aspect), 0 when not used */
} pym_render_info;

/* Options; a NULL opts means all defaults (dot, svg, nothing else). */
typedef struct {
    const char *engine;   /* layout engine, NULL means "dot" */
    const char *format;   /* output format, NULL means "svg" */
    int unflatten;        /* apply the unflatten transformation (as `unflatten -l N`)
                             before layout: edges between a node and a leaf get minlen
                             staggered 1..N (only dot honours minlen) */
    int unflatten_chain;  /* N, 7 when <= 0 (Pympler calls `unflatten -l7`) */
    int pympler_style;    /* Pympler's command-line defaults (dot -Nfontsize=10
                             -Efontsize=10 -Nstyle=filled -Nfillcolor=#E5EDB8
                             -Ncolor=#CCCCCC): as those options, given to the nodes
                             and edges that do not set the attribute themselves */
    double aspect;        /* > 0: a graph of two or more components that sets neither
                             pack nor packmode has them laid out one by one and put on
                             a grid whose width / height is near this (1.5 for a
                             screen); 0: as Graphviz does (dot: all in one layout,
                             usually one wide row).  See PYM_RENDER_GRID_SHARE. */
} pym_render_opts;

/* Parse the DOT text (dotlen bytes, need not be NUL-terminated; a NUL byte
 * inside is a syntax error), lay it out and render it in memory.
 *
 * On success returns 0; *out (malloc'd, the caller frees it with free()) holds
 * *len bytes (also NUL-terminated, not counted in *len, for text formats).
 * On failure returns a negative code, *out is NULL and *len 0, and err gets a
 * one-line message: ours ("unknown layout engine 'foo'; choose one of dot,
 * neato, fdp, sfdp, circo, twopi") or Graphviz's own error text with its
 * "Error: " prefix removed ("syntax error in line 1 near '->'").
 *   PYM_RENDER_E_ENGINE, _E_FORMAT  not in the lists above
 *   PYM_RENDER_E_SYNTAX             the DOT text does not parse
 *   PYM_RENDER_E_TOOBIG             more than PYM_RENDER_MAX_NODES/_EDGES
 *   PYM_RENDER_E_LAYOUT, _E_RENDER  Graphviz reported an error there (as the
 *                                   dot program, an error fails the call even
 *                                   when Graphviz produced output)
 *   PYM_RENDER_E_NOMEM, _E_ARG (NULL dot/out/len), _E_NOGRAPHVIZ
 * Large graphs (the caps above): an engine that would take too long for the
 * graph is replaced by sfdp, or the edge labels are dropped, and that is said
 * in info->note
 * (pym_render_dot_ex); graphs of many nodes in two or more components, or of
 * many components, are packed as an array unless they set pack or packmode
 * themselves.
 * Serialised with the process-wide Graphviz mutex. */
int pym_render_dot(const char *dot, size_t dotlen, const pym_render_opts *opts, unsigned char **out,
                   size_t *len, char *err, size_t errlen);
/* The same, also reporting what was done into *info (may be NULL): the engine
 * used and the note when it was switched, counts, the time estimate. */
int pym_render_dot_ex(const char *dot, size_t dotlen, const pym_render_opts *opts, unsigned char **out,
                      size_t *len, pym_render_info *info, char *err, size_t errlen);

/* The same, then write the bytes to `path` atomically: to "path.tmp.PID" in the
 * same directory, fsync, rename over path.  Returns 0, or a negative code
 * (PYM_RENDER_E_IO with "cannot write 'path': strerror" when the file cannot
 * be written); on failure nothing is left at path (a file already there is
 * untouched) and the temporary file is removed. */
int pym_render_dot_to_file(const char *dot, size_t dotlen, const pym_render_opts *opts,
                           const char *path, char *err, size_t errlen);
int pym_render_dot_to_file_ex(const char *dot, size_t dotlen, const pym_render_opts *opts,
                              const char *path, pym_render_info *info, char *err, size_t errlen);

/* Free the Graphviz context kept between calls (created on first use), for
 * leak checkers at exit.  Final: every later call fails with
 * PYM_RENDER_E_NOGRAPHVIZ, because Graphviz 2.42 reads freed memory when a
 * second context lays out text.  Not needed otherwise: the context stays
 * reachable, and Graphviz itself keeps ~11 KB of configuration for the life
 * of the process anyway. */
void pym_render_shutdown(void);

/* ---------------------------------------------------------------- escaping */

/* Flags of pym_dot_escape; 0 and 1 keep the meaning of "keep_newlines". */
#define PYM_DOT_KEEP_NEWLINES 1 /* newline -> the two characters \n (else removed) */
#define PYM_DOT_ESCAPE_AMP 2    /* '&' -> "&amp;": Graphviz decodes &...; entities in
                                   plain labels, so "&lt;" would show as "<" */

/* Escape len bytes of UTF-8 text (possibly invalid, may contain NUL) for the
 * inside of a double-quoted DOT string: backslash doubled, '"' as \",
 * control characters (U+0000-U+001F, U+007F-U+009F) removed except newline
 * with PYM_DOT_KEEP_NEWLINES, invalid UTF-8 (each maximal invalid
 * subsequence, surrogates, U+FFFE/U+FFFF) replaced by U+FFFD.  Then, when
 * max_chars > 0 and more than max_chars characters (code points, an escape
 * counting as one) remain, the first max_chars - 3 are kept followed by "..."
 * (Pympler's trunc(); max_chars < 3 gives max_chars dots).
 * Returns a malloc'd NUL-terminated string (free with free()), or NULL when
 * out of memory.  s may be NULL when len is 0.  Touches no Graphviz state. */
char *pym_dot_escape(const char *s, size_t len, size_t max_chars, int flags);

/* The same cleaning and cutting for XML and HTML (SVG text, attribute
 * values in either quotes, HTML text): & < > " ' become entities; control
 * characters are removed (newline kept with PYM_DOT_KEEP_NEWLINES); invalid
 * UTF-8 and lone surrogates become U+FFFD.  malloc'd, or NULL when out of
 * memory. */
char *pym_xml_escape(const char *s, size_t len, size_t max_chars, int flags);

/* pym_xml_escape(s, len, max_chars, 0) appended to b (lib/core/strbuf.h):
 * printable ASCII with nothing to escape goes in as it is, with no copy.
 * Out of memory marks b failed, as strbuf's own errors do. */
void pym_xml_escape_into(pym_strbuf *b, const char *s, size_t len, size_t max_chars);

#endif
