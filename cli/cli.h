/* cli.h: the pympler command, shared by the executable (cli/main.c, which
 * embeds the interpreter) and the pympler._cli extension module (python -m
 * pympler).  Internal to cli/ and python/pympler/_cli.c.  Design: docs/cli.md.
 *
 * The command is a thin C driver over the package: it parses options in C,
 * runs the user's program with the CPython C API the way python3 does
 * (program.c), and calls the Python-level API of pympler.summary,
 * pympler.tracker, pympler.garbagegraph, pympler.refgraph and pympler.asizeof
 * for the reports.
 *
 * Ownership, once for the whole header: pointer arguments are borrowed for
 * the duration of the call; functions returning PyObject * return a new
 * reference or NULL with a Python exception set.  Functions returning int
 * return 0 (or a count) on success and -1 with a Python exception set, unless
 * their comment says they return an exit status.
 */
#ifndef PYM_CLI_H
#define PYM_CLI_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>

/* ---------------------------------------------------------------- versions */

/* The Pympler API this implements (pympler.__version__), and the version of
 * the distribution (pyproject.toml's, which pip shows: Pympler's with a
 * local label, so that neither pip nor a person takes it for Pympler 1.1
 * itself, while `pympler==1.1` requirements still accept it).  Printed by
 * `pympler --version`; tests/python/test_cli_io.py checks both agree with
 * the package and pyproject.toml. */
#define PYM_PYMPLER_VERSION "1.1"
#define PYM_DIST_VERSION "1.1+c.1"

/* ---------------------------------------------------------------- exit statuses */

/* X(NAME, status, meaning): the exit statuses of the command, defined once;
 * `pympler --help`, docs/pympler.1 and docs/cli.md list the same table,
 * and PYM_EXIT_RULES below (also in all three) which one wins when several
 * apply.  A program that ends with sys.exit(n) makes the command exit n (as
 * python3 would), which may coincide with these: garbage records it in its
 * report, and --fail-status chooses a status for its findings that the
 * program does not use. */
#define PYM_EXIT_MAP(X)                                                                  \
    X(OK, 0, "success")                                                                  \
    X(PROGRAM, 1, "the program (or an expression) raised an exception: traceback printed") \
    X(USAGE, 2, "usage error: bad option, unknown format, missing or unreadable script")  \
    X(CYCLES, 3, "garbage found (garbage --fail-on any|uncollectable; --fail-status N)")  \
    X(OUTPUT, 4, "the report could not be made or written (output path, write error)")

/* Which status wins, for `--help` (pym_cli_exit_help), docs/cli.md and
 * docs/pympler.1 (cmd_garbage.c's run applies it). */
#define PYM_EXIT_RULES                                                                   \
    "  when several apply: 4 (no report) wins; then garbage --fail-on's findings\n"      \
    "  (3, or --fail-status N); then the program's own status, which the garbage\n"      \
    "  report records (last text line; program.exit_status in json)\n"

enum {
#define PYM_EXIT_ENUM_(name, status, meaning) PYM_EXIT_##name = status,
    PYM_EXIT_MAP(PYM_EXIT_ENUM_)
#undef PYM_EXIT_ENUM_
};

/* Exit status of an uncaught KeyboardInterrupt (128 + SIGINT, as a shell
 * reports python3 killed by Ctrl-C). */
#define PYM_EXIT_INTERRUPT 130
/* Exit status when stdout is a closed pipe (`pympler ... | head`): 128 +
 * SIGPIPE, as a shell reports a tool that SIGPIPE ended; nothing is printed
 * (output.c). */
#define PYM_EXIT_PIPE 141

/* "exit status:" lines for the help texts (a static string). */
const char *pym_cli_exit_help(void);

/* ---------------------------------------------------------------- options (opts.c) */

/* One option of a subcommand. */
typedef struct {
    const char *name;  /* "--limit" or "-n" */
    const char *alias; /* another spelling or NULL */
    int takes_value;   /* 0: a flag */
    int (*valid)(const char *value); /* NULL: any value */
    const char *what;  /* for "not a valid ...": "number", "format" */
    int to_pos;        /* 1: each value is appended to the positional arguments */
} pym_opt;

/* Values parsed by pym_cmd_parse: value[i] for option i (NULL when absent;
 * "" for a given flag), positional arguments in pos[0..npos).  A "program"
 * subcommand stops at the first positional argument or at -m/-c (which then
 * lead pos), so that the rest belongs to the program. */
typedef struct {
    const char **value; /* one slot per option */
    const char **pos;   /* caller-allocated, argc slots */
    int npos;
    int help;
} pym_opts_result;

/* A subcommand's state: `size` bytes plus argc positional slots, zeroed;
 * NULL after "out of memory" on stderr. */
void *pym_cmd_state_new(size_t size, int argc);
/* Parse a subcommand's argv (from argv[2]); --help is answered with
 * help_text and the exit statuses.  When `program` is set, "-m X" and
 * "-c X" and the first positional argument end option parsing (they and
 * what follows go to pos, -m/-c included).  Returns -1 to go on, else the
 * exit status (0 after the help, or a usage error's, reported on stderr). */
int pym_cmd_parse(const pym_opt *opts, size_t nopts, int program, int argc, char **argv,
                  const char *help_text, pym_opts_result *res);

/* The end of a subcommand's parse: code >= 0 (help shown, usage error) ends
 * the command, so st is freed and code returned; -1 hands st out in *out. */
int pym_cmd_parsed(void *st, int code, void **out);

/* Report a usage error "pympler CMD: message (try 'pympler CMD --help')" on
 * stderr; returns PYM_EXIT_USAGE.  fmt has one %s for arg. */
int pym_usage_error(const char *cmd, const char *fmt, const char *arg);
/* The format the extension of an -o path names, among those valid() accepts
 * (NULL: any): .txt text, .json, .svg, .png, .pdf, .dot or .gv dot, in any
 * case.  Returns 1 with *fmt set (a static string), 0 with *fmt NULL when
 * there is no extension (or path is NULL or "-": stdout), -1 when the
 * extension names no format.  A command with an option "--format" (and
 * "--output") gets from pym_cmd_parse: an unknown extension without
 * --format, and png or pdf to a terminal, are usage errors; its --help
 * describes the output. */
int pym_format_of_path(const char *path, int (*valid)(const char *), const char **fmt);
/* Validators for pym_opt.valid: 1 when the value is acceptable. */
int pym_opt_is_integer(const char *s);
int pym_opt_is_nonneg_integer(const char *s);
int pym_opt_is_number(const char *s);

/* ---------------------------------------------------------------- commands (dispatch.c) */

/* A parsed command line, ready to run once Python is up. */
typedef struct pym_cli_invocation pym_cli_invocation;

/* Parse the whole command line (no Python needed): prints help or a usage
 * error itself.  Returns -1 and sets *inv (free it with pym_cli_free) when
 * there is a command to run, else the exit status. */
int pym_cli_parse(int argc, char **argv, pym_cli_invocation **inv);
/* Run a parsed command in the running interpreter (the GIL held).  `embedded`
 * is 1 in the executable (fresh interpreter, __main__ unused), 0 under python
 * -m pympler.  Returns the exit status; Python errors have been reported. */
int pym_cli_execute(pym_cli_invocation *inv, int embedded);
void pym_cli_free(pym_cli_invocation **inv);

/* Entry of both faces: parse, run, return the exit status.  The interpreter
 * must be running. */
int pym_cli_main(int argc, char **argv, int embedded);

/* ---------------------------------------------------------------- the user's program (program.c) */

typedef enum { PYM_PROG_SCRIPT, PYM_PROG_MODULE, PYM_PROG_COMMAND } pym_prog_kind;

typedef struct {
    pym_prog_kind kind;
    const char *target; /* script path, module name or code */
    int argc;           /* the program's arguments after the target */
    char **argv;
} pym_program;

/* Fill *prog from pos[0..npos) as left by pym_cmd_parse in program mode.
 * Returns -1, or PYM_EXIT_USAGE after reporting (no program, -m without a
 * module, missing or unreadable script). */
int pym_program_from_args(pym_program *prog, const char *cmd, const char **pos, int npos);

/* Outcome of pym_program_run. */
typedef struct {
    int status;  /* the exit status python3 would have given */
    int interrupted; /* 1: an uncaught KeyboardInterrupt */
    /* 1: the program's main code began to run.  0: it never ran -- a
     * SyntaxError in the script or -c code, -m of a module that cannot be
     * found or compiled, a directory without __main__.py; python3's error
     * has been printed and status is python3's (1): no report follows. */
    int started;
} pym_program_result;

/* Run the program in this interpreter as python3 runs it: sys.argv, __main__,
 * sys.path[0], SystemExit -> status, uncaught exception -> traceback (through
 * sys.excepthook) and status 1; then, as python3 does at exit, join the
 * non-daemon threads and run the atexit handlers, and flush sys.stdout and
 * sys.stderr.  `embedded`: see pym_cli_execute.  Returns 0 with *res filled,
 * or -1 with a Python exception set when the command itself failed (before
 * the program started). */
int pym_program_run(const pym_program *prog, int embedded, pym_program_result *res);

/* ---------------------------------------------------------------- output (output.c) */

/* Where a report goes: stdout ("-" or NULL) or a file written atomically. */
typedef struct {
    const char *path;   /* NULL or "-": sys.stdout */
    const char *format; /* the report's format ("text", "json", "svg", ...); NULL: text */
} pym_output;

/* 1 for the formats a machine reads (json, svg, png, pdf, dot): on stdout
 * they are all that goes there. */
int pym_format_is_machine(const char *fmt);
/* 1 for the binary formats (png, pdf): never written to a terminal. */
int pym_format_is_binary(const char *fmt);

/* While the program (or --setup code and expressions) runs, its own stdout
 * must not share stdout with a report in a machine format, nor with an
 * explicit `-o -`: descriptor 1 then points at stderr (sys.stdout, C code
 * and child processes alike write there).  pym_output_divert returns the
 * saved descriptor for pym_output_undivert, or -1 when nothing was diverted
 * (undivert(-1) does nothing). */
int pym_output_divert(const pym_output *out);
void pym_output_undivert(int saved);

/* Check before the work that the file can be created: its directory exists
 * and is writable, and path is not a directory.  Returns -1 when fine, else
 * PYM_EXIT_OUTPUT after one line on stderr. */
int pym_output_check(const pym_output *out);
/* Write data (bytes or str, str encoded UTF-8 for files) to the output:
 * to stdout after flushing sys.stdout (on descriptor 1 directly, str
 * encoded as sys.stdout encodes; through sys.stdout when it was replaced),
 * or atomically to the file (temporary file in the same directory, fsync,
 * rename: nothing half-written is ever left at the path; a device or FIFO
 * is written in place).  Returns -1 when written, else PYM_EXIT_OUTPUT after
 * one line on stderr naming the target, or PYM_EXIT_PIPE quietly for a
 * closed pipe on stdout (the Python error, if any, cleared). */
int pym_output_write(const pym_output *out, PyObject *data);
/* After a failed write to sys.stdout (the exception pending): a closed pipe
 * (EPIPE) returns PYM_EXIT_PIPE quietly, anything else PYM_EXIT_OUTPUT after
 * "pympler: error writing output to stdout: REASON" on stderr.  The
 * exception is cleared and descriptor 1 left on /dev/null. */
int pym_stdout_error(void);
/* Flush sys.stdout and sys.stderr.  Returns 0 or -1 with an exception set. */
int pym_stdio_flush(void);

/* ---------------------------------------------------------------- JSON (json.c) */

/* Versions of the JSON reports (schemas in docs/cli.md); a version changes
 * when a member changes meaning or goes away, not when one is added. */
#define PYM_SUMMARY_JSON_VERSION 1
#define PYM_ASIZEOF_JSON_VERSION 1

/* obj (dicts, lists, str, int, bool, None) as JSON text (str): indented by
 * 2, members in insertion order, ending in a newline; non-ASCII, control
 * characters and lone surrogates escaped as \uXXXX. */
PyObject *pym_json_text(PyObject *obj);
/* {"exit_status", "kind" ("script", "module" or "command"), "target"}: the
 * program of a report, as the garbage report has it. */
PyObject *pym_json_program(const pym_program *prog, int exit_status);

/* ---------------------------------------------------------------- Python helpers (pyutil.c) */

/* getattr(import_module(module), name). */
PyObject *pym_import_attr(const char *module, const char *name);
/* Run code (mode Py_file_input or Py_eval_input) in dict ns. */
PyObject *pym_run_code(const char *code, const char *filename, int mode, PyObject *ns);
/* lst.sort(key=operator.itemgetter(key), reverse=reverse): in place,
 * stable.  0, or -1 with an exception. */
int pym_sort_by_item(PyObject *lst, PyObject *key, int reverse);
/* The dict of the __main__ module (borrowed), or NULL with an exception. */
PyObject *pym_main_dict(void);
/* Where a program or an expression runs: __main__'s dict, or under python -m
 * pympler (embedded 0) a fresh __main__'s, not pympler's own (program.c).
 * Borrowed, or NULL with an exception. */
PyObject *pym_program_namespace(int embedded);
/* That namespace after running the --setup code (NULL: none) in it. */
PyObject *pym_setup_namespace(int embedded, const char *setup);
/* Print the pending exception as Python would (sys.excepthook), unless it is
 * SystemExit, whose code becomes the status.  Returns the exit status:
 * PYM_EXIT_PROGRAM, PYM_EXIT_INTERRUPT, or the SystemExit status. */
int pym_report_exception(void);
/* Set `name` in kwargs to int(value) or float(value) when value is not
 * NULL. */
int pym_kwargs_add_number(PyObject *kwargs, const char *name, const char *value);

/* ---------------------------------------------------------------- subcommands */

/* Each: parse argv[2..] (argv[1] is the subcommand name); prints its help or
 * usage errors.  Returns -1 with *state set (malloc'd, freed by the caller
 * with free()) when there is something to run, else the exit status. */
typedef struct {
    const char *name;
    const char *summary; /* one line for `pympler --help` */
    int (*parse)(int argc, char **argv, void **state);
    int (*run)(void *state, int embedded); /* the exit status */
} pym_command;

extern const pym_command pym_cmd_asizeof, pym_cmd_summary, pym_cmd_garbage, pym_cmd_refgraph, pym_cmd_track;

/* ---------------------------------------------------------------- garbage report (garbage_report.c) */

/* What the garbage report is made of, besides the graph. */
typedef struct {
    const char *const *include; /* fnmatch patterns (argv strings): --include */
    int ninclude;
    const char *const *exclude; /* --exclude */
    int nexclude;
    PyObject *sites;      /* --where: pym_garbage_sites' dict (borrowed), else NULL */
    int exit_status;      /* the program's own exit status */
    const char *kind;     /* the program: "script", "module" or "command" */
    const char *target;   /* its script, module or code */
} pym_garbage_opts;

/* The report's numbers, after the filters. */
typedef struct {
    Py_ssize_t cycles;         /* reference cycles kept */
    Py_ssize_t uncollectable;  /* uncollectable objects kept */
    Py_ssize_t dropped_cycles; /* cycles the filters dropped */
} pym_garbage_counts;

/* The report of a GarbageGraph (or any ReferenceGraph): a dict {"version",
 * "program", "summary", "filters", "types", "cycles"} as documented in
 * docs/cli.md (JSON schema, version 2), and its numbers in *counts.  Cycles
 * are strongly connected components of two or more objects, or one object
 * referring to itself; uncollectable objects are those the collector could
 * not free (legacy tp_del finalizers and what they reach).  A cycle is kept
 * when one of its members' types passes the filters (see docs/cli.md); an
 * object on no cycle when its own type does. */
PyObject *pym_garbage_report(PyObject *graph, const pym_garbage_opts *opts, pym_garbage_counts *counts);
/* The allocation sites of the objects (a list) while tracemalloc traces:
 * {id(obj): {"site", "frames"} or None} (docs/cli.md, --where).  Taken
 * before the report is made, so that tracemalloc can stop first: tracing
 * the report's own allocations would cost more than the report. */
PyObject *pym_garbage_sites(PyObject *objects);
/* The report as JSON text (str). */
PyObject *pym_garbage_report_json(PyObject *report);
/* The report as the text table (str): at most max_cycles entries (a run of
 * cycles of one shape is one entry) and max_members members of each; 0 is
 * no limit. */
PyObject *pym_garbage_report_text(PyObject *report, Py_ssize_t max_cycles, Py_ssize_t max_members);

/* ---------------------------------------------------------------- graphs (graphout.c) */

/* Formats of graph output offered by garbage and refgraph (NULL-terminated):
 * svg png pdf dot. */
extern const char *const pym_graph_formats[];
/* 1 when fmt is one of pym_graph_formats. */
int pym_graph_format_ok(const char *fmt);
/* The format named by the extension of path (".svg" -> "svg"), or NULL. */
const char *pym_graph_format_of_path(const char *path);
/* The graph (a ReferenceGraph) in format fmt as bytes: "dot" is the DOT text
 * Pympler writes (write_graph), the others are rendered in-process through
 * Graphviz (ReferenceGraph.render_bytes). */
PyObject *pym_graph_bytes(PyObject *graph, const char *fmt);
/* The same with the command's additions to Pympler's pictures: components on
 * a grid near PYM_GRAPH_ASPECT (width / height), index and key edge labels,
 * finalizer marks and a legend; with PYM_GRAPH_WHERE in flags each object's
 * allocation site too (when tracemalloc traces).  DOT stays Pympler's text.
 * pym_graph_bytes(g, fmt) is pym_graph_bytes_ex(g, fmt, 0). */
#define PYM_GRAPH_WHERE 1
#define PYM_GRAPH_ASPECT 1.5
PyObject *pym_graph_bytes_ex(PyObject *graph, const char *fmt, int flags);

#endif
