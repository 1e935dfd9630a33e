/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The proxy loop: accepts host connections, opens one agent connection for
 * each, and relays ttRPC frames both ways. Every request frame goes through the
 * gate before anything is sent to the agent. Single-threaded (epoll): the
 * policy state is shared by all connections, so one thread keeps its changes in
 * a single, deterministic order without locks.
 */
#pragma once

#include <stdint.h>

#include "addr.h"
#include "gate.h"

struct proxy_config {
        struct sock_address agent;
        unsigned max_connections; /* beyond it new connections are closed at once */
        unsigned max_inflight;    /* per connection; beyond it RESOURCE_EXHAUSTED */
        unsigned frame_timeout_s; /* a host frame left unfinished this long closes its connection */
        size_t memory_budget;     /* bytes of host frames buffered over all connections */
};

#define PROXY_DEFAULT_MAX_CONNECTIONS 1024u
#define PROXY_DEFAULT_MAX_INFLIGHT 1024u
#define PROXY_DEFAULT_FRAME_TIMEOUT_S 30u
#define PROXY_DEFAULT_MEMORY_BUDGET (64u * 1024u * 1024u)
/* Room for a maximal frame in the three quarters large frames may use, and more. */
#define PROXY_MIN_MEMORY_BUDGET (8u * 1024u * 1024u)

/*
 * Serve listen_fd until stop_fd (a signalfd, or any fd) becomes readable.
 * Returns 0 on an orderly stop, -errno when the loop itself fails.
 */
int proxy_run(const struct proxy_config *c, int listen_fd, int stop_fd, struct gate *g);
