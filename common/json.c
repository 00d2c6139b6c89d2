/* json.c: JSON writer and parser. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define JSON_MAX_DEPTH 64

void
jbuf_init(struct jbuf *b)
{
	b->cap = 256;
	b->s = xmalloc(b->cap);
	b->s[0] = '\0';
	b->len = 0;
}

void
jbuf_free(struct jbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static void
put(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* A comma before a new key or value unless it opens a container or follows a key. */
static void
sep(struct jbuf *b)
{
	if (b->len > 0 && !strchr("{[:", b->s[b->len - 1]))
		put(b, ",", 1);
}

void
jbuf_open(struct jbuf *b, char c)
{
	sep(b);
	put(b, &c, 1);
}

void
jbuf_close(struct jbuf *b, char c)
{
	put(b, &c, 1);
}

static void
put_strn(struct jbuf *b, const char *s, size_t len)
{
	put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c == '\n') {
			put(b, "\\n", 2);
		} else if (c == '\t') {
			put(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}

static void
put_str(struct jbuf *b, const char *s)
{
	put_strn(b, s, strlen(s));
}

void
jbuf_key(struct jbuf *b, const char *key)
{
	sep(b);
	put_str(b, key);
	put(b, ":", 1);
}

void
jbuf_str(struct jbuf *b, const char *s)
{
	if (s == NULL) {
		jbuf_null(b);
		return;
	}
	sep(b);
	put_str(b, s);
}

void
jbuf_strn(struct jbuf *b, const char *s, size_t len)
{
	sep(b);
	put_strn(b, s, len);
}

void
jbuf_num(struct jbuf *b, double x)
{
	char buf[64];
	int n;

	if (!isfinite(x)) {
		jbuf_null(b);
		return;
	}
	n = format_f64(buf, sizeof buf, x);
	sep(b);
	put(b, buf, (size_t)n);
}

void
jbuf_int(struct jbuf *b, long long x)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lld", x);

	sep(b);
	put(b, buf, (size_t)n);
}

void
jbuf_bool(struct jbuf *b, int x)
{
	sep(b);
	put(b, x ? "true" : "false", x ? 4 : 5);
}

void
jbuf_null(struct jbuf *b)
{
	sep(b);
	put(b, "null", 4);
}

void
jbuf_raw(struct jbuf *b, const char *json)
{
	sep(b);
	put(b, json, strlen(json));
}

void
jbuf_text(struct jbuf *b, const char *text)
{
	put(b, text, strlen(text));
}

void
jbuf_json(struct jbuf *b, const struct json *j)
{
	switch (j->type) {
	case JSON_NULL:
		jbuf_null(b);
		break;
	case JSON_BOOL:
		jbuf_bool(b, j->num != 0);
		break;
	case JSON_NUM:
		jbuf_num(b, j->num);
		break;
	case JSON_STR:
		jbuf_str(b, j->str);
		break;
	case JSON_ARR:
		jbuf_open(b, '[');
		for (size_t i = 0; i < j->n; i++)
			jbuf_json(b, &j->items[i]);
		jbuf_close(b, ']');
		break;
	case JSON_OBJ:
		jbuf_open(b, '{');
		for (size_t i = 0; i < j->n; i++) {
			jbuf_key(b, j->keys[i]);
			jbuf_json(b, &j->items[i]);
		}
		jbuf_close(b, '}');
		break;
	}
}

struct parser {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errsize;
};

static int
fail(struct parser *p, const char *what)
{
	snprintf(p->err, p->errsize, "offset %zu: %s", p->pos, what);
	return -1;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int
literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "expected a JSON value");
	p->pos += n;
	return 0;
}

static int
hex4(struct parser *p, unsigned *u)
{
	*u = 0;
	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad hex digit in \\u escape");
	}
	return 0;
}

static void
put_utf8(struct jbuf *b, unsigned u)
{
	char c[4];
	size_t n;

	if (u < 0x80) {
		c[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		c[0] = (char)(0xc0 | u >> 6);
		c[1] = (char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		c[0] = (char)(0xe0 | u >> 12);
		c[1] = (char)(0x80 | (u >> 6 & 0x3f));
		c[2] = (char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		c[0] = (char)(0xf0 | u >> 18);
		c[1] = (char)(0x80 | (u >> 12 & 0x3f));
		c[2] = (char)(0x80 | (u >> 6 & 0x3f));
		c[3] = (char)(0x80 | (u & 0x3f));
		n = 4;
	}
	put(b, c, n);
}

static int
parse_string(struct parser *p, char **out)
{
	struct jbuf b;

	p->pos++; /* the opening quote */
	jbuf_init(&b);
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len) {
			jbuf_free(&b);
			return fail(p, "unterminated string");
		}
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20) {
			jbuf_free(&b);
			return fail(p, "control character in string");
		}
		if (c != '\\') {
			put(&b, (const char *)&c, 1);
			continue;
		}
		if (p->pos >= p->len) {
			jbuf_free(&b);
			return fail(p, "unterminated string");
		}
		c = (unsigned char)p->s[p->pos++];
		if (c == 'u') {
			unsigned u, lo;

			if (hex4(p, &u) < 0)
				goto bad;
			if (u >= 0xd800 && u < 0xdc00) {
				if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					fail(p, "unpaired surrogate");
					goto bad;
				}
				p->pos += 2;
				if (hex4(p, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "unpaired surrogate");
					goto bad;
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				fail(p, "unpaired surrogate");
				goto bad;
			} else if (u == 0) {
				fail(p, "\\u0000 in string");
				goto bad;
			}
			put_utf8(&b, u);
			continue;
		}
		{
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *at = c ? strchr(from, c) : NULL;

			if (at == NULL) {
				fail(p, "bad escape in string");
				goto bad;
			}
			put(&b, to + (at - from), 1);
		}
	}
	*out = b.s;
	return 0;
bad:
	jbuf_free(&b);
	return -1;
}

static int
parse_number(struct parser *p, double *x)
{
	size_t start = p->pos;
	const char *s = p->s;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && s[p->pos] == '0')
		p->pos++;
	else if (p->pos < p->len && s[p->pos] >= '1' && s[p->pos] <= '9')
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	else
		return fail(p, "expected a JSON value");
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return fail(p, "expected a digit after '.'");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return fail(p, "expected a digit in the exponent");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	switch (parse_f64(s + start, p->pos - start, x)) {
	case 0:
		return 0;
	case -2:
		p->pos = start;
		return fail(p, "number out of the range of a double");
	default:
		p->pos = start;
		return fail(p, "bad number");
	}
}

static int parse_value(struct parser *p, struct json *j, int depth);

static int
parse_container(struct parser *p, struct json *j, int depth)
{
	char close = p->s[p->pos] == '{' ? '}' : ']';
	size_t cap = 0;

	j->type = close == '}' ? JSON_OBJ : JSON_ARR;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		skip_ws(p);
		if (j->type == JSON_OBJ) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a string key");
			if (parse_string(p, &key) < 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return fail(p, "expected ':'");
			}
			p->pos++;
		}
		if (j->n == cap) {
			cap = cap ? 2 * cap : 4;
			j->items = xreallocarray(j->items, cap, sizeof *j->items);
			if (j->type == JSON_OBJ)
				j->keys = xreallocarray(j->keys, cap, sizeof *j->keys);
		}
		if (j->type == JSON_OBJ)
			j->keys[j->n] = key;
		memset(&j->items[j->n], 0, sizeof j->items[j->n]);
		j->n++;
		if (parse_value(p, &j->items[j->n - 1], depth + 1) < 0)
			return -1;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
parse_value(struct parser *p, struct json *j, int depth)
{
	memset(j, 0, sizeof *j);
	if (depth > JSON_MAX_DEPTH)
		return fail(p, "nested too deeply");
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "expected a JSON value");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		return parse_container(p, j, depth);
	case '"':
		j->type = JSON_STR;
		return parse_string(p, &j->str);
	case 't':
		j->type = JSON_BOOL;
		j->num = 1;
		return literal(p, "true");
	case 'f':
		j->type = JSON_BOOL;
		return literal(p, "false");
	case 'n':
		return literal(p, "null");
	default:
		j->type = JSON_NUM;
		return parse_number(p, &j->num);
	}
}

int
json_parse(const char *s, size_t len, struct json *out, char *err, size_t errsize)
{
	struct parser p = {s, len, 0, err, errsize};

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		p.pos = 3; /* a byte-order mark, which RFC 8259 lets a parser ignore */
	if (parse_value(&p, out, 0) < 0) {
		json_free(out);
		return -1;
	}
	skip_ws(&p);
	if (p.pos != len) {
		json_free(out);
		return fail(&p, "trailing characters after the JSON value");
	}
	return 0;
}

void
json_free(struct json *j)
{
	for (size_t i = 0; i < j->n; i++) {
		json_free(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	memset(j, 0, sizeof *j);
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJ)
		return NULL;
	for (size_t i = obj->n; i-- > 0;)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

const char *
json_get_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_STR ? v->str : NULL;
}

int
json_get_num(const struct json *obj, const char *key, double *x)
{
	const struct json *v = json_get(obj, key);

	if (v == NULL || v->type != JSON_NUM)
		return -1;
	*x = v->num;
	return 0;
}

int
json_get_int(const struct json *obj, const char *key, long min, long max, long *x)
{
	double v;

	if (json_get_num(obj, key, &v) < 0 || !(v >= (double)min && v <= (double)max) ||
	    v != floor(v))
		return -1;
	*x = (long)v;
	return 0;
}

void
json_str(FILE *fp, const char *s, size_t len)
{
	struct jbuf b;

	jbuf_init(&b);
	put_strn(&b, s, len);
	fwrite(b.s, 1, b.len, fp);
	jbuf_free(&b);
}

void
json_f64(FILE *fp, double x)
{
	struct jbuf b;

	jbuf_init(&b);
	jbuf_num(&b, x);
	fwrite(b.s, 1, b.len, fp);
	jbuf_free(&b);
}

void
json_msgpack(FILE *fp, const msgpack_object *o, int depth)
{
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", fp);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(fp, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(fp, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		json_f64(fp, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		json_str(fp, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		fputc('[', fp);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			fputs(i ? ", " : "", fp);
			json_msgpack(fp, &o->via.array.ptr[i], depth + 1);
		}
		fputc(']', fp);
		break;
	case MSGPACK_OBJECT_MAP:
		fputc('{', fp);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];

			fprintf(fp, "%s\n%*s", i ? "," : "", 2 * (depth + 1), "");
			json_msgpack(fp, &kv->key, depth + 1);
			fputs(": ", fp);
			json_msgpack(fp, &kv->val, depth + 1);
		}
		fprintf(fp, "\n%*s}", 2 * depth, "");
		break;
	default: /* nil, bin, ext */
		fputs("null", fp);
	}
}
