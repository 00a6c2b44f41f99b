/*
 * log.c — `--log`: record a command's result in the run store, with the command line,
 * tags, name and the git commit of the working directory.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The command line, "vernier" first, as a JSON array of strings (malloc'd). */
static char *argv_json(int argc, char **argv)
{
    size_t cap = 32;
    for (int i = 0; i < argc; i++)
        cap += 6 * strlen(argv[i]) + 4;
    char *s = malloc(cap), *o = s;
    if (!s)
        return NULL;
    o += sprintf(o, "[\"vernier\"");
    for (int i = 0; i < argc; i++) {
        *o++ = ',';
        *o++ = '"';
        for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++) {
            if (*p == '"' || *p == '\\') {
                *o++ = '\\';
                *o++ = (char)*p;
            } else if (*p < 0x20) {
                o += sprintf(o, "\\u%04x", *p);
            } else {
                *o++ = (char)*p;
            }
        }
        *o++ = '"';
    }
    *o++ = ']';
    *o = '\0';
    return s;
}

int cli_log_run(const char *store, const vn_result *res, const char *command, int argc,
                char **argv, const char *name, char **tags, size_t ntags, const char *spec)
{
    const char **keys = calloc(ntags + 1, sizeof *keys), **vals = calloc(ntags + 1, sizeof *vals);
    char **copies = calloc(ntags + 1, sizeof *copies);
    char *args = argv_json(argc, argv);
    int rc = 0;
    if (!keys || !vals || !copies || !args)
        rc = cli_error(EXIT_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < ntags; i++) {
        copies[i] = strdup(tags[i]);
        char *eq = copies[i] ? strchr(copies[i], '=') : NULL;
        if (!eq || eq == copies[i]) {
            rc = cli_error(EXIT_USAGE, "write tags as --tag key=value", "bad tag \"%s\"", tags[i]);
            break;
        }
        *eq = '\0';
        keys[i] = copies[i];
        vals[i] = eq + 1;
    }
    char commit[41] = "";
    if (cli_git_commit(commit) != 0)
        commit[0] = '\0';
    vn_store *st = NULL;
    char err[512], id[VN_RUN_ID_LEN + 1];
    if (rc == 0) {
        const vn_status s = vn_store_open(store, &st, err, sizeof err);
        if (s != VN_OK)
            rc = cli_error(s == VN_ERR_NOMEM                 ? EXIT_INTERNAL
                           : cli_exit_code(s) == EXIT_USAGE ? EXIT_USAGE
                                                            : EXIT_IO,
                           NULL, "%s", err);
    }
    if (rc == 0) {
        const vn_run_meta meta = {name, command, args, spec, commit[0] ? commit : NULL, ntags,
                                  keys, vals};
        const vn_status s = vn_store_log(st, res, &meta, id);
        if (s != VN_OK)
            rc = cli_error(s == VN_ERR_NOMEM ? EXIT_INTERNAL : EXIT_IO, NULL, "%s",
                           vn_store_errmsg(st));
        else
            fprintf(stderr, "vernier: logged run %s to %s\n", id, vn_store_path(st));
    }
    vn_store_close(st);
    for (size_t i = 0; copies && i < ntags; i++)
        free(copies[i]);
    free(copies);
    free(keys);
    free(vals);
    free(args);
    return rc;
}
