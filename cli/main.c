/*
 * main.c — the `vernier` command: dispatch to one file per command, shared error and
 * output helpers.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "vernier — evaluate regression models: every metric a careful engineer would defend.\n"
    "\n"
    "usage: vernier <command> [options] [FILE|-]\n"
    "\n"
    "commands:\n"
    "  eval      compute the metric battery for actuals and predictions in a CSV/TSV file\n"
    "  compare   champion vs challenger on the same rows: paired differences, p-values,\n"
    "            a verdict per metric and an exit code that can gate a deployment\n"
    "  slices    find the slices where the model is significantly worse than elsewhere\n"
    "  report    a self-contained HTML report with charts, or a Markdown model card\n"
    "  check     apply the gates of a vernier.yaml spec (for CI): exit 0 pass, 1 fail\n"
    "  spec      write a starter vernier.yaml (init) or validate one (check)\n"
    "  metrics   list the metric catalog with definitions, direction and unit\n"
    "  runs      the run store: list, show, diff, tag, rm and export logged runs\n"
    "  drift     has the data moved? psi, KS, Wasserstein, JS, chi-square per column\n"
    "  diagnose  residual checks: heteroscedasticity, normality, autocorrelation, VIF\n"
    "\n"
    "Run 'vernier <command> --help' for a command's options and examples.\n"
    "\n"
    "examples:\n"
    "  vernier eval preds.csv -y actual -p predicted\n"
    "  vernier eval preds.csv.gz -y y -p yhat --by region --format json -o metrics.json\n"
    "  vernier compare preds.csv -y actual -p champion -p challenger --guard mean_error\n"
    "  vernier report preds.csv -y actual -p predicted --by region -o report.html\n"
    "  vernier metrics\n"
    "\n"
    "Exit codes: 0 ok, 1 a gate failed, 2 usage, 3 data error, 4 I/O error, 5 internal error\n";

int cli_error(int code, const char *hint, const char *fmt, ...)
{
    va_list ap;
    fputs("vernier: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (hint)
        fprintf(stderr, "hint: %s\n", hint);
    return code;
}

int cli_exit_code(vn_status st)
{
    switch (st) {
    case VN_OK: return EXIT_OK;
    case VN_ERR_USAGE: return EXIT_USAGE;
    case VN_ERR_DATA: return EXIT_DATA;
    case VN_ERR_IO: return EXIT_IO;
    case VN_ERR_NOMEM:
    case VN_ERR_INTERNAL: return EXIT_INTERNAL;
    }
    return EXIT_INTERNAL;
}

int cli_output_open(cli_output *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    /* Only a regular file (or a new one) is replaced atomically. A device, FIFO or
     * terminal (/dev/stdout, a named pipe) is written in place: renaming over it would
     * destroy it. A symlink to a regular file is followed, so the link survives. */
    struct stat sb;
    mode_t mode = 0666;
    const mode_t mask = umask(0);
    umask(mask);
    mode &= ~mask;
    char *target = NULL;
    if (stat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode)) {
            o->fp = fopen(path, "w");
            if (!o->fp)
                return cli_error(EXIT_IO, NULL, "%s: cannot open output: %s", path, strerror(errno));
            o->direct = 1;
            return 0;
        }
        mode = sb.st_mode & 07777;
        target = realpath(path, NULL);
    }
    const char *dest = target ? target : path;
    const size_t n = strlen(dest);
    o->path = strdup(dest);
    free(target);
    o->tmp = malloc(n + 16);
    if (!o->path || !o->tmp) {
        cli_output_abort(o);
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    }
    snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
    const int fd = mkstemp(o->tmp);
    if (fd < 0) {
        const int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        cli_output_abort(o);
        return cli_error(EXIT_IO, NULL, "%s: cannot create output file: %s", path, strerror(e));
    }
    if (fchmod(fd, mode) != 0) { /* mkstemp creates 0600 */
        const int e = errno;
        close(fd);
        cli_output_abort(o);
        return cli_error(EXIT_IO, NULL, "%s: cannot set the output file mode: %s", path, strerror(e));
    }
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        close(fd);
        cli_output_abort(o);
        return cli_error(EXIT_IO, NULL, "%s: cannot open output: %s", path, strerror(errno));
    }
    return 0;
}

void cli_output_abort(cli_output *o)
{
    if (o->fp && o->fp != stdout)
        fclose(o->fp);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

int cli_output_commit(cli_output *o)
{
    if (o->direct) {
        const int bad = fflush(o->fp) != 0 || ferror(o->fp);
        const int e = errno;
        fclose(o->fp);
        o->fp = NULL;
        return bad ? cli_error(EXIT_IO, NULL, "cannot write output: %s", strerror(e)) : 0;
    }
    if (o->fp == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            return cli_error(EXIT_IO, NULL, "cannot write to standard output: %s", strerror(errno));
        return 0;
    }
    int bad = fflush(o->fp) != 0 || ferror(o->fp) || fsync(fileno(o->fp)) != 0;
    bad |= fclose(o->fp) != 0;
    o->fp = NULL;
    if (bad || rename(o->tmp, o->path) != 0) {
        const int e = errno;
        const int rc = cli_error(EXIT_IO, NULL, "%s: cannot write output: %s", o->path, strerror(e));
        cli_output_abort(o);
        return rc;
    }
    free(o->tmp);
    o->tmp = NULL;
    cli_output_abort(o);
    return 0;
}

/* The commands, in the order of the usage text. */
static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"eval", cmd_eval},     {"compare", cmd_compare}, {"slices", cmd_slices},
    {"report", cmd_report}, {"check", cmd_check},     {"spec", cmd_spec},
    {"metrics", cmd_metrics}, {"runs", cmd_runs},
    {"drift", cmd_drift},     {"diagnose", cmd_diagnose},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Test-only fault injection (docs/robustness.md): with VERNIER_TEST_FAIL_ALLOC=N in the
 * environment the library's Nth allocation fails (counted from 1 over the whole
 * command, on every thread), so tests/robust/ can walk a command through each of its
 * out-of-memory paths and check the exit code, the message, leaks and the output file.
 * Unset (always, outside tests), the default allocator is untouched. */
static long fail_alloc_at;
static _Atomic long alloc_calls;

static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (++alloc_calls == fail_alloc_at)
        return NULL;
    return realloc(ptr, size);
}

/* VERNIER_TEST_FAIL_ALLOC=count: fail nothing, print the allocation count at exit. */
static void print_alloc_calls(void)
{
    fprintf(stderr, "vernier: test: %ld allocations\n", (long)alloc_calls);
}

/* The CSV reader maps plain input files a chunk at a time (docs/internals.md); a file
 * another process truncates meanwhile faults on the pages past its new end: SIGBUS.
 * That is an input that could not be read: one error line and exit 4, not a crash. No
 * output has been started then (results are written after the input is read, and
 * atomically), so nothing is left half-written. */
static void on_sigbus(int sig)
{
    (void)sig;
    static const char msg[] = "vernier: error: an input file changed size while it was "
                              "being read (SIGBUS)\nhint: run again once it is complete, or "
                              "set VERNIER_NO_MMAP=1 to read it without mapping it\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    _exit(EXIT_IO);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    const char *fa = getenv("VERNIER_TEST_FAIL_ALLOC");
    if (fa && *fa) {
        fail_alloc_at = strtol(fa, NULL, 10);
        if (strcmp(fa, "count") == 0)
            atexit(print_alloc_calls);
        vn_set_allocator(failing_alloc, NULL);
    }
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    const struct command *c = find_command(cmd);
    if (c)
        return c->run(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        c = argc > 2 && strcmp(cmd, "help") == 0 ? find_command(argv[2]) : NULL;
        if (c) {
            char *sub[] = {argv[2], "--help", NULL};
            return c->run(2, sub);
        }
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("vernier %s\n", vn_version());
        return EXIT_OK;
    }
    return cli_error(EXIT_USAGE, "run 'vernier --help' for the list of commands",
                     "unknown command \"%s\"", cmd);
}
