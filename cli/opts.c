/* opts.c: the option parser shared by the subcommands.
 *
 * GNU-style: "--name value", "--name=value", "-n value"; "--" ends options.
 * Subcommands that run a program stop at the program (its script, -m MODULE
 * or -c CODE): what follows belongs to the program, as with python3.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int pym_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "pympler%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'pympler%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
    return PYM_EXIT_USAGE;
}

int pym_opt_is_integer(const char *s)
{
    char *end;
    errno = 0;
    (void)strtoll(s, &end, 10);
    return *s != '\0' && *end == '\0' && errno == 0;
}

int pym_opt_is_nonneg_integer(const char *s)
{
    return pym_opt_is_integer(s) && s[0] != '-';
}

int pym_opt_is_number(const char *s)
{
    char *end;
    errno = 0;
    (void)strtod(s, &end);
    return *s != '\0' && *end == '\0' && errno == 0;
}

/* Index of the option spelled like arg (up to its '=' for long options), or
 * -1; *inline_value gets what follows '='. */
static int find_opt(const pym_opt *opts, size_t nopts, const char *arg, const char **inline_value)
{
    const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

    *inline_value = eq ? eq + 1 : NULL;
    for (size_t k = 0; k < nopts; k++) {
        const char *names[2] = {opts[k].name, opts[k].alias};
        for (int j = 0; j < 2; j++)
            if (names[j] && strlen(names[j]) == len && !strncmp(arg, names[j], len))
                return (int)k;
    }
    return -1;
}

/* Parse argv[2..argc) (see pym_cmd_parse). */
static int opts_parse(const pym_opt *opts, size_t nopts, int program, int argc, char **argv, pym_opts_result *res)
{
    const char *cmd = argv[1];

    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *value;
        int k;

        if (arg[0] != '-' || arg[1] == '\0') {
            if (program) { /* the script and its arguments */
                for (; i < argc; i++)
                    res->pos[res->npos++] = argv[i];
                return -1;
            }
            res->pos[res->npos++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            for (i++; i < argc; i++)
                res->pos[res->npos++] = argv[i];
            return -1;
        }
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            res->help = 1;
            return -1;
        }
        if (program && (!strcmp(arg, "-m") || !strcmp(arg, "-c"))) {
            if (i + 1 >= argc)
                return pym_usage_error(cmd, "option '%s' needs a value", arg);
            for (; i < argc; i++)
                res->pos[res->npos++] = argv[i];
            return -1;
        }
        k = find_opt(opts, nopts, arg, &value);
        if (k < 0)
            return pym_usage_error(cmd, "unknown option '%s'", arg);
        if (!opts[k].takes_value) {
            if (value != NULL)
                return pym_usage_error(cmd, "option '%s' takes no value", opts[k].name);
            res->value[k] = "";
            continue;
        }
        if (value == NULL) {
            if (i + 1 >= argc)
                return pym_usage_error(cmd, "option '%s' needs a value", arg);
            value = argv[++i];
        }
        if (opts[k].valid && !opts[k].valid(value)) {
            fprintf(stderr, "pympler %s: not a valid %s for %s: '%s' (try 'pympler %s --help')\n", cmd,
                    opts[k].what ? opts[k].what : "value", opts[k].name, value, cmd);
            return PYM_EXIT_USAGE;
        }
        if (opts[k].to_pos)
            res->pos[res->npos++] = value;
        else
            res->value[k] = value;
    }
    return -1;
}

/* ---------------------------------------------------------------- report formats */

/* Every format a command may offer and the extensions naming it. */
static const struct {
    const char *name, *ext, *alt;
} known_formats[] = {
    {"text", "txt", NULL}, {"json", "json", NULL}, {"svg", "svg", NULL},
    {"png", "png", NULL},  {"pdf", "pdf", NULL},   {"dot", "dot", "gv"},
};
#define NKNOWN (sizeof known_formats / sizeof known_formats[0])

int pym_format_of_path(const char *path, int (*valid)(const char *), const char **fmt)
{
    const char *base, *dot;

    *fmt = NULL;
    if (path == NULL || !strcmp(path, "-"))
        return 0;
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    if (dot == NULL || dot == base) /* no extension, or a dot file */
        return 0;
    for (size_t i = 0; i < NKNOWN; i++)
        if ((!strcasecmp(dot + 1, known_formats[i].ext) ||
             (known_formats[i].alt && !strcasecmp(dot + 1, known_formats[i].alt))) &&
            (valid == NULL || valid(known_formats[i].name))) {
            *fmt = known_formats[i].name;
            return 1;
        }
    return -1;
}

/* Index of the option named name in opts, or -1. */
static int opt_index(const pym_opt *opts, size_t nopts, const char *name)
{
    for (size_t k = 0; k < nopts; k++)
        if (!strcmp(opts[k].name, name))
            return (int)k;
    return -1;
}

/* The checks of a command with --format (and -o): an -o FILE whose
 * extension names none of its formats needs --format; a binary format is
 * not written to a terminal.  Returns -1, or PYM_EXIT_USAGE after the
 * message. */
static int check_report(const pym_opt *opts, size_t nopts, const char *cmd, const pym_opts_result *res)
{
    int kf = opt_index(opts, nopts, "--format"), ko = opt_index(opts, nopts, "--output");
    const char *fmt = kf >= 0 ? res->value[kf] : NULL, *path = ko >= 0 ? res->value[ko] : NULL;
    char msg[512];
    size_t len;

    if (kf < 0)
        return -1;
    if (fmt == NULL && pym_format_of_path(path, opts[kf].valid, &fmt) < 0) {
        len = (size_t)snprintf(msg, sizeof msg, "the extension of '%.200s' names no format: give --format, or use", path);
        for (size_t i = 0; i < NKNOWN && len < sizeof msg; i++)
            if (opts[kf].valid == NULL || opts[kf].valid(known_formats[i].name))
                len += (size_t)snprintf(msg + len, sizeof msg - len, " .%s%s%s (%s)", known_formats[i].ext,
                                        known_formats[i].alt ? "/." : "", known_formats[i].alt ? known_formats[i].alt : "",
                                        known_formats[i].name);
        return pym_usage_error(cmd, "%s", msg);
    }
    if (pym_format_is_binary(fmt) && (path == NULL || !strcmp(path, "-")) && isatty(STDOUT_FILENO)) {
        snprintf(msg, sizeof msg, "%s is binary: not written to a terminal; use -o FILE (or redirect stdout)", fmt);
        return pym_usage_error(cmd, "%s", msg);
    }
    return -1;
}

/* What --help says of commands with --format (cli.md, Output; pympler.1). */
static const char report_help[] =
    "output:\n"
    "  A report in a machine format (json, svg, png, pdf, dot) on stdout is all\n"
    "  that goes there: while the program (or the --setup code and the\n"
    "  expressions) runs, its own stdout goes to stderr, as with -o -.  png and\n"
    "  pdf are not written to a terminal (use -o FILE).  An -o FILE whose\n"
    "  extension names no format needs --format.  A write error exits 4 with a\n"
    "  message naming the output; a closed pipe (| head) exits 141 quietly.\n"
    "\n";

void *pym_cmd_state_new(size_t size, int argc)
{
    void *st = calloc(1, size + (size_t)argc * sizeof(const char *));
    if (st == NULL)
        fputs("pympler: out of memory\n", stderr);
    return st;
}

int pym_cmd_parsed(void *st, int code, void **out)
{
    if (code >= 0) {
        free(st);
        return code;
    }
    *out = st;
    return -1;
}

int pym_cmd_parse(const pym_opt *opts, size_t nopts, int program, int argc, char **argv,
                  const char *help_text, pym_opts_result *res)
{
    int code = opts_parse(opts, nopts, program, argc, argv, res);
    if (code < 0 && res->help) {
        printf("%s%s%s", help_text, opt_index(opts, nopts, "--format") >= 0 ? report_help : "",
               pym_cli_exit_help());
        printf("\nManual: man pympler\n");
        return PYM_EXIT_OK;
    }
    if (code < 0)
        code = check_report(opts, nopts, argv[1], res);
    return code;
}
