/*
 * diagnose_out.c — writers over a residual diagnosis (diagnose.c): a list for people
 * (table) and Markdown, one CSV row per finding, and JSON (schema
 * VN_DIAGNOSE_JSON_SCHEMA). They read the diagnosis through the public accessors only.
 */
#include "eval.h"
#include "monitor.h"

#include <stdio.h>
#include <string.h>

static void write_json(const vn_diagnosis *d, FILE *fp)
{
    const vn_diagnose_info *in = vn_diagnosis_summary(d);
    fprintf(fp, "{\"schema\":\"%s\",\"version\":\"%s\",\"input\":{\"source\":",
            VN_DIAGNOSE_JSON_SCHEMA, VN_VERSION);
    vn__json_opt_str(fp, in->source);
    fputs(",\"y\":", fp);
    vn__json_opt_str(fp, in->y);
    fputs(",\"prediction\":", fp);
    vn__json_opt_str(fp, in->yhat);
    fputs(",\"time\":", fp);
    vn__json_opt_str(fp, in->time);
    fprintf(fp, ",\"rows_read\":%llu,\"rows_missing\":%llu,\"rows\":%llu},"
                "\"error_convention\":\"e = yhat - y (positive = over-prediction)\","
                "\"options\":{\"features\":%zu,\"ordered\":%s,\"lags\":%zu,\"level\":",
            (unsigned long long)in->rows_read, (unsigned long long)in->rows_missing,
            (unsigned long long)in->rows, in->features, in->ordered ? "true" : "false", in->lags);
    vn__json_num(fp, in->level);
    fputs("},\"findings\":[", fp);
    for (size_t i = 0; i < vn_diagnosis_count(d); i++) {
        const vn_diag_finding *f = vn_diagnosis_at(d, i);
        fprintf(fp, "%s{\"code\":\"%s\",\"subject\":", i ? "," : "", f->code);
        vn__json_opt_str(fp, f->subject);
        fprintf(fp, ",\"status\":\"%s\",\"stat\":", vn_diag_status_name(f->status));
        vn__json_num(fp, f->stat);
        fputs(",\"df\":", fp);
        vn__json_num(fp, f->df);
        fputs(",\"p\":", fp);
        vn__json_num(fp, f->p);
        fputs(",\"values\":{", fp);
        for (size_t k = 0; k < f->nextra; k++) {
            fprintf(fp, "%s\"%s\":", k ? "," : "", f->extra_name[k]);
            vn__json_num(fp, f->extra[k]);
        }
        fputs("},\"message\":", fp);
        vn_json_string(fp, f->message);
        fputs(",\"action\":", fp);
        vn__json_opt_str(fp, f->action);
        fputc('}', fp);
    }
    fputs("]}\n", fp);
}

static void write_csv(const vn_diagnosis *d, FILE *fp)
{
    fputs("code,subject,status,stat,df,p,name1,value1,name2,value2,name3,value3,message,action\n", fp);
    for (size_t i = 0; i < vn_diagnosis_count(d); i++) {
        const vn_diag_finding *f = vn_diagnosis_at(d, i);
        char num[40];
        fprintf(fp, "%s,", f->code);
        vn_csv_text(fp, f->subject);
        fprintf(fp, ",%s", vn_diag_status_name(f->status));
        const double v[] = {f->stat, f->df, f->p};
        for (size_t k = 0; k < 3; k++) {
            vn_format_double(num, sizeof num, v[k]);
            fprintf(fp, ",%s", num);
        }
        for (size_t k = 0; k < 3; k++) {
            vn_format_double(num, sizeof num, k < f->nextra ? f->extra[k] : NAN);
            fprintf(fp, ",%s,%s", k < f->nextra ? f->extra_name[k] : "", num);
        }
        fputc(',', fp);
        vn_csv_text(fp, f->message);
        fputc(',', fp);
        vn_csv_text(fp, f->action);
        fputc('\n', fp);
    }
}

/* "LM 12.3, df 1, p < 0.001" */
static void numbers(const vn_diag_finding *f, char *buf, size_t len)
{
    static const struct {
        const char *code, *sym;
    } sym[] = {{"breusch_pagan", "LM"}, {"jarque_bera", "JB"}, {"durbin_watson", "DW"},
               {"ljung_box", "Q"},      {"vif", "VIF"},        {"condition_number", "kappa"},
               {"worst_rows_share", "share"}};
    const char *s = "";
    for (size_t i = 0; i < sizeof sym / sizeof sym[0]; i++)
        if (strcmp(sym[i].code, f->code) == 0)
            s = sym[i].sym;
    char v[40], p[16];
    vn__num4(v, sizeof v, f->stat);
    size_t at = (size_t)snprintf(buf, len, "%s %s", s, v);
    if (!isnan(f->df) && at < len)
        at += (size_t)snprintf(buf + at, len - at, ", df %g", f->df);
    vn__format_p(p, sizeof p, f->p);
    if (*p && at < len)
        snprintf(buf + at, len - at, ", p %s%s", p[0] == '<' ? "" : "= ", p[0] == '<' ? "< 0.001" : p);
}

static void write_people(const vn_diagnosis *d, FILE *fp, bool md)
{
    const vn_diagnose_info *in = vn_diagnosis_summary(d);
    char a[512], b[256], c[256], t[256];
    const char *q = md ? "`" : "";
    fprintf(fp, "%svernier diagnose%s %s%s%s: %llu rows (y = %s%s%s, prediction = %s%s%s", md ? "**" : "",
            md ? "**" : "", q, vn__clean(*in->source ? in->source : "(arrays)", a, sizeof a, md), q,
            (unsigned long long)in->rows, q, vn__clean(*in->y ? in->y : "y", b, sizeof b, md), q, q,
            vn__clean(*in->yhat ? in->yhat : "yhat", c, sizeof c, md), q);
    if (*in->time)
        fprintf(fp, ", in the order of %s%s%s", q, vn__clean(in->time, t, sizeof t, md), q);
    fputc(')', fp);
    if (in->rows_missing)
        fprintf(fp, ", %llu dropped for missing values", (unsigned long long)in->rows_missing);
    fprintf(fp, "%s\n%se = prediction - actual; tests at the %g level%s\n\n", md ? "\n" : "",
            md ? "_" : "", in->level, md ? "_" : "");
    for (size_t i = 0; i < vn_diagnosis_count(d); i++) {
        const vn_diag_finding *f = vn_diagnosis_at(d, i);
        char head[120], num[160], subj[220], msg[900], act[700];
        snprintf(head, sizeof head, "%s", vn__diag_title(f->code));
        if (*f->subject)
            snprintf(subj, sizeof subj, " (%s)", vn__clean(f->subject, a, 200, md));
        else
            subj[0] = '\0';
        numbers(f, num, sizeof num);
        const char *st = f->status == VN_DIAG_FLAG ? "FLAG" : f->status == VN_DIAG_OK ? "ok" : "skipped";
        vn__clean(f->message, msg, sizeof msg, md);
        vn__clean(f->action, act, sizeof act, md);
        if (md) {
            fprintf(fp, "- %s%s%s **%s%s**", f->status == VN_DIAG_FLAG ? "**" : "", st,
                    f->status == VN_DIAG_FLAG ? "**" : "", head, subj);
            if (f->status != VN_DIAG_SKIPPED)
                fprintf(fp, " — %s", num);
            fprintf(fp, "  \n  %s", msg);
            if (*act)
                fprintf(fp, "  \n  _What to do:_ %s", act);
            fputc('\n', fp);
        } else {
            fprintf(fp, "%-7s %s%s", st, head, subj);
            if (f->status != VN_DIAG_SKIPPED)
                fprintf(fp, ": %s", num);
            fprintf(fp, "\n        %s\n", msg);
            if (*act)
                fprintf(fp, "        what to do: %s\n", act);
        }
    }
}

vn_status vn_diagnosis_write(const vn_diagnosis *d, vn_format fmt, FILE *fp)
{
    switch (fmt) {
    case VN_FORMAT_JSON: write_json(d, fp); break;
    case VN_FORMAT_CSV: write_csv(d, fp); break;
    case VN_FORMAT_MD: write_people(d, fp, true); break;
    case VN_FORMAT_TABLE:
    default: write_people(d, fp, false); break;
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
