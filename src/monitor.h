/*
 * monitor.h — what the monitoring modules share: drift.c, diagnose.c, fairness.c, their
 * writers (drift_out.c, diagnose_out.c, fairness_out.c) and the report's sections
 * (report_monitor.c, which implements the two functions below).
 */
#ifndef VN_MONITOR_H
#define VN_MONITOR_H

#include "csv.h"
#include "internal.h"

/* A number for people: 4 significant digits, "n/a" for NaN, "inf" / "-inf". */
void vn__num4(char *buf, size_t len, double x);
/* The name of a diagnosis finding for people ("Breusch-Pagan") from its code. */
const char *vn__diag_title(const char *code);

/* (vn__fnv1a, the hash of the modules' interning tables, is in hash.h.) */

/* Opens path with a dialect (delimiter 0: from the name) and reads its header. */
static inline vn_status vn__csv_open_dialect(const char *path, char delimiter, int header,
                                             size_t max_field, vn__csv **r, char *errbuf,
                                             size_t errlen)
{
    vn__csv_opts o = {delimiter, header ? 1 : 0, max_field, 0};
    if (!o.delim)
        o.delim = vn__csv_default_delimiter(path);
    return vn__csv_open(path, &o, r, errbuf, errlen);
}

#endif /* VN_MONITOR_H */
