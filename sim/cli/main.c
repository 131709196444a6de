/*
 * main.c - the dmasim command: the command table (the subcommands are cli_*.c; cli.h).
 *
 * Exit status: 0 done, 1 the run could not start or its report not be written, 2 bad input
 * (command line or scenario), 130 stopped by a signal (after printing what was measured).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

static const char usage_main[] =
    "usage: dmasim COMMAND [OPTIONS]\n"
    "\n"
    "dmasim simulates DMA on a Windows-like machine: drivers written against the WDK's DMA\n"
    "interface run against simulated devices, and the report says what double-buffering,\n"
    "map registers and bounce copies cost.\n"
    "\n"
    "commands:\n"
    "  run FILE        run a scenario and report (dmasim run --help)\n"
    "  compare FILE    variants of a scenario side by side (dmasim compare --help)\n"
    "  sweep FILE      a scenario over one or two parameters' values (dmasim sweep --help)\n"
    "  merge DIR       a sweep's report from its shards' point files (dmasim merge --help)\n"
    "  explain FILE    a device's first transfers, step by step (dmasim explain --help)\n"
    "  dma FILE        the DMA adapters as the debugger's !dma shows them (dmasim dma --help)\n"
    "  bench           print the simulator's own performance figures (dmasim bench --help)\n"
    "  keys            print every scenario key with its default (Markdown)\n"
    "\n"
    "FILE is a scenario (docs/scenarios.md), or - to read it from standard input; -o - and\n"
    "--trace - write to standard output.\n"
    "\n"
    "options:\n"
    "  -h, --help      this text\n"
    "  -V, --version   the version\n"
    "\n"
    "exit status: 0 done, 1 the run could not start or go on (or its output be written), 2 bad\n"
    "input, 130 stopped by Ctrl-C\n";


int main(int argc, char **argv)
{
    if (argc < 2)
        return bad_usage(usage_main, "%s", "a command is needed");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("dmasim %s\n", DMASIM_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "compare") == 0)
        return cmd_study(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "sweep") == 0)
        return cmd_study(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(argv[1], "explain") == 0)
        return cmd_explain(argc - 1, argv + 1);
    if (strcmp(argv[1], "dma") == 0)
        return cmd_dma(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    return bad_usage(usage_main, "unknown command '%s'", argv[1]);
}

