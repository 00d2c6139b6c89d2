/* registry.c: the model registry over a directory; see registry.h and pipeml-registry(5). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "sha256.h"
#include "util.h"

#define LOG_NAME        "log.jsonl"
#define OBJECTS         "objects"
#define LOCK_NAME       "lock"
#define OBJECT_MAX_SIZE ((size_t)1 << 30)
#define VERSION_MAX     (1L << 53) /* a version number a JSON number holds exactly */

static const char *const stage_names[] = {"none", "staging", "production", "archived"};

const char *
stage_name(enum reg_stage s)
{
	return stage_names[s];
}

int
stage_parse(const char *name, enum reg_stage *s)
{
	for (size_t i = 0; i < sizeof stage_names / sizeof stage_names[0]; i++)
		if (strcasecmp(name, stage_names[i]) == 0) {
			*s = (enum reg_stage)i;
			return 0;
		}
	return -1;
}

const char *
registry_dir(const char *option)
{
	const char *env = getenv(REGISTRY_ENV);

	if (option != NULL)
		return option;
	return env != NULL && *env != '\0' ? env : NULL;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *
registry_object_path(const struct registry *r, const char *sha256)
{
	size_t n = strlen(r->dir) + strlen(OBJECTS) + strlen(sha256) + 3;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s/%s", r->dir, OBJECTS, sha256);
	return p;
}

static int
is_sha256(const char *s)
{
	size_t i = 0;

	if (s == NULL)
		return 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* A model name, alias or tag key: printable, no '@', no white space, not empty. */
static int
valid_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '@' || *s == 0x7f)
			return 0;
	return 1;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Read a whole file into memory (*buf malloc'ed). 0, -1 with errno. */
static int
read_file(const char *path, char **buf, size_t *len, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *b;

	if (fd < 0)
		return -1;
	b = xmalloc(cap);
	for (;;) {
		ssize_t got;

		if (n == cap) {
			if (cap >= max) {
				free(b);
				close(fd);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			b = xreallocarray(b, cap, 1);
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int saved = errno;

			free(b);
			close(fd);
			errno = saved;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

static void
hash_bytes(const char *buf, size_t len, char hex[65])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, buf, len);
	sha256_hex(&s, hex);
}

static void
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* ISO 8601 UTC with milliseconds. */
static void
iso_of(char buf[40], const struct timespec *ts)
{
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 40 - n, ".%03dZ", (int)(ts->tv_nsec / 1000000));
}

static void
now_iso(char buf[40], struct timespec *ts)
{
	struct timespec now;

	if (ts == NULL)
		ts = &now;
	clock_gettime(CLOCK_REALTIME, ts);
	iso_of(buf, ts);
}

static const char *
user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : "unknown";
}

/* --- replay -------------------------------------------------------------------------- */

static void
free_versions(struct registry *r)
{
	for (size_t i = 0; i < r->nversions; i++) {
		struct reg_version *v = &r->versions[i];

		for (size_t k = 0; k < v->naliases; k++)
			free(v->aliases[k]);
		for (size_t k = 0; k < v->ntags; k++) {
			free(v->tag_keys[k]);
			free(v->tag_values[k]);
		}
		free(v->aliases);
		free(v->tag_keys);
		free(v->tag_values);
	}
	free(r->versions);
	r->versions = NULL;
	r->nversions = 0;
}

static struct reg_version *
find_version(const struct registry *r, const char *model, long version)
{
	for (size_t i = 0; i < r->nversions; i++)
		if (r->versions[i].version == version && strcmp(r->versions[i].model, model) == 0)
			return &r->versions[i];
	return NULL;
}

static long
latest_version(const struct registry *r, const char *model)
{
	long max = 0;

	for (size_t i = 0; i < r->nversions; i++)
		if (strcmp(r->versions[i].model, model) == 0 && r->versions[i].version > max)
			max = r->versions[i].version;
	return max;
}

/* The version an event names (model, version), or NULL with err. */
static struct reg_version *
event_version(struct registry *r, const struct json *e, char *err, size_t errsize)
{
	const char *model = json_get_str(e, "model");
	long v;
	struct reg_version *rv;

	if (model == NULL || json_get_int(e, "version", 1, VERSION_MAX, &v) < 0) {
		fmtbuf(err, errsize, "no model or version");
		return NULL;
	}
	if ((rv = find_version(r, model, v)) == NULL) {
		fmtbuf(err, errsize, "%s@%ld was never added", model, v);
		return NULL;
	}
	if (json_get_str(e, "sha256") == NULL ||
	    strcmp(json_get_str(e, "sha256"), rv->sha256) != 0) {
		fmtbuf(err, errsize, "sha256 differs from %s@%ld's", model, v);
		return NULL;
	}
	return rv;
}

static int
apply_add(struct registry *r, const struct json *e, char *err, size_t errsize)
{
	const char *model = json_get_str(e, "model"), *sha = json_get_str(e, "sha256");
	const struct json *states = json_get(e, "states");
	long v;
	struct reg_version *rv;

	if (!valid_name(model) || json_get_int(e, "version", 1, VERSION_MAX, &v) < 0 ||
	    !is_sha256(sha))
		return errf(err, errsize, "add: bad model, version or sha256");
	if (v != latest_version(r, model) + 1)
		return errf(err, errsize, "add: %s@%ld does not follow version %ld", model, v,
		            latest_version(r, model));
	if (states != NULL) {
		if (states->type != JSON_ARR)
			return errf(err, errsize, "add: states is not an array");
		for (size_t i = 0; i < states->n; i++)
			if (!is_sha256(json_get_str(&states->items[i], "sha256")) ||
			    json_get_str(&states->items[i], "name") == NULL)
				return errf(err, errsize, "add: state %zu has no name or sha256",
				            i);
	}
	r->versions = xreallocarray(r->versions, r->nversions + 1, sizeof *r->versions);
	rv = &r->versions[r->nversions++];
	memset(rv, 0, sizeof *rv);
	rv->model = model;
	rv->version = v;
	rv->sha256 = sha;
	rv->stage = STAGE_NONE;
	rv->event = e;
	return 0;
}

static int
apply_promote(struct registry *r, const struct json *e, char *err, size_t errsize)
{
	struct reg_version *rv = event_version(r, e, err, errsize);
	const char *stage = json_get_str(e, "stage");
	enum reg_stage s;
	const struct json *archived = json_get(e, "archived");
	size_t narchived = 0;

	if (rv == NULL)
		return -1;
	if (stage == NULL || stage_parse(stage, &s) < 0)
		return errf(err, errsize, "promote: bad stage");
	if (archived == NULL || archived->type != JSON_ARR)
		return errf(err, errsize, "promote: no archived list");
	if (s == STAGE_STAGING || s == STAGE_PRODUCTION)
		for (size_t i = 0; i < r->nversions; i++) {
			struct reg_version *o = &r->versions[i];

			if (o == rv || o->stage != s || strcmp(o->model, rv->model) != 0)
				continue;
			/* The event records whom it archived: it must be whom the replay archives.
			 */
			if (narchived >= archived->n ||
			    archived->items[narchived].num != (double)o->version)
				return errf(err, errsize,
				            "promote: archived list differs from the replay's");
			narchived++;
			o->stage = STAGE_ARCHIVED;
		}
	if (narchived != archived->n)
		return errf(err, errsize, "promote: archived list differs from the replay's");
	rv->stage = s;
	return 0;
}

static int
apply_alias(struct registry *r, const struct json *e, char *err, size_t errsize)
{
	struct reg_version *rv = event_version(r, e, err, errsize);
	const char *alias = json_get_str(e, "alias");

	if (rv == NULL)
		return -1;
	if (!valid_name(alias))
		return errf(err, errsize, "alias: bad alias");
	for (size_t i = 0; i < r->nversions; i++) {
		struct reg_version *o = &r->versions[i];

		if (strcmp(o->model, rv->model) != 0)
			continue;
		for (size_t k = 0; k < o->naliases; k++)
			if (strcmp(o->aliases[k], alias) == 0) {
				free(o->aliases[k]);
				o->aliases[k] = o->aliases[--o->naliases];
				break;
			}
	}
	rv->aliases = xreallocarray(rv->aliases, rv->naliases + 1, sizeof *rv->aliases);
	rv->aliases[rv->naliases++] = xstrdup(alias);
	return 0;
}

static int
apply_tag(struct registry *r, const struct json *e, char *err, size_t errsize)
{
	struct reg_version *rv = event_version(r, e, err, errsize);
	const char *key = json_get_str(e, "key"), *value = json_get_str(e, "value");

	if (rv == NULL)
		return -1;
	if (!valid_name(key) || value == NULL)
		return errf(err, errsize, "tag: bad key or value");
	for (size_t k = 0; k < rv->ntags; k++)
		if (strcmp(rv->tag_keys[k], key) == 0) {
			free(rv->tag_values[k]);
			rv->tag_values[k] = xstrdup(value);
			return 0;
		}
	rv->tag_keys = xreallocarray(rv->tag_keys, rv->ntags + 1, sizeof *rv->tag_keys);
	rv->tag_values = xreallocarray(rv->tag_values, rv->ntags + 1, sizeof *rv->tag_values);
	rv->tag_keys[rv->ntags] = xstrdup(key);
	rv->tag_values[rv->ntags++] = xstrdup(value);
	return 0;
}

static int
apply_event(struct registry *r, size_t i, char *err, size_t errsize)
{
	const struct json *e = &r->events[i];
	const char *what = json_get_str(e, "event");
	double seq;

	if (e->type != JSON_OBJ)
		return errf(err, errsize, "not a JSON object");
	if (json_get_num(e, "seq", &seq) < 0 || seq != (double)(i + 1))
		return errf(err, errsize, "sequence number is not %zu", i + 1);
	if (what == NULL || json_get_str(e, "time") == NULL)
		return errf(err, errsize, "no event or time");
	if (strcmp(what, "add") == 0)
		return apply_add(r, e, err, errsize);
	if (strcmp(what, "promote") == 0)
		return apply_promote(r, e, err, errsize);
	if (strcmp(what, "alias") == 0)
		return apply_alias(r, e, err, errsize);
	if (strcmp(what, "tag") == 0)
		return apply_tag(r, e, err, errsize);
	if (strcmp(what, "run") == 0)
		return json_get_str(e, "run") && json_get_str(e, "tool")
		               ? 0
		               : errf(err, errsize, "run: no run id or tool");
	return errf(err, errsize, "unknown event \"%s\"", what);
}

static void
free_events(struct registry *r)
{
	free_versions(r);
	for (size_t i = 0; i < r->nevents; i++)
		json_free(&r->events[i]);
	free(r->events);
	r->events = NULL;
	r->nevents = 0;
}

/* Read and replay the log; a final line without its newline is left out (r->torn). */
static int
load_log(struct registry *r, char *err, size_t errsize)
{
	char *path = join(r->dir, LOG_NAME), *buf = NULL;
	size_t len = 0, cap = 0, start = 0, line = 0;
	char msg[256];

	free_events(r);
	r->torn = 0;
	r->log_size = 0;
	if (read_file(path, &buf, &len, (size_t)1 << 40) < 0) {
		if (errno != ENOENT) {
			fmtbuf(err, errsize, "%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		buf = NULL;
		len = 0;
	}
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);

		if (nl == NULL) {
			r->torn = 1;
			break;
		}
		line++;
		if (r->nevents == cap) {
			cap = cap ? 2 * cap : 64;
			r->events = xreallocarray(r->events, cap, sizeof *r->events);
		}
		if (json_parse(buf + start, (size_t)(nl - buf) - start, &r->events[r->nevents], msg,
		               sizeof msg) < 0) {
			fmtbuf(err, errsize, "%s:%zu: %s", path, line, msg);
			goto fail;
		}
		r->nevents++;
		start = (size_t)(nl - buf) + 1;
	}
	r->log_size = (off_t)start;
	for (size_t i = 0; i < r->nevents; i++)
		if (apply_event(r, i, msg, sizeof msg) < 0) {
			fmtbuf(err, errsize, "%s:%zu: %s", path, i + 1, msg);
			goto fail;
		}
	free(buf);
	free(path);
	return 0;
fail:
	free(buf);
	free(path);
	free_events(r);
	return -1;
}

/* Remove temporary files a killed writer left in objects/ (the lock is held). */
static void
remove_stale_temps(const struct registry *r)
{
	char *objects = join(r->dir, OBJECTS);
	DIR *d = opendir(objects);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strstr(de->d_name, ".tmp.") != NULL) {
				char *p = join(objects, de->d_name);

				unlink(p);
				free(p);
			}
		closedir(d);
	}
	free(objects);
}

static int
make_dirs(const char *dir, char *err, size_t errsize)
{
	char *objects = join(dir, OBJECTS);
	int rc = 0;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		rc = errf(err, errsize, "%s: %s", dir, strerror(errno));
	else if (mkdir(objects, 0777) < 0 && errno != EEXIST)
		rc = errf(err, errsize, "%s: %s", objects, strerror(errno));
	free(objects);
	return rc;
}

int
registry_open(struct registry *r, const char *dir, int write, char *err, size_t errsize)
{
	memset(r, 0, sizeof *r);
	r->lockfd = -1;
	if (dir == NULL)
		dir = registry_dir(NULL);
	r->dir = xstrdup(dir != NULL ? dir : REGISTRY_DEFAULT_DIR);
	if (write) {
		char *lock = join(r->dir, LOCK_NAME);

		if (make_dirs(r->dir, err, errsize) < 0) {
			free(lock);
			goto fail;
		}
		r->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (r->lockfd < 0) {
			fmtbuf(err, errsize, "%s: %s", lock, strerror(errno));
			free(lock);
			goto fail;
		}
		while (flock(r->lockfd, LOCK_EX) < 0)
			if (errno != EINTR) {
				fmtbuf(err, errsize, "%s: lock: %s", lock, strerror(errno));
				free(lock);
				goto fail;
			}
		free(lock);
	} else {
		struct stat st;

		if (stat(r->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fmtbuf(err, errsize, "%s: no registry there", r->dir);
			goto fail;
		}
	}
	if (load_log(r, err, errsize) < 0)
		goto fail;
	if (write) {
		remove_stale_temps(r);
		if (r->torn) {
			char *path = join(r->dir, LOG_NAME);
			int fd = open(path, O_WRONLY | O_CLOEXEC);

			/* The partial line is a write that never completed: cut it off. */
			if (fd < 0 || ftruncate(fd, r->log_size) < 0 || fsync(fd) < 0) {
				fmtbuf(err, errsize, "%s: truncating a torn last line: %s", path,
				       strerror(errno));
				if (fd >= 0)
					close(fd);
				free(path);
				goto fail;
			}
			close(fd);
			free(path);
			r->torn = 0;
		}
	}
	return 0;
fail:
	registry_close(r);
	return -1;
}

void
registry_close(struct registry *r)
{
	free_events(r);
	if (r->lockfd >= 0)
		close(r->lockfd); /* releases the lock */
	r->lockfd = -1;
	free(r->dir);
	r->dir = NULL;
}

/* --- lookups ------------------------------------------------------------------------- */

const struct reg_version *
registry_stage(const struct registry *r, const char *model, enum reg_stage s)
{
	const struct reg_version *found = NULL;

	for (size_t i = 0; i < r->nversions; i++)
		if (r->versions[i].stage == s && strcmp(r->versions[i].model, model) == 0)
			found = &r->versions[i];
	return found;
}

const struct reg_version *
registry_find(const struct registry *r, const char *spec, char *err, size_t errsize)
{
	const char *at = strchr(spec, '@');
	char *model = at ? xstrndup(spec, (size_t)(at - spec)) : xstrdup(spec);
	const char *which = at ? at + 1 : NULL;
	const struct reg_version *v = NULL;
	enum reg_stage s;

	if (latest_version(r, model) == 0) {
		fmtbuf(err, errsize, "%s: no model %s", r->dir, model);
	} else if (which == NULL) {
		v = find_version(r, model, latest_version(r, model));
	} else if (all_digits(which)) {
		if ((v = find_version(r, model, strtol(which, NULL, 10))) == NULL)
			fmtbuf(err, errsize, "%s: %s has no version %s", r->dir, model, which);
	} else if (stage_parse(which, &s) == 0) {
		if ((v = registry_stage(r, model, s)) == NULL)
			fmtbuf(err, errsize, "%s: %s has no %s version", r->dir, model,
			       stage_name(s));
	} else {
		for (size_t i = 0; i < r->nversions && v == NULL; i++)
			if (strcmp(r->versions[i].model, model) == 0)
				for (size_t k = 0; k < r->versions[i].naliases; k++)
					if (strcmp(r->versions[i].aliases[k], which) == 0)
						v = &r->versions[i];
		if (v == NULL)
			fmtbuf(err, errsize, "%s: %s has no version, stage or alias '%s'", r->dir,
			       model, which);
	}
	free(model);
	return v;
}

/* --- writing ------------------------------------------------------------------------- */

static void
event_begin(struct jbuf *b, const struct registry *r, const char *event)
{
	char when[40];

	now_iso(when, NULL);
	jbuf_init(b);
	jbuf_open(b, '{');
	jbuf_key(b, "seq");
	jbuf_int(b, (long long)r->nevents + 1);
	jbuf_key(b, "time");
	jbuf_str(b, when);
	jbuf_key(b, "event");
	jbuf_str(b, event);
}

static void
host_user(struct jbuf *b)
{
	char host[256] = "unknown";

	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	jbuf_key(b, "host");
	jbuf_str(b, host);
	jbuf_key(b, "user");
	jbuf_str(b, user_name());
}

/*
 * Finish the event and append it as one line in one write(2); on any failure truncate the
 * log back to its size before, so nothing changed. Then replay the log again.
 */
static int
event_append(struct registry *r, struct jbuf *b, char *err, size_t errsize)
{
	char *path = join(r->dir, LOG_NAME);
	struct stat st;
	int fd, created, rc = 0;
	ssize_t n = 0;
	size_t done;

	host_user(b);
	jbuf_close(b, '}');
	jbuf_text(b, "\n");
	created = stat(path, &st) < 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = errf(err, errsize, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* One write(2) normally; a short one (a size limit) is continued to learn the error. */
	for (done = 0; done < b->len; done += (size_t)n) {
		n = write(fd, b->s + done, b->len - done);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			break;
	}
	if (done < b->len || fsync(fd) < 0) {
		int saved = errno ? errno : EIO;

		if (ftruncate(fd, r->log_size) == 0)
			fsync(fd);
		close(fd);
		if (created)
			unlink(path);
		rc = errf(err, errsize, "%s: %s", path, strerror(saved));
		goto out;
	}
	close(fd);
	if (created)
		fsync_dir(r->dir);
	rc = load_log(r, err, errsize);
out:
	jbuf_free(b);
	free(path);
	return rc;
}

/* Store the file at path as an object: its sha256 and size. 0, or -1 with err. */
static int
store_object(struct registry *r, const char *path, char sha[65], size_t *size, char *err,
             size_t errsize)
{
	char *buf, *obj, *objects;
	size_t len;
	struct atomic_file af;
	struct stat st;
	int rc = 0;

	if (read_file(path, &buf, &len, OBJECT_MAX_SIZE) < 0)
		return errf(err, errsize, "%s: %s", path, strerror(errno));
	hash_bytes(buf, len, sha);
	*size = len;
	obj = registry_object_path(r, sha);
	if (stat(obj, &st) == 0 && (size_t)st.st_size == len)
		goto out; /* already stored (verify re-hashes it) */
	if (atomic_open(&af, obj) < 0) {
		rc = errf(err, errsize, "%s: %s", obj, strerror(errno));
		goto out;
	}
	if (fwrite(buf, 1, len, af.fp) != len || fchmod(fileno(af.fp), 0444) < 0) {
		int saved = errno;

		atomic_abort(&af);
		rc = errf(err, errsize, "%s: %s", obj, strerror(saved));
		goto out;
	}
	if (atomic_commit(&af) < 0) {
		rc = errf(err, errsize, "%s: %s", obj, strerror(errno));
		goto out;
	}
	objects = join(r->dir, OBJECTS);
	fsync_dir(objects);
	free(objects);
out:
	free(obj);
	free(buf);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int
registry_add(struct registry *r, const struct reg_add *a, long *version, char *err, size_t errsize)
{
	char sha[65];
	size_t size;
	struct jbuf b, states;
	long v;

	if (r->lockfd < 0)
		return errf(err, errsize, "%s: not opened for writing", r->dir);
	if (!valid_name(a->model))
		return errf(err, errsize, "bad model name '%s' (no '@', no white space)",
		            a->model ? a->model : "");
	jbuf_init(&states);
	jbuf_open(&states, '[');
	for (size_t i = 0; i < a->nstates; i++) {
		const char *name =
		        a->states[i].name ? a->states[i].name : base_name(a->states[i].path);

		if (store_object(r, a->states[i].path, sha, &size, err, errsize) < 0) {
			jbuf_free(&states);
			return -1;
		}
		jbuf_open(&states, '{');
		jbuf_key(&states, "name");
		jbuf_str(&states, name);
		jbuf_key(&states, "sha256");
		jbuf_str(&states, sha);
		jbuf_key(&states, "size");
		jbuf_int(&states, (long long)size);
		jbuf_close(&states, '}');
	}
	jbuf_close(&states, ']');
	if (store_object(r, a->path, sha, &size, err, errsize) < 0) {
		jbuf_free(&states);
		return -1;
	}
	v = latest_version(r, a->model) + 1;
	event_begin(&b, r, "add");
	jbuf_key(&b, "model");
	jbuf_str(&b, a->model);
	jbuf_key(&b, "version");
	jbuf_int(&b, v);
	jbuf_key(&b, "sha256");
	jbuf_str(&b, sha);
	jbuf_key(&b, "size");
	jbuf_int(&b, (long long)size);
	jbuf_key(&b, "stage");
	jbuf_str(&b, "none");
	jbuf_key(&b, "source");
	jbuf_str(&b, a->path);
	jbuf_key(&b, "metrics");
	jbuf_raw(&b, a->metrics_json ? a->metrics_json : "{}");
	jbuf_key(&b, "states");
	jbuf_raw(&b, states.s);
	jbuf_key(&b, "run");
	jbuf_str(&b, a->run_id);
	if (a->description) {
		jbuf_key(&b, "description");
		jbuf_str(&b, a->description);
	}
	jbuf_free(&states);
	if (event_append(r, &b, err, errsize) < 0)
		return -1;
	*version = v;
	return 0;
}

static struct reg_version *
writable_version(struct registry *r, const char *model, long version, char *err, size_t errsize)
{
	struct reg_version *v;

	if (r->lockfd < 0) {
		fmtbuf(err, errsize, "%s: not opened for writing", r->dir);
		return NULL;
	}
	if ((v = find_version(r, model, version)) == NULL)
		fmtbuf(err, errsize, "%s: %s has no version %ld", r->dir, model, version);
	return v;
}

static void
event_version_fields(struct jbuf *b, const struct reg_version *v)
{
	jbuf_key(b, "model");
	jbuf_str(b, v->model);
	jbuf_key(b, "version");
	jbuf_int(b, v->version);
	jbuf_key(b, "sha256");
	jbuf_str(b, v->sha256);
}

int
registry_promote(struct registry *r, const char *model, long version, enum reg_stage s, char *err,
                 size_t errsize)
{
	struct reg_version *v = writable_version(r, model, version, err, errsize);
	const struct reg_version *holder;
	struct jbuf b;

	if (v == NULL)
		return -1;
	if (v->stage == s)
		return errf(err, errsize, "%s@%ld is already in stage %s", model, version,
		            stage_name(s));
	event_begin(&b, r, "promote");
	event_version_fields(&b, v);
	jbuf_key(&b, "stage");
	jbuf_str(&b, stage_name(s));
	jbuf_key(&b, "from");
	jbuf_str(&b, stage_name(v->stage));
	jbuf_key(&b, "archived");
	jbuf_open(&b, '[');
	holder = s == STAGE_STAGING || s == STAGE_PRODUCTION ? registry_stage(r, model, s) : NULL;
	if (holder != NULL)
		jbuf_int(&b, holder->version);
	jbuf_close(&b, ']');
	return event_append(r, &b, err, errsize);
}

int
registry_alias(struct registry *r, const char *model, long version, const char *alias, char *err,
               size_t errsize)
{
	struct reg_version *v = writable_version(r, model, version, err, errsize);
	enum reg_stage s;
	struct jbuf b;

	if (v == NULL)
		return -1;
	if (!valid_name(alias) || all_digits(alias) || stage_parse(alias, &s) == 0)
		return errf(err, errsize,
		            "bad alias '%s' (not a number, not a stage, no '@' or white space)",
		            alias);
	event_begin(&b, r, "alias");
	event_version_fields(&b, v);
	jbuf_key(&b, "alias");
	jbuf_str(&b, alias);
	return event_append(r, &b, err, errsize);
}

int
registry_tag(struct registry *r, const char *model, long version, const char *key,
             const char *value, char *err, size_t errsize)
{
	struct reg_version *v = writable_version(r, model, version, err, errsize);
	struct jbuf b;

	if (v == NULL)
		return -1;
	if (!valid_name(key))
		return errf(err, errsize, "bad tag key '%s'", key);
	event_begin(&b, r, "tag");
	event_version_fields(&b, v);
	jbuf_key(&b, "key");
	jbuf_str(&b, key);
	jbuf_key(&b, "value");
	jbuf_str(&b, value);
	return event_append(r, &b, err, errsize);
}

/* --- runs ---------------------------------------------------------------------------- */

void
reg_run_begin(struct reg_run *run, const char *tool)
{
	unsigned char rnd[4] = {0};
	char when[40];
	struct tm tm;
	size_t n;
	int fd;

	memset(run, 0, sizeof *run);
	run->tool = tool;
	now_iso(when, &run->start);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd) {
		unsigned long x = (unsigned long)getpid() ^ (unsigned long)run->start.tv_nsec;

		memcpy(rnd, &x, sizeof rnd);
	}
	if (fd >= 0)
		close(fd);
	gmtime_r(&run->start.tv_sec, &tm);
	n = strftime(run->id, sizeof run->id, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(run->id + n, sizeof run->id - n, "-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	         rnd[3]);
}

void
reg_run_param(struct reg_run *run, const char *name, const char *value)
{
	run->param_names = xreallocarray(run->param_names, run->nparams + 1, sizeof(char *));
	run->param_values = xreallocarray(run->param_values, run->nparams + 1, sizeof(char *));
	run->param_names[run->nparams] = xstrdup(name);
	run->param_values[run->nparams++] = xstrdup(value);
}

void
reg_run_free(struct reg_run *run)
{
	for (size_t i = 0; i < run->nparams; i++) {
		free(run->param_names[i]);
		free(run->param_values[i]);
	}
	free(run->param_names);
	free(run->param_values);
	run->param_names = run->param_values = NULL;
	run->nparams = 0;
}

/* A JSON fragment given by a tool must be one value: checked so the log stays parseable. */
static int
check_json(const char *what, const char *text, enum json_type type, char *err, size_t errsize)
{
	struct json j;
	char msg[128];

	if (text == NULL)
		return 0;
	if (json_parse(text, strlen(text), &j, msg, sizeof msg) < 0)
		return errf(err, errsize, "%s: not JSON: %s", what, msg);
	if (type == JSON_OBJ && j.type != JSON_OBJ) {
		json_free(&j);
		return errf(err, errsize, "%s: not a JSON object", what);
	}
	json_free(&j);
	return 0;
}

int
registry_run_append(struct registry *r, const struct reg_run *run, char *err, size_t errsize)
{
	struct timespec end;
	char start_iso[40], end_iso[40];
	struct jbuf b;

	if (r->lockfd < 0)
		return errf(err, errsize, "%s: not opened for writing", r->dir);
	if (check_json("cv", run->cv_json, JSON_NULL, err, errsize) < 0 ||
	    check_json("metrics", run->metrics_json, JSON_OBJ, err, errsize) < 0)
		return -1;
	event_begin(&b, r, "run");
	now_iso(end_iso, &end);
	iso_of(start_iso, &run->start);
	jbuf_key(&b, "run");
	jbuf_str(&b, run->id);
	jbuf_key(&b, "tool");
	jbuf_str(&b, run->tool);
	jbuf_key(&b, "params");
	jbuf_open(&b, '{');
	for (size_t i = 0; i < run->nparams; i++) {
		jbuf_key(&b, run->param_names[i]);
		jbuf_str(&b, run->param_values[i]);
	}
	jbuf_close(&b, '}');
	jbuf_key(&b, "cv");
	jbuf_raw(&b, run->cv_json ? run->cv_json : "null");
	jbuf_key(&b, "metrics");
	jbuf_raw(&b, run->metrics_json ? run->metrics_json : "{}");
	jbuf_key(&b, "input_sha256");
	jbuf_str(&b, run->input_sha256);
	jbuf_key(&b, "seed");
	if (run->has_seed)
		jbuf_int(&b, (long long)run->seed);
	else
		jbuf_null(&b);
	jbuf_key(&b, "pipeml_version");
	jbuf_str(&b, PIPEML_VERSION);
	jbuf_key(&b, "start");
	jbuf_str(&b, start_iso);
	jbuf_key(&b, "end");
	jbuf_str(&b, end_iso);
	jbuf_key(&b, "duration");
	jbuf_num(&b, (double)(end.tv_sec - run->start.tv_sec) +
	                     (double)(end.tv_nsec - run->start.tv_nsec) / 1e9);
	return event_append(r, &b, err, errsize);
}

int
registry_run_record(const char *dir, const struct reg_run *run, char *err, size_t errsize)
{
	struct registry r;
	int rc;

	if (registry_open(&r, dir, 1, err, errsize) < 0)
		return -1;
	rc = registry_run_append(&r, run, err, errsize);
	registry_close(&r);
	return rc;
}

/* --- verify -------------------------------------------------------------------------- */

struct seen {
	char **sha;
	size_t n;
};

static int
seen_has(const struct seen *s, const char *sha)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->sha[i], sha) == 0)
			return 1;
	return 0;
}

static size_t
check_object(const struct registry *r, struct seen *s, const char *sha, const char *what, FILE *out)
{
	char *path, *buf, hex[65];
	size_t len;

	if (seen_has(s, sha))
		return 0;
	s->sha = xreallocarray(s->sha, s->n + 1, sizeof *s->sha);
	s->sha[s->n++] = xstrdup(sha);
	path = registry_object_path(r, sha);
	if (read_file(path, &buf, &len, OBJECT_MAX_SIZE) < 0) {
		fprintf(out, "%s: %s: %s\n", what, path, strerror(errno));
		free(path);
		return 1;
	}
	hash_bytes(buf, len, hex);
	free(buf);
	if (strcmp(hex, sha) != 0) {
		fprintf(out, "%s: %s: content hashes to %s\n", what, path, hex);
		free(path);
		return 1;
	}
	free(path);
	return 0;
}

static size_t
check_unreferenced(const struct registry *r, const struct seen *s, FILE *out)
{
	char *objects = join(r->dir, OBJECTS);
	DIR *d = opendir(objects);
	struct dirent *de;
	size_t problems = 0;

	if (d == NULL) {
		if (r->nversions > 0) {
			fprintf(out, "%s: %s\n", objects, strerror(errno));
			problems++;
		}
		free(objects);
		return problems;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || seen_has(s, de->d_name))
			continue;
		if (strstr(de->d_name, ".tmp.") != NULL) {
			fprintf(out, "note: %s/%s: temporary file of an interrupted write\n",
			        objects, de->d_name);
		} else if (is_sha256(de->d_name)) {
			struct seen one = {0};

			/* Not named by the log: a write interrupted before its event. */
			problems += check_object(r, &one, de->d_name, "unreferenced object", out);
			fprintf(out, "note: %s/%s: not referenced by the log\n", objects,
			        de->d_name);
			free(one.sha[0]);
			free(one.sha);
		} else {
			fprintf(out, "%s/%s: not an object name\n", objects, de->d_name);
			problems++;
		}
	}
	closedir(d);
	free(objects);
	return problems;
}

size_t
registry_verify(const char *dir, FILE *out)
{
	struct registry r;
	struct seen s = {0};
	char err[512], *lock;
	size_t problems = 0;
	int lockfd;

	if (dir == NULL)
		dir = registry_dir(NULL);
	lock = join(dir != NULL ? dir : REGISTRY_DEFAULT_DIR, LOCK_NAME);
	lockfd = open(lock, O_RDONLY | O_CLOEXEC);

	/* A shared lock: no writer is half-way through while we look. */
	free(lock);
	while (lockfd >= 0 && flock(lockfd, LOCK_SH) < 0 && errno == EINTR)
		;
	if (registry_open(&r, dir, 0, err, sizeof err) < 0) {
		fprintf(out, "%s\n", err);
		if (lockfd >= 0)
			close(lockfd);
		return 1;
	}
	for (size_t i = 0; i < r.nversions; i++) {
		const struct reg_version *v = &r.versions[i];
		const struct json *states = json_get(v->event, "states");
		char what[300];

		snprintf(what, sizeof what, "%s@%ld", v->model, v->version);
		problems += check_object(&r, &s, v->sha256, what, out);
		for (size_t k = 0; states != NULL && k < states->n; k++) {
			snprintf(what, sizeof what, "%s@%ld state %s", v->model, v->version,
			         json_get_str(&states->items[k], "name"));
			problems += check_object(&r, &s, json_get_str(&states->items[k], "sha256"),
			                         what, out);
		}
	}
	problems += check_unreferenced(&r, &s, out);
	if (r.torn)
		fprintf(out, "note: %s/%s: a torn last line (an interrupted write) is ignored\n",
		        r.dir, LOG_NAME);
	for (size_t i = 0; i < s.n; i++)
		free(s.sha[i]);
	free(s.sha);
	registry_close(&r);
	if (lockfd >= 0)
		close(lockfd);
	return problems;
}
