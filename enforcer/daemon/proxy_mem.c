/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memory budget for what hosts have sent and ccgate holds: every host
 * connection's frame buffer is charged to one budget (--memory-budget) before
 * it grows. Without it each connection could hold an unfinished 4 MiB frame:
 * 1,024 connections, 4 GiB of the guest's memory.
 *
 * Per connection the limit tightens with pressure:
 *   - a buffer up to PROXY_MEM_SMALL (any small request) may use the whole
 *     budget; a larger one (a large frame) only the budget less a quarter,
 *     kept for the small requests of every other connection;
 *   - past half the budget, reads ask for what the frame still needs instead
 *     of a 64 KiB chunk, and a buffer whose frames are done goes back at once.
 * A connection that cannot get what it needs waits: it is not read (the
 * bytes stay in its socket), in the order it asked, until memory comes back.
 * Not closed: the host that floods is the same host whose large CopyFile or
 * WriteStdin is waiting, and closing it would lose that request; waiting
 * costs ccgate nothing, and a waiting frame's timeout still runs (it began
 * with its first byte), so no one waits past --frame-timeout. Reconnecting
 * starts at the back of the queue, with a fresh timeout but no buffer.
 */
#include <inttypes.h>

#include "log.h"
#include "proxy_internal.h"

/* The quarter of the budget large frames may not take. */
static size_t large_limit(const struct proxy *p)
{
        return p->config->memory_budget - p->config->memory_budget / 4;
}

bool proxy_mem_pressure(const struct proxy *p)
{
        return p->mem_used > p->config->memory_budget / 2 || p->mem_waiters != NULL;
}

static void queue_remove(struct proxy *p, struct conn *c)
{
        if (!c->mem_waiting)
                return;
        if (c->wait_prev)
                c->wait_prev->wait_next = c->wait_next;
        else
                p->mem_waiters = c->wait_next;
        if (c->wait_next)
                c->wait_next->wait_prev = c->wait_prev;
        else
                p->mem_waiters_tail = c->wait_prev;
        c->wait_next = c->wait_prev = NULL;
        c->mem_waiting = false;
}

static void queue_append(struct proxy *p, struct conn *c, size_t cap)
{
        c->mem_need = cap;
        if (c->mem_waiting)
                return;
        c->mem_waiting = true;
        c->wait_prev = p->mem_waiters_tail;
        c->wait_next = NULL;
        if (p->mem_waiters_tail)
                p->mem_waiters_tail->wait_next = c;
        else
                p->mem_waiters = c;
        p->mem_waiters_tail = c;
        if (!p->mem_said) {
                log_warning(0, "memory budget: %zu of %zu bytes held; connections wait for "
                               "their frames' buffers", p->mem_used, p->config->memory_budget);
                p->mem_said = true;
        }
}

/* Whether growing c's charge to cap fits the limits. */
static bool fits(const struct proxy *p, const struct conn *c, size_t cap)
{
        size_t limit = cap > PROXY_MEM_SMALL ? large_limit(p) : p->config->memory_budget;
        size_t delta = cap - c->mem_charged;

        return p->mem_used <= limit && delta <= limit - p->mem_used;
}

bool proxy_mem_reserve(struct proxy *p, struct conn *c, size_t cap)
{
        if (cap <= c->mem_charged)
                return true;
        if (c->mem_waiting) {
                c->mem_need = cap > c->mem_need ? cap : c->mem_need;
                return false;
        }
        /* Large frames are served in the order they asked. */
        if ((cap <= PROXY_MEM_SMALL || !p->mem_waiters) && fits(p, c, cap)) {
                p->mem_used += cap - c->mem_charged;
                c->mem_charged = cap;
                return true;
        }
        queue_append(p, c, cap);
        return false;
}

/* Give memory that came back to those waiting, oldest first; a small request
 * may pass a large one that does not fit yet, never the other way round. */
static void wake(struct proxy *p)
{
        bool large_blocked = false;

        for (struct conn *c = p->mem_waiters, *next; c; c = next) {
                next = c->wait_next;
                if (c->mem_need > PROXY_MEM_SMALL && large_blocked)
                        continue;
                if (!fits(p, c, c->mem_need)) {
                        if (c->mem_need > PROXY_MEM_SMALL)
                                large_blocked = true;
                        continue;
                }
                queue_remove(p, c);
                p->mem_used += c->mem_need - c->mem_charged;
                c->mem_charged = c->mem_need;
                if (proxy_conn_update(p, c) < 0)
                        c->closing = true;
        }
        if (!p->mem_waiters && p->mem_said) {
                log_notice("memory budget: no connection waits any more (%zu bytes held)",
                           p->mem_used);
                p->mem_said = false;
        }
}

void proxy_mem_release(struct proxy *p, struct conn *c)
{
        queue_remove(p, c);
        p->mem_used -= c->mem_charged;
        c->mem_charged = 0;
        wake(p);
}

void proxy_mem_shrink(struct proxy *p, struct conn *c)
{
        /* While memory is plenty a buffer is kept for the connection's next frame. */
        if (c->mem_charged == 0 || c->host.fd < 0 || ttrpc_reader_pending(&c->host.in) > 0 ||
            !proxy_mem_pressure(p))
                return;
        ttrpc_reader_done(&c->host.in);
        proxy_mem_release(p, c);
}

void proxy_mem_tick(struct proxy *p)
{
        if (proxy_mem_pressure(p))
                for (struct conn *c = p->conns; c; c = c->next)
                        proxy_mem_shrink(p, c);
        wake(p);
}
