/*
 * json.h: JSON text for reports and the registry's log — a growable buffer to write into,
 * direct writers to a stream, and a small parser into a tree (RFC 8259; numbers as doubles).
 */
#ifndef PIPEML_JSON_H
#define PIPEML_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <msgpack.h>

/*
 * A JSON text being built. Commas are inserted automatically: a key or a value written
 * after a complete value gets one. Strings are escaped; non-finite numbers are null.
 */
struct jbuf {
	char *s; /* NUL-terminated */
	size_t len, cap;
};

void jbuf_init(struct jbuf *b);
void jbuf_free(struct jbuf *b);
/* '{', '[' (after a comma when needed) or '}', ']'. */
void jbuf_open(struct jbuf *b, char c);
void jbuf_close(struct jbuf *b, char c);
/* "key": — the next call writes its value. */
void jbuf_key(struct jbuf *b, const char *key);
void jbuf_str(struct jbuf *b, const char *s); /* NULL is null */
void jbuf_strn(struct jbuf *b, const char *s, size_t len);
void jbuf_num(struct jbuf *b, double x); /* shortest round-trip text */
void jbuf_int(struct jbuf *b, long long x);
void jbuf_bool(struct jbuf *b, int x);
void jbuf_null(struct jbuf *b);
/* A JSON text already complete (a value), e.g. another jbuf's s. */
void jbuf_raw(struct jbuf *b, const char *json);
/* Text appended as is (no comma), e.g. the newline ending a JSON line. */
void jbuf_text(struct jbuf *b, const char *text);

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	double num; /* JSON_NUM; JSON_BOOL: 0 or 1 */
	char *str;  /* JSON_STR (NUL-terminated; an embedded \u0000 is refused) */
	size_t n;   /* JSON_ARR, JSON_OBJ: items */
	struct json *items;
	char **keys; /* JSON_OBJ: n keys */
};

/*
 * Parse exactly one JSON value in s[0..len) (surrounding white space and a leading
 * byte-order mark allowed): 0, or -1 with the byte offset and what was expected in err.
 * A number out of the range of a double is an error; a key repeated in an object is kept
 * (json_get finds the last, as Python's json does: registry logs hold such objects). On
 * error *out is left empty.
 */
int json_parse(const char *s, size_t len, struct json *out, char *err, size_t errsize);
void json_free(struct json *j);
/* Write j (any value) into b. */
void jbuf_json(struct jbuf *b, const struct json *j);

/* The member key of an object (the last one when repeated), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* The string member key, or NULL when missing or not a string. */
const char *json_get_str(const struct json *obj, const char *key);
/* The number member key into *x: 0, or -1 when missing or not a number. */
int json_get_num(const struct json *obj, const char *key, double *x);
/* The whole-number member key in [min, max] (|min|, |max| at most 2^53) into *x: 0, or -1 when
 * missing, not a number, not whole or out of range. */
int json_get_int(const struct json *obj, const char *key, long min, long max, long *x);

/*
 * Direct writers to fp, with the same escaping and number forms as jbuf: a string (len
 * bytes), a number (NaN and ±infinity as null), and a msgpack object pretty-printed with
 * maps one key per line indented by depth (bin and ext as null).
 */
void json_str(FILE *fp, const char *s, size_t len);
void json_f64(FILE *fp, double x);
void json_msgpack(FILE *fp, const msgpack_object *o, int depth);

#endif
