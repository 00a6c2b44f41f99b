/*
 * cmd_metrics.c — `vernier metrics`: the catalog, from the one registry in the library.
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: vernier metrics [ID] [--format table|md]\n"
    "\n"
    "Lists every metric: id and parameters (with defaults), aliases, whether lower or\n"
    "higher is better, unit, and a one-line summary. With an ID (or alias), prints that\n"
    "metric's full definition and edge-case rule.\n"
    "\n"
    "Pass metrics to 'vernier eval -m' as ID or ID:PARAM=VALUE, e.g. huber:delta=2.\n"
    "\n"
    "examples:\n"
    "  vernier metrics\n"
    "  vernier metrics mape\n"
    "  vernier metrics --format md > docs/catalog.md\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (unknown metric or option)\n";

static const char *dir_name(vn_direction d)
{
    return d == VN_LOWER_IS_BETTER ? "lower" : d == VN_HIGHER_IS_BETTER ? "higher" : "none";
}

static void show_one(const vn_metric_info *m)
{
    printf("%s%s%s\n  %s\n\n  direction: %s is better\n  unit: %s\n", m->id,
           *m->params ? ":" : "", m->params, m->summary,
           m->direction == VN_NO_DIRECTION ? "closer to 0" : dir_name(m->direction),
           *m->unit ? m->unit : "same as y");
    if (*m->aliases)
        printf("  aliases: %s\n", m->aliases);
    printf("\n  %s\n", m->definition);
}

int cmd_metrics(int argc, char **argv)
{
    int md = 0;
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc) {
            const char *f = argv[++i];
            if (strcmp(f, "md") == 0 || strcmp(f, "markdown") == 0)
                md = 1;
            else if (strcmp(f, "table") != 0)
                return cli_error(EXIT_USAGE, NULL, "--format takes table or md, not \"%s\"", f);
        } else if (argv[i][0] == '-') {
            return cli_error(EXIT_USAGE, "run 'vernier metrics --help'", "unknown option \"%s\"", argv[i]);
        } else if (!id) {
            id = argv[i];
        } else {
            return cli_error(EXIT_USAGE, NULL, "one metric id at a time");
        }
    }
    if (id) {
        const vn_metric_info *m = vn_metric_find(id);
        if (!m)
            return cli_error(EXIT_USAGE, "run 'vernier metrics' for the list", "unknown metric \"%s\"", id);
        show_one(m);
        return EXIT_OK;
    }
    if (md)
        printf("| metric | parameters | aliases | better | unit | summary |\n|---|---|---|---|---|---|\n");
    else
        printf("%-20s %-12s %-7s %-6s %s\n", "metric", "parameters", "better", "unit", "summary");
    for (size_t i = 0; i < vn_metric_count(); i++) {
        const vn_metric_info *m = vn_metric_at(i);
        if (md)
            printf("| `%s` | %s | %s | %s | %s | %s |\n", m->id, m->params, m->aliases,
                   dir_name(m->direction), m->unit, m->summary);
        else
            printf("%-20s %-12s %-7s %-6s %s\n", m->id, *m->params ? m->params : "-",
                   dir_name(m->direction), *m->unit ? m->unit : "y", m->summary);
    }
    if (!md)
        printf("\ndefault battery: %s\ndefault battery with --task binary: %s\n'vernier metrics ID' "
               "shows a definition.\n",
               vn_default_metrics(), vn_task_default_metrics(VN_TASK_BINARY));
    return EXIT_OK;
}
