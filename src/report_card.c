/*
 * report_card.c — vn_report_write, and the Markdown model card: what was evaluated on
 * which data (with its fingerprint), every metric on every slice, the notes, the
 * comparison, gates and worst slices when given, and placeholders for what only the
 * model's owners know (intended use, limits). Ready to paste into a pull request or a
 * model registry; GitHub-flavoured tables.
 */
#include "report.h"

#include <string.h>

void vn_report_config_init(vn_report_config *cfg) { memset(cfg, 0, sizeof *cfg); }

/* s as Markdown text, also inside a table cell: control characters become spaces, | is
 * escaped, & < > become entities (no markup), and the characters that make emphasis,
 * code or links are backslash-escaped (a value cannot become a link). */
static void md(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fputc(' ', fp);
        else if (*p == '&')
            fputs("&amp;", fp);
        else if (*p == '<')
            fputs("&lt;", fp);
        else if (*p == '>')
            fputs("&gt;", fp);
        else if (strchr("|\\`*_[]", *p)) {
            fputc('\\', fp);
            fputc(*p, fp);
        } else
            fputc(*p, fp);
    }
}

/* "44.8 [40.9, 48.3]" or "44.8"; "n/a" when undefined. */
static void value_cell(FILE *fp, const vn_value *v, const vn__mspec *ms)
{
    char a[48], b[48], c[48];
    vn__human(a, sizeof a, v->value, ms);
    fputs(a, fp);
    if (isfinite(v->lo) && isfinite(v->hi)) {
        vn__human(b, sizeof b, v->lo, ms);
        vn__human(c, sizeof c, v->hi, ms);
        fprintf(fp, " [%s, %s]", b, c);
    }
}

static void card_data(const vn_result *res, FILE *fp)
{
    const vn_input_info *in = &res->input;
    fputs("## Evaluation data\n\n| | |\n|---|---|\n| Source | ", fp);
    md(fp, *in->source ? in->source : "arrays (C API)");
    fputs(" |\n| Actual / predicted | ", fp);
    md(fp, in->y);
    fputs(" / ", fp);
    md(fp, in->yhat);
    fputs(" |\n", fp);
    if (*in->weight) {
        fputs("| Weight | ", fp);
        md(fp, in->weight);
        fputs(" |\n", fp);
    }
    fprintf(fp, "| Rows read | %llu |\n| Rows used | %llu |\n",
            (unsigned long long)in->rows_read, (unsigned long long)res->slices[0].rows);
    if (in->rows_missing)
        fprintf(fp, "| Rows skipped as missing | %llu |\n", (unsigned long long)in->rows_missing);
    if (in->rows_zero_weight)
        fprintf(fp, "| Rows with weight 0 | %llu |\n", (unsigned long long)in->rows_zero_weight);
    if (*in->data_hash)
        fprintf(fp, "| Data fingerprint | %s (64-bit content hash of the input bytes) |\n",
                in->data_hash);
    if (res->by_count) {
        fputs("| Slices by | ", fp);
        for (size_t c = 0; c < res->by_count; c++) {
            fputs(c ? ", " : "", fp);
            md(fp, res->by_names[c]);
        }
        fprintf(fp, " (%zu slices) |\n", res->nslices - 1);
    }
    fputc('\n', fp);
}

static void card_metrics(const vn_result *res, size_t max, FILE *fp)
{
    fputs("## Metrics\n\n", fp);
    if (res->ci.level > 0)
        fprintf(fp, "Values with their %g %% confidence interval in brackets.\n\n",
                res->ci.level * 100);
    const size_t nsl = res->nslices - 1;
    const size_t show = nsl < max ? nsl : max;
    if (show < nsl)
        fprintf(fp, "The first %zu of %zu slices are listed.\n\n", show, nsl);
    fputs("| slice | rows |", fp);
    for (size_t m = 0; m < res->nmetrics; m++) {
        fputc(' ', fp);
        md(fp, res->ms[m].key);
        fputs(" |", fp);
    }
    fputs("\n|---|---:|", fp);
    for (size_t m = 0; m < res->nmetrics; m++)
        fputs("---:|", fp);
    fputc('\n', fp);
    for (size_t s = 0; s <= show; s++) {
        char lab[512];
        fputs("| ", fp);
        md(fp, vn__slice_label(res, s, lab, sizeof lab));
        fprintf(fp, " | %llu |", (unsigned long long)res->slices[s].rows);
        for (size_t m = 0; m < res->nmetrics; m++) {
            fputc(' ', fp);
            value_cell(fp, &res->values[s * res->nmetrics + m], &res->ms[m]);
            fputs(" |", fp);
        }
        fputc('\n', fp);
    }
    fputs("\n<details><summary>Metric definitions</summary>\n\n", fp);
    for (size_t m = 0; m < res->nmetrics; m++) {
        fputs("- **", fp);
        md(fp, res->ms[m].key);
        fputs("**: ", fp);
        md(fp, res->ms[m].info->summary);
        fputc('\n', fp);
    }
    fputs("\n</details>\n\n", fp);
}

static void card_notes(const vn_result *res, const vn_slices *sl, FILE *fp)
{
    fputs("## Caveats and notes\n\n", fp);
    for (size_t i = 0; i < res->nnotes; i++) {
        char lab[512];
        fputs("- ", fp);
        if (res->notes[i].slice) {
            md(fp, vn__slice_label(res, res->notes[i].slice, lab, sizeof lab));
            fputs(": ", fp);
        }
        md(fp, res->notes[i].message);
        fputc('\n', fp);
    }
    fputs("- _To fill in: known limitations, data the model was not evaluated on._\n\n", fp);
    if (!sl)
        return;
    const size_t nf = vn_slices_findings(sl);
    const vn_slices_info *in = vn_slices_summary(sl);
    fprintf(fp, "## Where the model is worse\n\n%zu candidate slices tested on ", in->tested);
    md(fp, in->metric);
    fprintf(fp, " (%s correction); %zu significantly worse than the rest.\n\n",
            in->adjust == VN_ADJUST_BH ? "Benjamini-Hochberg" : "Holm", in->worse);
    if (nf == 0)
        return;
    fputs("| rank | slice | rows | value | rest | difference [interval] | p (adjusted) |\n"
          "|---:|---|---:|---:|---:|---:|---:|\n",
          fp);
    for (size_t i = 0; i < nf; i++) {
        const vn_slice *s = vn_slices_at(sl, i);
        char p[24];
        vn__format_p(p, sizeof p, s->p_adj);
        fprintf(fp, "| %zu | ", s->rank);
        md(fp, s->label);
        fprintf(fp, " | %llu | %.6g | %.6g | %.4g [%.4g, %.4g] | %s |\n",
                (unsigned long long)s->rows, s->value, s->rest, s->diff, s->lo, s->hi, p);
    }
    fputc('\n', fp);
}

static vn_status card_compare(const vn_comparison *c, FILE *fp)
{
    const vn_result *base = vn_comparison_model(c, 0);
    fputs("## Against the baseline\n\n**", fp);
    md(fp, vn_comparison_summary(c));
    fputs("**\n\n| metric | baseline | candidate | difference [interval] | p (Holm) | verdict |\n"
          "|---|---:|---:|---:|---:|---|\n",
          fp);
    for (size_t m = 0; m < base->nmetrics; m++) {
        vn_diff d;
        VN_TRY(vn_comparison_get(c, 0, m, &d));
        const vn__mspec *ms = &base->ms[m];
        char a[48], b[48], x[48], lo[48], hi[48], p[24];
        vn__human(a, sizeof a, d.baseline, ms);
        vn__human(b, sizeof b, d.candidate, ms);
        vn__human(x, sizeof x, d.diff, ms);
        vn__format_p(p, sizeof p, d.p_adj);
        fputs("| ", fp);
        md(fp, ms->key);
        fprintf(fp, " | %s | %s | %s", a, b, x);
        if (isfinite(d.lo) && isfinite(d.hi)) {
            vn__human(lo, sizeof lo, d.lo, ms);
            vn__human(hi, sizeof hi, d.hi, ms);
            fprintf(fp, " [%s, %s]", lo, hi);
        }
        fprintf(fp, " | %s | %s |\n", *p ? p : "-", vn_verdict_name(d.verdict));
    }
    fputc('\n', fp);
    for (size_t g = 0; g < vn_comparison_guard_count(c); g++) {
        const vn_guard_info *gi = vn_comparison_guard(c, g);
        fprintf(fp, "- Guard %s: ", gi->passed ? "passed" : "failed");
        md(fp, gi->message);
        fputc('\n', fp);
    }
    fputc('\n', fp);
    return VN_OK;
}

static void card_gates(const vn_check *c, FILE *fp)
{
    fputs("## Gates\n\n| gate | slice | status | message |\n|---|---|---|---|\n", fp);
    for (size_t i = 0; i < vn_check_count(c); i++) {
        const vn_gate_result *g = vn_check_at(c, i);
        fputs("| ", fp);
        md(fp, g->gate);
        fputs(" | ", fp);
        md(fp, g->slice);
        fprintf(fp, " | %s | ", vn_gate_status_name(g->status));
        md(fp, g->message);
        fputs(" |\n", fp);
    }
    fputc('\n', fp);
}

static vn_status card(const vn_report_config *cfg, const vn_result *res, FILE *fp)
{
    fputs("# Model card: ", fp);
    if (cfg->title && *cfg->title)
        md(fp, cfg->title);
    else {
        md(fp, res->input.yhat && *res->input.yhat ? res->input.yhat : "model");
        fputs(" predicting ", fp);
        md(fp, res->input.y && *res->input.y ? res->input.y : "y");
    }
    fputs("\n\n_Written by vernier " VN_VERSION ". Sections in italics are for the model's "
          "owners to fill in._\n\n"
          "## Model details\n\n- **Model:** _name, version, owner, date trained_\n"
          "- **Type:** _algorithm and main features_\n\n"
          "## Intended use\n\n_What decisions the predictions support, for whom, and on which "
          "population._\n\n"
          "## Out-of-scope uses\n\n_Where the model must not be used._\n\n",
          fp);
    card_data(res, fp);
    if (cfg->comparison)
        VN_TRY(card_compare(cfg->comparison, fp));
    if (cfg->check)
        card_gates(cfg->check, fp);
    card_metrics(res, cfg->max_slices ? cfg->max_slices : 200, fp);
    card_notes(res, cfg->slices, fp);
    vn__report_monitor_card(fp, cfg);
    if (cfg->command && *cfg->command) {
        /* a fence longer than any run of backticks in the command */
        size_t run = 0, longest = 0;
        for (const char *p = cfg->command; *p; p++) {
            run = *p == '`' ? run + 1 : 0;
            longest = run > longest ? run : longest;
        }
        const size_t fence = longest < 3 ? 3 : longest + 1;
        fputs("## Reproduce\n\n", fp);
        for (size_t i = 0; i < fence; i++)
            fputc('`', fp);
        fputc('\n', fp);
        for (const char *p = cfg->command; *p; p++)
            fputc((unsigned char)*p < 0x20 ? ' ' : *p, fp);
        fputc('\n', fp);
        for (size_t i = 0; i < fence; i++)
            fputc('`', fp);
        fputc('\n', fp);
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}

vn_status vn_report_write(const vn_report_config *cfg, vn_report_format fmt, FILE *fp)
{
    const vn_result *res = cfg->comparison ? vn_comparison_model(cfg->comparison, 1) : cfg->result;
    if (!res || res->nslices == 0)
        return VN_ERR_USAGE;
    switch (fmt) {
    case VN_REPORT_HTML: return vn__report_html(cfg, res, fp);
    case VN_REPORT_CARD: return card(cfg, res, fp);
    }
    return VN_ERR_USAGE;
}
