/* json.h: write JSON — strings escaped, numbers that read back exactly, msgpack objects. */
#ifndef PIPEML_JSON_H
#define PIPEML_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <msgpack.h>

/* A string, quoted, with '"', '\\' and control characters escaped (UTF-8 passes as is). */
void json_str(FILE *fp, const char *s, size_t len);
/* A number in its shortest exact form; NaN and ±infinity (not JSON) as null. */
void json_f64(FILE *fp, double x);
/* A msgpack object as JSON, maps one key per line indented by depth (bin and ext: null). */
void json_msgpack(FILE *fp, const msgpack_object *o, int depth);

#endif
