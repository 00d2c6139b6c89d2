/* report: one self-contained HTML page (inline SVG, no script) of a training run. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "metrics.h"
#include "model.h"
#include "registry.h"
#include "svg.h"
#include "util.h"

static struct {
	const char **searches; /* --search files */
	size_t nsearches;
	const char *registry;
	const char *name;
	const char *title;
} opt = {.title = "pipeml training report"};

/* Okabe–Ito colours, distinguishable with the common colour-vision deficiencies. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000"};
#define NCOLORS         (sizeof palette / sizeof palette[0])
#define CHOSEN          "#D55E00"
#define REPORT_MAX_SIZE (256 << 20) /* bytes of JSON read: pick-best's or a search report */

/* The page's inputs, read and checked. */
struct run {
	const char *path; /* pick-best's report */
	struct json pick;
	const struct json *cands; /* its candidates, an array */
	size_t winner;
	const char *metric;
	struct json *searches; /* one per --search */
	struct registry reg;
	int has_reg;
	const struct reg_version *prod;
	const char *model; /* the registered name */
};

#define SYNOPSIS "[-s file] ... [-d dir] [-n name] [-t title] [file]"

static void
usage(void)
{
	fprintf(stderr, "usage: %s " SYNOPSIS "\n", progname);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: %s " SYNOPSIS "\n"
	       "  -s, --search FILE     a fit-logreg or fit-gbt --report with the search's CV\n"
	       "                        table (repeatable)\n"
	       "  -d, --registry DIR    show the production model's metrics and the runs\n"
	       "                        (default $PIPEML_REGISTRY; none: no registry)\n"
	       "  -n, --name NAME       the registered model's name (default: pick-best's,\n"
	       "                        else lead_model)\n"
	       "  -t, --title TEXT      the page's title\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n"
	       "FILE is pick-best's --report (default stdin); the page goes to stdout.\n",
	       progname);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"search", required_argument, NULL, 's'},
	        {"registry", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {"title", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:d:n:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.searches = xreallocarray(opt.searches, opt.nsearches + 1,
			                             sizeof *opt.searches);
			opt.searches[opt.nsearches++] = optarg;
			break;
		case 'd':
			opt.registry = optarg;
			break;
		case 'n':
			opt.name = optarg;
			break;
		case 't':
			opt.title = optarg;
			break;
		case 'h':
			help();
			exit(0);
		case 'V':
			printf("%s %s\n", progname, PIPEML_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	opt.registry = registry_dir(opt.registry);
}

/* Read and parse one JSON file ("-" or NULL: stdin); dies naming it. */
static const char *
load_json(const char *path, struct json *j)
{
	const char *name;
	FILE *fp = open_input(path, &name);
	char *buf, err[256];
	size_t len;
	int rc;

	rc = mp_read_file(fp, REPORT_MAX_SIZE, &buf, &len);
	if (rc == -1)
		die("%s:", name);
	if (rc == -2)
		die("%s: over %d bytes: not a report", name, REPORT_MAX_SIZE);
	if (len == 0)
		die("%s: empty input: expected a JSON report", name);
	if (fp != stdin)
		fclose(fp);
	rc = json_parse(buf, len, j, err, sizeof err);
	free(buf);
	if (rc < 0)
		die("%s: %s", name, err);
	return name;
}

/* A search report (fit-logreg or fit-gbt --report): an object whose "search" is null or one. */
static void
load_search(const char *path, struct json *j)
{
	const char *name = load_json(path, j);
	const struct json *s = json_get(j, "search");

	if (s == NULL || (s->type != JSON_NULL && s->type != JSON_OBJ))
		die("%s: not a search report (fit-logreg or fit-gbt --report): \"search\" is %s",
		    name, s == NULL ? "missing" : "not an object");
}

/* The member key of obj, of type t; dies naming the file and what was expected. */
static const struct json *
need(const struct json *obj, const char *key, enum json_type t, const char *path, const char *where)
{
	static const char *const types[] = {"null",     "a boolean", "a number",
	                                    "a string", "an array",  "an object"};
	const struct json *v = json_get(obj, key);

	if (v == NULL || v->type != t)
		die("%s: %s\"%s\" is %s, expected %s (pick-best --report)", path, where, key,
		    v == NULL ? "missing" : types[v->type], types[t]);
	return v;
}

/* A number, or NaN for null or a missing member. */
static double
num(const struct json *obj, const char *key)
{
	double x;

	return json_get_num(obj, key, &x) < 0 ? NAN : x;
}

/* The numbers of an array (null as NaN), malloc'ed. */
static double *
numbers(const struct json *a, size_t *n)
{
	double *x = xreallocarray(NULL, a->n + 1, sizeof *x);

	for (size_t i = 0; i < a->n; i++)
		x[i] = a->items[i].type == JSON_NUM ? a->items[i].num : NAN;
	*n = a->n;
	return x;
}

static void
check_pick(struct run *r)
{
	char where[64];
	double w;

	r->metric = need(&r->pick, "metric", JSON_STR, r->path, "")->str;
	r->cands = need(&r->pick, "candidates", JSON_ARR, r->path, "");
	need(&r->pick, "rows", JSON_NUM, r->path, "");
	w = need(&r->pick, "winner", JSON_NUM, r->path, "")->num;
	if (!(w >= 0 && w < (double)r->cands->n && w == floor(w)))
		die("%s: \"winner\" %.17g is not one of the %zu candidates", r->path, w,
		    r->cands->n);
	r->winner = (size_t)w;
	for (size_t i = 0; i < r->cands->n; i++) {
		const struct json *c = &r->cands->items[i];

		snprintf(where, sizeof where, "candidates[%zu]: ", i);
		if (c->type != JSON_OBJ)
			die("%s: candidates[%zu] is not an object", r->path, i);
		need(c, "file", JSON_STR, r->path, where);
		need(c, "metrics", JSON_OBJ, r->path, where);
		need(c, "confusion_matrix", JSON_ARR, r->path, where);
		need(c, "classification_report", JSON_OBJ, r->path, where);
		need(c, "roc", JSON_OBJ, r->path, where);
		need(c, "pr", JSON_OBJ, r->path, where);
		need(c, "calibration", JSON_OBJ, r->path, where);
		need(c, "importance", JSON_OBJ, r->path, where);
	}
}

static const char *
file_of(const struct run *r, size_t i)
{
	return json_get_str(&r->cands->items[i], "file");
}

static void
write_head(FILE *fp)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      fp);
	svg_escape(fp, opt.title);
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:12px 20px;color:#222}\n"
	      "h1{font-size:21px;margin:0 0 2px}\n"
	      "h2{font-size:17px;border-bottom:1px solid #ccc;margin:20px 0 "
	      "8px;padding-bottom:2px}\n"
	      "h3{font-size:14px;margin:4px 0}\n"
	      "p{margin:4px 0}\n"
	      ".figs,.cards{display:flex;flex-wrap:wrap;gap:12px}\n"
	      "figure{margin:0}\n"
	      "figcaption{font-size:12px;color:#555;max-width:400px}\n"
	      "svg{max-width:100%;height:auto}\n"
	      "table{border-collapse:collapse;font-size:13px;margin:4px 0}\n"
	      "th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}\n"
	      "th{background:#f2f2f2}\n"
	      ".l{text-align:left}\n"
	      ".chosen{background:#fde7d6}\n"
	      ".card{border:1px solid #ddd;border-radius:4px;padding:6px 10px}\n"
	      ".cm td{width:80px;height:40px;text-align:center}\n"
	      ".note{color:#555;font-size:12px}\n"
	      "code{font-size:12px;word-break:break-all}\n"
	      "@media print{body{margin:0;font-size:11px}"
	      "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	      "h2{break-after:avoid}figure,table,.card{break-inside:avoid}"
	      "section{break-before:auto}}\n"
	      "</style>\n</head>\n<body>\n",
	      fp);
}

static void
write_header(FILE *fp, const struct run *r)
{
	const struct json *reg = json_get(&r->pick, "registry");

	fputs("<header>\n<h1>", fp);
	svg_escape(fp, opt.title);
	fputs("</h1>\n<p>Chosen by <b>", fp);
	svg_escape(fp, r->metric);
	fputs("</b> on ", fp);
	fprintf(fp, "%.0f test rows: <b>", num(&r->pick, "rows"));
	svg_escape(fp, file_of(r, r->winner));
	fprintf(fp, "</b> (%s %.4f) of %zu candidates.", r->metric,
	        num(json_get(&r->cands->items[r->winner], "metrics"), r->metric), r->cands->n);
	if (reg != NULL && reg->type == JSON_OBJ && json_get_str(reg, "reason") != NULL) {
		fputs(" Registry: ", fp);
		svg_escape(fp, json_get_str(reg, "reason"));
		fputs(".", fp);
	}
	fputs("</p>\n</header>\n", fp);
}

/* The legend text of candidate i: its file, a score, and a mark when it was chosen. */
static void
legend_name(char *buf, size_t size, const struct run *r, size_t i, const char *what,
            const char *key)
{
	snprintf(buf, size, "%s (%s %.3f)%s", file_of(r, i), what,
	         num(json_get(&r->cands->items[i], "metrics"), key), i == r->winner ? " *" : "");
}

/* One figure of every candidate's curve named curve (its xkey and ykey arrays). */
struct curve_fig {
	const char *curve, *xkey, *ykey, *title, *xlabel, *ylabel;
	const char *score_name, *score_key; /* in the legend */
	int steps;                          /* drawn as steps (precision-recall) */
	const char *caption;
};

static void
curve_figure(FILE *fp, const struct run *r, const struct curve_fig *f, double baseline)
{
	size_t n = r->cands->n, nl = 0;
	struct svg_plot p = {fp, 400, 0, 52, 12, 30, 50 + svg_legend_height(n), 0, 1, 0, 1};
	const char **names = xcalloc(n + 1, sizeof *names),
	           **colors = xcalloc(n + 1, sizeof *colors);
	const char **dashes = xcalloc(n + 1, sizeof *dashes);
	char attrs[128];

	p.height = 330 + p.bottom; /* the area, then the axis labels and the legend */
	fprintf(fp, "<figure id=\"fig-%s\">\n", f->curve);
	svg_begin(&p, f->title);
	svg_text(&p, p.width / 2, 18, "middle", 14, f->title);
	svg_axes(&p, 0.1, 0.1, f->xlabel, f->ylabel);
	if (strcmp(f->curve, "pr") == 0)
		svg_line(&p, 0, baseline, 1, baseline, "#888", 1, "4 4");
	else
		svg_line(&p, 0, 0, 1, 1, "#888", 1, "4 4");
	for (size_t i = 0; i < n; i++) {
		const struct json *c = json_get(&r->cands->items[i], f->curve);
		const struct json *xa = json_get(c, f->xkey), *ya = json_get(c, f->ykey);
		double *x, *y;
		size_t nx, ny;
		char name[256];

		if (xa == NULL || ya == NULL || xa->type != JSON_ARR || ya->type != JSON_ARR ||
		    xa->n != ya->n)
			die("%s: candidates[%zu]: \"%s\" lacks equal arrays \"%s\" and \"%s\"",
			    r->path, i, f->curve, f->xkey, f->ykey);
		x = numbers(xa, &nx);
		y = numbers(ya, &ny);
		snprintf(attrs, sizeof attrs, "data-curve=\"%s\" data-candidate=\"%zu\"", f->curve,
		         i);
		svg_polyline(&p, x, y, nx, f->steps, palette[i % NCOLORS],
		             i >= NCOLORS ? "6 3" : NULL, attrs);
		if (strcmp(f->curve, "calibration") == 0)
			for (size_t k = 0; k < nx; k++) {
				snprintf(name, sizeof name, "%s: mean P %.3f, %.1f%% positive",
				         file_of(r, i), x[k], 100 * y[k]);
				svg_dot(&p, x[k], y[k], 3.5, palette[i % NCOLORS], name);
			}
		legend_name(name, sizeof name, r, i, f->score_name, f->score_key);
		names[nl] = xstrdup(name);
		dashes[nl] = i >= NCOLORS ? "6 3" : NULL;
		colors[nl++] = palette[i % NCOLORS];
		free(x);
		free(y);
	}
	svg_legend(&p, nl, names, colors, dashes, "b");
	svg_end(&p);
	fputs("<figcaption>", fp);
	svg_escape(fp, f->caption);
	fputs("</figcaption>\n</figure>\n", fp);
	for (size_t i = 0; i < nl; i++)
		free((char *)names[i]);
	free(names);
	free(colors);
	free(dashes);
}

static void
write_curves(FILE *fp, const struct run *r)
{
	static const struct curve_fig roc = {
	        .curve = "roc",
	        .xkey = "fpr",
	        .ykey = "tpr",
	        .title = "ROC curve",
	        .xlabel = "False positive rate",
	        .ylabel = "True positive rate",
	        .score_name = "AUC",
	        .score_key = "roc_auc",
	        .caption = "Test rows; dashed: chance. * marks the chosen model. Points as "
	                   "roc_curve."};
	static const struct curve_fig pr = {
	        .curve = "pr",
	        .xkey = "recall",
	        .ykey = "precision",
	        .title = "Precision-recall curve",
	        .xlabel = "Recall",
	        .ylabel = "Precision",
	        .score_name = "AP",
	        .score_key = "average_precision",
	        .steps = 1,
	        .caption = "Dashed: the share of positives. AP is average precision, the area "
	                   "under these steps. Points as precision_recall_curve."};
	static const struct curve_fig cal = {
	        .curve = "calibration",
	        .xkey = "prob_pred",
	        .ykey = "prob_true",
	        .title = "Calibration",
	        .xlabel = "Mean predicted P(y = 1)",
	        .ylabel = "Fraction of positives",
	        .score_name = "log loss",
	        .score_key = "log_loss",
	        .caption = "10 uniform bins (empty bins left out); dashed: perfectly "
	                   "calibrated."};
	const struct json *cr = json_get(&r->cands->items[0], "classification_report");
	double pos = num(json_get(cr, "1"), "support"), rows = num(&r->pick, "rows");

	fputs("<section id=\"curves\">\n<h2>Curves on the test rows</h2>\n<div class=\"figs\">\n",
	      fp);
	curve_figure(fp, r, &roc, 0);
	curve_figure(fp, r, &pr, rows > 0 ? pos / rows : 0);
	curve_figure(fp, r, &cal, 0);
	fputs("</div>\n</section>\n", fp);
}

static void
write_num_cell(FILE *fp, double x, int bold)
{
	if (isnan(x))
		fputs("<td>–</td>", fp);
	else
		fprintf(fp, bold ? "<td><b>%.4f</b></td>" : "<td>%.4f</td>", x);
}

static void
write_metrics(FILE *fp, const struct run *r)
{
	const struct json *prod = r->prod ? json_get(r->prod->event, "metrics") : NULL;
	const struct json *reg = json_get(&r->pick, "registry");

	fputs("<section id=\"metrics\">\n<h2>Metrics</h2>\n<table>\n<tr><th "
	      "class=\"l\">metric</th>",
	      fp);
	for (size_t i = 0; i < r->cands->n; i++) {
		fputs(i == r->winner ? "<th class=\"chosen\">" : "<th>", fp);
		svg_escape(fp, file_of(r, i));
		fputs(i == r->winner ? " (chosen)</th>" : "</th>", fp);
	}
	if (prod != NULL) {
		fputs("<th>production ", fp);
		svg_escape(fp, r->model);
		fprintf(fp, "@%ld</th>", r->prod->version);
	}
	fputs("</tr>\n", fp);
	for (size_t k = 0; binary_report_metrics[k] != NULL; k++) {
		const char *m = binary_report_metrics[k];
		double best = NAN;

		for (size_t i = 0; i < r->cands->n; i++) {
			double x = num(json_get(&r->cands->items[i], "metrics"), m);

			if (isnan(best) || (binary_report_lower_better(m) ? x < best : x > best))
				best = x;
		}
		fprintf(fp, "<tr><td class=\"l\">%s%s</td>", m,
		        strcmp(m, r->metric) == 0 ? " (selection)" : "");
		for (size_t i = 0; i < r->cands->n; i++) {
			double x = num(json_get(&r->cands->items[i], "metrics"), m);

			write_num_cell(fp, x, x == best && r->cands->n > 1);
		}
		if (prod != NULL)
			write_num_cell(fp, num(prod, m), 0);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n<p class=\"note\">Bold: the best candidate on the row.", fp);
	if (prod != NULL)
		fputs(" Production's metrics are those recorded when it was registered, on the "
		      "test "
		      "rows of its own run.",
		      fp);
	if (reg != NULL && reg->type == JSON_OBJ && !isnan(num(reg, "production_score")))
		fprintf(fp, " Production's %s on these test rows, measured by pick-best: %.4f.",
		        r->metric, num(reg, "production_score"));
	if (r->has_reg && r->prod == NULL) {
		fputs(" No production version of ", fp);
		svg_escape(fp, r->model);
		fputs(" in the registry.", fp);
	}
	fputs("</p>\n</section>\n", fp);
}

static void
write_confusion(FILE *fp, const struct json *c)
{
	const struct json *m = json_get(c, "confusion_matrix");
	double v[2][2] = {{0, 0}, {0, 0}}, max = 1;

	for (size_t i = 0; i < 2 && i < m->n; i++)
		for (size_t j = 0; j < 2 && j < m->items[i].n; j++) {
			v[i][j] = m->items[i].items[j].num;
			max = fmax(max, v[i][j]);
		}
	fputs("<table class=\"cm\">\n<tr><th></th><th>predicted 0</th><th>predicted 1</th></tr>\n",
	      fp);
	for (int i = 0; i < 2; i++) {
		double row = v[i][0] + v[i][1];

		fprintf(fp, "<tr><th>actual %d</th>", i);
		for (int j = 0; j < 2; j++) {
			double a = v[i][j] / max;

			fprintf(fp,
			        "<td style=\"background:rgba(0,114,178,%.3f);color:%s\">%.0f<br>"
			        "<small>%.1f%%</small></td>",
			        0.08 + 0.85 * a, a > 0.5 ? "#fff" : "#222", v[i][j],
			        row > 0 ? 100 * v[i][j] / row : 0);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static void
write_class_report(FILE *fp, const struct json *c)
{
	static const char *const rows[] = {"0", "1", "macro avg", "weighted avg"};
	const struct json *cr = json_get(c, "classification_report");

	fputs("<table>\n<tr><th></th><th>precision</th><th>recall</th><th>f1-score</th>"
	      "<th>support</th></tr>\n",
	      fp);
	for (size_t i = 0; i < 4; i++) {
		const struct json *row = json_get(cr, rows[i]);

		if (i == 2)
			fprintf(fp,
			        "<tr><th class=\"l\">accuracy</th><td></td><td></td><td>%.3f</td>"
			        "<td>%.0f</td></tr>\n",
			        num(cr, "accuracy"), num(json_get(cr, "macro avg"), "support"));
		fprintf(fp,
		        "<tr><th class=\"l\">%s</th><td>%.3f</td><td>%.3f</td><td>%.3f</td>"
		        "<td>%.0f</td></tr>\n",
		        rows[i], num(row, "precision"), num(row, "recall"), num(row, "f1-score"),
		        num(row, "support"));
	}
	fputs("</table>\n", fp);
}

static void
write_tables(FILE *fp, const struct run *r)
{
	fputs("<section id=\"confusion\">\n<h2>Confusion matrices and classification reports</h2>\n"
	      "<div class=\"cards\">\n",
	      fp);
	for (size_t i = 0; i < r->cands->n; i++) {
		const struct json *c = &r->cands->items[i];

		fprintf(fp, "<div class=\"card%s\">\n<h3>", i == r->winner ? " chosen" : "");
		svg_escape(fp, file_of(r, i));
		fputs(i == r->winner ? " (chosen)</h3>\n" : "</h3>\n", fp);
		write_confusion(fp, c);
		write_class_report(fp, c);
		fputs("</div>\n", fp);
	}
	fputs("</div>\n<p class=\"note\">A row is predicted 1 when P(y = 1) &gt; 0.5; the "
	      "percentages are of the actual class.</p>\n</section>\n",
	      fp);
}

/* "C=0.5, penalty=l2" */
static void
params_text(char *buf, size_t size, const struct json *params)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; params != NULL && params->type == JSON_OBJ && i < params->n; i++) {
		const struct json *v = &params->items[i];
		char val[64];

		if (v->type == JSON_STR)
			snprintf(val, sizeof val, "%s", v->str);
		else
			format_f64(val, sizeof val, v->num);
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s=%s",
		                        i ? ", " : "", params->keys[i], val);
	}
}

static void
cv_figure(FILE *fp, const char *path, const struct json *search)
{
	const struct json *cands = json_get(search, "candidates");
	const char *scoring = json_get_str(search, "scoring");
	size_t n = cands->n;
	struct svg_strip *strips = xcalloc(n + 1, sizeof *strips);
	struct svg_strip_style st = {.xlabel = "Candidate",
	                             .ylabel = scoring ? scoring : "score",
	                             .point_name = "fold",
	                             .color = palette[0],
	                             .hcolor = CHOSEN,
	                             .mark = "chosen",
	                             .highlight = -1};
	char title[640];

	/* no candidate marked when "best" is not one of them */
	if (json_get_int(search, "best", 0, (long)n - 1, &st.highlight) < 0)
		st.highlight = -1;
	for (size_t i = 0; i < n; i++) {
		const struct json *c = &cands->items[i], *f = json_get(c, "fold_scores");
		char text[512];

		if (f != NULL && f->type == JSON_ARR)
			strips[i].points = numbers(f, &strips[i].npoints);
		strips[i].mean = num(c, "mean");
		params_text(text, sizeof text, json_get(c, "params"));
		strips[i].tip = xstrdup(text);
	}
	snprintf(title, sizeof title, "CV %s of %zu candidates (%s)", st.ylabel, n, path);
	fputs("<figure class=\"cv\">\n", fp);
	if (svg_strip_chart(fp, 1200, 300, title, strips, n, &st) < 0)
		fputs("<p>Every candidate failed.</p>\n", fp);
	fputs("<figcaption>Dots: fold scores; bar: the mean; line: the range over folds; "
	      "&#215;: a failed candidate.</figcaption>\n</figure>\n",
	      fp);
	for (size_t i = 0; i < n; i++) {
		free((double *)strips[i].points);
		free((char *)strips[i].tip);
	}
	free(strips);
}

/* The search's candidates, best mean first (at most 10). */
static void
cv_table(FILE *fp, const struct json *search)
{
	const struct json *cands = json_get(search, "candidates");
	size_t n = cands->n, *order = xreallocarray(NULL, n + 1, sizeof *order), shown = 0;
	double total = 0;
	char text[512];

	for (size_t i = 0; i < n; i++) {
		order[i] = i;
		total += isnan(num(&cands->items[i], "fit_seconds"))
		                 ? 0
		                 : num(&cands->items[i], "fit_seconds");
	}
	/* insertion sort by mean, highest first, failed last; stable */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			double a = num(&cands->items[order[j]], "mean");
			double b = num(&cands->items[order[j - 1]], "mean");

			if (isnan(a) || (!isnan(b) && a <= b))
				break;
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	fprintf(fp,
	        "<table>\n<tr><th>rank</th><th>#</th><th class=\"l\">parameters</th><th>mean</th>"
	        "<th>sd</th><th>fit s</th></tr>\n");
	for (size_t k = 0; k < n && shown < 10; k++, shown++) {
		const struct json *c = &cands->items[order[k]];

		params_text(text, sizeof text, json_get(c, "params"));
		fprintf(fp, "<tr%s><td>%zu</td><td>%zu</td><td class=\"l\">",
		        (double)order[k] == num(search, "best") ? " class=\"chosen\"" : "", k + 1,
		        order[k] + 1);
		svg_escape(fp, text);
		if (json_get_str(c, "failure") != NULL) {
			fputs("; failed: ", fp);
			svg_escape(fp, json_get_str(c, "failure"));
		}
		fputs("</td>", fp);
		write_num_cell(fp, num(c, "mean"), 0);
		write_num_cell(fp, num(c, "sd"), 0);
		fprintf(fp, "<td>%.3f</td></tr>\n", num(c, "fit_seconds"));
	}
	fprintf(fp,
	        "</table>\n<p class=\"note\">%zu candidates, %.0f folds; fitting took %.3f s "
	        "in all.</p>\n",
	        n, num(search, "folds"), total);
	free(order);
}

static void
write_searches(FILE *fp, const struct run *r)
{
	if (opt.nsearches == 0)
		return;
	fputs("<section id=\"cv\">\n<h2>Cross-validation of the searches</h2>\n", fp);
	for (size_t i = 0; i < opt.nsearches; i++) {
		const struct json *s = json_get(&r->searches[i], "search");

		fputs("<h3>", fp);
		svg_escape(fp, opt.searches[i]);
		fputs("</h3>\n", fp);
		if (s == NULL || s->type != JSON_OBJ || json_get(s, "candidates") == NULL ||
		    json_get(s, "candidates")->type != JSON_ARR) {
			fputs("<p>No search: a single fit.</p>\n", fp);
			continue;
		}
		cv_figure(fp, opt.searches[i], s);
		cv_table(fp, s);
	}
	fputs("</section>\n", fp);
}

/* Feature indices by importance, highest first (stable). */
static size_t *
rank_features(const double *v, size_t n)
{
	size_t *order = xreallocarray(NULL, n + 1, sizeof *order);

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[order[j]] > v[order[j - 1]]; j--) {
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return order;
}

#define MAX_BARS 20

static void
importance_figure(FILE *fp, const struct run *r, size_t ci)
{
	const struct json *imp = json_get(&r->cands->items[ci], "importance");
	const struct json *names = json_get(imp, "features"), *va = json_get(imp, "values");
	const char *measure = json_get_str(imp, "measure");
	const char *labels[MAX_BARS];
	double *v, top[MAX_BARS];
	size_t n, nbars, *order;
	char title[256];
	int gain;

	if (measure == NULL || names == NULL || va == NULL || va->type != JSON_ARR ||
	    names->type != JSON_ARR || names->n != va->n)
		return;
	gain = strcmp(measure, "gain") == 0;
	v = numbers(va, &n);
	order = rank_features(v, n);
	nbars = n < MAX_BARS ? n : MAX_BARS;
	for (size_t k = 0; k < nbars; k++) {
		const struct json *name = &names->items[order[k]];

		labels[k] = name->type == JSON_STR ? name->str : "?";
		top[k] = v[order[k]];
	}
	snprintf(title, sizeof title, "%s: %s", file_of(r, ci),
	         gain ? "average gain of the feature's splits" : "|coefficient|");
	fputs("<figure class=\"importance\">\n", fp);
	svg_bar_chart(fp, 590, title, gain ? "Average gain" : "|Coefficient|", labels, top, nbars,
	              palette[ci % NCOLORS]);
	fprintf(fp, "<figcaption>The %zu most important of %zu features.</figcaption>\n</figure>\n",
	        nbars, n);
	free(order);
	free(v);
}

static void
write_importance(FILE *fp, const struct run *r)
{
	fputs("<section id=\"importance\">\n<h2>Feature importance</h2>\n<div class=\"figs\">\n",
	      fp);
	for (size_t i = 0; i < r->cands->n; i++)
		importance_figure(fp, r, i);
	fputs("</div>\n<p class=\"note\">|coefficient| for a logistic regression (on the encoded "
	      "features), XGBoost's gain for trees.</p>\n</section>\n",
	      fp);
}

static void
write_candidates_info(FILE *fp, const struct run *r)
{
	char text[1024];

	fputs("<table>\n<tr><th class=\"l\">model</th><th class=\"l\">kind</th>"
	      "<th class=\"l\">parameters</th><th class=\"l\">sha256</th></tr>\n",
	      fp);
	for (size_t i = 0; i < r->cands->n; i++) {
		const struct json *c = &r->cands->items[i];
		const char *kind = json_get_str(c, "kind"), *sha = json_get_str(c, "sha256");

		params_text(text, sizeof text, json_get(c, "params"));
		fprintf(fp, "<tr%s><td class=\"l\">", i == r->winner ? " class=\"chosen\"" : "");
		svg_escape(fp, file_of(r, i));
		fputs("</td><td class=\"l\">", fp);
		svg_escape(fp, kind ? kind : "");
		fputs("</td><td class=\"l\">", fp);
		svg_escape(fp, text);
		fputs("</td><td class=\"l\"><code>", fp);
		svg_escape(fp, sha ? sha : "");
		fputs("</code></td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* The registry's last runs: tool, start, duration, version, input. */
static void
write_runs(FILE *fp, const struct run *r)
{
	static const char *const cols[] = {"start", "tool", "pipeml_version", "input_sha256",
	                                   "run"};
	size_t nruns = 0, shown = 0;

	for (size_t i = 0; i < r->reg.nevents; i++)
		nruns += json_get_str(&r->reg.events[i], "event") != NULL &&
		         strcmp(json_get_str(&r->reg.events[i], "event"), "run") == 0;
	fprintf(fp, "<h3>Runs in the registry (the last %d of %zu)</h3>\n",
	        nruns < 12 ? (int)nruns : 12, nruns);
	fputs("<table>\n<tr><th class=\"l\">start</th><th class=\"l\">tool</th>"
	      "<th class=\"l\">version</th><th class=\"l\">input sha256</th><th "
	      "class=\"l\">run</th>"
	      "<th>seconds</th></tr>\n",
	      fp);
	for (size_t i = r->reg.nevents; i-- > 0 && shown < 12;) {
		const struct json *e = &r->reg.events[i];
		const char *ev = json_get_str(e, "event");

		if (ev == NULL || strcmp(ev, "run") != 0)
			continue;
		shown++;
		fputs("<tr>", fp);
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			const char *v = json_get_str(e, cols[k]);

			fputs("<td class=\"l\"><code>", fp);
			svg_escape(fp, v ? v : "");
			fputs("</code></td>", fp);
		}
		fprintf(fp, "<td>%.3f</td></tr>\n", num(e, "duration"));
	}
	fputs("</table>\n", fp);
}

static void
write_run_info(FILE *fp, const struct run *r)
{
	const char *sha = json_get_str(&r->pick, "data_sha256");

	fputs("<section id=\"run\">\n<h2>Run</h2>\n<p>Test data sha256 <code>", fp);
	svg_escape(fp, sha ? sha : "unknown");
	fprintf(fp, "</code>, %.0f rows. Selection metric ", num(&r->pick, "rows"));
	svg_escape(fp, r->metric);
	fputs(". Page made by report " PIPEML_VERSION " from <code>", fp);
	svg_escape(fp, r->path);
	fputs("</code>.</p>\n", fp);
	write_candidates_info(fp, r);
	for (size_t i = 0; i < opt.nsearches; i++) {
		const struct json *fit = json_get(&r->searches[i], "fit");

		if (fit == NULL || fit->type != JSON_OBJ)
			continue;
		fputs("<p>", fp);
		svg_escape(fp, opt.searches[i]);
		fprintf(fp, ": final fit in %.0f iterations, objective %.6g, %s.</p>\n",
		        num(fit, "iterations"), num(fit, "objective"),
		        json_get(fit, "converged") && json_get(fit, "converged")->num
		                ? "converged"
		                : "not converged");
	}
	if (r->has_reg)
		write_runs(fp, r);
	fputs("</section>\n", fp);
}

static void
open_registry(struct run *r)
{
	const struct json *reg = json_get(&r->pick, "registry");
	char err[1024];

	r->model = opt.name;
	if (r->model == NULL && reg != NULL && reg->type == JSON_OBJ)
		r->model = json_get_str(reg, "model");
	if (r->model == NULL)
		r->model = "lead_model";
	if (opt.registry == NULL)
		return;
	if (registry_open(&r->reg, opt.registry, 0, err, sizeof err) < 0)
		die("%s", err);
	r->has_reg = 1;
	r->prod = registry_stage(&r->reg, r->model, STAGE_PRODUCTION);
}

int
main(int argc, char **argv)
{
	struct run r;

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	memset(&r, 0, sizeof r);
	r.path = load_json(optind < argc ? argv[optind] : NULL, &r.pick);
	if (r.pick.type != JSON_OBJ)
		die("%s: not a JSON object (pick-best --report)", r.path);
	check_pick(&r);
	r.searches = xcalloc(opt.nsearches + 1, sizeof *r.searches);
	for (size_t i = 0; i < opt.nsearches; i++)
		load_search(opt.searches[i], &r.searches[i]);
	open_registry(&r);
	write_head(stdout);
	write_header(stdout, &r);
	write_curves(stdout, &r);
	write_metrics(stdout, &r);
	write_tables(stdout, &r);
	write_searches(stdout, &r);
	write_importance(stdout, &r);
	write_run_info(stdout, &r);
	fputs("</body>\n</html>\n", stdout);
	fshut(stdout, "stdout");
	for (size_t i = 0; i < opt.nsearches; i++)
		json_free(&r.searches[i]);
	free(r.searches);
	free(opt.searches);
	json_free(&r.pick);
	if (r.has_reg)
		registry_close(&r.reg);
	return 0;
}
