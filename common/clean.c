#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <msgpack.h>
#include <msgpack/fbuffer.h>

#include "clean.h"
#include "colstats.h"
#include "model.h"
#include "date.h"
#include "json.h"
#include "strmap.h"
#include "util.h"

#define MAX_STATE_BYTES ((size_t)64 << 20)

enum kind { KIND_TEXT, KIND_CATEGORICAL, KIND_NUMERIC, KIND_DATE };
enum impute { IMPUTE_NONE, IMPUTE_MEAN, IMPUTE_MEDIAN, IMPUTE_MODE, IMPUTE_FILL };

static const char *const kind_names[] = {"text", "categorical", "numeric", "date"};
static const char *const impute_names[] = {"none", "mean", "median", "mode", "fill"};

/* Everything the rules say about one column, and what training learned about it. */
struct colrule {
	char *name;
	enum kind kind;
	int kind_set, categorical, window, has_min, has_max, drop, require, keep, role_set;
	int32_t date_min, date_max;
	char **keep_values;
	size_t nkeep_values;
	double clip_k; /* 0: not clipped */
	enum impute impute;
	char *fill_text; /* IMPUTE_FILL on text, IMPUTE_MODE once learned */
	double fill;     /* IMPUTE_FILL on numbers, IMPUTE_MEAN/MEDIAN once learned */
	enum col_role role;
	/* learned */
	int seen_dates;
	int32_t seen_min, seen_max;
	double clip_lo, clip_hi;
	uint64_t nclipped;
	struct moments clipped; /* after clipping, before imputing */
	char *mode;
	uint64_t mode_count;
	int mode_saturated;
	/* bound to the input */
	long field;  /* index in the input record, -1 when absent */
	long parsed; /* column of the parsed rows, -1 when dropped */
};

/* A derived column: name = map(src). */
struct maprule {
	char *name, *src;
	char **from, **to;
	size_t n;
	char *other; /* value for anything unmapped; NULL: missing */
	long src_parsed;
};

struct rule_arg {
	char *flag, *arg;
};

struct clean {
	struct rule_arg *args;
	size_t nargs;
	struct colrule *cols;
	size_t ncols;
	struct maprule *maps;
	size_t nmaps;
	char **order;
	size_t norder;
	int coerce, applying, learned, keep_all;
	double clip_all;
	char **state_header;
	size_t nstate_header;
	/* bound */
	const char *name;
	char **header;
	size_t nheader;
	size_t *parsed_rule; /* parsed column -> rule */
	long *out_parsed;    /* output column -> parsed column, or -1 - map index */
	struct schema parsed, out;
	size_t *window_rules, nwindow, *date_rules, ndate, *required, nrequired, *keeps, nkeeps;
	size_t *numeric, nnumeric;
	int32_t *row_days; /* per parsed column: the row's date */
	double *row_num;   /* per parsed column: the row's number */
	long target;
	struct clean_counts counts;
};

struct clean *
clean_new(void)
{
	struct clean *c = xcalloc(1, sizeof *c);

	schema_init(&c->parsed);
	schema_init(&c->out);
	c->target = -1;
	return c;
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
clean_free(struct clean *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nargs; i++) {
		free(c->args[i].flag);
		free(c->args[i].arg);
	}
	for (size_t i = 0; i < c->ncols; i++) {
		struct colrule *r = &c->cols[i];

		free(r->name);
		free_list(r->keep_values, r->nkeep_values);
		free(r->fill_text);
		free(r->mode);
	}
	for (size_t i = 0; i < c->nmaps; i++) {
		free(c->maps[i].name);
		free(c->maps[i].src);
		free_list(c->maps[i].from, c->maps[i].n);
		free_list(c->maps[i].to, c->maps[i].n);
		free(c->maps[i].other);
	}
	free(c->args);
	free(c->cols);
	free(c->maps);
	free_list(c->order, c->norder);
	free_list(c->state_header, c->nstate_header);
	free_list(c->header, c->nheader);
	free(c->parsed_rule);
	free(c->out_parsed);
	free(c->window_rules);
	free(c->date_rules);
	free(c->required);
	free(c->keeps);
	free(c->numeric);
	free(c->row_days);
	free(c->row_num);
	schema_free(&c->parsed);
	schema_free(&c->out);
	free(c);
}

static struct colrule *
rule_for(struct clean *c, const char *name, size_t len)
{
	struct colrule *r;

	for (size_t i = 0; i < c->ncols; i++)
		if (strlen(c->cols[i].name) == len && memcmp(c->cols[i].name, name, len) == 0)
			return &c->cols[i];
	c->cols = xreallocarray(c->cols, c->ncols + 1, sizeof *c->cols);
	r = &c->cols[c->ncols++];
	memset(r, 0, sizeof *r);
	r->name = xstrndup(name, len);
	r->field = r->parsed = -1;
	r->clip_lo = -INFINITY;
	r->clip_hi = INFINITY;
	return r;
}

static struct colrule *
find_rule(const struct clean *c, const char *name)
{
	for (size_t i = 0; i < c->ncols; i++)
		if (strcmp(c->cols[i].name, name) == 0)
			return &c->cols[i];
	return NULL;
}

/* Split s at commas into a fresh list; empty items are an error. */
static int
split_list(const char *s, char ***out, size_t *n, const char *flag, char *err, size_t errsize)
{
	const char *p = s;

	*out = NULL;
	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0) {
			free_list(*out, *n);
			*out = NULL;
			*n = 0;
			return errf(err, errsize, "--%s %s: an empty name in the list", flag, s);
		}
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = xstrndup(p, len);
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int
parse_window(struct colrule *r, const char *s, const char *arg, char *err, size_t errsize)
{
	const char *dots = strstr(s, "..");

	r->window = 0;
	if (*s == '\0')
		return 0;
	if (dots == NULL)
		return errf(err, errsize, "--date %s: expected COLUMN or COLUMN=MIN..MAX", arg);
	r->window = 1;
	r->has_min = dots > s;
	r->has_max = dots[2] != '\0';
	if (r->has_min && date_parse(s, (size_t)(dots - s), &r->date_min) != 0)
		return errf(err, errsize, "--date %s: '%.*s' is not a date (YYYY-MM-DD)", arg,
		            (int)(dots - s), s);
	if (r->has_max && date_parse(dots + 2, strlen(dots + 2), &r->date_max) != 0)
		return errf(err, errsize, "--date %s: '%s' is not a date (YYYY-MM-DD)", arg,
		            dots + 2);
	if (r->has_min && r->has_max && r->date_min > r->date_max)
		return errf(err, errsize, "--date %s: the window is empty (MIN after MAX)", arg);
	return 0;
}

/* Apply fn to every column of a comma-separated list. */
static int
each_column(struct clean *c, const char *flag, const char *list,
            int (*fn)(struct colrule *, void *), void *ctx, char *err, size_t errsize)
{
	char **names;
	size_t n;
	int rc = 0;

	if (split_list(list, &names, &n, flag, err, errsize) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct colrule *r = rule_for(c, names[i], strlen(names[i]));

		rc = fn(r, ctx);
		if (rc != 0)
			fmtbuf(err, errsize, "--%s: column '%s' %s", flag, r->name,
			       (const char *)ctx);
	}
	free_list(names, n);
	return rc;
}

static int
set_drop(struct colrule *r, void *ctx)
{
	(void)ctx;
	r->drop = 1;
	return 0;
}

static int
set_require(struct colrule *r, void *ctx)
{
	(void)ctx;
	r->require = 1;
	return 0;
}

static int
set_categorical(struct colrule *r, void *ctx)
{
	(void)ctx;
	r->categorical = 1; /* a date column may be categorical too */
	if (r->kind_set && r->kind == KIND_DATE)
		return 0;
	if (r->kind_set && r->kind != KIND_CATEGORICAL)
		return -1;
	r->kind = KIND_CATEGORICAL;
	r->kind_set = 1;
	return 0;
}

static int
set_numeric(struct colrule *r, void *ctx)
{
	(void)ctx;
	if (r->kind_set && r->kind != KIND_NUMERIC)
		return -1;
	r->kind = KIND_NUMERIC;
	r->kind_set = 1;
	return 0;
}

struct impute_arg {
	const char *why; /* first: the message on failure */
	enum impute how;
};

static int
set_impute(struct colrule *r, void *ctx)
{
	struct impute_arg *a = ctx;

	if (r->impute != IMPUTE_NONE)
		return -1;
	r->impute = a->how;
	return 0;
}

struct clip_arg {
	const char *why;
	double k;
};

static int
set_clip(struct colrule *r, void *ctx)
{
	r->clip_k = ((struct clip_arg *)ctx)->k;
	return 0;
}

static int
add_keep(struct clean *c, const char *arg, char *err, size_t errsize)
{
	const char *eq = strchr(arg, '=');
	struct colrule *r;

	if (eq == NULL || eq == arg)
		return errf(err, errsize, "--keep %s: expected COLUMN=VALUE[,VALUE...]", arg);
	r = rule_for(c, arg, (size_t)(eq - arg));
	if (r->keep)
		return errf(err, errsize, "--keep: column '%s' is given twice", r->name);
	r->keep = 1;
	if (eq[1] == '\0') { /* keep rows where the column is empty */
		r->keep_values = xcalloc(1, sizeof *r->keep_values);
		r->keep_values[0] = xstrdup("");
		r->nkeep_values = 1;
		return 0;
	}
	return split_list(eq + 1, &r->keep_values, &r->nkeep_values, "keep", err, errsize);
}

static int
add_fill(struct clean *c, const char *arg, char *err, size_t errsize)
{
	const char *eq = strchr(arg, '=');
	struct colrule *r;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		return errf(err, errsize, "--fill %s: expected COLUMN=VALUE", arg);
	r = rule_for(c, arg, (size_t)(eq - arg));
	if (r->impute != IMPUTE_NONE)
		return errf(err, errsize, "--fill: column '%s' already has an imputation rule",
		            r->name);
	r->impute = IMPUTE_FILL;
	r->fill_text = xstrdup(eq + 1);
	return 0;
}

static int
add_clip(struct clean *c, const char *arg, char *err, size_t errsize)
{
	const char *eq = strrchr(arg, '=');
	const char *num = eq ? eq + 1 : arg;
	struct clip_arg a = {"is given twice", 0};
	char *cols;
	int rc;

	if (parse_f64(num, strlen(num), &a.k) != 0 || !(a.k > 0) || isinf(a.k))
		return errf(err, errsize, "--clip %s: expected [COLUMNS=]K with K > 0", arg);
	if (eq == NULL) {
		c->clip_all = a.k;
		return 0;
	}
	cols = xstrndup(arg, (size_t)(eq - arg));
	rc = each_column(c, "clip", cols, set_clip, &a, err, errsize);
	free(cols);
	return rc;
}

static int
add_map(struct clean *c, const char *arg, char *err, size_t errsize)
{
	const char *eq = strchr(arg, '='), *colon = eq ? strchr(eq, ':') : NULL;
	struct maprule *m;
	char **pairs;
	size_t n;

	if (eq == NULL || eq == arg || colon == NULL || colon == eq + 1 || colon[1] == '\0')
		return errf(err, errsize, "--map %s: expected NEW=SOURCE:FROM=TO[,FROM=TO...]",
		            arg);
	if (split_list(colon + 1, &pairs, &n, "map", err, errsize) != 0)
		return -1;
	c->maps = xreallocarray(c->maps, c->nmaps + 1, sizeof *c->maps);
	m = &c->maps[c->nmaps++];
	memset(m, 0, sizeof *m);
	m->name = xstrndup(arg, (size_t)(eq - arg));
	m->src = xstrndup(eq + 1, (size_t)(colon - eq - 1));
	m->src_parsed = -1;
	for (size_t i = 0; i < n; i++) {
		char *to = strchr(pairs[i], '=');

		if (to == NULL || to == pairs[i] || to[1] == '\0') {
			fmtbuf(err, errsize, "--map %s: '%s' is not FROM=TO", arg, pairs[i]);
			free_list(pairs, n);
			return -1;
		}
		*to++ = '\0';
		if (strcmp(pairs[i], "*") == 0) {
			free(m->other);
			m->other = xstrdup(to);
			continue;
		}
		m->from = xreallocarray(m->from, m->n + 1, sizeof *m->from);
		m->to = xreallocarray(m->to, m->n + 1, sizeof *m->to);
		m->from[m->n] = xstrdup(pairs[i]);
		m->to[m->n++] = xstrdup(to);
	}
	free_list(pairs, n);
	return 0;
}

static int
add_role(struct clean *c, const char *arg, char *err, size_t errsize)
{
	const char *eq = strchr(arg, '=');
	struct colrule *r;
	enum col_role role;

	if (eq == NULL || eq == arg || col_role_parse(eq + 1, &role) != 0)
		return errf(err, errsize,
		            "--role %s: expected COLUMN=ROLE, ROLE one of feature, target, id, "
		            "fold, passthrough",
		            arg);
	r = rule_for(c, arg, (size_t)(eq - arg));
	r->role = role;
	r->role_set = 1;
	return 0;
}

static const char *const rule_flags[] = {
        "date",        "drop",   "require", "keep",        "categorical",
        "numeric",     "coerce", "clip",    "impute-mean", "impute-median",
        "impute-mode", "fill",   "map",     "order",       "role",
};

int
clean_is_rule(const char *flag)
{
	for (size_t i = 0; i < sizeof rule_flags / sizeof rule_flags[0]; i++)
		if (strcmp(flag, rule_flags[i]) == 0)
			return 1;
	return 0;
}

static int
add_rule(struct clean *c, const char *flag, const char *arg, char *err, size_t errsize)
{
	if (strcmp(flag, "coerce") == 0) {
		c->coerce = 1;
		return 0;
	}
	/* every other rule takes a value */
	if (arg == NULL)
		return errf(err, errsize, "--%s: a value is needed", flag);
	if (strcmp(flag, "date") == 0) {
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		struct colrule *r;

		if (len == 0)
			return errf(err, errsize, "--date %s: expected COLUMN[=MIN..MAX]", arg);
		r = rule_for(c, arg, len);
		if (r->kind_set && r->kind != KIND_DATE && r->kind != KIND_CATEGORICAL)
			return errf(err, errsize, "--date: column '%s' already has a kind",
			            r->name);
		r->kind = KIND_DATE;
		r->kind_set = 1;
		return parse_window(r, eq ? eq + 1 : "", arg, err, errsize);
	}
	if (strcmp(flag, "drop") == 0)
		return each_column(c, flag, arg, set_drop, "", err, errsize);
	if (strcmp(flag, "require") == 0)
		return each_column(c, flag, arg, set_require, "", err, errsize);
	if (strcmp(flag, "keep") == 0)
		return add_keep(c, arg, err, errsize);
	if (strcmp(flag, "categorical") == 0)
		return each_column(c, flag, arg, set_categorical, "already has another kind", err,
		                   errsize);
	if (strcmp(flag, "numeric") == 0)
		return each_column(c, flag, arg, set_numeric, "already has another kind", err,
		                   errsize);
	if (strcmp(flag, "clip") == 0)
		return add_clip(c, arg, err, errsize);
	if (strncmp(flag, "impute-", 7) == 0) {
		struct impute_arg a = {"already has an imputation rule", IMPUTE_MODE};

		if (strcmp(flag, "impute-mean") == 0)
			a.how = IMPUTE_MEAN;
		else if (strcmp(flag, "impute-median") == 0)
			a.how = IMPUTE_MEDIAN;
		else if (strcmp(flag, "impute-mode") != 0)
			return errf(err, errsize, "unknown rule --%s", flag);
		return each_column(c, flag, arg, set_impute, &a, err, errsize);
	}
	if (strcmp(flag, "fill") == 0)
		return add_fill(c, arg, err, errsize);
	if (strcmp(flag, "map") == 0)
		return add_map(c, arg, err, errsize);
	if (strcmp(flag, "order") == 0) {
		char **names;
		size_t n;

		if (split_list(arg, &names, &n, flag, err, errsize) != 0)
			return -1;
		c->order = xreallocarray(c->order, c->norder + n, sizeof *c->order);
		memcpy(c->order + c->norder, names, n * sizeof *names);
		c->norder += n;
		free(names);
		return 0;
	}
	if (strcmp(flag, "role") == 0)
		return add_role(c, arg, err, errsize);
	return errf(err, errsize, "unknown rule --%s", flag);
}

int
clean_add_rule(struct clean *c, const char *flag, const char *arg, char *err, size_t errsize)
{
	if (c->applying)
		return errf(err, errsize, "--%s: rules come from the state in apply mode", flag);
	if (add_rule(c, flag, arg, err, errsize) != 0)
		return -1;
	c->args = xreallocarray(c->args, c->nargs + 1, sizeof *c->args);
	c->args[c->nargs].flag = xstrdup(flag);
	c->args[c->nargs].arg = arg ? xstrdup(arg) : NULL;
	c->nargs++;
	return 0;
}

int
clean_check_rules(struct clean *c, char *err, size_t errsize)
{
	size_t ntarget = 0;

	for (size_t i = 0; i < c->ncols; i++) {
		struct colrule *r = &c->cols[i];
		int numeric = r->kind == KIND_NUMERIC;

		if (r->clip_k == 0 && numeric)
			r->clip_k = c->clip_all;
		if (r->drop && (r->require || r->keep || (r->kind_set && r->kind != KIND_DATE) ||
		                r->clip_k > 0 || r->impute || r->role_set))
			return errf(err, errsize,
			            "column '%s' is dropped, yet a later rule names it", r->name);
		if (r->clip_k > 0 && !numeric)
			return errf(err, errsize, "--clip: column '%s' is not --numeric", r->name);
		if ((r->impute == IMPUTE_MEAN || r->impute == IMPUTE_MEDIAN) && !numeric)
			return errf(err, errsize, "--impute-%s: column '%s' is not --numeric",
			            impute_names[r->impute], r->name);
		if (r->impute == IMPUTE_MODE && numeric)
			return errf(err, errsize,
			            "--impute-mode: column '%s' is numeric (use --impute-mean "
			            "or --impute-median)",
			            r->name);
		if (r->impute == IMPUTE_FILL && numeric &&
		    parse_f64(r->fill_text, strlen(r->fill_text), &r->fill) != 0)
			return errf(err, errsize,
			            "--fill: '%s' is not a number for numeric column '%s'",
			            r->fill_text, r->name);
		if (r->role_set && r->role == ROLE_TARGET) {
			ntarget++;
			if (r->impute)
				return errf(err, errsize,
				            "column '%s' is the target: it is never imputed",
				            r->name);
		}
	}
	if (ntarget > 1)
		return errf(err, errsize, "--role: more than one target column");
	for (size_t k = 0; k < c->nmaps; k++) {
		struct colrule *src = find_rule(c, c->maps[k].src);

		if (src && src->drop)
			return errf(err, errsize, "--map: source column '%s' is dropped",
			            src->name);
		if (src && src->kind == KIND_NUMERIC)
			return errf(err, errsize, "--map: source column '%s' is numeric",
			            src->name);
		if (find_rule(c, c->maps[k].name) && !find_rule(c, c->maps[k].name)->role_set)
			return errf(
			        err, errsize,
			        "--map: column '%s' exists or is named by a rule other than --role",
			        c->maps[k].name);
		for (size_t j = 0; j < k; j++)
			if (strcmp(c->maps[j].name, c->maps[k].name) == 0)
				return errf(err, errsize, "--map: column '%s' is derived twice",
				            c->maps[k].name);
	}
	return 0;
}

int
clean_is_applying(const struct clean *c)
{
	return c->applying;
}

int
clean_keep_all(struct clean *c)
{
	if (!c->applying)
		return -1;
	c->keep_all = 1;
	return 0;
}

static const struct maprule *
find_map(const struct clean *c, const char *name)
{
	for (size_t k = 0; k < c->nmaps; k++)
		if (strcmp(c->maps[k].name, name) == 0)
			return &c->maps[k];
	return NULL;
}

/* Whether name is a column of the state's schema. */
static int
in_state_header(const struct clean *c, const char *name)
{
	for (size_t j = 0; j < c->nstate_header; j++)
		if (strcmp(c->state_header[j], name) == 0)
			return 1;
	return 0;
}

/*
 * With a state, raw columns are matched by name, in any order: every column of the state's
 * schema must be in the header (the target alone may be missing); the header's other
 * columns are ignored, each with a warning.
 */
static int
check_header(const struct clean *c, const struct csv_row *h, char *err, size_t errsize)
{
	size_t extra = 0;

	for (size_t j = 0; j < c->nstate_header; j++) {
		const struct colrule *r = find_rule(c, c->state_header[j]);
		size_t i = 0;

		while (i < h->nfields && strcmp(h->fields[i], c->state_header[j]) != 0)
			i++;
		if (i < h->nfields || (r && r->role_set && r->role == ROLE_TARGET))
			continue;
		return errf(err, errsize,
		            "%s:%llu: the header lacks column '%s' of the state's schema", c->name,
		            (unsigned long long)h->line, c->state_header[j]);
	}
	for (size_t i = 0; i < h->nfields; i++) {
		if (in_state_header(c, h->fields[i]))
			continue;
		if (extra++ < 10)
			warn("%s:%llu: column '%s' is not in the state's schema: ignored", c->name,
			     (unsigned long long)h->line, h->fields[i]);
	}
	if (extra > 10)
		warn("%s:%llu: and %zu more columns not in the state's schema: ignored", c->name,
		     (unsigned long long)h->line, extra - 10);
	return 0;
}

static size_t *
push_index(size_t *v, size_t *n, size_t x)
{
	v = xreallocarray(v, *n + 1, sizeof *v);
	v[(*n)++] = x;
	return v;
}

static enum col_type
type_of(const struct colrule *r)
{
	return r->kind == KIND_NUMERIC ? COL_F64 : COL_STR;
}

/* Output columns: the parsed ones, then the derived ones; --order moves some to the front. */
static int
build_output(struct clean *c, char *err, size_t errsize)
{
	size_t nall = c->parsed.ncols + c->nmaps, nout = 0;
	long *all = xcalloc(nall, sizeof *all);
	int *used = xcalloc(nall, sizeof *used);

	for (size_t j = 0; j < c->parsed.ncols; j++)
		all[j] = (long)j;
	for (size_t k = 0; k < c->nmaps; k++)
		all[c->parsed.ncols + k] = -1 - (long)k;
	c->out_parsed = xcalloc(nall, sizeof *c->out_parsed);
	for (size_t o = 0; o < c->norder; o++) {
		size_t j = 0;

		for (; j < nall; j++) {
			const char *name = all[j] >= 0 ? c->parsed.cols[all[j]].name
			                               : c->maps[-1 - all[j]].name;

			if (strcmp(name, c->order[o]) == 0)
				break;
		}
		if (j == nall || used[j]) {
			free(all);
			free(used);
			return errf(err, errsize, "--order: %s '%s'",
			            j == nall ? "no such output column" : "column given twice",
			            c->order[o]);
		}
		used[j] = 1;
		c->out_parsed[nout++] = all[j];
	}
	for (size_t j = 0; j < nall; j++)
		if (!used[j])
			c->out_parsed[nout++] = all[j];
	for (size_t j = 0; j < nout; j++) {
		long p = c->out_parsed[j];

		if (p >= 0) {
			const struct colrule *r = &c->cols[c->parsed_rule[p]];

			schema_add(&c->out, r->name, type_of(r), r->role);
		} else {
			const struct maprule *m = &c->maps[-1 - p];
			const struct colrule *r = find_rule(c, m->name);

			schema_add(&c->out, m->name, COL_STR, r ? r->role : ROLE_PASSTHROUGH);
		}
	}
	free(all);
	free(used);
	return 0;
}

/* The first flag that names a column, for messages. */
static const char *
named_by(const struct colrule *r)
{
	if (r->drop)
		return "--drop";
	if (r->kind == KIND_DATE)
		return "--date";
	if (r->require)
		return "--require";
	if (r->keep)
		return "--keep";
	if (r->kind_set)
		return r->categorical ? "--categorical" : "--numeric";
	if (r->clip_k > 0)
		return "--clip";
	if (r->impute) {
		static const char *const flags[] = {"", "--impute-mean", "--impute-median",
		                                    "--impute-mode", "--fill"};

		return flags[r->impute];
	}
	return r->role_set ? "--role" : "a rule";
}

int
clean_bind(struct clean *c, const struct csv_row *h, const char *name, char *err, size_t errsize)
{
	struct strmap seen;
	int dup = -1;

	c->name = name;
	strmap_init(&seen);
	for (size_t i = 0; i < h->nfields && dup < 0; i++) {
		if (strmap_put(&seen, h->fields[i], h->lens[i], i) != i)
			dup = (int)i;
		else if (h->lens[i] == 0)
			dup = -2 - (int)i;
	}
	strmap_free(&seen);
	if (dup >= 0)
		return errf(err, errsize, "%s:%llu: duplicate column name '%s' (column %d)", name,
		            (unsigned long long)h->line, h->fields[dup], dup + 1);
	if (dup < -1)
		return errf(err, errsize, "%s:%llu: column %d has an empty name", name,
		            (unsigned long long)h->line, -1 - dup);
	if (c->applying && check_header(c, h, err, errsize) != 0)
		return -1;
	c->nheader = h->nfields;
	c->header = xcalloc(h->nfields, sizeof *c->header);
	for (size_t i = 0; i < h->nfields; i++) {
		c->header[i] = xstrdup(h->fields[i]);
		if (!c->applying || in_state_header(c, h->fields[i]))
			rule_for(c, h->fields[i], h->lens[i])->field = (long)i;
	}
	/* A column the input lacks: an error, unless it is derived or an absent target. */
	for (size_t i = 0; i < c->ncols; i++) {
		struct colrule *r = &c->cols[i];

		if (r->field >= 0 || (r->role_set && find_map(c, r->name)))
			continue;
		if (c->applying && r->role_set && r->role == ROLE_TARGET)
			continue;
		return errf(err, errsize,
		            "%s:%llu: no such column '%s' in the header (named by %s)", name,
		            (unsigned long long)h->line, r->name, named_by(r));
	}
	/* Parsed columns: the kept input columns, in the order of the training data's header. */
	{
		char **names = c->applying ? c->state_header : c->header;
		size_t n = c->applying ? c->nstate_header : c->nheader;

		for (size_t i = 0; i < n; i++) {
			struct colrule *r = find_rule(c, names[i]);
			size_t k = (size_t)(r - c->cols), np = c->parsed.ncols;

			if (r->drop)
				continue;
			r->parsed = (long)np;
			schema_add(&c->parsed, r->name, type_of(r), r->role);
			c->parsed_rule = push_index(c->parsed_rule, &np, k);
			if (r->role_set && r->role == ROLE_TARGET)
				c->target = (long)k;
		}
	}
	for (size_t i = 0; i < c->ncols; i++) {
		const struct colrule *r = &c->cols[i];

		if (r->field < 0)
			continue;
		if (r->kind == KIND_DATE)
			c->date_rules = push_index(c->date_rules, &c->ndate, i);
		if (r->require)
			c->required = push_index(c->required, &c->nrequired, i);
		if (r->keep)
			c->keeps = push_index(c->keeps, &c->nkeeps, i);
		if (r->kind == KIND_NUMERIC && !r->drop)
			c->numeric = push_index(c->numeric, &c->nnumeric, i);
	}
	for (size_t k = 0; k < c->nmaps; k++) {
		const struct colrule *r = find_rule(c, c->maps[k].name);

		if (r && r->field >= 0)
			return errf(err, errsize,
			            "%s:%llu: --map: column '%s' is in the input already", name,
			            (unsigned long long)h->line, r->name);
		r = find_rule(c, c->maps[k].src);

		if (r == NULL || r->parsed < 0)
			return errf(err, errsize, "%s:%llu: no such column '%s' (named by --map)",
			            name, (unsigned long long)h->line, c->maps[k].src);
		c->maps[k].src_parsed = r->parsed;
	}
	c->row_days = xcalloc(c->ncols, sizeof *c->row_days);
	c->row_num = xcalloc(c->ncols, sizeof *c->row_num);
	if (build_output(c, err, errsize) != 0)
		return -1;
	schema_set_meta(&c->out, "tool", "csvclean");
	schema_set_meta(&c->out, "source", name);
	schema_set_meta(&c->out, "csvclean-mode", c->applying ? "apply" : "train");
	return 0;
}

static const char *
field_of(const struct csv_row *row, const struct colrule *r, size_t *len)
{
	if (r->field < 0) {
		*len = 0;
		return "";
	}
	*len = row->lens[r->field];
	return row->fields[r->field];
}

/* A row rule drops the row: count why (the first reason only); with keep_all, go on. */
static int
drop(struct clean *c, uint64_t *why, int *dropped)
{
	if (!*dropped)
		(*why)++;
	*dropped = 1;
	return !c->keep_all;
}

int
clean_row(struct clean *c, const struct csv_row *row, struct batch *parsed, char *err,
          size_t errsize)
{
	size_t len, i;
	const char *s;
	int dropped = 0;

	c->counts.rows_in++;
	if (row->nfields != c->nheader) {
		c->counts.bad++;
		return errf(err, errsize, "%zu fields where the header has %zu", row->nfields,
		            c->nheader);
	}
	for (i = 0; i < c->ndate; i++) {
		struct colrule *r = &c->cols[c->date_rules[i]];
		int32_t d;

		s = field_of(row, r, &len);
		if (len == 0) {
			if (r->window) {
				if (drop(c, &c->counts.out_of_window, &dropped))
					return 0;
			}
			c->row_days[c->date_rules[i]] = INT32_MIN;
			continue;
		}
		if (date_parse(s, len, &d) != 0) {
			c->counts.bad++;
			return errf(err, errsize, "column '%s': '%s' is not a date (YYYY-MM-DD)",
			            r->name, s);
		}
		if (r->window &&
		    ((r->has_min && d < r->date_min) || (r->has_max && d > r->date_max)) &&
		    drop(c, &c->counts.out_of_window, &dropped))
			return 0;
		c->row_days[c->date_rules[i]] = d;
	}
	for (i = 0; i < c->nrequired; i++) {
		const struct colrule *r = &c->cols[c->required[i]];

		if (field_of(row, r, &len), len == 0) {
			if (c->applying && (long)c->required[i] == c->target)
				continue;
			if (drop(c, &c->counts.missing_required, &dropped))
				return 0;
		}
	}
	for (i = 0; i < c->nkeeps; i++) {
		const struct colrule *r = &c->cols[c->keeps[i]];
		size_t k = 0;

		s = field_of(row, r, &len);
		for (; k < r->nkeep_values; k++)
			if (strlen(r->keep_values[k]) == len &&
			    memcmp(r->keep_values[k], s, len) == 0)
				break;
		if (k == r->nkeep_values && drop(c, &c->counts.not_kept, &dropped))
			return 0;
	}
	for (i = 0; i < c->nnumeric; i++) {
		const struct colrule *r = &c->cols[c->numeric[i]];
		double x = NAN;
		int rc;

		s = field_of(row, r, &len);
		if (len && (rc = parse_f64(s, len, &x)) != 0) {
			if (rc == -2) {
				c->counts.bad++;
				return errf(err, errsize,
				            "column '%s': %s is out of the range of a double",
				            r->name, s);
			}
			if (!c->coerce) {
				c->counts.bad++;
				return errf(
				        err, errsize,
				        "column '%s': '%s' is not a number (--coerce reads it as "
				        "missing)",
				        r->name, s);
			}
			x = NAN;
		}
		c->row_num[c->numeric[i]] = x;
	}
	i = batch_add_row(parsed);
	for (size_t j = 0; j < c->parsed.ncols; j++) {
		size_t k = c->parsed_rule[j];
		struct colrule *r = &c->cols[k];

		if (r->kind == KIND_NUMERIC) {
			batch_set_f64(parsed, i, j, c->row_num[k]);
		} else if (r->kind == KIND_DATE && c->row_days[k] != INT32_MIN) {
			char iso[DATE_ISO_LEN + 1];
			int32_t d = c->row_days[k];

			date_format(d, iso);
			batch_set_str(parsed, i, j, iso, DATE_ISO_LEN);
			if (!r->seen_dates || d < r->seen_min)
				r->seen_min = d;
			if (!r->seen_dates || d > r->seen_max)
				r->seen_max = d;
			r->seen_dates = 1;
		} else {
			s = field_of(row, r, &len);
			batch_set_str(parsed, i, j, s, len);
		}
	}
	if (dropped)
		c->counts.kept_anyway++;
	else
		c->counts.kept++;
	return 1;
}

const struct clean_counts *
clean_counts(const struct clean *c)
{
	return &c->counts;
}

static double
clip(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static void
learn_numeric(struct colrule *r, long j, const struct batch *held, size_t nheld)
{
	double *tmp = NULL, *all = NULL;
	size_t cap = 0, nall = 0;

	if (r->clip_k > 0) {
		struct moments m;
		double sd;

		moments_init(&m);
		for (size_t b = 0; b < nheld; b++)
			moments_add(&m, held[b].cols[j].f64, held[b].nrows);
		/* bounds = mean ± k·sd, sd with n − 1 (pandas' std) */
		sd = moments_sd(&m);
		r->clip_lo = m.mean - r->clip_k * sd;
		r->clip_hi = m.mean + r->clip_k * sd;
		if (isnan(r->clip_lo)) { /* fewer than two values: nothing to clip */
			r->clip_lo = -INFINITY;
			r->clip_hi = INFINITY;
		}
	} else {
		r->clip_lo = -INFINITY;
		r->clip_hi = INFINITY;
	}
	moments_init(&r->clipped);
	r->nclipped = 0;
	for (size_t b = 0; b < nheld; b++) {
		const double *x = held[b].cols[j].f64;
		size_t n = held[b].nrows;

		if (n == 0)
			continue; /* tmp may not be allocated yet: no memcpy from NULL */
		if (n > cap) {
			cap = n;
			tmp = xreallocarray(tmp, cap, sizeof *tmp);
		}
		for (size_t i = 0; i < n; i++) {
			tmp[i] = clip(x[i], r->clip_lo, r->clip_hi);
			r->nclipped += tmp[i] != x[i] && !isnan(x[i]);
		}
		moments_add(&r->clipped, tmp, n);
		if (r->impute == IMPUTE_MEDIAN) {
			all = xreallocarray(all, nall + n, sizeof *all);
			memcpy(all + nall, tmp, n * sizeof *tmp);
			nall += n;
		}
	}
	if (r->impute == IMPUTE_MEAN)
		r->fill = r->clipped.n ? r->clipped.mean : NAN;
	else if (r->impute == IMPUTE_MEDIAN)
		r->fill = median(all, nall);
	free(tmp);
	free(all);
}

static void
learn_mode(struct colrule *r, long j, const struct batch *held, size_t nheld)
{
	struct tally t;
	const char *s;
	size_t len;

	tally_init(&t, CLEAN_MODE_LIMIT);
	for (size_t b = 0; b < nheld && !t.saturated; b++)
		for (size_t i = 0; i < held[b].nrows; i++) {
			s = batch_str(&held[b], i, (size_t)j, &len);
			tally_add(&t, s, len);
		}
	r->mode_count = tally_mode(&t, &s, &len);
	r->mode_saturated = t.saturated;
	free(r->mode);
	r->mode = s ? xstrndup(s, len) : NULL;
	if (r->impute == IMPUTE_MODE) {
		free(r->fill_text);
		r->fill_text = s ? xstrndup(s, len) : NULL;
	}
	tally_free(&t);
}

void
clean_learn(struct clean *c, const struct batch *held, size_t nheld)
{
	for (size_t j = 0; j < c->parsed.ncols; j++) {
		struct colrule *r = &c->cols[c->parsed_rule[j]];

		if (r->kind == KIND_NUMERIC)
			learn_numeric(r, (long)j, held, nheld);
		else if (r->categorical || r->impute == IMPUTE_MODE)
			learn_mode(r, (long)j, held, nheld);
	}
	c->learned = 1;
}

/* Copy text column j of in to column o of out (rows base…), empty cells filled with fill. */
static void
copy_text(struct batch *out, size_t o, size_t base, const struct batch *in, size_t j,
          const char *fill)
{
	size_t flen = fill ? strlen(fill) : 0;

	for (size_t i = 0; i < in->nrows; i++) {
		size_t len;
		const char *s = batch_str(in, i, j, &len);

		if (len == 0 && fill)
			batch_set_str(out, base + i, o, fill, flen);
		else
			batch_set_str(out, base + i, o, s, len);
	}
}

static void
derive(struct batch *out, size_t o, size_t base, const struct batch *in, const struct maprule *m,
       const char *fill)
{
	for (size_t i = 0; i < in->nrows; i++) {
		size_t len, k = 0;
		const char *s = batch_str(in, i, (size_t)m->src_parsed, &len), *to = m->other;

		if (len == 0 && fill) {
			s = fill;
			len = strlen(fill);
		}
		for (; k < m->n; k++)
			if (strlen(m->from[k]) == len && memcmp(m->from[k], s, len) == 0)
				break;
		if (k < m->n)
			to = m->to[k];
		/* every cell is set, missing ones too: text is appended row after row */
		batch_set_str(out, base + i, o, to ? to : "", to ? strlen(to) : 0);
	}
}

void
clean_transform(const struct clean *c, const struct batch *in, struct batch *out)
{
	size_t base = out->nrows;

	if (in->nrows == 0) /* out's columns may not be allocated yet */
		return;
	for (size_t i = 0; i < in->nrows; i++)
		batch_add_row(out);
	for (size_t o = 0; o < c->out.ncols; o++) {
		long p = c->out_parsed[o];
		const struct colrule *r;

		if (p < 0) {
			const struct maprule *m = &c->maps[-1 - p];
			const struct colrule *src = &c->cols[c->parsed_rule[m->src_parsed]];

			derive(out, o, base, in, m, src->impute ? src->fill_text : NULL);
			continue;
		}
		r = &c->cols[c->parsed_rule[p]];
		if (r->kind == KIND_NUMERIC) {
			const double *x = in->cols[p].f64;
			double *y = out->cols[o].f64 + base;
			int fill = r->impute != IMPUTE_NONE;

			for (size_t i = 0; i < in->nrows; i++) {
				double v = clip(x[i], r->clip_lo, r->clip_hi);

				y[i] = isnan(v) && fill ? r->fill : v;
			}
		} else {
			copy_text(out, o, base, in, (size_t)p, r->impute ? r->fill_text : NULL);
		}
	}
}

/* FNV-1a over the header names, each ended by a newline: names a schema in 16 hex digits. */
static void
fingerprint(char *const *names, size_t n, char out[17])
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++) {
		for (const char *p = names[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3u;
		h = (h ^ '\n') * 0x100000001b3u;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void
pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

static void
pack_date(msgpack_packer *pk, const char *key, int32_t d)
{
	char iso[DATE_ISO_LEN + 1];

	date_format(d, iso);
	pack_cstr(pk, key);
	pack_cstr(pk, iso);
}

static void
pack_f64(msgpack_packer *pk, const char *key, double x)
{
	pack_cstr(pk, key);
	msgpack_pack_double(pk, x);
}

static void
pack_column(msgpack_packer *pk, const struct colrule *r)
{
	int numeric = r->kind == KIND_NUMERIC, clipped = numeric && r->clip_k > 0;
	int fill_num = numeric && r->impute != IMPUTE_NONE;
	int fill_text = !numeric && r->impute != IMPUTE_NONE && r->fill_text;
	size_t n = 3 + 2 * (r->seen_dates != 0) + 3 * clipped + fill_num + fill_text +
	           2 * (r->mode != NULL) + 5 * numeric;

	msgpack_pack_map(pk, n);
	pack_cstr(pk, "name");
	pack_cstr(pk, r->name);
	pack_cstr(pk, "kind");
	pack_cstr(pk, kind_names[r->kind]);
	pack_cstr(pk, "impute");
	pack_cstr(pk, impute_names[r->impute]);
	if (r->seen_dates) {
		pack_date(pk, "date_min", r->seen_min);
		pack_date(pk, "date_max", r->seen_max);
	}
	if (clipped) {
		pack_f64(pk, "clip_lo", r->clip_lo);
		pack_f64(pk, "clip_hi", r->clip_hi);
		pack_cstr(pk, "clipped");
		msgpack_pack_uint64(pk, r->nclipped);
	}
	if (fill_num)
		pack_f64(pk, "fill", r->fill);
	if (fill_text) {
		pack_cstr(pk, "fill");
		pack_cstr(pk, r->fill_text);
	}
	if (r->mode) {
		pack_cstr(pk, "mode");
		pack_cstr(pk, r->mode);
		pack_cstr(pk, "mode_count");
		msgpack_pack_uint64(pk, r->mode_count);
	}
	if (numeric) {
		pack_cstr(pk, "count");
		msgpack_pack_uint64(pk, r->clipped.n);
		pack_cstr(pk, "missing");
		msgpack_pack_uint64(pk, r->clipped.missing);
		pack_f64(pk, "mean", r->clipped.n ? r->clipped.mean : NAN);
		pack_f64(pk, "min", r->clipped.n ? r->clipped.min : NAN);
		pack_f64(pk, "max", r->clipped.n ? r->clipped.max : NAN);
	}
}

static void
pack_count(msgpack_packer *pk, const char *key, uint64_t v)
{
	pack_cstr(pk, key);
	msgpack_pack_uint64(pk, v);
}

/* The state as one msgpack map (csvclean(1) STATE). */
static void
pack_state(const struct clean *c, msgpack_packer *pk)
{
	char fp[17];

	fingerprint(c->header, c->nheader, fp);
	msgpack_pack_map(pk, 7);
	pack_cstr(pk, "format");
	pack_cstr(pk, CLEAN_STATE_FORMAT);
	pack_cstr(pk, "version");
	msgpack_pack_uint32(pk, CLEAN_STATE_VERSION);
	pack_cstr(pk, "fingerprint");
	pack_cstr(pk, fp);
	pack_cstr(pk, "header");
	msgpack_pack_array(pk, c->nheader);
	for (size_t i = 0; i < c->nheader; i++)
		pack_cstr(pk, c->header[i]);
	pack_cstr(pk, "rules");
	msgpack_pack_array(pk, c->nargs);
	for (size_t i = 0; i < c->nargs; i++) {
		msgpack_pack_array(pk, 2);
		pack_cstr(pk, c->args[i].flag);
		if (c->args[i].arg)
			pack_cstr(pk, c->args[i].arg);
		else
			msgpack_pack_nil(pk);
	}
	pack_cstr(pk, "rows");
	msgpack_pack_map(pk, 6);
	pack_count(pk, "in", c->counts.rows_in);
	pack_count(pk, "kept", c->counts.kept);
	pack_count(pk, "bad", c->counts.bad);
	pack_count(pk, "out_of_window", c->counts.out_of_window);
	pack_count(pk, "missing_required", c->counts.missing_required);
	pack_count(pk, "not_kept", c->counts.not_kept);
	pack_cstr(pk, "columns");
	msgpack_pack_array(pk, c->parsed.ncols);
	for (size_t j = 0; j < c->parsed.ncols; j++)
		pack_column(pk, &c->cols[c->parsed_rule[j]]);
}

int
clean_save_state(const struct clean *c, const char *path, char *err, size_t errsize)
{
	struct atomic_file af;
	msgpack_packer pk;

	if (atomic_open(&af, path) != 0)
		return errf(err, errsize, "%s: %s", path, strerror(errno));
	msgpack_packer_init(&pk, af.fp, msgpack_fbuffer_write);
	pack_state(c, &pk);
	if (atomic_commit(&af) != 0)
		return errf(err, errsize, "%s: %s", path, strerror(errno));
	return 0;
}

static const msgpack_object *
map_get(const msgpack_object *o, const char *key, msgpack_object_type type)
{
	if (o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];

		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
		    memcmp(kv->key.via.str.ptr, key, kv->key.via.str.size) == 0)
			return kv->val.type == type ? &kv->val : NULL;
	}
	return NULL;
}

static char *
str_dup(const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size))
		return NULL;
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

static int
get_f64(const msgpack_object *col, const char *key, double *x)
{
	const msgpack_object *o = map_get(col, key, MSGPACK_OBJECT_FLOAT64);

	if (o == NULL)
		return -1;
	*x = o->via.f64;
	return 0;
}

static int
load_column(struct clean *c, const msgpack_object *col, const char *path, char *err, size_t errsize)
{
	char *name = str_dup(map_get(col, "name", MSGPACK_OBJECT_STR)), *s;
	struct colrule *r = name ? rule_for(c, name, strlen(name)) : NULL;
	int rc = -1;

	if (r == NULL) {
		fmtbuf(err, errsize, "%s: corrupt state: a column %s%s%s that no rule names", path,
		       name ? "'" : "without a name", name ? name : "", name ? "'" : "");
		free(name);
		return -1;
	}
	if (r->kind == KIND_NUMERIC && r->clip_k > 0 &&
	    (get_f64(col, "clip_lo", &r->clip_lo) != 0 ||
	     get_f64(col, "clip_hi", &r->clip_hi) != 0))
		goto corrupt;
	if (r->kind == KIND_NUMERIC && r->impute != IMPUTE_NONE &&
	    get_f64(col, "fill", &r->fill) != 0)
		goto corrupt;
	if (r->kind != KIND_NUMERIC && r->impute == IMPUTE_MODE) {
		free(r->fill_text);
		r->fill_text = str_dup(map_get(col, "fill", MSGPACK_OBJECT_STR));
	}
	if ((s = str_dup(map_get(col, "mode", MSGPACK_OBJECT_STR))) != NULL) {
		free(r->mode);
		r->mode = s;
	}
	if ((s = str_dup(map_get(col, "date_min", MSGPACK_OBJECT_STR))) != NULL) {
		r->seen_dates = date_parse(s, strlen(s), &r->seen_min) == 0;
		free(s);
		s = str_dup(map_get(col, "date_max", MSGPACK_OBJECT_STR));
		r->seen_dates = r->seen_dates && s && date_parse(s, strlen(s), &r->seen_max) == 0;
		free(s);
	}
	rc = 0;
	free(name);
	return rc;
corrupt:
	fmtbuf(err, errsize, "%s: corrupt state: column '%s' lacks its learned values", path, name);
	free(name);
	return -1;
}

static int
load_rules(struct clean *c, const msgpack_object *root, const char *path, char *err, size_t errsize)
{
	const msgpack_object *rules = map_get(root, "rules", MSGPACK_OBJECT_ARRAY);
	const msgpack_object *header = map_get(root, "header", MSGPACK_OBJECT_ARRAY);

	if (rules == NULL || header == NULL)
		return errf(err, errsize, "%s: corrupt state: no rules or header", path);
	c->state_header = xcalloc(header->via.array.size, sizeof *c->state_header);
	for (uint32_t i = 0; i < header->via.array.size; i++) {
		c->state_header[i] = str_dup(&header->via.array.ptr[i]);
		if (c->state_header[i] == NULL)
			return errf(err, errsize, "%s: corrupt state: header name %u is not text",
			            path, i + 1);
		c->nstate_header++;
	}
	for (uint32_t i = 0; i < rules->via.array.size; i++) {
		const msgpack_object *o = &rules->via.array.ptr[i];
		char *flag, *arg, msg[256];
		int rc;

		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
			return errf(err, errsize, "%s: corrupt state: rule %u", path, i + 1);
		flag = str_dup(&o->via.array.ptr[0]);
		arg = str_dup(&o->via.array.ptr[1]);
		rc = flag && clean_is_rule(flag) && (arg || strcmp(flag, "coerce") == 0)
		             ? clean_add_rule(c, flag, arg, msg, sizeof msg)
		             : errf(msg, sizeof msg, "not a rule");
		free(flag);
		free(arg);
		if (rc != 0)
			return errf(err, errsize, "%s: corrupt state: rule %u: %s", path, i + 1,
			            msg);
	}
	return clean_check_rules(c, err, errsize);
}

int
clean_load_state(struct clean *c, const char *path, char *err, size_t errsize)
{
	msgpack_unpacked u;
	const msgpack_object *root, *cols, *fmt, *ver, *fpo;
	char *buf, fp[17], msg[256];
	size_t len = 0, off = 0;
	FILE *f;
	int rc = -1;

	if (c->nargs)
		return errf(err, errsize, "--state: rules come from the state, not from flags");
	if ((f = fopen(path, "rb")) == NULL)
		return errf(err, errsize, "%s: %s", path, strerror(errno));
	buf = xmalloc(MAX_STATE_BYTES);
	len = fread(buf, 1, MAX_STATE_BYTES, f);
	if (ferror(f) || len == MAX_STATE_BYTES) {
		fclose(f);
		free(buf);
		return errf(err, errsize, "%s: %s", path,
		            len == MAX_STATE_BYTES ? "larger than a state can be"
		                                   : strerror(errno));
	}
	fclose(f);
	msgpack_unpacked_init(&u);
	/* declared sizes checked first: msgpack-c would allocate them unchecked */
	if (mp_check_extent(buf, len, "state", msg, sizeof msg) < 0) {
		fmtbuf(err, errsize, "%s: not a csvclean state (%s)", path, msg);
		goto out;
	}
	if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
		fmtbuf(err, errsize, "%s: not a csvclean state (not one msgpack object)", path);
		goto out;
	}
	root = &u.data;
	fmt = map_get(root, "format", MSGPACK_OBJECT_STR);
	ver = map_get(root, "version", MSGPACK_OBJECT_POSITIVE_INTEGER);
	if (fmt == NULL || fmt->via.str.size != strlen(CLEAN_STATE_FORMAT) ||
	    memcmp(fmt->via.str.ptr, CLEAN_STATE_FORMAT, fmt->via.str.size) != 0) {
		fmtbuf(err, errsize, "%s: not a csvclean state (format is not %s)", path,
		       CLEAN_STATE_FORMAT);
		goto out;
	}
	if (ver == NULL || ver->via.u64 != CLEAN_STATE_VERSION) {
		fmtbuf(err, errsize, "%s: state version %llu; this csvclean reads version %d", path,
		       ver ? (unsigned long long)ver->via.u64 : 0ULL, CLEAN_STATE_VERSION);
		goto out;
	}
	if (load_rules(c, root, path, err, errsize) != 0)
		goto out;
	fingerprint(c->state_header, c->nstate_header, fp);
	fpo = map_get(root, "fingerprint", MSGPACK_OBJECT_STR);
	if (fpo == NULL || fpo->via.str.size != 16 || memcmp(fpo->via.str.ptr, fp, 16) != 0) {
		fmtbuf(err, errsize, "%s: corrupt state: the fingerprint does not match its header",
		       path);
		goto out;
	}
	cols = map_get(root, "columns", MSGPACK_OBJECT_ARRAY);
	if (cols == NULL) {
		fmtbuf(err, errsize, "%s: corrupt state: no columns", path);
		goto out;
	}
	for (uint32_t i = 0; i < cols->via.array.size; i++)
		if (load_column(c, &cols->via.array.ptr[i], path, err, errsize) != 0)
			goto out;
	c->applying = c->learned = 1;
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	free(buf);
	return rc;
}

static void
report_state_json(const struct clean *c, FILE *fp)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	size_t off = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_state(c, &pk);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, sb.data, sb.size, &off) == MSGPACK_UNPACK_SUCCESS)
		json_msgpack(fp, &u.data, 0);
	fputc('\n', fp);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* The notebook's date_limits.json for one date column; one object per column otherwise. */
static void
report_dates(const struct clean *c, FILE *fp)
{
	size_t n = 0;

	for (size_t j = 0; j < c->parsed.ncols; j++)
		n += c->cols[c->parsed_rule[j]].kind == KIND_DATE;
	fputs("{", fp);
	for (size_t j = 0, k = 0; j < c->parsed.ncols; j++) {
		const struct colrule *r = &c->cols[c->parsed_rule[j]];
		char lo[DATE_ISO_LEN + 1], hi[DATE_ISO_LEN + 1];

		if (r->kind != KIND_DATE)
			continue;
		date_format(r->seen_min, lo);
		date_format(r->seen_max, hi);
		if (n > 1) {
			fputs(k++ ? ", " : "", fp);
			json_str(fp, r->name, strlen(r->name));
			fputs(": {", fp);
		}
		if (r->seen_dates)
			fprintf(fp, "\"min_date\": \"%s\", \"max_date\": \"%s\"", lo, hi);
		else
			fputs("\"min_date\": null, \"max_date\": null", fp);
		if (n > 1)
			fputs("}", fp);
	}
	fputs("}\n", fp);
}

static void
csv_f64(FILE *fp, double x)
{
	char num[40];

	putc(',', fp);
	if (isfinite(x)) {
		format_f64(num, sizeof num, x);
		fputs(num, fp);
	}
}

static void
report_outliers(const struct clean *c, FILE *fp)
{
	fputs("column,count,missing,mean,min,max,clip_lo,clip_hi,clipped\n", fp);
	for (size_t j = 0; j < c->parsed.ncols; j++) {
		const struct colrule *r = &c->cols[c->parsed_rule[j]];
		const struct moments *m = &r->clipped;

		if (r->kind != KIND_NUMERIC)
			continue;
		csv_put_field(fp, r->name, strlen(r->name));
		fprintf(fp, ",%llu,%llu", (unsigned long long)m->n, (unsigned long long)m->missing);
		csv_f64(fp, m->n ? m->mean : NAN);
		csv_f64(fp, m->n ? m->min : NAN);
		csv_f64(fp, m->n ? m->max : NAN);
		csv_f64(fp, r->clip_lo);
		csv_f64(fp, r->clip_hi);
		fprintf(fp, ",%llu\n", (unsigned long long)r->nclipped);
	}
}

static void
report_modes(const struct clean *c, FILE *fp)
{
	fputs("column,mode,count\n", fp);
	for (size_t j = 0; j < c->parsed.ncols; j++) {
		const struct colrule *r = &c->cols[c->parsed_rule[j]];

		if (!r->categorical && r->impute != IMPUTE_MODE)
			continue;
		csv_put_field(fp, r->name, strlen(r->name));
		putc(',', fp);
		if (r->mode)
			csv_put_field(fp, r->mode, strlen(r->mode));
		fprintf(fp, ",%llu\n", (unsigned long long)r->mode_count);
	}
}

static int
write_report(const struct clean *c, const char *dir, const char *file,
             void (*fn)(const struct clean *, FILE *), char *err, size_t errsize)
{
	struct atomic_file af;
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (atomic_open(&af, path) != 0)
		return errf(err, errsize, "%s: %s", path, strerror(errno));
	fn(c, af.fp);
	if (atomic_commit(&af) != 0)
		return errf(err, errsize, "%s: %s", path, strerror(errno));
	return 0;
}

int
clean_write_reports(const struct clean *c, const char *dir, char *err, size_t errsize)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return errf(err, errsize, "%s: %s", dir, strerror(errno));
	if (write_report(c, dir, "date_limits.json", report_dates, err, errsize) != 0 ||
	    write_report(c, dir, "outlier_summary.csv", report_outliers, err, errsize) != 0 ||
	    write_report(c, dir, "cat_missing_impute.csv", report_modes, err, errsize) != 0 ||
	    write_report(c, dir, "state.json", report_state_json, err, errsize) != 0)
		return -1;
	return 0;
}

const struct schema *
clean_parsed_schema(const struct clean *c)
{
	return &c->parsed;
}

const struct schema *
clean_output_schema(const struct clean *c)
{
	return &c->out;
}
