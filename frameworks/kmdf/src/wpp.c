/*
 * wpp.c - the trace function behind dmasim/wpp.h: a WPP message to the debugger log.
 *
 * WPP's format is the kernel's DbgPrint format plus %!NAME! conversions the WPP preprocessor
 * understands. They are rewritten here into DbgPrint's before the message goes to vDbgPrintEx
 * with the same arguments: the ones that take an argument become the DbgPrint conversion of
 * its size (an NTSTATUS or HRESULT a 32-bit hex number, a bool a decimal), the ones that take
 * none (%!FUNC!, %!FILE!, %!LINE!, %!LEVEL!, %!FLAGS!) become the text they stand for. A
 * conversion WPP defines for a driver's own types is read as a pointer. No library knows WPP's
 * format language (it lives in the WDK's preprocessor), so the rewrite is done here.
 */
#include <stdio.h>
#include <string.h>

#include "dmasim/wpp.h"

#define WPP_LINE 1024

static const char *level_name(ULONG level)
{
    static const char *const names[] = {"NONE", "FATAL", "ERROR", "WARNING", "INFORMATION",
                                        "VERBOSE"};

    return level < sizeof(names) / sizeof(names[0]) ? names[level] : "LEVEL";
}

/* Append text to out (with '%' doubled: it is a format). */
static size_t put_literal(char *out, size_t at, size_t cap, const char *text)
{
    for (; *text != '\0' && at + 2 < cap; text++) {
        if (*text == '%')
            out[at++] = '%';
        out[at++] = *text;
    }
    return at;
}

static size_t put_raw(char *out, size_t at, size_t cap, const char *text)
{
    size_t n = strlen(text);

    if (at + n >= cap)
        n = cap - at - 1;
    memcpy(out + at, text, n);
    return at + n;
}

ULONG DmasimWppTrace(ULONG Level, PCSTR Flags, PCSTR Function, PCSTR File, ULONG Line,
                     PCSTR Format, ...)
{
    char fmt[WPP_LINE], number[16];
    const char *base = File != NULL && strrchr(File, '/') != NULL ? strrchr(File, '/') + 1 : File;
    size_t at = 0;
    va_list ap;
    ULONG status;

    if (Format == NULL)
        return STATUS_INVALID_PARAMETER;
    at = put_literal(fmt, at, sizeof(fmt), "[");
    at = put_literal(fmt, at, sizeof(fmt), level_name(Level));
    at = put_literal(fmt, at, sizeof(fmt), "] ");
    at = put_literal(fmt, at, sizeof(fmt), Flags != NULL ? Flags : "");
    at = put_literal(fmt, at, sizeof(fmt), ": ");
    for (const char *f = Format; *f != '\0' && at + 16 < sizeof(fmt);) {
        const char *end;
        char name[32];
        size_t n;
        if (f[0] != '%' || f[1] != '!' || (end = strchr(f + 2, '!')) == NULL ||
            (n = (size_t)(end - (f + 2))) >= sizeof(name)) {
            if (f[0] == '%' && f[1] == '%') /* a literal percent stays one */
                fmt[at++] = *f++;
            fmt[at++] = *f++;
            continue;
        }
        memcpy(name, f + 2, n);
        name[n] = '\0';
        f = end + 1;
        if (strcmp(name, "STATUS") == 0 || strcmp(name, "NTSTATUS") == 0 ||
            strcmp(name, "HRESULT") == 0 || strcmp(name, "WINERROR") == 0)
            at = put_raw(fmt, at, sizeof(fmt), "0x%08lx");
        else if (strcmp(name, "bool") == 0 || strcmp(name, "BOOLEAN") == 0)
            at = put_raw(fmt, at, sizeof(fmt), "%d");
        else if (strcmp(name, "FUNC") == 0)
            at = put_literal(fmt, at, sizeof(fmt), Function != NULL ? Function : "");
        else if (strcmp(name, "FILE") == 0)
            at = put_literal(fmt, at, sizeof(fmt), base != NULL ? base : "");
        else if (strcmp(name, "LINE") == 0) {
            snprintf(number, sizeof(number), "%lu", (unsigned long)Line);
            at = put_literal(fmt, at, sizeof(fmt), number);
        } else if (strcmp(name, "LEVEL") == 0)
            at = put_literal(fmt, at, sizeof(fmt), level_name(Level));
        else if (strcmp(name, "FLAGS") == 0)
            at = put_literal(fmt, at, sizeof(fmt), Flags != NULL ? Flags : "");
        else
            at = put_raw(fmt, at, sizeof(fmt), "%p");
    }
    at = put_raw(fmt, at, sizeof(fmt), "\n");
    fmt[at] = '\0';
    va_start(ap, Format);
    status = vDbgPrintEx(0, Level, fmt, ap);
    va_end(ap);
    return status;
}
