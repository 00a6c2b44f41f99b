/*
 * report.h — what the report writers (report.c: HTML, report_card.c: the Markdown model
 * card and vn_report_write) share.
 */
#ifndef VN_REPORT_H
#define VN_REPORT_H

#include "eval.h"

#include <stdio.h>

/* s as HTML/XML text or attribute value (& < > " ' as entities, control characters as
 * spaces); NULL is "". */
void vn__html(FILE *fp, const char *s);

/* The page for cfg over res (the evaluation, or the comparison's candidate). */
vn_status vn__report_html(const vn_report_config *cfg, const vn_result *res, FILE *fp);

/* The residual diagnostics and fairness sections (report_monitor.c), when cfg has them:
 * HTML for the page, Markdown for the model card. */
void vn__report_monitor_html(FILE *fp, const vn_report_config *cfg);
void vn__report_monitor_card(FILE *fp, const vn_report_config *cfg);

#endif /* VN_REPORT_H */
