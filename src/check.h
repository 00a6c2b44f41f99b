/*
 * check.h — the result of `vernier check`, shared by check.c (which computes it) and
 * check_out.c (which writes it).
 */
#ifndef VN_CHECK_H
#define VN_CHECK_H

#include "eval.h"
#include "spec.h"

/* One gate applied to one slice, with the text its public view points into. */
typedef struct vn__gate_row {
    vn_gate_result r;
    char gate[160];
    char slice[256];
    char msg[400];
} vn__gate_row;

struct vn_check {
    vn__spec *spec;
    vn__gate_row *rows;
    size_t n, cap;
    int verdict;
    uint64_t rows_read, rows_missing;
    char baseline[300]; /* what the baseline was ("run 3f2a... (tag:prod)", a file, "") */
};

#endif /* VN_CHECK_H */
