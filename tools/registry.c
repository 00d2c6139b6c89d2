/* registry: the model registry and run log over a directory (pipeml-registry(5)). */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "registry.h"
#include "util.h"

static const char *dir; /* -d, else $PIPEML_REGISTRY, else registry/ */

#define SYNOPSIS                                                                                   \
	"[-d dir] command [argument ...]\n"                                                        \
	"commands:\n"                                                                              \
	"  list [--json]\n"                                                                        \
	"  show [--json] name[@version|@stage|@alias]\n"                                           \
	"  add [-n name] [-s file] ... [-m name=value] ... [-r run] [-D text] model-file\n"        \
	"  promote name@version stage\n"                                                           \
	"  path [-s state] name[@version|@stage|@alias]\n"                                         \
	"  alias name@version alias\n"                                                             \
	"  tag name@version key=value\n"                                                           \
	"  log\n"                                                                                  \
	"  runs [-t tool] [-S metric] [--json]\n"                                                  \
	"  run-add -t tool [-p name=value] ... [-m name=value] ... [-i sha256] [--seed S]\n"       \
	"  verify"

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
	       "options:\n"
	       "  -d, --registry DIR    the registry directory ($PIPEML_REGISTRY, else registry)\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n"
	       "command options:\n"
	       "  -j, --json            JSON lines instead of a table (list, show, runs)\n"
	       "  -n, --name NAME       model name for add (lead_model)\n"
	       "  -s, --state FILE      a state file stored with the version (add, repeatable);\n"
	       "                        the state of that name (path)\n"
	       "  -m, --metric N=V      a metric recorded with the version or run (repeatable)\n"
	       "  -r, --run ID          the run that made the version (add)\n"
	       "  -D, --description T   a description of the version (add)\n"
	       "  -t, --tool TOOL       the tool of the run (run-add, runs)\n"
	       "  -S, --sort METRIC     sort runs by a metric, best first (runs)\n"
	       "  -p, --param N=V       a parameter of the run (run-add, repeatable)\n"
	       "  -i, --input-sha256 H  the sha256 of the run's input (run-add)\n"
	       "      --seed S          the run's seed (run-add)\n",
	       progname);
}

static struct registry *
open_registry(struct registry *r, int write)
{
	char err[512];

	if (registry_open(r, dir, write, err, sizeof err) < 0)
		die("%s", err);
	return r;
}

static const struct reg_version *
find(const struct registry *r, const char *spec)
{
	char err[512];
	const struct reg_version *v = registry_find(r, spec, err, sizeof err);

	if (v == NULL)
		die("%s", err);
	return v;
}

/* NAME@VERSION with a number: the model name (malloc'ed) and the version. */
static char *
parse_exact(const char *spec, long *version)
{
	const char *at = strchr(spec, '@');
	int64_t v;

	if (at == NULL || parse_i64(at + 1, strlen(at + 1), &v) < 0 || v < 1)
		usage_die("'%s': expected NAME@VERSION (a version number)", spec);
	*version = (long)v;
	return xstrndup(spec, (size_t)(at - spec));
}

/* "name=value" → the two parts (name malloc'ed; value points into arg). */
static char *
split_pair(const char *opt, const char *arg, const char **value)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		usage_die("%s: expected NAME=VALUE, got '%s'", opt, arg);
	*value = eq + 1;
	return xstrndup(arg, (size_t)(eq - arg));
}

/* Metrics given as -m NAME=VALUE into a JSON object. */
static void
add_metric(struct jbuf *b, const char *arg)
{
	const char *value;
	char *name = split_pair("-m", arg, &value);

	jbuf_key(b, name);
	jbuf_num(b, opt_f64("-m", value));
	free(name);
}

static void
version_json(struct jbuf *b, const struct registry *r, const struct reg_version *v)
{
	char *path = registry_object_path(r, v->sha256);
	static const char *const copied[] = {"time",   "size",        "metrics", "states", "run",
	                                     "source", "description", "host",    "user"};

	jbuf_open(b, '{');
	jbuf_key(b, "model");
	jbuf_str(b, v->model);
	jbuf_key(b, "version");
	jbuf_int(b, v->version);
	jbuf_key(b, "stage");
	jbuf_str(b, stage_name(v->stage));
	jbuf_key(b, "aliases");
	jbuf_open(b, '[');
	for (size_t i = 0; i < v->naliases; i++)
		jbuf_str(b, v->aliases[i]);
	jbuf_close(b, ']');
	jbuf_key(b, "tags");
	jbuf_open(b, '{');
	for (size_t i = 0; i < v->ntags; i++) {
		jbuf_key(b, v->tag_keys[i]);
		jbuf_str(b, v->tag_values[i]);
	}
	jbuf_close(b, '}');
	jbuf_key(b, "sha256");
	jbuf_str(b, v->sha256);
	jbuf_key(b, "path");
	jbuf_str(b, path);
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
		const struct json *f = json_get(v->event, copied[i]);

		if (f != NULL) {
			jbuf_key(b, copied[i]);
			jbuf_json(b, f);
		}
	}
	jbuf_close(b, '}');
	free(path);
}

static void
print_version_json(const struct registry *r, const struct reg_version *v)
{
	struct jbuf b;

	jbuf_init(&b);
	version_json(&b, r, v);
	puts(b.s);
	jbuf_free(&b);
}

static void
print_metrics(const struct json *metrics)
{
	for (size_t i = 0; metrics != NULL && metrics->type == JSON_OBJ && i < metrics->n; i++) {
		char num[64] = "null";

		if (metrics->items[i].type == JSON_NUM)
			format_f64(num, sizeof num, metrics->items[i].num);
		printf("%s%s=%s", i ? " " : "", metrics->keys[i], num);
	}
}

static void
print_version_text(const struct registry *r, const struct reg_version *v)
{
	const struct json *states = json_get(v->event, "states");
	char *path = registry_object_path(r, v->sha256);

	printf("model:    %s\nversion:  %ld\nstage:    %s\n", v->model, v->version,
	       stage_name(v->stage));
	printf("aliases: ");
	for (size_t i = 0; i < v->naliases; i++)
		printf(" %s", v->aliases[i]);
	printf("\ntags:    ");
	for (size_t i = 0; i < v->ntags; i++)
		printf(" %s=%s", v->tag_keys[i], v->tag_values[i]);
	printf("\nsha256:   %s\npath:     %s\ncreated:  %s by %s on %s\nrun:      %s\nmetrics:  ",
	       v->sha256, path, json_get_str(v->event, "time"), json_get_str(v->event, "user"),
	       json_get_str(v->event, "host"),
	       json_get_str(v->event, "run") ? json_get_str(v->event, "run") : "-");
	print_metrics(json_get(v->event, "metrics"));
	putchar('\n');
	for (size_t i = 0; states != NULL && i < states->n; i++) {
		char *sp = registry_object_path(r, json_get_str(&states->items[i], "sha256"));

		printf("state:    %s %s\n", json_get_str(&states->items[i], "name"), sp);
		free(sp);
	}
	free(path);
}

/* getopt over a subcommand's arguments. */
static int
sub_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	return getopt_long(argc, argv, shortopts, longopts, NULL);
}

static const struct option json_opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};

static int
cmd_list(int argc, char **argv)
{
	struct registry r;
	int json = 0, c;

	while ((c = sub_getopt(argc, argv, "j", json_opts)) != -1) {
		if (c != 'j')
			usage();
		json = 1;
	}
	if (optind != argc)
		usage();
	open_registry(&r, 0);
	if (!json)
		printf("%-20s %7s  %-10s  %-12s  %-24s  %s\n", "MODEL", "VERSION", "STAGE",
		       "SHA256", "CREATED", "ALIASES");
	for (size_t i = 0; i < r.nversions; i++) {
		const struct reg_version *v = &r.versions[i];

		if (json) {
			print_version_json(&r, v);
			continue;
		}
		printf("%-20s %7ld  %-10s  %.12s  %-24s ", v->model, v->version,
		       stage_name(v->stage), v->sha256, json_get_str(v->event, "time"));
		for (size_t k = 0; k < v->naliases; k++)
			printf(" %s", v->aliases[k]);
		putchar('\n');
	}
	registry_close(&r);
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct registry r;
	int json = 0, c;

	while ((c = sub_getopt(argc, argv, "j", json_opts)) != -1) {
		if (c != 'j')
			usage();
		json = 1;
	}
	if (argc - optind != 1)
		usage();
	open_registry(&r, 0);
	if (strchr(argv[optind], '@') == NULL) {
		/* Every version of the model. */
		find(&r, argv[optind]);
		for (size_t i = 0; i < r.nversions; i++)
			if (strcmp(r.versions[i].model, argv[optind]) == 0) {
				if (json)
					print_version_json(&r, &r.versions[i]);
				else
					print_version_text(&r, &r.versions[i]);
			}
	} else if (json) {
		print_version_json(&r, find(&r, argv[optind]));
	} else {
		print_version_text(&r, find(&r, argv[optind]));
	}
	registry_close(&r);
	return 0;
}

/* A model file must load before it is registered. */
static void
check_model(const char *path)
{
	struct model m;
	char err[512];
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		die("%s:", path);
	if (model_load(fp, path, &m, err, sizeof err) < 0)
		die("%s", err);
	model_free(&m);
	fclose(fp);
}

static int
cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"state", required_argument, NULL, 's'},
	        {"metric", required_argument, NULL, 'm'},
	        {"run", required_argument, NULL, 'r'},
	        {"description", required_argument, NULL, 'D'},
	        {NULL, 0, NULL, 0},
	};
	struct reg_add a = {.model = "lead_model"};
	struct reg_file *states = NULL;
	struct registry r;
	struct jbuf metrics;
	char err[512];
	long version;
	int c;

	jbuf_init(&metrics);
	jbuf_open(&metrics, '{');
	while ((c = sub_getopt(argc, argv, "n:s:m:r:D:", opts)) != -1) {
		switch (c) {
		case 'n':
			a.model = optarg;
			break;
		case 's':
			states = xreallocarray(states, a.nstates + 1, sizeof *states);
			states[a.nstates].path = optarg;
			states[a.nstates++].name = NULL;
			break;
		case 'm':
			add_metric(&metrics, optarg);
			break;
		case 'r':
			a.run_id = optarg;
			break;
		case 'D':
			a.description = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	jbuf_close(&metrics, '}');
	a.path = argv[optind];
	a.states = states;
	a.metrics_json = metrics.s;
	check_model(a.path);
	open_registry(&r, 1);
	if (registry_add(&r, &a, &version, err, sizeof err) < 0)
		die("%s", err);
	printf("%s@%ld\n", a.model, version);
	registry_close(&r);
	jbuf_free(&metrics);
	free(states);
	return 0;
}

static int
cmd_promote(int argc, char **argv)
{
	struct registry r;
	enum reg_stage s;
	char err[512], *model;
	long version;

	if (argc - optind != 2)
		usage();
	model = parse_exact(argv[optind], &version);
	if (stage_parse(argv[optind + 1], &s) < 0)
		usage_die("'%s': expected a stage: none, staging, production or archived",
		          argv[optind + 1]);
	open_registry(&r, 1);
	if (registry_promote(&r, model, version, s, err, sizeof err) < 0)
		die("%s", err);
	fprintf(stderr, "%s: %s@%ld is now in stage %s\n", progname, model, version, stage_name(s));
	registry_close(&r);
	free(model);
	return 0;
}

static int
cmd_path(int argc, char **argv)
{
	static const struct option opts[] = {{"state", required_argument, NULL, 's'},
	                                     {NULL, 0, NULL, 0}};
	const char *state = NULL;
	const struct reg_version *v;
	struct registry r;
	char *path = NULL;
	int c;

	while ((c = sub_getopt(argc, argv, "s:", opts)) != -1) {
		if (c != 's')
			usage();
		state = optarg;
	}
	if (argc - optind != 1)
		usage();
	open_registry(&r, 0);
	v = find(&r, argv[optind]);
	if (state == NULL) {
		path = registry_object_path(&r, v->sha256);
	} else {
		const struct json *states = json_get(v->event, "states");

		for (size_t i = 0; states != NULL && i < states->n && path == NULL; i++)
			if (strcmp(json_get_str(&states->items[i], "name"), state) == 0)
				path = registry_object_path(
				        &r, json_get_str(&states->items[i], "sha256"));
		if (path == NULL)
			die("%s@%ld has no state %s", v->model, v->version, state);
	}
	puts(path);
	free(path);
	registry_close(&r);
	return 0;
}

static int
cmd_alias_tag(int argc, char **argv, int is_tag)
{
	struct registry r;
	char err[512], *model, *key = NULL;
	const char *value = NULL;
	long version;
	int rc;

	if (argc - optind != 2)
		usage();
	model = parse_exact(argv[optind], &version);
	if (is_tag)
		key = split_pair("tag", argv[optind + 1], &value);
	open_registry(&r, 1);
	rc = is_tag ? registry_tag(&r, model, version, key, value, err, sizeof err)
	            : registry_alias(&r, model, version, argv[optind + 1], err, sizeof err);
	if (rc < 0)
		die("%s", err);
	registry_close(&r);
	free(model);
	free(key);
	return 0;
}

static int
cmd_log(int argc, char **argv)
{
	struct registry r;
	struct jbuf b;

	(void)argv;
	if (argc - optind != 0)
		usage();
	open_registry(&r, 0);
	for (size_t i = 0; i < r.nevents; i++) {
		jbuf_init(&b);
		jbuf_json(&b, &r.events[i]);
		puts(b.s);
		jbuf_free(&b);
	}
	registry_close(&r);
	return 0;
}

static double
run_metric(const struct json *e, const char *metric)
{
	double x;

	return json_get_num(json_get(e, "metrics"), metric, &x) == 0 ? x : NAN;
}

static const char *sort_metric;

/* Best first: larger values, except log_loss; runs without the metric last; stable. */
static int
by_metric(const void *a, const void *b)
{
	const struct json *ea = *(const struct json *const *)a,
	                  *eb = *(const struct json *const *)b;
	double x = run_metric(ea, sort_metric), y = run_metric(eb, sort_metric);
	int lower = strstr(sort_metric, "loss") != NULL;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y) ? isnan(x) - isnan(y) : (ea > eb) - (ea < eb);
	if (x != y)
		return (lower ? x > y : x < y) ? 1 : -1;
	return (ea > eb) - (ea < eb);
}

static int
cmd_runs(int argc, char **argv)
{
	static const struct option opts[] = {{"tool", required_argument, NULL, 't'},
	                                     {"sort", required_argument, NULL, 'S'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {NULL, 0, NULL, 0}};
	const char *tool = NULL;
	const struct json **runs;
	struct registry r;
	size_t n = 0;
	int json = 0, c;

	while ((c = sub_getopt(argc, argv, "t:S:j", opts)) != -1) {
		if (c == 't')
			tool = optarg;
		else if (c == 'S')
			sort_metric = optarg;
		else if (c == 'j')
			json = 1;
		else
			usage();
	}
	if (argc - optind != 0)
		usage();
	open_registry(&r, 0);
	runs = xreallocarray(NULL, r.nevents + 1, sizeof *runs);
	for (size_t i = 0; i < r.nevents; i++) {
		const char *what = json_get_str(&r.events[i], "event");

		if (strcmp(what, "run") == 0 &&
		    (tool == NULL || strcmp(json_get_str(&r.events[i], "tool"), tool) == 0))
			runs[n++] = &r.events[i];
	}
	if (sort_metric != NULL)
		qsort(runs, n, sizeof *runs, by_metric);
	if (!json)
		printf("%-26s %-12s %-24s %9s  %s\n", "RUN", "TOOL", "START", "SECONDS", "METRICS");
	for (size_t i = 0; i < n; i++) {
		double secs = NAN;

		if (json) {
			struct jbuf b;

			jbuf_init(&b);
			jbuf_json(&b, runs[i]);
			puts(b.s);
			jbuf_free(&b);
			continue;
		}
		json_get_num(runs[i], "duration", &secs);
		printf("%-26s %-12s %-24s %9.3f  ", json_get_str(runs[i], "run"),
		       json_get_str(runs[i], "tool"), json_get_str(runs[i], "start"), secs);
		print_metrics(json_get(runs[i], "metrics"));
		putchar('\n');
	}
	free(runs);
	registry_close(&r);
	return 0;
}

static int
cmd_run_add(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"tool", required_argument, NULL, 't'},
	        {"param", required_argument, NULL, 'p'},
	        {"metric", required_argument, NULL, 'm'},
	        {"input-sha256", required_argument, NULL, 'i'},
	        {"seed", required_argument, NULL, 'e'},
	        {NULL, 0, NULL, 0},
	};
	struct reg_run run;
	struct jbuf metrics;
	char err[512];
	int c;

	reg_run_begin(&run, NULL);
	jbuf_init(&metrics);
	jbuf_open(&metrics, '{');
	while ((c = sub_getopt(argc, argv, "t:p:m:i:", opts)) != -1) {
		const char *value;
		char *name;

		switch (c) {
		case 't':
			run.tool = optarg;
			break;
		case 'p':
			name = split_pair("-p", optarg, &value);
			reg_run_param(&run, name, value);
			free(name);
			break;
		case 'm':
			add_metric(&metrics, optarg);
			break;
		case 'i':
			run.input_sha256 = optarg;
			break;
		case 'e':
			run.seed = (unsigned long long)opt_long("--seed", optarg, 0, LONG_MAX);
			run.has_seed = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 0 || run.tool == NULL)
		usage();
	jbuf_close(&metrics, '}');
	run.metrics_json = metrics.s;
	if (registry_run_record(registry_dir(dir), &run, err, sizeof err) < 0)
		die("%s", err);
	puts(run.id);
	reg_run_free(&run);
	jbuf_free(&metrics);
	return 0;
}

static int
cmd_verify(int argc, char **argv)
{
	size_t problems;

	(void)argv;
	if (argc - optind != 0)
		usage();
	problems = registry_verify(registry_dir(dir), stdout);
	if (problems > 0) {
		fshut(stdout, "stdout");
		die("%zu problem%s found", problems, problems == 1 ? "" : "s");
	}
	printf("ok\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"registry", required_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	const char *cmd;
	int c, rc;

	setprogname(argv[0]);
	signals_init();
	signal(SIGXFSZ, SIG_IGN); /* a file size limit is a write error (EFBIG), undone */
	while ((c = getopt_long(argc, argv, "+d:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("%s %s\n", progname, PIPEML_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	dir = registry_dir(dir);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	if (strcmp(cmd, "list") == 0)
		rc = cmd_list(argc, argv);
	else if (strcmp(cmd, "show") == 0)
		rc = cmd_show(argc, argv);
	else if (strcmp(cmd, "add") == 0)
		rc = cmd_add(argc, argv);
	else if (strcmp(cmd, "promote") == 0)
		rc = cmd_promote(argc, argv);
	else if (strcmp(cmd, "path") == 0)
		rc = cmd_path(argc, argv);
	else if (strcmp(cmd, "alias") == 0)
		rc = cmd_alias_tag(argc, argv, 0);
	else if (strcmp(cmd, "tag") == 0)
		rc = cmd_alias_tag(argc, argv, 1);
	else if (strcmp(cmd, "log") == 0)
		rc = cmd_log(argc, argv);
	else if (strcmp(cmd, "runs") == 0)
		rc = cmd_runs(argc, argv);
	else if (strcmp(cmd, "run-add") == 0)
		rc = cmd_run_add(argc, argv);
	else if (strcmp(cmd, "verify") == 0)
		rc = cmd_verify(argc, argv);
	else
		usage_die("unknown command '%s'", cmd);
	fshut(stdout, "stdout");
	return rc;
}
