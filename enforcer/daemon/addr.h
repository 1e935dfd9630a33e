/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Socket addresses of the two sides: unix:PATH and vsock:[CID:]PORT. Unix and
 * vsock share every line here but the parser, so the vsock path (which has no
 * loopback transport on test machines) runs the code the unix tests exercise.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

struct sock_address {
        struct sockaddr_storage sa;
        socklen_t len;
        int family; /* AF_UNIX or AF_VSOCK */
};

/*
 * Parse "unix:/path" (absolute path, or "@name" for the abstract namespace) or
 * "vsock:PORT" (listen on any CID) / "vsock:CID:PORT". Returns 0 or -EINVAL.
 */
int addr_parse(const char *s, struct sock_address *ret);

/* Render for messages: "unix:/run/x.sock", "vsock:3:1024". */
const char *addr_to_string(const struct sock_address *a, char *buf, size_t len);

/*
 * Create a listening, non-blocking, close-on-exec socket. For a unix path that
 * already exists: if something accepts connections on it, -EADDRINUSE; if it is
 * a stale socket, it is replaced; anything else that is not a socket, -EEXIST.
 * Returns the fd or -errno.
 */
int addr_listen(const struct sock_address *a, int backlog);

/*
 * Start a non-blocking connect. Returns the fd (connected, or in progress when
 * *ret_in_progress is set: wait for EPOLLOUT and check SO_ERROR), or -errno.
 */
int addr_connect(const struct sock_address *a, bool *ret_in_progress);
