/*
 * compare.h — the comparison's result model, shared by compare.c (which computes it) and
 * compare_out.c (which writes it).
 */
#ifndef VN_COMPARE_H
#define VN_COMPARE_H

#include "eval.h"

/* One guard as configured: "metric", "metric:0.5" or "metric:2%". */
typedef struct vn__guard {
    char key[VN_KEY_MAX];
    size_t m; /* index of the metric in the plan */
    int has_margin, relative;
    double margin;
} vn__guard;

/* One Diebold–Mariano loss. */
typedef enum vn__loss_kind { LOSS_SQUARED, LOSS_ABSOLUTE, LOSS_PINBALL } vn__loss_kind;
typedef struct vn__loss {
    char name[48];
    vn__loss_kind kind;
    double q;
} vn__loss;

struct vn_comparison {
    vn_result *res[2];       /* baseline, candidate */
    size_t nslices, nms;
    vn_diff *cells;          /* nslices x nms */
    size_t nlosses;
    vn__loss *losses;
    vn_dm_info *dm;          /* nslices x nlosses */
    char *dm_notes;          /* nslices x nlosses x VN_MSG_LEN */
    size_t nguards;
    vn__guard *guard_cfg;
    vn_guard_info *guards;
    char *guard_msgs;        /* nguards x VN_MSG_LEN */
    size_t primary;          /* metric index */
    int wins;
    char summary[1024];
    /* how it was computed, for the writers */
    double level;
    vn_ci_method method;
    uint32_t resamples;
    uint64_t seed;
    size_t block;
    bool auto_block;         /* moving blocks of ceil(n^(1/3)) rows (time order) */
    int horizon, adjusted;
    size_t ntests;           /* the Holm family */
    bool boot_used;          /* some test used the bootstrap (its resolution is stated) */
    char *candidate_source;  /* the candidate's file when joined on a key, else NULL */
    char *time_col;          /* the time column rows were sorted by, else NULL */
};

#endif /* VN_COMPARE_H */
