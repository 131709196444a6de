/*
 * host.c - tasks on libuv's thread pool, with signals and a progress tick (see host.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "host.h"

struct host_req {
    uv_work_t req;
    struct host *h;
    uint32_t index;
};

struct host {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_timer_t timer;
    const struct host_ops *ops;
    void *ctx;
    volatile int *stop;
    uint32_t n, next, running, finished;
    struct host_req *reqs;
    uint64_t t0;
    bool timer_on;
};

uint64_t host_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t host_parallelism(void)
{
    unsigned n = uv_available_parallelism();

    return n == 0 ? 1 : n;
}

static void on_work(uv_work_t *req)
{
    struct host_req *r = req->data;

    r->h->ops->work(r->h->ctx, r->index, r->h->stop);
}

static void close_all(struct host *h)
{
    uv_close((uv_handle_t *)&h->sigint, NULL);
    uv_close((uv_handle_t *)&h->sigterm, NULL);
    if (h->timer_on)
        uv_close((uv_handle_t *)&h->timer, NULL);
}

static int start_next(struct host *h);

static void after_work(uv_work_t *req, int status)
{
    struct host_req *r = req->data;
    struct host *h = r->h;

    (void)status;
    h->running--;
    h->finished++;
    start_next(h);
    if (h->running == 0)
        close_all(h);
}

static int start_next(struct host *h)
{
    if (*h->stop || h->next >= h->n)
        return 0;
    h->reqs[h->next].req.data = &h->reqs[h->next];
    h->reqs[h->next].h = h;
    h->reqs[h->next].index = h->next;
    if (uv_queue_work(&h->loop, &h->reqs[h->next].req, on_work, after_work) != 0)
        return -1;
    h->next++;
    h->running++;
    return 0;
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct host *h = handle->data;

    (void)signum;
    if (*h->stop) {
        fprintf(stderr, "\ndmasim: stopped again: giving up\n");
        _exit(130);
    }
    *h->stop = 1;
    fprintf(stderr, "\ndmasim: stopping: no new I/O; finishing what is in flight\n");
}

static void on_tick(uv_timer_t *t)
{
    struct host *h = t->data;

    h->ops->tick(h->ctx, h->finished, h->n, host_now_ns() - h->t0);
}

int host_execute(uint32_t n, uint32_t parallel, const struct host_ops *ops, void *ctx,
                 volatile int *stop)
{
    struct host h = {.ops = ops, .ctx = ctx, .stop = stop, .n = n};
    char size[16];
    int rc = 0;

    if (parallel == 0)
        parallel = 1;
    if (parallel > n)
        parallel = n;
    /* The pool is created on first use; make it as wide as asked (libuv's default is 4). */
    snprintf(size, sizeof(size), "%u", parallel > 4 ? parallel : 4);
    setenv("UV_THREADPOOL_SIZE", size, 1);
    h.reqs = calloc(n ? n : 1, sizeof(*h.reqs));
    if (h.reqs == NULL || uv_loop_init(&h.loop) != 0) {
        free(h.reqs);
        return -1;
    }
    h.t0 = host_now_ns();
    h.sigint.data = h.sigterm.data = h.timer.data = &h;
    uv_signal_init(&h.loop, &h.sigint);
    uv_signal_init(&h.loop, &h.sigterm);
    uv_signal_start(&h.sigint, on_signal, SIGINT);
    uv_signal_start(&h.sigterm, on_signal, SIGTERM);
    if (ops->tick != NULL && ops->tick_ms > 0) {
        uv_timer_init(&h.loop, &h.timer);
        uv_timer_start(&h.timer, on_tick, ops->tick_ms, ops->tick_ms);
        h.timer_on = true;
    }
    for (uint32_t i = 0; i < parallel && rc == 0; i++)
        rc = start_next(&h);
    if (h.running == 0)
        close_all(&h);
    uv_run(&h.loop, UV_RUN_DEFAULT);
    uv_loop_close(&h.loop);
    free(h.reqs);
    return rc != 0 && h.next == 0 ? -1 : (int)h.next;
}
