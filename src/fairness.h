/*
 * fairness.h — what the fairness writers (fairness_out.c) read beyond the public
 * accessors: every metric's value on every group, as the evaluation gave it.
 */
#ifndef VN_FAIRNESS_H
#define VN_FAIRNESS_H

#include "internal.h"

size_t vn__fairness_metric_count(const vn_fairness *f);
const char *vn__fairness_metric_key(const vn_fairness *f, size_t m);
/* Every group of the result (slices but the overall), compared or not. */
size_t vn__fairness_group_total(const vn_fairness *f);
const char *vn__fairness_group_label(const vn_fairness *f, size_t g);
uint64_t vn__fairness_group_rows(const vn_fairness *f, size_t g);
bool vn__fairness_group_compared(const vn_fairness *f, size_t g);
const vn_value *vn__fairness_value(const vn_fairness *f, size_t g, size_t m);

#endif /* VN_FAIRNESS_H */
