/*
 * git.c — the commit of the working directory's git checkout, read from the .git
 * directory itself (HEAD, loose refs, packed-refs): no git binary needed, nothing run.
 */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads the first line of path into buf (newline removed); 0 on success. */
static int first_line(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    const int ok = fgets(buf, (int)len, fp) != NULL;
    fclose(fp);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* snprintf that fails (-1) instead of truncating a path. */
static int fmt(char *out, size_t len, const char *a, const char *b, const char *c)
{
    const int n = snprintf(out, len, "%s%s%s", a, b, c);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int is_hex40(const char *s)
{
    return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* The git directory of the checkout containing the working directory: ".git" of the
 * nearest ancestor, following a "gitdir: …" file (worktrees, submodules). */
static int git_dir(char *out, size_t len)
{
    char dir[PATH_MAX];
    if (!getcwd(dir, sizeof dir))
        return -1;
    for (;;) {
        char cand[PATH_MAX + 8];
        struct stat sb;
        if (fmt(cand, sizeof cand, dir, "/.git", "") != 0)
            return -1;
        if (stat(cand, &sb) == 0) {
            if (S_ISDIR(sb.st_mode))
                return fmt(out, len, cand, "", "");
            char line[PATH_MAX];
            if (first_line(cand, line, sizeof line) == 0 && strncmp(line, "gitdir: ", 8) == 0)
                return line[8] == '/' ? fmt(out, len, line + 8, "", "")
                                      : fmt(out, len, dir, "/", line + 8);
            return -1;
        }
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            return -1;
        *slash = '\0';
    }
}

int cli_git_commit(char out[41])
{
    char gd[PATH_MAX], path[PATH_MAX + 64], head[512];
    if (git_dir(gd, sizeof gd) != 0)
        return -1;
    if (fmt(path, sizeof path, gd, "/HEAD", "") != 0 || first_line(path, head, sizeof head) != 0)
        return -1;
    if (is_hex40(head)) { /* detached HEAD */
        memcpy(out, head, 41);
        return 0;
    }
    if (strncmp(head, "ref: ", 5) != 0)
        return -1;
    const char *ref = head + 5;
    char line[512];
    if (fmt(path, sizeof path, gd, "/", ref) != 0)
        return -1;
    if (first_line(path, line, sizeof line) == 0 && is_hex40(line)) {
        memcpy(out, line, 41);
        return 0;
    }
    /* packed-refs: "<sha> <ref>" lines; in a worktree they live in the common dir */
    char common[PATH_MAX], base[2 * PATH_MAX + 2], packed[2 * PATH_MAX + 32];
    int bad = fmt(path, sizeof path, gd, "/commondir", "");
    if (bad || first_line(path, common, sizeof common) != 0)
        bad = bad || fmt(base, sizeof base, gd, "", "");
    else if (common[0] == '/')
        bad = fmt(base, sizeof base, common, "", "");
    else
        bad = fmt(base, sizeof base, gd, "/", common);
    if (bad || fmt(packed, sizeof packed, base, "/packed-refs", "") != 0)
        return -1;
    FILE *fp = fopen(packed, "r");
    if (!fp)
        return -1;
    int found = -1;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) > 41 && line[40] == ' ' && strcmp(line + 41, ref) == 0) {
            line[40] = '\0';
            if (is_hex40(line)) {
                memcpy(out, line, 41);
                found = 0;
            }
            break;
        }
    }
    fclose(fp);
    return found;
}
