#include <math.h>
#include <stdint.h>

#include "json.h"
#include "util.h"

void
json_str(FILE *fp, const char *s, size_t len)
{
	putc('"', fp);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(fp, "\\u%04x", ch);
		else
			putc(ch, fp);
	}
	putc('"', fp);
}

void
json_f64(FILE *fp, double x)
{
	char num[40];

	if (!isfinite(x)) {
		fputs("null", fp);
		return;
	}
	format_f64(num, sizeof num, x);
	fputs(num, fp);
}

void
json_msgpack(FILE *fp, const msgpack_object *o, int depth)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", fp);
		break;
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
	default:
		fputs("null", fp);
	}
}
