/*
 * status.c — status strings, version, and the one message formatter every module uses.
 */
#include "internal.h"

#include <stdio.h>

const char *vn_strerror(vn_status status)
{
    switch (status) {
    case VN_OK: return "ok";
    case VN_ERR_USAGE: return "usage error";
    case VN_ERR_DATA: return "data error";
    case VN_ERR_IO: return "I/O error";
    case VN_ERR_NOMEM: return "out of memory";
    case VN_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *vn_version(void) { return VN_VERSION; }

void vn__vfmt(char *buf, size_t len, const char *fmt, va_list ap)
{
    if (!buf || len == 0)
        return;
    const int n = vsnprintf(buf, len, fmt, ap);
    if (n < 0)
        buf[0] = '\0';
}

void vn__fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(buf, len, fmt, ap);
    va_end(ap);
}

vn_status vn__lines_add(char ***list, size_t *n, const char *fmt, va_list ap)
{
    char buf[600];
    vn__vfmt(buf, sizeof buf, fmt, ap);
    char *line = vn__strdup(buf);
    char **l = line ? vn__realloc(*list, (*n + 1) * sizeof *l) : NULL;
    if (!l) {
        vn__free(line);
        return VN_ERR_NOMEM;
    }
    *list = l;
    l[(*n)++] = line;
    return VN_OK;
}
