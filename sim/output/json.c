/*
 * json.c - the JSON writer every report and trace uses (see json.h).
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", out);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
    if (j->depth > 0)
        fprintf(j->out, "%s\n%*s", j->first ? "" : ",", 2 * j->depth, "");
    j->first = false;
    if (key != NULL) {
        json_string(j->out, key);
        fputs(": ", j->out);
    }
}

void json_open(struct json *j, const char *key, char brace)
{
    json_key(j, key);
    fputc(brace, j->out);
    j->depth++;
    j->first = true;
}

void json_close(struct json *j, char brace)
{
    j->depth--;
    if (!j->first)
        fprintf(j->out, "\n%*s", 2 * j->depth, "");
    fputc(brace, j->out);
    j->first = false;
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
    json_key(j, key);
    fprintf(j->out, "%" PRIu64, v);
}

void json_f(struct json *j, const char *key, double v)
{
    json_key(j, key);
    fprintf(j->out, "%.6f", v);
}

void json_str(struct json *j, const char *key, const char *v)
{
    json_key(j, key);
    json_string(j->out, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
    json_key(j, key);
    fputs(v ? "true" : "false", j->out);
}

struct config_writer {
    struct json *j;
    char section[64];
};

static void config_value(void *ctx, const char *section, const char *key, const char *value,
                         bool is_number)
{
    struct config_writer *w = ctx;

    if (strcmp(w->section, section) != 0) {
        if (w->section[0] != '\0')
            json_close(w->j, '}');
        snprintf(w->section, sizeof(w->section), "%s", section);
        json_open(w->j, section, '{');
    }
    json_key(w->j, key);
    if (is_number)
        fputs(value, w->j->out);
    else
        json_string(w->j->out, value);
}

void json_config(struct json *j, const char *key, const struct scenario *s)
{
    struct config_writer cw = {j, ""};

    json_open(j, key, '{');
    scenario_each_value(s, config_value, &cw);
    if (cw.section[0] != '\0')
        json_close(j, '}');
    json_close(j, '}');
}
