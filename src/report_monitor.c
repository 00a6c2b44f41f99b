/*
 * report_monitor.c — the report's sections for residual diagnostics and fairness
 * (vn_report_config.diagnosis, .fairness): a table of findings with what to do, and the
 * gaps between groups with their intervals and the parity rates. HTML for the page
 * (report.c), Markdown for the model card (report_card.c). Every string from the data
 * goes through vn__html / vn__clean.
 */
#include "monitor.h"
#include "report.h"

#include <string.h>

void vn__num4(char *buf, size_t len, double x)
{
    if (isnan(x))
        snprintf(buf, len, "n/a");
    else if (isinf(x))
        snprintf(buf, len, "%sinf", x < 0 ? "-" : "");
    else if (x != 0 && (fabs(x) >= 1e9 || fabs(x) < 1e-4))
        snprintf(buf, len, "%.3e", x);
    else
        snprintf(buf, len, "%.4g", x);
}

const char *vn__diag_title(const char *code)
{
    static const struct {
        const char *code, *title;
    } t[] = {{"breusch_pagan", "Breusch-Pagan"},     {"jarque_bera", "Jarque-Bera"},
             {"worst_rows_share", "Worst 1% of rows"}, {"durbin_watson", "Durbin-Watson"},
             {"ljung_box", "Ljung-Box"},             {"condition_number", "Condition number"},
             {"vif", "VIF"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].code, code) == 0)
            return t[i].title;
    return code;
}

/* The numbers of a gap for a table: worst and best values, gap, its interval, ratio. */
typedef struct gap_text {
    char worst[40], best[40], gap[40], lo[40], hi[40], ratio[40];
} gap_text;

static void gap_cells(const vn_fairness_gap *g, gap_text *t)
{
    vn__num4(t->worst, sizeof t->worst, g->worst_value);
    vn__num4(t->best, sizeof t->best, g->best_value);
    vn__num4(t->gap, sizeof t->gap, g->gap);
    vn__num4(t->lo, sizeof t->lo, g->lo);
    vn__num4(t->hi, sizeof t->hi, g->hi);
    vn__num4(t->ratio, sizeof t->ratio, g->ratio);
}

static const char *status_class(vn_diag_status s)
{
    return s == VN_DIAG_FLAG ? "warn" : s == VN_DIAG_OK ? "pass" : "skipped";
}

void vn__report_monitor_html(FILE *fp, const vn_report_config *cfg)
{
    const vn_diagnosis *d = cfg->diagnosis;
    if (d) {
        const vn_diagnose_info *in = vn_diagnosis_summary(d);
        fprintf(fp, "<h2 id=\"diagnose\">Residual diagnostics</h2>\n<p>Tests on the errors "
                    "e = prediction &minus; actual (%llu rows) at the %g level; a flagged finding "
                    "says what to do.</p>\n<div class=\"scroll\"><table class=\"sort\"><thead><tr>"
                    "<th>check</th><th>status</th><th>statistic</th><th>p</th><th>finding</th>"
                    "</tr></thead><tbody>\n",
                (unsigned long long)in->rows, in->level);
        for (size_t i = 0; i < vn_diagnosis_count(d); i++) {
            const vn_diag_finding *f = vn_diagnosis_at(d, i);
            char v[40], p[16];
            vn__num4(v, sizeof v, f->stat);
            vn__format_p(p, sizeof p, f->p);
            fputs("<tr><td>", fp);
            vn__html(fp, vn__diag_title(f->code));
            if (*f->subject) {
                fputs(" (", fp);
                vn__html(fp, f->subject);
                fputc(')', fp);
            }
            fprintf(fp, "</td><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td>",
                    status_class(f->status), vn_diag_status_name(f->status),
                    f->status == VN_DIAG_SKIPPED ? "" : v, p);
            vn__html(fp, f->message);
            if (*f->action) {
                fputs("<br><em>What to do:</em> ", fp);
                vn__html(fp, f->action);
            }
            fputs("</td></tr>\n", fp);
        }
        fputs("</tbody></table></div>\n", fp);
    }
    const vn_fairness *fa = cfg->fairness;
    if (fa) {
        const vn_fairness_info *in = vn_fairness_summary(fa);
        fputs("<h2 id=\"fairness\">Fairness by <code>", fp);
        vn__html(fp, in->sensitive);
        fprintf(fp, "</code></h2>\n<p>%zu groups, %zu compared. For each metric the worst and "
                    "the best group, the gap between them with a %g %% interval combined from "
                    "the two groups' intervals (MOVER), and the ratio of the larger value to "
                    "the smaller.</p>\n<div class=\"scroll\"><table class=\"sort\"><thead><tr>"
                    "<th>metric</th><th>worst</th><th>best</th><th>gap</th><th>interval</th>"
                    "<th>ratio</th></tr></thead><tbody>\n",
                in->groups, in->compared, 100.0 * in->level);
        for (size_t i = 0; i < vn_fairness_gap_count(fa); i++) {
            const vn_fairness_gap *g = vn_fairness_gap_at(fa, i);
            gap_text t;
            gap_cells(g, &t);
            fputs("<tr><td>", fp);
            vn__html(fp, g->metric);
            fputs("</td><td>", fp);
            vn__html(fp, g->worst);
            fprintf(fp, " (%s)</td><td>", t.worst);
            vn__html(fp, g->best);
            fprintf(fp, " (%s)</td><td>%s</td><td class=\"%s\">[%s, %s]</td><td>%s</td></tr>\n",
                    t.best, t.gap, g->significant ? "warn" : "pass", t.lo, t.hi, t.ratio);
        }
        fputs("</tbody></table></div>\n", fp);
        if (!isnan(in->dp_difference)) {
            char a[40], b[40], c[40], lo[40], hi[40];
            vn__num4(a, sizeof a, in->dp_difference);
            vn__num4(lo, sizeof lo, in->dp_lo);
            vn__num4(hi, sizeof hi, in->dp_hi);
            vn__num4(b, sizeof b, in->dp_ratio);
            vn__num4(c, sizeof c, in->eo_difference);
            fprintf(fp, "<p>At prediction &ge; %g (outcome: actual &ge; %g): demographic-parity "
                        "difference %s [%s, %s], ratio %s%s; equalized-odds difference %s.</p>\n",
                    in->threshold, in->label_threshold, a, lo, hi, b,
                    in->dp_ratio < 0.8 ? " (below the four-fifths rule's 0.8)" : "", c);
        }
    }
}

static void md(FILE *fp, const char *s)
{
    char buf[1200];
    fputs(vn__clean(s ? s : "", buf, sizeof buf, true), fp);
}

void vn__report_monitor_card(FILE *fp, const vn_report_config *cfg)
{
    const vn_diagnosis *d = cfg->diagnosis;
    if (d) {
        fputs("## Residual diagnostics\n\n| check | status | statistic | p | finding |\n"
              "|---|---|---:|---:|---|\n", fp);
        for (size_t i = 0; i < vn_diagnosis_count(d); i++) {
            const vn_diag_finding *f = vn_diagnosis_at(d, i);
            char v[40], p[16];
            vn__num4(v, sizeof v, f->stat);
            vn__format_p(p, sizeof p, f->p);
            fputs("| ", fp);
            md(fp, vn__diag_title(f->code));
            if (*f->subject) {
                fputs(" (", fp);
                md(fp, f->subject);
                fputc(')', fp);
            }
            fprintf(fp, " | %s | %s | %s | ", vn_diag_status_name(f->status),
                    f->status == VN_DIAG_SKIPPED ? "" : v, p);
            md(fp, f->message);
            if (*f->action) {
                fputs(" _What to do:_ ", fp);
                md(fp, f->action);
            }
            fputs(" |\n", fp);
        }
        fputc('\n', fp);
    }
    const vn_fairness *fa = cfg->fairness;
    if (fa) {
        const vn_fairness_info *in = vn_fairness_summary(fa);
        fputs("## Fairness by ", fp);
        md(fp, in->sensitive);
        fprintf(fp, "\n\n%zu groups, %zu compared; gaps with %g %% intervals (MOVER).\n\n"
                    "| metric | worst | best | gap [interval] | ratio |\n|---|---|---|---:|---:|\n",
                in->groups, in->compared, 100.0 * in->level);
        for (size_t i = 0; i < vn_fairness_gap_count(fa); i++) {
            const vn_fairness_gap *g = vn_fairness_gap_at(fa, i);
            gap_text t;
            gap_cells(g, &t);
            fputs("| ", fp);
            md(fp, g->metric);
            fputs(" | ", fp);
            md(fp, g->worst);
            fprintf(fp, " (%s) | ", t.worst);
            md(fp, g->best);
            fprintf(fp, " (%s) | %s [%s, %s]%s | %s |\n", t.best, t.gap, t.lo, t.hi,
                    g->significant ? " *" : "", t.ratio);
        }
        if (!isnan(in->dp_difference)) {
            char a[40], b[40], c[40];
            vn__num4(a, sizeof a, in->dp_difference);
            vn__num4(b, sizeof b, in->dp_ratio);
            vn__num4(c, sizeof c, in->eo_difference);
            fprintf(fp, "\nAt prediction >= %g: demographic-parity difference %s, ratio %s; "
                        "equalized-odds difference %s.\n", in->threshold, a, b, c);
        }
        fputc('\n', fp);
    }
}
