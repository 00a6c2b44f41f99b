/*
 * report.c — the HTML report: one self-contained page over an evaluation (and, when
 * given, a comparison, a worst-slice search and gate results), with charts drawn here
 * as inline SVG from the fixed-size summaries of plots.c.
 *
 * Self-contained means nothing is fetched: no script, font, style or image from
 * anywhere, and a Content-Security-Policy that forbids it (default-src 'none'). The
 * only script is the inline table sorter. Colours are CSS variables with a dark set
 * under prefers-color-scheme. Every string that comes from the data (file and column
 * names, slice values, gate names) goes through esc(), so markup in a column name is
 * shown as text. Each chart is an <svg role="img"> with a <title> and a <desc>, followed
 * by its data as a table for screen readers and for copying.
 *
 * Size: the charts have a fixed number of marks and the tables list at most
 * max_slices slices, so the page stays far under 1 MiB for any number of rows.
 */
#include "report.h"

#include "plots.h"

#include <stdlib.h>
#include <string.h>

/* ---- escaping and numbers ---- */

/* s as HTML text or attribute value: & < > " ' become entities, control characters
 * spaces. Safe inside SVG (XML) too. */
void vn__html(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, fp);
        }
    }
}

/* A number for an axis or a data table: 4 significant digits (6 with more), "n/a". */
static const char *num(char *buf, size_t len, double x, int digits)
{
    if (!isfinite(x))
        vn__fmt(buf, len, "n/a");
    else
        vn__fmt(buf, len, "%.*g", digits, x == 0 ? 0.0 : x); /* no "-0" */
    return buf;
}

/* ---- the page ---- */

static const char *const CSS =
    ":root{--bg:#fff;--fg:#1b1f24;--mute:#5b6470;--line:#d0d7de;--soft:#f3f5f7;"
    "--accent:#1f5fbf;--accent2:#c05621;--good:#1a7f37;--bad:#c62828;--same:#6e7781}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--fg:#e6edf3;--mute:#9aa6b2;"
    "--line:#30363d;--soft:#161b22;--accent:#6ea8fe;--accent2:#f0a35e;--good:#56d364;"
    "--bad:#ff7b72;--same:#8b949e}}\n"
    "body{background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;padding:24px}\n"
    "h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:32px 0 8px;"
    "border-bottom:1px solid var(--line);padding-bottom:4px}\n"
    ".meta{color:var(--mute);font-size:.9em}.summary{font-size:1.1em;padding:12px 16px;"
    "background:var(--soft);border-left:4px solid var(--accent);margin:16px 0}\n"
    ".summary.bad{border-color:var(--bad)}.summary.good{border-color:var(--good)}\n"
    "table{border-collapse:collapse;font-size:.88em;margin:8px 0}"
    "th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:right;"
    "vertical-align:top}th:first-child,td:first-child{text-align:left}\n"
    "th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;"
    "padding:0;cursor:pointer}th[aria-sort=ascending] button::after{content:' \\2191'}"
    "th[aria-sort=descending] button::after{content:' \\2193'}\n"
    ".scroll{overflow-x:auto}.ci{color:var(--mute);font-size:.85em;white-space:nowrap}"
    "tr.pin td{font-weight:600}\n"
    "figure{margin:16px 0}figcaption{font-weight:600}svg{max-width:100%;height:auto;"
    "display:block}svg text{fill:var(--fg);font:12px system-ui,sans-serif}\n"
    "svg .ax{stroke:var(--line);fill:none}svg .tk{fill:var(--mute)}svg .a{fill:var(--accent)}"
    "svg .a2{fill:var(--accent2)}svg .la{stroke:var(--accent);fill:none;stroke-width:2}"
    "svg .la2{stroke:var(--accent2);fill:none;stroke-width:2}"
    "svg .ref{stroke:var(--mute);stroke-dasharray:4 3;fill:none}"
    "svg .good{fill:var(--good);stroke:var(--good)}svg .bad{fill:var(--bad);"
    "stroke:var(--bad)}svg .same{fill:var(--same);stroke:var(--same)}"
    "svg .wk{stroke-width:2}\n"
    "details{margin:4px 0 12px}summary{cursor:pointer;color:var(--mute)}"
    ".verdict-better,.pass{color:var(--good)}.verdict-worse,.fail,.error{color:var(--bad)}"
    ".warn{color:var(--accent2)}ul.notes li{margin:4px 0}footer{margin-top:40px;"
    "color:var(--mute);font-size:.85em}code{font-size:.95em}\n";

/* Sorts a table.sort by the clicked column: numbers by data-v (undefined last), text
 * otherwise; the pinned row (overall) stays first. */
static const char *const JS =
    "document.querySelectorAll('table.sort').forEach(function(t){"
    "t.querySelectorAll('thead th').forEach(function(th,i){var b=th.querySelector('button');"
    "if(!b)return;b.addEventListener('click',function(){"
    "var asc=th.getAttribute('aria-sort')!=='ascending';"
    "t.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort')});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');"
    "var tb=t.tBodies[0],rows=[].slice.call(tb.rows),pin=rows.filter(function(r){"
    "return r.className==='pin'});rows=rows.filter(function(r){return r.className!=='pin'});"
    "function key(r){var c=r.cells[i],v=c.getAttribute('data-v');"
    "return v===null?c.textContent:(v===''?NaN:parseFloat(v))}"
    "rows.sort(function(a,b){var x=key(a),y=key(b);if(typeof x==='string')"
    "return asc?x.localeCompare(y):y.localeCompare(x);if(isNaN(x))return isNaN(y)?0:1;"
    "if(isNaN(y))return -1;return asc?x-y:y-x});"
    "pin.concat(rows).forEach(function(r){tb.appendChild(r)})})})});\n";

typedef struct rp {
    FILE *fp;
    const vn_report_config *cfg;
    const vn_result *res;
    int figs;
} rp;

/* A sortable header cell. */
static void th_sort(FILE *fp, const char *label)
{
    fputs("<th scope=\"col\"><button type=\"button\">", fp);
    vn__html(fp, label);
    fputs("</button></th>", fp);
}

/* A numeric cell with its sort key; an interval under it when lo/hi are finite. */
static void td_num(FILE *fp, double v, double lo, double hi, const vn__mspec *ms)
{
    char a[48], b[48], c[48], k[40];
    vn_format_double(k, sizeof k, v);
    vn__human(a, sizeof a, v, ms);
    fprintf(fp, "<td data-v=\"%s\">%s", k, a);
    if (isfinite(lo) && isfinite(hi)) {
        vn__human(b, sizeof b, lo, ms);
        vn__human(c, sizeof c, hi, ms);
        fprintf(fp, "<br><span class=\"ci\">[%s, %s]</span>", b, c);
    }
    fputs("</td>", fp);
}

/* ---- SVG plumbing ---- */

typedef struct frame {
    double W, H, L, R, T, B;  /* canvas and margins */
    double x0, x1, y0, y1;    /* data ranges */
} frame;

static double fx(const frame *f, double v)
{
    return f->L + (v - f->x0) / (f->x1 - f->x0) * (f->W - f->L - f->R);
}

static double fy(const frame *f, double v)
{
    return f->H - f->B - (v - f->y0) / (f->y1 - f->y0) * (f->H - f->T - f->B);
}

/* Up to ~6 "nice" ticks (1, 2, 5 × 10^k) in [lo, hi]; returns their number. */
static size_t ticks(double lo, double hi, double *t, size_t max)
{
    const double span = hi - lo;
    if (!(span > 0) || !isfinite(span))
        return 0;
    const double raw = span / 5, mag = pow(10, floor(log10(raw)));
    const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    size_t n = 0;
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9 && n < max; v += step)
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* Opens a figure: caption, an optional visible legend (plain text), then the <svg> with
 * its title and description for screen readers. */
static void svg_open(rp *r, const char *id, double w, double h, const char *title,
                     const char *desc, const char *legend)
{
    FILE *fp = r->fp;
    fprintf(fp, "<figure id=\"%s\"><figcaption id=\"%s-t\">", id, id);
    vn__html(fp, title);
    fputs("</figcaption>\n", fp);
    if (legend) {
        fputs("<p class=\"meta\">", fp);
        vn__html(fp, legend);
        fputs("</p>\n", fp);
    }
    fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
                "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-labelledby=\"%s-st %s-sd\">"
                "<title id=\"%s-st\">",
            w, h, w, h, id, id, id);
    vn__html(fp, title);
    fprintf(fp, "</title><desc id=\"%s-sd\">", id);
    vn__html(fp, desc);
    fputs("</desc>\n", fp);
    r->figs++;
}

static void svg_close(rp *r) { fputs("</svg>\n", r->fp); }

enum { AX_NO_XTICKS = 1, AX_NO_YTICKS = 2 }; /* the caller labels categories itself */

/* Axes with ticks and labels. */
static void axes(FILE *fp, const frame *f, const char *xlabel, const char *ylabel, unsigned flags)
{
    double t[16];
    char b[40];
    const double xa = f->L, xb = f->W - f->R, ya = f->T, yb = f->H - f->B;
    fprintf(fp, "<path class=\"ax\" d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", xa, ya, yb, xb);
    const size_t ny = flags & AX_NO_YTICKS ? 0 : ticks(f->y0, f->y1, t, 16);
    for (size_t i = 0; i < ny; i++) {
        const double y = fy(f, t[i]);
        fprintf(fp, "<path class=\"ax\" d=\"M%.1f %.1fH%.1f\"/><text class=\"tk\" x=\"%.1f\" "
                    "y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                xa - 4, y, xa, xa - 6, y + 4, num(b, sizeof b, t[i], 4));
    }
    if (!(flags & AX_NO_XTICKS)) {
        const size_t nx = ticks(f->x0, f->x1, t, 16);
        for (size_t i = 0; i < nx; i++) {
            const double x = fx(f, t[i]);
            fprintf(fp, "<path class=\"ax\" d=\"M%.1f %.1fV%.1f\"/><text class=\"tk\" x=\"%.1f\" "
                        "y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    x, yb, yb + 4, x, yb + 17, num(b, sizeof b, t[i], 4));
        }
    }
    fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (xa + xb) / 2, f->H - 6);
    vn__html(fp, xlabel);
    fprintf(fp, "</text><text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (ya + yb) / 2);
    vn__html(fp, ylabel);
    fputs("</text>\n", fp);
}

/* Opens the data table that follows a chart. */
static void data_open(FILE *fp, const char *what, const char *const *cols, size_t ncols)
{
    fputs("<details><summary>Data table: ", fp);
    vn__html(fp, what);
    fputs("</summary><div class=\"scroll\"><table><thead><tr>", fp);
    for (size_t i = 0; i < ncols; i++) {
        fputs("<th scope=\"col\">", fp);
        vn__html(fp, cols[i]);
        fputs("</th>", fp);
    }
    fputs("</tr></thead><tbody>\n", fp);
}

static void data_close(FILE *fp) { fputs("</tbody></table></div></details></figure>\n", fp); }

/* Weight or row count, as the table says. */
static const char *count_word(const vn__plots *pl) { return pl->weighted ? "weight" : "rows"; }

/* ---- the charts ---- */

static void chart_density(rp *r, const vn__plots *pl)
{
    FILE *fp = r->fp;
    char desc[400], a[40], b[40];
    vn__fmt(desc, sizeof desc,
            "Density of %llu rows: predicted value across, actual value up, on one scale from %s "
            "to %s (the 0.5th to 99.5th percentiles; %llu rows beyond are drawn at the edge). "
            "Cells on the dashed diagonal are exact predictions; darker cells hold more rows "
            "(log scale).",
            (unsigned long long)pl->n, num(a, sizeof a, pl->lo, 4), num(b, sizeof b, pl->hi, 4),
            (unsigned long long)pl->clipped);
    const frame f = {520, 500, 70, 20, 20, 50, pl->lo, pl->hi, pl->lo, pl->hi};
    svg_open(r, "fig-density", f.W, f.H, "Predicted vs actual", desc,
             "Darker cells hold more rows; the dashed diagonal is a perfect prediction.");
    double mx = 0;
    for (size_t i = 0; i < VN_PLOT_GRID * VN_PLOT_GRID; i++)
        mx = pl->cell[i] > mx ? pl->cell[i] : mx;
    const double cw = (f.W - f.L - f.R) / VN_PLOT_GRID, ch = (f.H - f.T - f.B) / VN_PLOT_GRID;
    for (size_t iy = 0; iy < VN_PLOT_GRID; iy++)
        for (size_t ip = 0; ip < VN_PLOT_GRID; ip++) {
            const double c = pl->cell[iy * VN_PLOT_GRID + ip];
            if (c <= 0)
                continue;
            const double op = mx > 0 ? 0.12 + 0.88 * log1p(c) / log1p(mx) : 1;
            fprintf(fp, "<rect class=\"a\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill-opacity=\"%.2f\"/>\n",
                    f.L + (double)ip * cw, f.H - f.B - (double)(iy + 1) * ch, cw + 0.3, ch + 0.3, op);
        }
    fprintf(fp, "<path class=\"ref\" d=\"M%.1f %.1fL%.1f %.1f\"/>\n", fx(&f, pl->lo),
            fy(&f, pl->lo), fx(&f, pl->hi), fy(&f, pl->hi));
    axes(fp, &f, "predicted", "actual", 0);
    svg_close(r);
    const char *cols[] = {"predicted from", "predicted to", "actual from", "actual to",
                          count_word(pl)};
    data_open(fp, "non-empty cells", cols, 5);
    const double step = (pl->hi - pl->lo) / VN_PLOT_GRID;
    for (size_t iy = 0; iy < VN_PLOT_GRID; iy++)
        for (size_t ip = 0; ip < VN_PLOT_GRID; ip++) {
            const double c = pl->cell[iy * VN_PLOT_GRID + ip];
            char p0[32], p1[32], y0[32], y1[32], cc[32];
            if (c > 0)
                fprintf(fp, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                        num(p0, sizeof p0, pl->lo + (double)ip * step, 5),
                        num(p1, sizeof p1, pl->lo + (double)(ip + 1) * step, 5),
                        num(y0, sizeof y0, pl->lo + (double)iy * step, 5),
                        num(y1, sizeof y1, pl->lo + (double)(iy + 1) * step, 5),
                        num(cc, sizeof cc, c, 6));
        }
    data_close(fp);
}

static void chart_errors(rp *r, const vn__plots *pl)
{
    FILE *fp = r->fp;
    char desc[500], a[40], b[40], c[40], d[40];
    const double width = (pl->ehi - pl->elo) / VN_PLOT_BINS;
    vn__fmt(desc, sizeof desc,
            "Histogram of the error e = predicted - actual (positive: over-prediction) in %d "
            "bins from %s to %s, with the normal curve of the same mean (%s) and standard "
            "deviation (%s), dashed. Not drawn: %.6g %s below and %.6g above the range.",
            VN_PLOT_BINS, num(a, sizeof a, pl->elo, 4), num(b, sizeof b, pl->ehi, 4),
            num(c, sizeof c, pl->emean, 4), num(d, sizeof d, pl->esd, 4), pl->below,
            count_word(pl), pl->above);
    double top = 0;
    for (size_t i = 0; i < VN_PLOT_BINS; i++)
        top = pl->bin[i] > top ? pl->bin[i] : top;
    const double k = pl->wsum * width / (pl->esd * sqrt(2 * M_PI)); /* the curve's peak */
    if (pl->esd > 0 && k > top)
        top = k;
    const frame f = {600, 340, 70, 20, 20, 50, pl->elo, pl->ehi, 0, top > 0 ? top * 1.05 : 1};
    svg_open(r, "fig-errors", f.W, f.H, "Error distribution", desc,
             "Bars: the error predicted - actual (right of 0: over-prediction). Dashed curve: "
             "a normal distribution with the same mean and spread; tails above it are heavier "
             "than normal.");
    for (size_t i = 0; i < VN_PLOT_BINS; i++) {
        if (pl->bin[i] <= 0)
            continue;
        const double x0 = fx(&f, pl->elo + (double)i * width), x1 = fx(&f, pl->elo + (double)(i + 1) * width);
        fprintf(fp, "<rect class=\"a\" fill-opacity=\"0.75\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\"/>\n",
                x0, fy(&f, pl->bin[i]), x1 - x0 - 0.5 > 0.5 ? x1 - x0 - 0.5 : 0.5,
                fy(&f, 0) - fy(&f, pl->bin[i]));
    }
    if (pl->esd > 0) {
        fputs("<path class=\"la2\" stroke-dasharray=\"5 3\" d=\"", fp);
        for (int i = 0; i <= 120; i++) {
            const double x = pl->elo + (pl->ehi - pl->elo) * i / 120.0;
            const double z = (x - pl->emean) / pl->esd;
            fprintf(fp, "%c%.1f %.1f", i ? 'L' : 'M', fx(&f, x), fy(&f, k * exp(-0.5 * z * z)));
        }
        fputs("\"/>\n", fp);
    }
    if (pl->elo < 0 && pl->ehi > 0)
        fprintf(fp, "<path class=\"ref\" d=\"M%.1f %.1fV%.1f\"/>\n", fx(&f, 0), f.T, f.H - f.B);
    axes(fp, &f, "error (predicted - actual)", pl->weighted ? "weight" : "rows", 0);
    svg_close(r);
    const char *cols[] = {"error from", "error to", count_word(pl), "normal reference"};
    data_open(fp, "histogram bins", cols, 4);
    for (size_t i = 0; i < VN_PLOT_BINS; i++) {
        char x0[32], x1[32], n[32], e[32];
        const double mid = pl->elo + ((double)i + 0.5) * width, z = (mid - pl->emean) / pl->esd;
        fprintf(fp, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                num(x0, sizeof x0, pl->elo + (double)i * width, 5),
                num(x1, sizeof x1, pl->elo + (double)(i + 1) * width, 5),
                num(n, sizeof n, pl->bin[i], 6),
                num(e, sizeof e, pl->esd > 0 ? k * exp(-0.5 * z * z) : NAN, 4));
    }
    data_close(fp);
}

static void chart_groups(rp *r, const vn__plots *pl)
{
    FILE *fp = r->fp;
    double top = 0;
    for (size_t g = 0; g < pl->ngroups; g++) {
        top = pl->group[g].p90 > top ? pl->group[g].p90 : top;
        top = pl->group[g].mean > top ? pl->group[g].mean : top;
    }
    const frame f = {600, 340, 70, 20, 20, 50, 0, (double)pl->ngroups, 0, top > 0 ? top * 1.08 : 1};
    svg_open(r, "fig-groups", f.W, f.H, "Absolute error by decile of the prediction",
             "Rows grouped by the deciles of the predicted value, smallest predictions on the "
             "left. Bars: mean absolute error; solid line: median; dashed line: 90th percentile. "
             "Errors that grow to the right mean the error grows with the prediction "
             "(heteroscedasticity), and a single spread figure understates the large cases.",
             "Bars: mean |error|; solid line: median; dashed line: 90th percentile, by decile "
             "of the prediction (D1 = smallest predictions).");
    const double bw = (f.W - f.L - f.R) / (double)(pl->ngroups ? pl->ngroups : 1);
    for (size_t g = 0; g < pl->ngroups; g++) {
        const struct vn__group *gr = &pl->group[g];
        fprintf(fp, "<rect class=\"a\" fill-opacity=\"0.55\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\"/><text class=\"tk\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"middle\">D%zu</text>\n",
                f.L + (double)g * bw + bw * 0.15, fy(&f, gr->mean), bw * 0.7,
                fy(&f, 0) - fy(&f, gr->mean), f.L + ((double)g + 0.5) * bw, f.H - f.B + 17, g + 1);
    }
    for (int line = 0; line < 2 && pl->ngroups; line++) {
        fprintf(fp, "<path class=\"la2\"%s d=\"", line ? " stroke-dasharray=\"5 3\"" : "");
        for (size_t g = 0; g < pl->ngroups; g++)
            fprintf(fp, "%c%.1f %.1f", g ? 'L' : 'M', f.L + ((double)g + 0.5) * bw,
                    fy(&f, line ? pl->group[g].p90 : pl->group[g].p50));
        fputs("\"/>\n", fp);
        for (size_t g = 0; g < pl->ngroups; g++)
            fprintf(fp, "<circle class=\"a2\" r=\"3\" cx=\"%.1f\" cy=\"%.1f\"/>", f.L + ((double)g + 0.5) * bw,
                    fy(&f, line ? pl->group[g].p90 : pl->group[g].p50));
        fputc('\n', fp);
    }
    axes(fp, &f, "decile of the prediction", "absolute error", AX_NO_XTICKS);
    svg_close(r);
    const char *cols[] = {"decile", "predicted from", "predicted to", "rows",
                          "mean |e|", "median |e|", "p90 |e|"};
    data_open(fp, "deciles", cols, 7);
    for (size_t g = 0; g < pl->ngroups; g++) {
        const struct vn__group *gr = &pl->group[g];
        char a[32], b[32], c[32], d[32], e[32];
        fprintf(fp, "<tr><td>D%zu</td><td>%s</td><td>%s</td><td>%llu</td><td>%s</td><td>%s</td>"
                    "<td>%s</td></tr>\n",
                g + 1, num(a, sizeof a, gr->plo, 5), num(b, sizeof b, gr->phi, 5),
                (unsigned long long)gr->n, num(c, sizeof c, gr->mean, 5),
                num(d, sizeof d, gr->p50, 5), num(e, sizeof e, gr->p90, 5));
    }
    data_close(fp);
}

/* The metric a report's slice chart shows: the configured one, else the first metric
 * with a direction that is not a count. SIZE_MAX when there is none. */
static size_t focus_metric(const vn_result *res, const char *want)
{
    for (size_t m = 0; m < res->nmetrics; m++) {
        const vn__mspec *ms = &res->ms[m];
        if (want ? strcmp(ms->key, want) == 0 || strcmp(ms->info->id, want) == 0
                 : ms->kind != MK_COUNT && ms->kind != MK_WEIGHT_SUM &&
                       ms->info->direction != VN_NO_DIRECTION)
            return m;
    }
    return SIZE_MAX;
}

/* Slice order for tables and charts: at most max slices (1 ...), the largest by rows
 * when there are more, kept in result order. Returns the count written to idx. */
static int by_rows_desc(const void *a, const void *b, void *ctx)
{
    const vn_result *res = ctx;
    const uint64_t ra = res->slices[*(const size_t *)a].rows, rb = res->slices[*(const size_t *)b].rows;
    return ra > rb ? -1 : ra < rb ? 1 : (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static int by_index(const void *a, const void *b)
{
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static size_t pick_slices(const vn_result *res, size_t max, size_t *idx)
{
    const size_t n = res->nslices - 1;
    for (size_t i = 0; i < n; i++)
        idx[i] = i + 1;
    if (n <= max)
        return n;
    qsort_r(idx, n, sizeof *idx, by_rows_desc, (void *)res);
    qsort(idx, max, sizeof *idx, by_index);
    return max;
}

static const vn_value *val(const vn_result *res, size_t s, size_t m)
{
    return &res->values[s * res->nmetrics + m];
}

static int by_value(const void *a, const void *b, void *ctx)
{
    const double *v = ctx;
    const double x = v[*(const size_t *)a], y = v[*(const size_t *)b];
    return x > y ? -1 : x < y ? 1 : 0;
}

static vn_status chart_slices(rp *r, const size_t *idx, size_t n)
{
    const vn_result *res = r->res;
    const size_t m = focus_metric(res, r->cfg->metric);
    if (m == SIZE_MAX || n == 0)
        return VN_OK;
    FILE *fp = r->fp;
    const vn__mspec *ms = &res->ms[m];
    const size_t show = n < 40 ? n : 40;
    size_t *ord = vn__malloc(n * sizeof *ord);
    double *key = vn__malloc(res->nslices * sizeof *key);
    if (!ord || !key) {
        vn__free(ord);
        vn__free(key);
        return VN_ERR_NOMEM;
    }
    /* worst first: the largest values for lower-is-better metrics, the smallest else */
    const double sgn = ms->info->direction == VN_HIGHER_IS_BETTER ? -1 : 1;
    double lo = val(res, 0, m)->value, hi = lo;
    for (size_t i = 0; i < n; i++) {
        const vn_value *v = val(res, idx[i], m);
        ord[i] = idx[i];
        key[idx[i]] = isfinite(v->value) ? sgn * v->value : -INFINITY;
    }
    qsort_r(ord, n, sizeof *ord, by_value, key);
    for (size_t i = 0; i < show; i++) {
        const vn_value *v = val(res, ord[i], m);
        const double a = isfinite(v->lo) ? v->lo : v->value, b = isfinite(v->hi) ? v->hi : v->value;
        if (isfinite(a))
            lo = !isfinite(lo) || a < lo ? a : lo;
        if (isfinite(b))
            hi = !isfinite(hi) || b > hi ? b : hi;
    }
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (!(hi - lo > 0)) { /* one value, or no interval anywhere */
        const double h = fabs(lo) > 1 ? fabs(lo) * 0.05 : 0.5;
        lo -= h;
        hi += h;
    }
    const double pad = (hi - lo) * 0.05;
    char title[160], desc[600], lab[512], a[48];
    vn__fmt(title, sizeof title, "%s by slice", ms->key);
    vn__fmt(desc, sizeof desc,
            "%s on each of %zu slices (%s), worst first: a dot per slice with its confidence "
            "interval as a bar when one was computed; the dashed line is the overall value (%s).%s",
            ms->key, show, ms->info->direction == VN_HIGHER_IS_BETTER ? "higher is better" : "lower is better",
            (vn__human(a, sizeof a, val(res, 0, m)->value, ms), a),
            show < n ? " Only the first 40 slices are drawn; the table lists all shown in the report." : "");
    const double rowh = 22;
    const frame f = {640, 40 + 50 + rowh * (double)show, 200, 20, 20, 50, lo - pad, hi + pad, 0, (double)show};
    svg_open(r, "fig-slices", f.W, f.H, title, desc,
             "Worst slice at the top. Dots: the value; bars: its confidence interval; dashed "
             "line: the overall value.");
    for (size_t i = 0; i < show; i++) {
        const vn_value *v = val(res, ord[i], m);
        const double y = f.T + rowh * ((double)i + 0.5);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f.L - 8, y + 4);
        vn__slice_label(res, ord[i], lab, sizeof lab);
        if (strlen(lab) > 28) { /* shorten to 27 bytes of whole UTF-8 characters and "…" */
            size_t cut = 27;
            while (cut > 0 && ((unsigned char)lab[cut] & 0xC0) == 0x80)
                cut--;
            memcpy(lab + cut, "\xe2\x80\xa6", 4);
        }
        vn__html(fp, lab);
        fputs("</text>", fp);
        if (isfinite(v->lo) && isfinite(v->hi))
            fprintf(fp, "<path class=\"la wk\" d=\"M%.1f %.1fH%.1f\"/>", fx(&f, v->lo), y, fx(&f, v->hi));
        if (isfinite(v->value))
            fprintf(fp, "<circle class=\"a\" r=\"4\" cx=\"%.1f\" cy=\"%.1f\"/>", fx(&f, v->value), y);
        fputc('\n', fp);
    }
    if (isfinite(val(res, 0, m)->value))
        fprintf(fp, "<path class=\"ref\" d=\"M%.1f %.1fV%.1f\"/>\n", fx(&f, val(res, 0, m)->value),
                f.T, f.H - f.B);
    axes(fp, &f, ms->key, "", AX_NO_YTICKS);
    svg_close(r);
    const char *cols[] = {"slice", "rows", "value", "interval low", "interval high"};
    data_open(fp, "slices", cols, 5);
    for (size_t i = 0; i < n; i++) {
        const vn_value *v = val(res, ord[i], m);
        char x[48], l[48], h[48];
        fputs("<tr><td>", fp);
        vn__html(fp, vn__slice_label(res, ord[i], lab, sizeof lab));
        vn__human(x, sizeof x, v->value, ms);
        vn__human(l, sizeof l, v->lo, ms);
        vn__human(h, sizeof h, v->hi, ms);
        fprintf(fp, "</td><td>%llu</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                (unsigned long long)res->slices[ord[i]].rows, x, l, h);
    }
    data_close(fp);
    vn__free(ord);
    vn__free(key);
    return VN_OK;
}

static void worst_rows(rp *r, const vn__plots *pl)
{
    FILE *fp = r->fp;
    const vn_result *res = r->res;
    fputs("<h2 id=\"worst\">Worst rows</h2>\n<p>The rows with the largest absolute error "
          "(row numbers count the rows read, from 1).</p>\n<div class=\"scroll\"><table "
          "class=\"sort\"><thead><tr>",
          fp);
    th_sort(fp, "row");
    th_sort(fp, "actual");
    th_sort(fp, "predicted");
    th_sort(fp, "error");
    if (pl->weighted)
        th_sort(fp, "weight");
    if (res->by_count)
        th_sort(fp, "slice");
    fputs("</tr></thead><tbody>\n", fp);
    for (size_t i = 0; i < pl->nworst; i++) {
        const vn__worst *w = &pl->worst[i];
        const double v[4] = {w->y, w->p, w->p - w->y, w->w};
        fprintf(fp, "<tr><td data-v=\"%llu\">%llu</td>", (unsigned long long)w->row,
                (unsigned long long)w->row);
        for (int k = 0; k < (pl->weighted ? 4 : 3); k++) {
            char key[40], shown[40];
            vn_format_double(key, sizeof key, v[k]);
            fprintf(fp, "<td data-v=\"%s\">%s</td>", key, num(shown, sizeof shown, v[k], 6));
        }
        if (res->by_count) {
            char lab[512];
            fputs("<td>", fp);
            vn__html(fp, w->slice ? vn__slice_label(res, w->slice, lab, sizeof lab) : "");
            fputs("</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</tbody></table></div>\n", fp);
}

/* ---- sections ---- */

static void metric_table(rp *r, const size_t *idx, size_t n, size_t nall)
{
    FILE *fp = r->fp;
    const vn_result *res = r->res;
    fputs("<h2 id=\"metrics\">Metrics</h2>\n", fp);
    if (res->ci.level > 0)
        fprintf(fp, "<p>Under each value: its %g %% confidence interval.</p>\n", res->ci.level * 100);
    if (n < nall)
        fprintf(fp, "<p>%zu of %zu slices are listed: those with the most rows.</p>\n", n, nall);
    fputs("<div class=\"scroll\"><table class=\"sort\" id=\"metric-table\"><thead><tr>", fp);
    th_sort(fp, "slice");
    th_sort(fp, "rows");
    for (size_t m = 0; m < res->nmetrics; m++)
        th_sort(fp, res->ms[m].key);
    fputs("</tr></thead><tbody>\n", fp);
    for (size_t i = 0; i <= n; i++) {
        const size_t s = i ? idx[i - 1] : 0;
        char lab[512];
        fprintf(fp, "<tr%s><td>", s == 0 ? " class=\"pin\"" : "");
        vn__html(fp, vn__slice_label(res, s, lab, sizeof lab));
        fprintf(fp, "</td><td data-v=\"%llu\">%llu</td>", (unsigned long long)res->slices[s].rows,
                (unsigned long long)res->slices[s].rows);
        for (size_t m = 0; m < res->nmetrics; m++) {
            const vn_value *v = val(res, s, m);
            td_num(fp, v->value, v->lo, v->hi, &res->ms[m]);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</tbody></table></div>\n", fp);
}

static void notes(rp *r)
{
    FILE *fp = r->fp;
    const vn_result *res = r->res;
    if (res->nnotes == 0)
        return;
    fputs("<h2 id=\"notes\">What the numbers hide</h2>\n<ul class=\"notes\">\n", fp);
    for (size_t i = 0; i < res->nnotes; i++) {
        char lab[512];
        fputs("<li>", fp);
        if (res->notes[i].slice) {
            fputs("<strong>", fp);
            vn__html(fp, vn__slice_label(res, res->notes[i].slice, lab, sizeof lab));
            fputs(":</strong> ", fp);
        }
        vn__html(fp, res->notes[i].message);
        fputs("</li>\n", fp);
    }
    fputs("</ul>\n", fp);
}

/* The headline: the decision of a comparison, the gates' verdict, else the focus metric. */
static void summary(rp *r)
{
    FILE *fp = r->fp;
    const vn_report_config *cfg = r->cfg;
    if (cfg->comparison) {
        const int wins = vn_comparison_wins(cfg->comparison);
        fprintf(fp, "<p class=\"summary %s\">", wins ? "good" : "bad");
        vn__html(fp, vn_comparison_summary(cfg->comparison));
        fputs("</p>\n", fp);
    }
    if (cfg->check) {
        const int v = vn_check_verdict(cfg->check);
        size_t cnt[5] = {0};
        for (size_t i = 0; i < vn_check_count(cfg->check); i++)
            cnt[vn_check_at(cfg->check, i)->status]++;
        fprintf(fp, "<p class=\"summary %s\">Gates: %s. %zu passed, %zu failed, %zu warned, "
                    "%zu skipped, %zu could not be applied.</p>\n",
                v == 0 ? "good" : "bad", v == 0 ? "every required gate passed" : "the check fails",
                cnt[VN_GATE_PASS], cnt[VN_GATE_FAIL], cnt[VN_GATE_WARN], cnt[VN_GATE_SKIPPED],
                cnt[VN_GATE_ERROR]);
    }
    if (cfg->comparison || cfg->check)
        return;
    const vn_result *res = r->res;
    const size_t m = focus_metric(res, cfg->metric);
    fputs("<p class=\"summary\">", fp);
    if (m != SIZE_MAX) {
        char a[48], b[48], c[48];
        const vn_value *v = val(res, 0, m);
        vn__human(a, sizeof a, v->value, &res->ms[m]);
        fprintf(fp, "Overall %s: <strong>%s</strong>", res->ms[m].key, a);
        if (isfinite(v->lo) && isfinite(v->hi))
            fprintf(fp, " (%g %% interval %s to %s)", res->ci.level * 100,
                    (vn__human(b, sizeof b, v->lo, &res->ms[m]), b),
                    (vn__human(c, sizeof c, v->hi, &res->ms[m]), c));
        fputs(" on ", fp);
    }
    fprintf(fp, "%llu rows", (unsigned long long)res->slices[0].rows);
    if (res->nslices > 1)
        fprintf(fp, " in %zu slices", res->nslices - 1);
    fprintf(fp, ". %zu note%s below.</p>\n", res->nnotes, res->nnotes == 1 ? "" : "s");
}

static const char *verdict_word(vn_verdict v)
{
    switch (v) {
    case VN_VERDICT_BETTER: return "better";
    case VN_VERDICT_WORSE: return "worse";
    case VN_VERDICT_SAME: return "no difference";
    default: return "untested";
    }
}

static vn_status comparison(rp *r)
{
    const vn_comparison *c = r->cfg->comparison;
    FILE *fp = r->fp;
    const vn_result *base = vn_comparison_model(c, 0);
    fputs("<h2 id=\"compare\">Baseline against candidate</h2>\n<div class=\"scroll\"><table "
          "class=\"sort\"><thead><tr>",
          fp);
    const char *heads[] = {"metric", "baseline", "candidate", "difference", "relative",
                           "interval of the difference", "p (Holm)", "verdict"};
    for (size_t i = 0; i < 8; i++)
        th_sort(fp, heads[i]);
    fputs("</tr></thead><tbody>\n", fp);
    size_t ntest = 0;
    for (size_t m = 0; m < base->nmetrics; m++) {
        vn_diff d;
        VN_TRY(vn_comparison_get(c, 0, m, &d));
        const vn__mspec *ms = &base->ms[m];
        char a[40], b[40], k[40], p[24];
        fputs("<tr><td>", fp);
        vn__html(fp, ms->key);
        fputs("</td>", fp);
        td_num(fp, d.baseline, NAN, NAN, ms);
        td_num(fp, d.candidate, NAN, NAN, ms);
        td_num(fp, d.diff, NAN, NAN, ms);
        vn_format_double(k, sizeof k, d.rel * 100);
        fprintf(fp, "<td data-v=\"%s\">%s</td>", k, isfinite(d.rel) ? (vn__fmt(a, sizeof a, "%+.2f %%", d.rel * 100), a) : "n/a");
        if (isfinite(d.lo) && isfinite(d.hi)) {
            vn__human(a, sizeof a, d.lo, ms);
            vn__human(b, sizeof b, d.hi, ms);
            fprintf(fp, "<td>[%s, %s]</td>", a, b);
        } else {
            fputs("<td></td>", fp);
        }
        vn__format_p(p, sizeof p, d.p_adj);
        vn_format_double(k, sizeof k, d.p_adj);
        fprintf(fp, "<td data-v=\"%s\">%s</td><td class=\"verdict-%s\">%s", k, p,
                d.verdict == VN_VERDICT_BETTER ? "better" : d.verdict == VN_VERDICT_WORSE ? "worse" : "same",
                verdict_word(d.verdict));
        if (d.note && *d.note) {
            fputs(" <span class=\"ci\">(", fp);
            vn__html(fp, d.note);
            fputs(")</span>", fp);
        }
        fputs("</td></tr>\n", fp);
        ntest += isfinite(d.rel) && isfinite(d.lo) && isfinite(d.hi) && d.baseline != 0;
    }
    fputs("</tbody></table></div>\n", fp);
    for (size_t g = 0; g < vn_comparison_guard_count(c); g++) {
        const vn_guard_info *gi = vn_comparison_guard(c, g);
        fprintf(fp, "<p class=\"%s\">Guard ", gi->passed ? "pass" : "fail");
        vn__html(fp, gi->metric);
        fputs(": ", fp);
        vn__html(fp, gi->message);
        fputs("</p>\n", fp);
    }
    if (ntest == 0)
        return VN_OK;
    /* the paired differences, relative to the baseline, with their intervals */
    double lo = 0, hi = 0;
    for (size_t m = 0; m < base->nmetrics; m++) {
        vn_diff d;
        VN_TRY(vn_comparison_get(c, 0, m, &d));
        if (!(isfinite(d.rel) && isfinite(d.lo) && isfinite(d.hi) && d.baseline != 0))
            continue;
        const double a = d.lo / fabs(d.baseline) * 100, b = d.hi / fabs(d.baseline) * 100;
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    const double pad = (hi - lo) * 0.05 + 1e-9, rowh = 24;
    const frame f = {640, 40 + 50 + rowh * (double)ntest, 200, 20, 20, 50, lo - pad, hi + pad, 0, 1};
    svg_open(r, "fig-diffs", f.W, f.H, "Paired differences (candidate - baseline)",
             "For each tested metric, the difference candidate minus baseline as a percentage "
             "of the baseline's value, with its paired interval. Green: significantly better, "
             "red: significantly worse, grey: no detectable difference. For metrics where "
             "higher is better, better lies to the right of 0.",
             "Green: significantly better; red: significantly worse; grey: no detectable "
             "difference. Bars: the paired interval.");
    size_t row = 0;
    for (size_t m = 0; m < base->nmetrics; m++) {
        vn_diff d;
        VN_TRY(vn_comparison_get(c, 0, m, &d));
        if (!(isfinite(d.rel) && isfinite(d.lo) && isfinite(d.hi) && d.baseline != 0))
            continue;
        const char *cls = d.verdict == VN_VERDICT_BETTER ? "good" : d.verdict == VN_VERDICT_WORSE ? "bad" : "same";
        const double y = f.T + rowh * ((double)row++ + 0.5);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f.L - 8, y + 4);
        vn__html(fp, base->ms[m].key);
        fprintf(fp, "</text><path class=\"%s wk\" d=\"M%.1f %.1fH%.1f\"/><circle class=\"%s\" r=\"4\" "
                    "cx=\"%.1f\" cy=\"%.1f\"/>\n",
                cls, fx(&f, d.lo / fabs(d.baseline) * 100), y, fx(&f, d.hi / fabs(d.baseline) * 100),
                cls, fx(&f, d.rel * 100), y);
    }
    fprintf(fp, "<path class=\"ref\" d=\"M%.1f %.1fV%.1f\"/>\n", fx(&f, 0), f.T, f.H - f.B);
    axes(fp, &f, "difference, % of the baseline", "", AX_NO_YTICKS);
    svg_close(r);
    const char *cols[] = {"metric", "relative difference %", "low %", "high %", "verdict"};
    data_open(fp, "paired differences", cols, 5);
    for (size_t m = 0; m < base->nmetrics; m++) {
        vn_diff d;
        VN_TRY(vn_comparison_get(c, 0, m, &d));
        if (!(isfinite(d.rel) && isfinite(d.lo) && isfinite(d.hi) && d.baseline != 0))
            continue;
        char a[32], b[32], e[32];
        fputs("<tr><td>", fp);
        vn__html(fp, base->ms[m].key);
        fprintf(fp, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                num(a, sizeof a, d.rel * 100, 4), num(b, sizeof b, d.lo / fabs(d.baseline) * 100, 4),
                num(e, sizeof e, d.hi / fabs(d.baseline) * 100, 4), verdict_word(d.verdict));
    }
    data_close(fp);
    return VN_OK;
}

static void slice_findings(rp *r)
{
    const vn_slices *s = r->cfg->slices;
    FILE *fp = r->fp;
    const vn_slices_info *in = vn_slices_summary(s);
    const size_t nf = vn_slices_findings(s);
    fprintf(fp, "<h2 id=\"findings\">Where the model is worse</h2>\n<p>%zu candidate slices "
                "tested on ",
            in->tested);
    vn__html(fp, in->metric);
    fprintf(fp, " (depth %d, %s correction); %zu significantly worse than the rest.</p>\n",
            in->depth, in->adjust == VN_ADJUST_BH ? "Benjamini-Hochberg" : "Holm", in->worse);
    if (nf) {
        fputs("<div class=\"scroll\"><table class=\"sort\"><thead><tr>", fp);
        const char *heads[] = {"rank", "slice", "rows", "share of rows", "share of loss",
                               "value", "rest", "difference", "p (adjusted)"};
        for (size_t i = 0; i < 9; i++)
            th_sort(fp, heads[i]);
        fputs("</tr></thead><tbody>\n", fp);
        for (size_t i = 0; i < nf; i++) {
            const vn_slice *sl = vn_slices_at(s, i);
            char v[32], rs[32], d[32], l[32], h[32], p[24], k[40];
            vn__format_p(p, sizeof p, sl->p_adj);
            vn_format_double(k, sizeof k, sl->diff);
            fprintf(fp, "<tr><td data-v=\"%zu\">%zu</td><td>", sl->rank, sl->rank);
            vn__html(fp, sl->label);
            fprintf(fp, "</td><td data-v=\"%llu\">%llu</td><td data-v=\"%.6f\">%.1f %%</td>"
                        "<td data-v=\"%.6f\">%.1f %%</td><td>%s</td><td>%s</td><td data-v=\"%s\">%s"
                        "<br><span class=\"ci\">[%s, %s]</span></td><td>%s</td></tr>\n",
                    (unsigned long long)sl->rows, (unsigned long long)sl->rows, sl->row_share,
                    sl->row_share * 100, sl->loss_share, sl->loss_share * 100,
                    num(v, sizeof v, sl->value, 5), num(rs, sizeof rs, sl->rest, 5), k,
                    num(d, sizeof d, sl->diff, 5), num(l, sizeof l, sl->lo, 4),
                    num(h, sizeof h, sl->hi, 4), p);
        }
        fputs("</tbody></table></div>\n", fp);
    }
    if (vn_slices_note_count(s)) {
        fputs("<ul class=\"notes\">\n", fp);
        for (size_t i = 0; i < vn_slices_note_count(s); i++) {
            fputs("<li>", fp);
            vn__html(fp, vn_slices_note(s, i));
            fputs("</li>\n", fp);
        }
        fputs("</ul>\n", fp);
    }
}

static void gates(rp *r)
{
    const vn_check *c = r->cfg->check;
    FILE *fp = r->fp;
    fputs("<h2 id=\"gates\">Gates</h2>\n<div class=\"scroll\"><table class=\"sort\"><thead><tr>", fp);
    const char *heads[] = {"gate", "slice", "status", "value", "allowed", "message"};
    for (size_t i = 0; i < 6; i++)
        th_sort(fp, heads[i]);
    fputs("</tr></thead><tbody>\n", fp);
    for (size_t i = 0; i < vn_check_count(c); i++) {
        const vn_gate_result *g = vn_check_at(c, i);
        char v[32], lo[32], hi[32], k[40];
        vn_format_double(k, sizeof k, g->value);
        fputs("<tr><td>", fp);
        vn__html(fp, g->gate);
        fputs("</td><td>", fp);
        vn__html(fp, g->slice);
        fprintf(fp, "</td><td class=\"%s\">%s</td><td data-v=\"%s\">%s</td><td>%s to %s</td><td>",
                vn_gate_status_name(g->status), vn_gate_status_name(g->status), k,
                num(v, sizeof v, g->value, 6), isinf(g->lo) ? "-inf" : num(lo, sizeof lo, g->lo, 6),
                isinf(g->hi) ? "+inf" : num(hi, sizeof hi, g->hi, 6));
        vn__html(fp, g->message);
        fputs("</td></tr>\n", fp);
    }
    fputs("</tbody></table></div>\n", fp);
}

static void head(rp *r, const char *title)
{
    FILE *fp = r->fp;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" "
          "content=\"vernier " VN_VERSION "\">\n<title>",
          fp);
    vn__html(fp, title);
    fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>", CSS);
    vn__html(fp, title);
    fputs("</h1>\n", fp);
    const vn_input_info *in = &r->res->input;
    fputs("<p class=\"meta\">", fp);
    if (*in->source) {
        fputs("Data <code>", fp);
        vn__html(fp, in->source);
        fputs("</code>, actual <code>", fp);
        vn__html(fp, in->y);
        fputs("</code>, predicted <code>", fp);
        vn__html(fp, in->yhat);
        fputs("</code>", fp);
        if (*in->weight) {
            fputs(", weight <code>", fp);
            vn__html(fp, in->weight);
            fputs("</code>", fp);
        }
        fputs(". ", fp);
    }
    fprintf(fp, "%llu rows read, %llu used", (unsigned long long)in->rows_read,
            (unsigned long long)r->res->slices[0].rows);
    if (in->rows_missing)
        fprintf(fp, ", %llu skipped as missing", (unsigned long long)in->rows_missing);
    if (in->rows_zero_weight)
        fprintf(fp, ", %llu with weight 0", (unsigned long long)in->rows_zero_weight);
    if (*in->data_hash)
        fprintf(fp, ". Data fingerprint <code>%s</code>", in->data_hash);
    fputs(".</p>\n</header>\n<main>\n", fp);
}

vn_status vn__report_html(const vn_report_config *cfg, const vn_result *res, FILE *fp)
{
    rp r = {fp, cfg, res, 0};
    char title[600];
    if (cfg->title && *cfg->title)
        vn__fmt(title, sizeof title, "%s", cfg->title);
    else
        vn__fmt(title, sizeof title, "vernier report: %s", *res->input.source ? res->input.source : "arrays");
    head(&r, title);
    summary(&r);
    notes(&r);
    const size_t max = cfg->max_slices ? cfg->max_slices : 200;
    size_t *idx = vn__malloc((res->nslices ? res->nslices : 1) * sizeof *idx);
    if (!idx)
        return VN_ERR_NOMEM;
    const size_t n = pick_slices(res, max, idx);
    vn_status st = VN_OK;
    if (cfg->check)
        gates(&r);
    if (cfg->comparison)
        st = comparison(&r);
    if (st == VN_OK) {
        metric_table(&r, idx, n, res->nslices - 1);
        if (cfg->slices)
            slice_findings(&r);
        vn__report_monitor_html(fp, cfg);
        if (res->plots || n)
            fputs("<h2 id=\"charts\">Charts</h2>\n", fp);
        if (res->plots) {
            chart_density(&r, res->plots);
            chart_errors(&r, res->plots);
            chart_groups(&r, res->plots);
        }
        st = chart_slices(&r, idx, n);
        if (st == VN_OK && res->plots && res->plots->nworst)
            worst_rows(&r, res->plots);
    }
    vn__free(idx);
    if (st != VN_OK)
        return st;
    fputs("</main>\n<footer>Written by vernier " VN_VERSION, fp);
    if (cfg->command && *cfg->command) {
        fputs(" from <code>", fp);
        vn__html(fp, cfg->command);
        fputs("</code>", fp);
    }
    fprintf(fp, ". Self-contained: no network, no scripts but the table sorter.</footer>\n"
                "<script>\n%s</script>\n</body></html>\n",
            JS);
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
