/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the proxy's files share (not for other modules): its connections and
 * their two endpoints. proxy_io.c moves bytes, proxy_frames.c takes whole
 * frames to and from the gate, proxy.c runs the loop and the connections'
 * lives.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "outq.h"
#include "proxy.h"
#include "ttrpc.h"

/* Stop taking frames from a side while its output queue holds this much. */
#define PROXY_HIGH_WATER (2u * TTRPC_MAX_FRAME)
/* Bytes asked of the kernel per read when no bigger frame is pending. */
#define PROXY_READ_CHUNK (64u * 1024u)
/* Reads per wake-up per socket, so one busy peer cannot starve the others. */
#define PROXY_READS_PER_EVENT 8
/* A host buffer up to this size (a small request) may use the whole memory
 * budget; larger ones leave a quarter of it to others (proxy_mem.c). */
#define PROXY_MEM_SMALL (64u * 1024u)
/* Ticks (seconds) an agent with a full backlog is retried before requests get UNAVAILABLE. */
#define PROXY_AGENT_RETRIES 10u

enum endpoint_kind {
        ENDPOINT_LISTEN,
        ENDPOINT_STOP,
        ENDPOINT_TIMER,
        ENDPOINT_HOST,
        ENDPOINT_AGENT,
};

struct conn;

struct endpoint {
        enum endpoint_kind kind;
        int fd;
        uint32_t events; /* what epoll currently watches */
        struct conn *conn;
        struct ttrpc_reader in;
        struct outq out;
};

/* A request forwarded on this connection: the gate's ticket for its stream. */
struct inflight {
        uint32_t stream_id;
        struct gate_ticket *ticket;
};

struct conn {
        uint64_t id;
        struct endpoint host, agent;
        bool agent_connecting;
        bool agent_waiting;      /* the agent's backlog was full: retried on the tick */
        unsigned agent_retries;
        bool closing; /* the host side failed: close after this event */
        bool host_eof; /* the host shut its sending side: answer what it asked, then close */
        bool dead;    /* closed, waiting to be freed */
        /* A protocol error from the host: nothing more is read from it, and
         * it is closed once the answers due to it are out (or at the frame
         * timeout, counted from here). */
        bool refused;
        uint64_t refused_since_ns;
        uint32_t last_stream_id;
        uint64_t partial_since_ns; /* when the host's unfinished frame began; 0: none */
        /* The memory budget (proxy_mem.c): what c's host buffer is charged,
         * and while it waits for more, how much and its place in the queue. */
        size_t mem_charged, mem_need;
        bool mem_waiting;
        struct conn *wait_prev, *wait_next;
        struct inflight *inflight;
        size_t n_inflight, cap_inflight;
        struct conn *prev, *next;
};

struct proxy {
        const struct proxy_config *config;
        struct gate *gate;
        int epoll_fd;
        struct endpoint listener, stop, timer;
        struct conn *conns;
        struct conn *dead; /* closed in this batch of events, freed after it */
        unsigned n_conns;
        bool accept_paused;  /* out of descriptors: the listener is not watched */
        bool accept_starved; /* said so in the log; cleared by the next accept */
        uint64_t next_conn_id;
        size_t mem_used; /* charged to the memory budget, over all connections */
        struct conn *mem_waiters, *mem_waiters_tail; /* waiting for memory, oldest first */
        bool mem_said;   /* the log said that connections wait */
};

/* ---- proxy_io.c ---- */

/* Bring epoll's interest in e to events; add e to epoll. Return 0 or -errno. */
int proxy_endpoint_watch(struct proxy *p, struct endpoint *e, uint32_t events);
int proxy_endpoint_add(struct proxy *p, struct endpoint *e, uint32_t events);
/* Close e's socket, drop its buffers. */
void proxy_endpoint_close(struct proxy *p, struct endpoint *e);
/* Queue bytes for a peer, writing at once when nothing is queued before them. */
int proxy_endpoint_send(struct endpoint *e, const uint8_t *data, size_t len);
/* Read what is there (a host side within the memory budget). Returns 1 on
 * EOF, 0 when drained for now or waiting for memory, -errno on error. */
int proxy_endpoint_read(struct proxy *p, struct endpoint *e);
/* Write what is queued, as far as the socket takes it. 0 or -errno. */
int proxy_endpoint_flush(struct endpoint *e);
/* Send to the host; a host that cannot take its answers is closed after this event. */
void proxy_host_send(struct conn *c, const uint8_t *data, size_t len);
/* A frame the gate made for the host, if it made one. */
void proxy_host_send_frame(struct conn *c, const struct gate_frame *f);

/* ---- proxy_frames.c ---- */

/* What is in flight on c will not be answered: the gate records why and says what the host gets. */
void proxy_inflight_abandon(struct proxy *p, struct conn *c, enum gate_abandon why);
/* Process every whole frame buffered on e, as far as the output queues allow. */
int proxy_endpoint_frames(struct proxy *p, struct endpoint *e);
/* Whether a side's frames wait because the other side's output queue is full. */
bool proxy_host_throttled(const struct conn *c);
bool proxy_agent_throttled(const struct conn *c);

/* ---- proxy_mem.c ---- */

/* Charge c's host buffer up to cap bytes before it grows to that. false: it
 * does not fit; c waits (is not read) until wake-up by proxy_conn_update(). */
bool proxy_mem_reserve(struct proxy *p, struct conn *c, size_t cap);
/* c's host buffer was freed (or c closes): its charge back, waiters served. */
void proxy_mem_release(struct proxy *p, struct conn *c);
/* After c's frames were taken: under pressure, an empty buffer goes back. */
void proxy_mem_shrink(struct proxy *p, struct conn *c);
/* Past half the budget, or with anyone waiting: reads ask only for what they need. */
bool proxy_mem_pressure(const struct proxy *p);
/* Once a second: under pressure, every empty buffer back; waiters served. */
void proxy_mem_tick(struct proxy *p);

/* ---- proxy.c ---- */

/* Bring epoll's interest in c in line with its queues and state. 0 or -errno. */
int proxy_conn_update(struct proxy *p, struct conn *c);

/* The agent side went away: what is in flight on it is answered UNAVAILABLE. */
void proxy_agent_lost(struct proxy *p, struct conn *c, int error);
/* Connect c's agent side (or note that the agent's backlog is full). 0 or -errno. */
int proxy_agent_connect(struct proxy *p, struct conn *c);
