/*
 * object.c - the framework's objects: handles, attributes, contexts, the parent/child tree,
 * reference counts and deletion, as wdfobject.h documents them.
 *
 * A handle is not a pointer: it encodes a slot of the machine's handle table and the slot's
 * generation, so the framework checks a handle the driver passes without reading through it,
 * and a handle of an object that is gone (a request already completed) is told apart from a
 * live one even when its slot has been reused. Its top byte makes it a non-canonical address:
 * a driver that dereferences one faults at once, as it would on Windows, where handles are
 * not pointers to anything the driver may read.
 *
 * Deletion follows the documented order: the cleanup callbacks of an object's children run
 * before its own (so a child's cleanup may still use its parent), then the framework drops
 * its references, children first, and each object whose count reaches zero gets its destroy
 * callback and is freed. A driver's extra reference (WdfObjectReference) keeps the memory and
 * the context until it is dropped; methods on a deleted object are refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx.h"

#define HANDLE_TAG 0xFD00000000000000ULL
#define SLOT_BITS  28

static void state_free(void *p)
{
    struct fx_state *st = p;

    /* what the driver never deleted (a device that was never removed, a leaked object):
     * the machine takes the memory, without calling the driver back and without the types'
     * own teardown (which reaches other objects, in no order here; what they hold of the
     * HAL's, the machine frees itself) */
    for (uint32_t i = 0; i < st->n_slots; i++) {
        struct fx_object *o = st->slots[i].obj;
        if (o == NULL)
            continue;
        if (o->machine_gone != NULL)
            o->machine_gone(o);
        for (struct fx_context *c = o->contexts, *n; c != NULL; c = n) {
            n = c->next;
            free(c);
        }
        free(o);
    }
    free(st->slots);
    free(st);
}

struct fx_state *fx_state(void)
{
    struct dms_machine *m = dms_machine_current();
    bool created;
    struct fx_state *st = dms_machine_framework_state(m, DMS_FRAMEWORK_KMDF, sizeof(*st),
                                                      state_free, &created);

    if (created) {
        st->m = m;
        st->free_head = UINT32_MAX;
    }
    return st;
}

void fx_violation(const char *routine, uint32_t code, uint64_t p2, uint64_t p3,
                  const char *fmt, ...)
{
    char text[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    dms_report_finding(dms_machine_current(), routine, DMS_BUGCHECK_10D(code), p2, p3, 0,
                       "WDF_VIOLATION (0x10D, %#x): %s", code, text);
}

const char *fx_type_name(enum fx_type type)
{
    static const char *const names[FX_TYPE_COUNT] = {
        "object", "WDFOBJECT", "WDFDRIVER", "WDFDEVICE", "WDFQUEUE", "WDFREQUEST",
        "WDFCMRESLIST", "WDFINTERRUPT", "WDFDMAENABLER", "WDFDMATRANSACTION",
        "WDFCOMMONBUFFER"};

    return (unsigned)type < FX_TYPE_COUNT ? names[type] : "object";
}

/* ---------------------------------------------------------------------------------------------
 * The handle table.
 */
static int slot_take(struct fx_state *st, struct fx_object *o)
{
    uint32_t i;

    if (st->free_head != UINT32_MAX) {
        i = st->free_head;
        st->free_head = st->slots[i].next_free;
    } else {
        if (st->n_slots == st->cap_slots) {
            uint32_t cap = st->cap_slots ? st->cap_slots * 2 : 64;
            struct fx_slot *p;
            if (cap >= (1u << SLOT_BITS))
                return -1;
            p = realloc(st->slots, cap * sizeof(*p));
            if (p == NULL)
                return -1;
            st->slots = p;
            st->cap_slots = cap;
        }
        i = st->n_slots++;
        st->slots[i].gen = 0;
    }
    st->slots[i].obj = o;
    st->slots[i].gen++;
    o->slot = i;
    o->handle = (WDFOBJECT)(uintptr_t)(HANDLE_TAG | ((uint64_t)st->slots[i].gen << 32) |
                                       ((uint64_t)(i + 1) << 4));
    return 0;
}

static void slot_give_back(struct fx_state *st, struct fx_object *o)
{
    st->slots[o->slot].obj = NULL;
    st->slots[o->slot].next_free = st->free_head;
    st->free_head = o->slot;
}

static struct fx_object *lookup(struct fx_state *st, WDFOBJECT handle)
{
    uint64_t h = (uint64_t)(uintptr_t)handle;
    uint32_t slot = (uint32_t)((h >> 4) & ((1u << SLOT_BITS) - 1));

    if ((h & 0xFF00000000000000ULL) != HANDLE_TAG || (h & 0xF) != 0 || slot == 0 ||
        slot > st->n_slots)
        return NULL;
    slot--;
    if (st->slots[slot].obj == NULL || st->slots[slot].gen != (uint16_t)(h >> 32))
        return NULL;
    return st->slots[slot].obj;
}

struct fx_object *fx_get(WDFOBJECT handle, enum fx_type type, const char *routine,
                         bool allow_deleted)
{
    struct fx_state *st = fx_state();
    struct fx_object *o;

    if (st == NULL)
        return NULL;
    if (handle == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: a NULL %s handle", routine, fx_type_name(type));
        return NULL;
    }
    o = lookup(st, handle);
    if (o == NULL) {
        fx_violation(routine, 0x5, (uint64_t)(uintptr_t)handle, 0,
                     "%s: %p is no live %s handle (deleted already, a request completed "
                     "already, or never one)", routine, handle, fx_type_name(type));
        return NULL;
    }
    if (type != FX_ANY && o->type != type) {
        fx_violation(routine, 0x5, (uint64_t)(uintptr_t)handle, 0,
                     "%s: %p is a %s handle, not a %s", routine, handle, fx_type_name(o->type),
                     fx_type_name(type));
        return NULL;
    }
    if (o->deleted && !allow_deleted) {
        fx_violation(routine, 0x5, (uint64_t)(uintptr_t)handle, 0,
                     "%s: %s %p is deleted (only its references and context may still be "
                     "used)", routine, fx_type_name(o->type), handle);
        return NULL;
    }
    return o;
}

/* ---------------------------------------------------------------------------------------------
 * Attributes and contexts.
 */
static bool attributes_valid(const char *routine, PWDF_OBJECT_ATTRIBUTES a, NTSTATUS *status)
{
    if (a == NULL)
        return true;
    if (a->Size != sizeof(WDF_OBJECT_ATTRIBUTES)) {
        fx_violation(routine, 0x4, a->Size, sizeof(WDF_OBJECT_ATTRIBUTES),
                     "%s: WDF_OBJECT_ATTRIBUTES.Size is %u, not %zu (WDF_OBJECT_ATTRIBUTES_INIT "
                     "it first)", routine, (unsigned)a->Size, sizeof(WDF_OBJECT_ATTRIBUTES));
        *status = STATUS_INFO_LENGTH_MISMATCH;
        return false;
    }
    if (a->ExecutionLevel > WdfExecutionLevelDispatch ||
        a->SynchronizationScope > WdfSynchronizationScopeNone ||
        (a->ContextSizeOverride != 0 && a->ContextTypeInfo == NULL) ||
        (a->ContextTypeInfo != NULL && a->ContextTypeInfo->Size != sizeof(*a->ContextTypeInfo))) {
        fx_violation(routine, 0x4, 0, 0,
                     "%s: WDF_OBJECT_ATTRIBUTES out of range (execution level %d, "
                     "synchronization scope %d, a context size without a context type, or a "
                     "context type that is no WDF_OBJECT_CONTEXT_TYPE_INFO)", routine,
                     (int)a->ExecutionLevel, (int)a->SynchronizationScope);
        *status = STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
        return false;
    }
    return true;
}

static PCWDF_OBJECT_CONTEXT_TYPE_INFO unique_type(PCWDF_OBJECT_CONTEXT_TYPE_INFO t)
{
    if (t != NULL && t->EvtDriverGetUniqueContextType != NULL)
        return t->EvtDriverGetUniqueContextType();
    return t != NULL && t->UniqueType != NULL ? t->UniqueType : t;
}

static bool same_type(PCWDF_OBJECT_CONTEXT_TYPE_INFO a, PCWDF_OBJECT_CONTEXT_TYPE_INFO b)
{
    a = unique_type(a);
    b = unique_type(b);
    /* one description per type in the driver; by name where two images declared the same */
    return a == b || (a != NULL && b != NULL && a->ContextName != NULL &&
                      b->ContextName != NULL && strcmp(a->ContextName, b->ContextName) == 0);
}

static struct fx_context *context_add(struct fx_object *o, PWDF_OBJECT_ATTRIBUTES a)
{
    PCWDF_OBJECT_CONTEXT_TYPE_INFO t = unique_type(a->ContextTypeInfo);
    size_t size = a->ContextSizeOverride > t->ContextSize ? a->ContextSizeOverride
                                                          : t->ContextSize;
    struct fx_context *c = calloc(1, sizeof(*c) + size);

    if (c == NULL)
        return NULL;
    c->owner = o;
    c->type = t;
    c->size = size;
    c->next = o->contexts;
    o->contexts = c;
    return c;
}

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)
{
    struct fx_object *o = fx_get(Handle, FX_ANY, "WdfObjectGetTypedContextWorker", true);

    if (o == NULL)
        return NULL;
    for (struct fx_context *c = o->contexts; c != NULL; c = c->next)
        if (same_type(c->type, TypeInfo))
            return c->data;
    dms_report_finding(dms_machine_current(), "WdfObjectGetTypedContextWorker",
                       DMS_CHECK_DRIVER, (uint64_t)(uintptr_t)Handle, 0, 0,
                       "%s %p has no context of type %s: NULL returned", fx_type_name(o->type),
                       Handle,
                       TypeInfo != NULL && TypeInfo->ContextName ? TypeInfo->ContextName : "?");
    return NULL;
}

NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                  PVOID *Context)
{
    static const char routine[] = "WdfObjectAllocateContext";
    struct fx_object *o = fx_get(Handle, FX_ANY, routine, false);
    NTSTATUS status = STATUS_SUCCESS;
    struct fx_context *c;

    if (Context != NULL)
        *Context = NULL;
    if (o == NULL)
        return STATUS_INVALID_HANDLE;
    if (ContextAttributes == NULL || !attributes_valid(routine, ContextAttributes, &status) ||
        ContextAttributes->ContextTypeInfo == NULL) {
        if (ContextAttributes == NULL || ContextAttributes->ContextTypeInfo == NULL)
            fx_violation(routine, 0x4, 0, 0, "%s: no context type in the attributes", routine);
        return NT_SUCCESS(status) ? STATUS_INVALID_PARAMETER : status;
    }
    for (c = o->contexts; c != NULL; c = c->next)
        if (same_type(c->type, ContextAttributes->ContextTypeInfo)) {
            if (Context != NULL)
                *Context = c->data;
            return STATUS_OBJECT_NAME_EXISTS;
        }
    c = context_add(o, ContextAttributes);
    if (c == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    c->cleanup = ContextAttributes->EvtCleanupCallback;
    c->destroy = ContextAttributes->EvtDestroyCallback;
    if (Context != NULL)
        *Context = c->data;
    return STATUS_SUCCESS;
}

WDFOBJECT WdfObjectContextGetObject(PVOID ContextPointer)
{
    struct fx_state *st = fx_state();

    /* by search, not by reading in front of the pointer: a wrong one is a finding, not a
     * fault (a driver calls this rarely; the table is small) */
    for (uint32_t i = 0; st != NULL && ContextPointer != NULL && i < st->n_slots; i++) {
        struct fx_object *o = st->slots[i].obj;
        for (struct fx_context *c = o != NULL ? o->contexts : NULL; c != NULL; c = c->next)
            if ((void *)c->data == ContextPointer)
                return o->handle;
    }
    dms_report_finding(dms_machine_current(), "WdfObjectContextGetObject", DMS_CHECK_DRIVER,
                       (uint64_t)(uintptr_t)ContextPointer, 0, 0,
                       "%p is no object's context: NULL returned", ContextPointer);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Life cycle.
 */
/* Children are kept in the order they were made: callbacks run in that order among siblings. */
static void link_child(struct fx_object *parent, struct fx_object *o)
{
    o->parent = parent;
    o->next_sibling = NULL;
    o->prev_sibling = parent->last_child;
    if (parent->last_child != NULL)
        parent->last_child->next_sibling = o;
    else
        parent->children = o;
    parent->last_child = o;
}

static void unlink_child(struct fx_object *o)
{
    if (o->parent == NULL)
        return;
    if (o->prev_sibling != NULL)
        o->prev_sibling->next_sibling = o->next_sibling;
    else
        o->parent->children = o->next_sibling;
    if (o->next_sibling != NULL)
        o->next_sibling->prev_sibling = o->prev_sibling;
    else
        o->parent->last_child = o->prev_sibling;
    o->parent = o->next_sibling = o->prev_sibling = NULL;
}

struct fx_object *fx_create(enum fx_type type, size_t size, const char *routine,
                            PWDF_OBJECT_ATTRIBUTES attributes, struct fx_object *default_parent,
                            NTSTATUS *status)
{
    struct fx_state *st = fx_state();
    struct fx_object *o, *parent = default_parent;

    *status = STATUS_SUCCESS;
    if (st == NULL) {
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    if (!attributes_valid(routine, attributes, status))
        return NULL;
    if (attributes != NULL && attributes->ParentObject != NULL) {
        parent = fx_get(attributes->ParentObject, FX_ANY, routine, false);
        if (parent == NULL) {
            *status = STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
            return NULL;
        }
    }
    o = calloc(1, size);
    if (o == NULL || slot_take(st, o) != 0) {
        free(o);
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    o->type = type;
    o->refs = 1; /* the framework's own, dropped when the object is deleted */
    o->driver_may_delete = true;
    o->execution_level = WdfExecutionLevelInheritFromParent;
    o->sync_scope = WdfSynchronizationScopeInheritFromParent;
    if (attributes != NULL) {
        o->cleanup = attributes->EvtCleanupCallback;
        o->destroy = attributes->EvtDestroyCallback;
        if (attributes->ExecutionLevel != WdfExecutionLevelInvalid)
            o->execution_level = attributes->ExecutionLevel;
        if (attributes->SynchronizationScope != WdfSynchronizationScopeInvalid)
            o->sync_scope = attributes->SynchronizationScope;
        if (attributes->ContextTypeInfo != NULL && context_add(o, attributes) == NULL) {
            slot_give_back(st, o);
            free(o);
            *status = STATUS_INSUFFICIENT_RESOURCES;
            return NULL;
        }
    }
    if (parent != NULL)
        link_child(parent, o);
    st->live++;
    return o;
}

static void free_object(struct fx_object *o)
{
    struct fx_state *st = fx_state();

    if (o->destroy != NULL)
        o->destroy(o->handle);
    for (struct fx_context *c = o->contexts; c != NULL; c = c->next)
        if (c->destroy != NULL)
            c->destroy(o->handle);
    if (o->release != NULL)
        o->release(o);
    while (o->contexts != NULL) {
        struct fx_context *n = o->contexts->next;
        free(o->contexts);
        o->contexts = n;
    }
    slot_give_back(st, o);
    st->live--;
    free(o);
}

/* Phase 0: the whole tree is deleted before any driver code runs, so a callback that deletes
 * one of its members again does nothing (nothing is unlinked or freed under the walk). */
static void mark_tree(struct fx_object *o)
{
    o->deleted = true;
    for (struct fx_object *c = o->children; c != NULL; c = c->next_sibling)
        mark_tree(c);
}

/* Phase 1: the cleanup callbacks, children first. */
static void cleanup_tree(struct fx_object *o)
{
    for (struct fx_object *c = o->children; c != NULL; c = c->next_sibling)
        cleanup_tree(c);
    if (o->cleaned)
        return;
    o->cleaned = true;
    if (o->cleanup != NULL)
        o->cleanup(o->handle);
    for (struct fx_context *c = o->contexts; c != NULL; c = c->next)
        if (c->cleanup != NULL)
            c->cleanup(o->handle);
}

/* Phase 2: the framework's references dropped, children first; each object at zero freed. */
static void release_tree(struct fx_object *o)
{
    while (o->children != NULL) {
        struct fx_object *c = o->children;
        unlink_child(c);
        release_tree(c);
    }
    if (--o->refs == 0)
        free_object(o);
}

void fx_delete(struct fx_object *o)
{
    if (o == NULL || o->deleted)
        return;
    mark_tree(o);
    cleanup_tree(o);
    unlink_child(o);
    release_tree(o);
}

void fx_reference(struct fx_object *o)
{
    o->refs++;
}

void fx_dereference(struct fx_object *o, const char *routine)
{
    if (o->refs <= 1 && !o->deleted) {
        fx_violation(routine, 0x7, (uint64_t)(uintptr_t)o->handle, 0,
                     "%s: %s %p would be deleted by a dereference (delete objects with "
                     "WdfObjectDelete); the reference is kept", routine, fx_type_name(o->type),
                     o->handle);
        return;
    }
    if (--o->refs == 0)
        free_object(o);
}

WDF_SYNCHRONIZATION_SCOPE fx_sync_scope(const struct fx_object *o)
{
    for (; o != NULL; o = o->parent)
        if (o->sync_scope != WdfSynchronizationScopeInheritFromParent)
            return o->sync_scope;
    return WdfSynchronizationScopeNone;
}

WDF_EXECUTION_LEVEL fx_execution_level(const struct fx_object *o)
{
    for (; o != NULL; o = o->parent)
        if (o->execution_level != WdfExecutionLevelInheritFromParent)
            return o->execution_level;
    return WdfExecutionLevelDispatch;
}

/* ---------------------------------------------------------------------------------------------
 * The driver's calls.
 */
NTSTATUS WdfObjectCreate(PWDF_OBJECT_ATTRIBUTES Attributes, WDFOBJECT *Object)
{
    static const char routine[] = "WdfObjectCreate";
    struct fx_state *st = fx_state();
    struct fx_object *o, *parent = NULL;
    NTSTATUS status;

    if (Object == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: Object is NULL", routine);
        return STATUS_INVALID_PARAMETER;
    }
    *Object = NULL;
    /* a general object's parent is the driver unless the attributes name one */
    if (st != NULL && st->drivers != NULL)
        parent = &st->drivers->obj;
    o = fx_create(FX_GENERIC, sizeof(*o), routine, Attributes, parent, &status);
    if (o != NULL)
        *Object = o->handle;
    return status;
}

VOID WdfObjectDelete(WDFOBJECT Object)
{
    static const char routine[] = "WdfObjectDelete";
    struct fx_object *o = fx_get(Object, FX_ANY, routine, true);

    if (o == NULL || o->deleted) /* being deleted already (a parent's deletion): nothing to do */
        return;
    if (!o->driver_may_delete) {
        fx_violation(routine, 0x5, (uint64_t)(uintptr_t)Object, 0,
                     "%s: the framework deletes %s objects itself (%p left alone)", routine,
                     fx_type_name(o->type), Object);
        return;
    }
    if (dms_machine_current() != NULL && KeGetCurrentIrql() > DISPATCH_LEVEL) {
        dms_report_finding(dms_machine_current(), routine, DMS_E6_WRONG_IRQL, 0, 0, 0,
                           "%s above DISPATCH_LEVEL (IRQL %u): refused", routine,
                           (unsigned)KeGetCurrentIrql());
        return;
    }
    fx_delete(o);
}

VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCHAR File)
{
    struct fx_object *o = fx_get(Handle, FX_ANY, "WdfObjectReference", true);

    (void)Tag;
    (void)Line;
    (void)File;
    if (o != NULL)
        fx_reference(o);
}

VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCHAR File)
{
    struct fx_object *o = fx_get(Handle, FX_ANY, "WdfObjectDereference", true);

    (void)Tag;
    (void)Line;
    (void)File;
    if (o != NULL)
        fx_dereference(o, "WdfObjectDereference");
}
