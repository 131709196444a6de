/*
 * test_wpp.c - a WPP-traced source builds as it does in the WDK: it includes its "NAME.tmh"
 * (made by dmasim_wpp), calls TraceEvents with a WPP_DEFINE_BIT flag name and WPP's format
 * extensions, and the messages reach the debugger log with the level, the flag and the
 * arguments read at their Windows sizes.
 */
#include <check.h>
#include <string.h>

#include <ntddk.h>
#include <wdf.h>
#include <evntrace.h>
#include <initguid.h>

#include "helpers.h"
#include "test_wpp.tmh"

DEFINE_GUID(GUID_TEST_INTERFACE, 0x29d2a384, 0x2e47, 0x49b5, 0xae, 0xbf, 0x69, 0x62, 0xc2, 0x2b,
            0xd7, 0xc2);

static char log_text[4096];

static void on_print(void *ctx, const char *text)
{
    (void)ctx;
    snprintf(log_text + strlen(log_text), sizeof(log_text) - strlen(log_text), "%s", text);
}

static void traced(void)
{
    ULONG64 big = 0x123456789AULL;
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, L"PLX");
    TraceEvents(TRACE_LEVEL_INFORMATION, DBG_PNP, "--> %!FUNC! %d%%", 42);
    TraceEvents(TRACE_LEVEL_ERROR, DBG_INIT, "failed %!STATUS! at %I64X, %wZ, %!bool!",
                STATUS_INSUFFICIENT_RESOURCES, big, &name, TRUE);
    TraceEvents(TRACE_LEVEL_VERBOSE, DBG_DPC, "%!FILE!:%!LINE! %s %p", "ok", (void *)0);
}

START_TEST(test_trace_events)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);

    log_text[0] = '\0';
    dms_machine_set_debug_print(m, on_print, NULL);
    WPP_INIT_TRACING(NULL, NULL);
    traced();
    WPP_CLEANUP(NULL);
    ck_assert_ptr_nonnull(strstr(log_text, "[INFORMATION] DBG_PNP: --> traced 42%\n"));
    ck_assert_ptr_nonnull(strstr(log_text, "[ERROR] DBG_INIT: failed 0xc000009a at "
                                           "123456789A, PLX, 1\n"));
    ck_assert_ptr_nonnull(strstr(log_text, "[VERBOSE] DBG_DPC: test_wpp.c:"));
    ck_assert_uint_eq(GUID_TEST_INTERFACE.Data1, 0x29d2a384);
    ck_assert_uint_eq(GUID_TEST_INTERFACE.Data4[7], 0xc2);
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kmdf/wpp");
    TCase *tc = tcase_create("wpp");

    tcase_add_test(tc, test_trace_events);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
