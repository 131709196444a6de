/*
 * test_objects.c - the KMDF front-end's objects, as wdfobject.h documents them: typed
 * contexts, the parent/child tree and the order of cleanup and destroy callbacks, reference
 * counts, and handles the framework refuses (NULL, the wrong type, deleted, never one) as
 * WDF_VIOLATION findings instead of faults.
 */
#include <check.h>
#include <string.h>

#include <ntddk.h>
#include <wdf.h>

#include "helpers.h"

typedef struct _THING_CONTEXT {
    ULONG Serial;
    UCHAR Bytes[200];
} THING_CONTEXT, *PTHING_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(THING_CONTEXT, ThingGetContext)

typedef struct _EXTRA_CONTEXT {
    ULONG64 Value;
} EXTRA_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(EXTRA_CONTEXT)

typedef struct _UNUSED_CONTEXT {
    int x;
} UNUSED_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(UNUSED_CONTEXT)

/* What the callbacks saw, in order: "c:NAME" for a cleanup, "d:NAME" for a destroy. */
static char order[512];

static void note(const char *kind, WDFOBJECT o)
{
    PTHING_CONTEXT c = ThingGetContext(o);

    snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%u ", kind,
             c != NULL ? (unsigned)c->Serial : 0u);
}

static VOID on_cleanup(WDFOBJECT o)
{
    note("c", o);
}

static VOID on_destroy(WDFOBJECT o)
{
    note("d", o);
}

static WDFOBJECT thing(WDFOBJECT parent, ULONG serial)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDFOBJECT o = NULL;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, THING_CONTEXT);
    a.ParentObject = parent;
    a.EvtCleanupCallback = on_cleanup;
    a.EvtDestroyCallback = on_destroy;
    ck_assert_int_eq(WdfObjectCreate(&a, &o), STATUS_SUCCESS);
    ck_assert_ptr_nonnull(o);
    ThingGetContext(o)->Serial = serial;
    return o;
}

START_TEST(test_typed_contexts)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    WDF_OBJECT_ATTRIBUTES a;
    WDFOBJECT o = thing(NULL, 7);
    PTHING_CONTEXT c = ThingGetContext(o);
    EXTRA_CONTEXT *e, *again;

    /* the context is zeroed, of its type's size, and leads back to its object */
    for (size_t i = 0; i < sizeof(c->Bytes); i++)
        ck_assert_uint_eq(c->Bytes[i], 0);
    ck_assert_ptr_eq(WdfObjectGetTypedContext(o, THING_CONTEXT), c);
    ck_assert_ptr_eq(WdfObjectContextGetObject(c), o);
    /* a second context type on the same object, once */
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, EXTRA_CONTEXT);
    ck_assert_int_eq(WdfObjectAllocateContext(o, &a, (PVOID *)&e), STATUS_SUCCESS);
    ck_assert_ptr_eq(WdfObjectGet_EXTRA_CONTEXT(o), e);
    ck_assert_int_eq(WdfObjectAllocateContext(o, &a, (PVOID *)&again),
                     STATUS_OBJECT_NAME_EXISTS);
    ck_assert_ptr_eq(again, e);
    ck_assert_ptr_eq(WdfObjectContextGetObject(e), o);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    /* a type the object has no context of: NULL, and said */
    ck_assert_ptr_null(WdfObjectGet_UNUSED_CONTEXT(o));
    ck_assert_finding(m, DMS_CHECK_DRIVER);
    ck_assert_ptr_null(WdfObjectContextGetObject(&a));
    ck_assert_finding(m, DMS_CHECK_DRIVER);
    /* ContextSizeOverride makes the context bigger than its type */
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, EXTRA_CONTEXT);
    a.ContextSizeOverride = 4096;
    {
        WDFOBJECT big;
        ck_assert_int_eq(WdfObjectCreate(&a, &big), STATUS_SUCCESS);
        memset(WdfObjectGet_EXTRA_CONTEXT(big), 0x5a, 4096); /* ASan holds it to 4096 */
        WdfObjectDelete(big);
    }
    WdfObjectDelete(o);
    machine_done(m);
}
END_TEST

/* The documented order: children's cleanups before the parent's, then the destroys, children
 * first; the whole tree goes with its root. */
START_TEST(test_delete_order)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    WDFOBJECT root = thing(NULL, 1), a = thing(root, 2), b = thing(root, 3);
    WDFOBJECT grandchild = thing(a, 4);

    order[0] = '\0';
    WdfObjectDelete(root);
    ck_assert_str_eq(order, "c4 c2 c3 c1 d4 d2 d3 d1 ");
    ck_assert_uint_eq(dms_finding_count(m), 0);
    /* the handles are gone: a method on one is a finding, never a fault */
    WdfObjectDelete(grandchild);
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x5));
    (void)b;
    machine_done(m);
}
END_TEST

/* A driver's reference keeps the object (and its context) past its deletion, until the
 * reference is dropped; only then the destroy callback. */
START_TEST(test_reference_outlives_delete)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    WDFOBJECT o = thing(NULL, 9);
    WDF_OBJECT_ATTRIBUTES a;

    WdfObjectReference(o);
    order[0] = '\0';
    WdfObjectDelete(o);
    ck_assert_str_eq(order, "c9 ");
    ck_assert_uint_eq(ThingGetContext(o)->Serial, 9); /* the context is still there */
    /* but methods are refused on a deleted object */
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, EXTRA_CONTEXT);
    ck_assert_int_eq(WdfObjectAllocateContext(o, &a, NULL), STATUS_INVALID_HANDLE);
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x5));
    WdfObjectDelete(o); /* deleting it again is nothing */
    ck_assert_str_eq(order, "c9 ");
    WdfObjectDereference(o);
    ck_assert_str_eq(order, "c9 d9 ");
    WdfObjectDereference(o); /* gone now */
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x5));
    machine_done(m);
}
END_TEST

/* Dropping the framework's own reference instead of deleting is WDF_VIOLATION 0x7; the
 * object stays. */
START_TEST(test_dereference_is_not_delete)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    WDFOBJECT o = thing(NULL, 5);

    order[0] = '\0';
    WdfObjectDereference(o);
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x7));
    ck_assert_str_eq(order, "");
    ck_assert_uint_eq(ThingGetContext(o)->Serial, 5);
    WdfObjectDelete(o);
    ck_assert_str_eq(order, "c5 d5 ");
    machine_done(m);
}
END_TEST

/* Handles the framework refuses: NULL (0x4), never a handle, another type's (0x5). */
START_TEST(test_bad_handles)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    static char junk[64];
    WDFOBJECT o = thing(NULL, 3);
    WDF_OBJECT_ATTRIBUTES a;
    WDFOBJECT out;

    ck_assert_ptr_null(WdfDeviceWdmGetDeviceObject(NULL));
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x4));
    ck_assert_ptr_null(WdfDeviceWdmGetDeviceObject((WDFDEVICE)junk));
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x5));
    ck_assert_ptr_null(WdfDeviceWdmGetDeviceObject((WDFDEVICE)o)); /* a generic object */
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x5));
    WdfRequestComplete((WDFREQUEST)o, STATUS_SUCCESS);
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x5));
    /* attributes the framework cannot read */
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.Size = 12;
    ck_assert_int_eq(WdfObjectCreate(&a, &out), STATUS_INFO_LENGTH_MISMATCH);
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x4));
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = (WDFOBJECT)junk;
    ck_assert_int_eq(WdfObjectCreate(&a, &out), STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    ck_assert_ptr_null(out);
    WdfObjectDelete(o);
    machine_done(m);
}
END_TEST

/* Objects the driver never deleted go with the machine (no leak under ASan, no callback into
 * a driver that is gone). */
START_TEST(test_machine_takes_leftovers)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    WDFOBJECT root = thing(NULL, 1);

    (void)thing(root, 2);
    WdfObjectReference(thing(NULL, 3));
    order[0] = '\0';
    machine_done(m);
    ck_assert_str_eq(order, "");
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kmdf/objects");
    TCase *tc = tcase_create("objects");

    tcase_add_test(tc, test_typed_contexts);
    tcase_add_test(tc, test_delete_order);
    tcase_add_test(tc, test_reference_outlives_delete);
    tcase_add_test(tc, test_dereference_is_not_delete);
    tcase_add_test(tc, test_bad_handles);
    tcase_add_test(tc, test_machine_takes_leftovers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
