/* dispatch.c: the top level of the command -- `pympler --help`, the table
 * of subcommands, and the parse-then-run sequence both faces share. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pym_cli_invocation {
    const pym_command *cmd;
    void *state;
};

/* In the order `pympler --help` lists them. */
static const pym_command *const commands[] = {&pym_cmd_summary, &pym_cmd_garbage, &pym_cmd_asizeof, &pym_cmd_track,
                                              &pym_cmd_refgraph};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

const char *pym_cli_exit_help(void)
{
    return "exit status:\n"
#define PYM_EXIT_HELP_(name, status, meaning) "  " #status "  " meaning "\n"
        PYM_EXIT_MAP(PYM_EXIT_HELP_)
#undef PYM_EXIT_HELP_
        "  141  stdout is a closed pipe (| head): the report ended there, quietly\n"
        "  130  the program was interrupted (uncaught KeyboardInterrupt)\n"
        "  a program's own sys.exit(N) gives N\n" PYM_EXIT_RULES;
}

/* The status after C-level output (help, version): a failed fflush of
 * stdout is PYM_EXIT_OUTPUT with a message, or PYM_EXIT_PIPE quietly. */
static int flush_c_stdout(int code)
{
    if (fflush(stdout) == 0)
        return code;
    if (errno == EPIPE)
        return PYM_EXIT_PIPE;
    fprintf(stderr, "pympler: error writing output to stdout: %s\n", strerror(errno));
    return PYM_EXIT_OUTPUT;
}

static void print_help(void)
{
    printf("usage: pympler COMMAND [OPTIONS] ...\n"
           "       python3 -m pympler COMMAND [OPTIONS] ...\n"
           "\n"
           "Measure the memory of Python programs with the pympler package.\n"
           "\n"
           "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-10s %s\n", commands[i]->name, commands[i]->summary);
    printf("\n'pympler COMMAND --help' describes a command.  Manual: man pympler (docs/pympler.1 and\n"
           "docs/cli.md in the source tree).\n"
           "\noptions:\n  -h, --help  show this help and exit\n  --version   print the version and exit\n\n%s",
           pym_cli_exit_help());
}

int pym_cli_parse(int argc, char **argv, pym_cli_invocation **inv)
{
    const pym_command *cmd = NULL;
    void *state = NULL;
    int code;

    *inv = NULL;
    if (argc < 2)
        return pym_usage_error(NULL, "%s", "missing command");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        print_help();
        return flush_c_stdout(PYM_EXIT_OK);
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pympler %s (Pympler in C %s)\n", PYM_PYMPLER_VERSION, PYM_DIST_VERSION);
        return flush_c_stdout(PYM_EXIT_OK);
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i]->name))
            cmd = commands[i];
    if (cmd == NULL)
        return pym_usage_error(NULL, argv[1][0] == '-' ? "unknown option '%s'" : "unknown command '%s'", argv[1]);
    code = cmd->parse(argc, argv, &state);
    if (code >= 0)
        return flush_c_stdout(code);
    *inv = malloc(sizeof **inv);
    if (*inv == NULL) {
        free(state);
        fputs("pympler: out of memory\n", stderr);
        return PYM_EXIT_OUTPUT;
    }
    (*inv)->cmd = cmd;
    (*inv)->state = state;
    return -1;
}

int pym_cli_execute(pym_cli_invocation *inv, int embedded)
{
    return inv->cmd->run(inv->state, embedded);
}

void pym_cli_free(pym_cli_invocation **inv)
{
    if (inv == NULL || *inv == NULL)
        return;
    free((*inv)->state);
    free(*inv);
    *inv = NULL;
}

int pym_cli_main(int argc, char **argv, int embedded)
{
    pym_cli_invocation *inv;
    int code = pym_cli_parse(argc, argv, &inv);

    if (code >= 0)
        return code;
    code = pym_cli_execute(inv, embedded);
    pym_cli_free(&inv);
    return code;
}
