/*
 * json.h - a small streaming JSON writer.
 *
 * Hand-written on purpose: reports and traces are fixed trees whose key order must be the same
 * every time (byte-identical reports for identical runs), they need only objects, arrays,
 * strings and numbers, and they print decimals with a fixed precision (json-c, which the
 * tool uses for a sweep's point files, where doubles must round-trip exactly, prints 17
 * digits). Strings are escaped per RFC 8259; numbers are integers, or decimals printed with a
 * fixed precision, so the same value always prints the same way.
 */
#ifndef DMASIM_JSON_H
#define DMASIM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

struct json {
    FILE *out;
    int depth;  /* nesting; 0 at the top */
    bool first; /* nothing written yet at this depth */
};

void json_string(FILE *out, const char *s);
/* Start a member (key may be NULL inside an array), with the comma and indentation. */
void json_key(struct json *j, const char *key);
void json_open(struct json *j, const char *key, char brace);
void json_close(struct json *j, char brace);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_f(struct json *j, const char *key, double v); /* six decimals */
void json_str(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);
/* A scenario's effective configuration: {"machine": {...}, "device disk0": {...}, ...}. */
void json_config(struct json *j, const char *key, const struct scenario *s);

#endif /* DMASIM_JSON_H */
