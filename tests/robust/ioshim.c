/*
 * ioshim.c — an LD_PRELOAD library for the I/O-error injection tests (test_robust.py).
 * It interposes the libc calls that zlib (the CSV reader) and SQLite (the run store)
 * make through the dynamic linker; glibc's stdio calls its own internal write and is not
 * affected (the tests reach stdio's errors with /dev/full and RLIMIT_FSIZE instead).
 * Controlled by the environment:
 *   VN_SHIM_READ=short    every read() returns at most 1 byte
 *   VN_SHIM_READ=eintr    every other read() fails with EINTR before reading anything
 *   VN_SHIM_ENOSPC=TEXT   write/pwrite/pwrite64/writev on a file whose path contains
 *                         TEXT fail with ENOSPC (the disk is full)
 *   VN_SHIM_EACCES=TEXT   open/open64/openat/openat64 of a path containing TEXT fail
 *                         with EACCES (for tests run as root, where chmod 000 reads)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int fd_matches(int fd, const char *env)
{
    const char *want = getenv(env);
    if (!want || !*want)
        return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return strstr(path, want) != NULL;
}

static int path_matches(const char *p, const char *env)
{
    const char *want = getenv(env);
    return want && *want && p && strstr(p, want) != NULL;
}

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*real)(int, void *, size_t);
    static unsigned long calls;
    if (!real)
        real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    const char *mode = getenv("VN_SHIM_READ");
    if (mode && strcmp(mode, "eintr") == 0 && (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) & 1)) {
        errno = EINTR;
        return -1;
    }
    if (mode && strcmp(mode, "short") == 0 && n > 1)
        n = 1;
    return real(fd, buf, n);
}

#define FAIL_WRITE(fd)                                                                  \
    do {                                                                                \
        if (fd_matches(fd, "VN_SHIM_ENOSPC")) {                                         \
            errno = ENOSPC;                                                             \
            return -1;                                                                  \
        }                                                                               \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    FAIL_WRITE(fd);
    return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    FAIL_WRITE(fd);
    return real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    FAIL_WRITE(fd);
    return real(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    static ssize_t (*real)(int, const struct iovec *, int);
    if (!real)
        real = (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    FAIL_WRITE(fd);
    return real(fd, iov, cnt);
}

#define OPEN_BODY(realcall)                                                             \
    mode_t mode = 0;                                                                    \
    if (flags & (O_CREAT | O_TMPFILE)) {                                                \
        va_list ap;                                                                     \
        va_start(ap, flags);                                                            \
        mode = (mode_t)va_arg(ap, int);                                                 \
        va_end(ap);                                                                     \
    }                                                                                   \
    if (path_matches(path, "VN_SHIM_EACCES")) {                                         \
        errno = EACCES;                                                                 \
        return -1;                                                                      \
    }                                                                                   \
    return realcall;

int open(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    OPEN_BODY(real(path, flags, mode))
}

int open64(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
    OPEN_BODY(real(path, flags, mode))
}

int openat(int dir, const char *path, int flags, ...)
{
    static int (*real)(int, const char *, int, ...);
    if (!real)
        real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    OPEN_BODY(real(dir, path, flags, mode))
}

int openat64(int dir, const char *path, int flags, ...)
{
    static int (*real)(int, const char *, int, ...);
    if (!real)
        real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat64");
    OPEN_BODY(real(dir, path, flags, mode))
}
