/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime measurer: puts ccgate's events (measure_event.h) into a TEE
 * register through one extender chosen at start, and into the event log and
 * the audit chain. The order for each event: the audit log's records are
 * written and fsynced, so the head the event names is durable; the register
 * is extended; the event is appended to the event log; a measure record
 * chains its line (not for Stop: the stop record is the log's last). A failed
 * extend leaves the register and the event log as they were; a failed append
 * after an extend leaves them apart, which a verifier sees (the replay does
 * not reach the register), and the measurer stays failed.
 *
 * Extenders: a TPM 2.0 PCR (measure_tpm.c), a TDX RTMR through sysfs
 * (measure_rtmr.c), both here; the attestation agent over ttRPC is the
 * daemon's (no sockets in the core). No logging: the caller logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "measure_event.h"

/* What an extender is given: the agent takes the text's parts, a register its digest. */
struct measure_extend_args {
        const char *domain, *operation, *content;
        const uint8_t *sha256; /* MEASURE_SHA256_LEN */
        const uint8_t *sha384; /* MEASURE_SHA384_LEN */
};

struct measure_extender {
        char name[MEASURE_REGISTER_NAME_MAX + 1]; /* "tpm:pcr13", "rtmr:3", "aa" */
        /* Returns 0, or -errno with why (a static or ctx-owned string) set. */
        int (*extend)(void *ctx, const struct measure_extend_args *a, const char **why);
        void (*close)(void *ctx);
        void *ctx;
};

/* Give the extender's resources back; NULL members are fine. */
void measure_extender_done(struct measure_extender *e);

/* When the audit log's head is measured, besides at stop. */
enum measure_every {
        MEASURE_EVERY_RECORDS, /* when n records were written since the last head measured */
        MEASURE_EVERY_MS,      /* when ms passed and records were written since */
        MEASURE_EVERY_STOP,    /* only at stop */
        _MEASURE_EVERY_MAX,
        _MEASURE_EVERY_INVALID = -22,
};

struct measure_config {
        const char *log_path;  /* the event log */
        const char *boot;      /* this boot's id (measure_boot_id()) */
        enum measure_every every;
        uint64_t every_n;      /* records, or milliseconds */
};

/*
 * Parse --measure-audit: "records=N" (N >= 1), "ms=N" (N >= 1) or "stop".
 * Returns 0 or -EINVAL.
 */
int measure_every_parse(const char *s, enum measure_every *ret, uint64_t *ret_n);

struct measure_log;

struct measurer {
        struct measure_extender ext;
        struct measure_log *log;
        enum measure_every every;
        uint64_t every_n;
        bool measured_head;     /* a head was measured ... */
        uint64_t measured_seq;  /* ... this one */
        uint64_t last_ns;       /* CLOCK_MONOTONIC of the last event */
        bool failed;            /* an event could not be measured: the register is not complete */
        char error[256];        /* ... why */
        uint64_t n_events;
};

/*
 * Set up: open the event log and take the extender (m owns it from here, even
 * on failure). Returns 0 or -errno (the event log's).
 */
int measure_init(struct measurer *m, const struct measure_config *c, struct measure_extender *ext);
void measure_done(struct measurer *m);

/*
 * Measure one event now (see above for the order). info is Start's,
 * policy/mode SetPolicy's. After audit_stop() only MEASURE_OP_STOP is
 * allowed. Returns 0, or -errno with m->error saying what failed; m->failed
 * is set when the register or the log may now be incomplete.
 */
int measure_event(struct measurer *m, struct audit_log *audit, enum measure_op op,
                  const struct measure_start_info *info, const char *policy, const char *mode);

/*
 * For a periodic timer: measure the audit head when --measure-audit says it
 * is due. Returns 1 when an event was measured, 0 when none was due, or
 * -errno as measure_event().
 */
int measure_tick(struct measurer *m, struct audit_log *audit);

/* ---- The core's extenders ---- */

/*
 * A TPM 2.0 PCR through tpm2-tss (its system API over the TCTI named by tcti, e.g.
 * "device:/dev/tpmrm0"), SHA-256 bank. The TPM is opened now (before the
 * sandbox) and kept. Returns 0 with *ret filled, or -errno with why.
 */
int measure_tpm_open(const char *tcti, unsigned pcr, struct measure_extender *ret, char *why,
                     size_t why_len);

/*
 * A TDX RTMR through the kernel's measurement-register sysfs interface
 * (Linux >= 6.16): dir/rtmrN:sha384, where writing a 48-byte digest extends
 * RTMR N. dir: /sys/devices/virtual/misc/tdx_guest/measurements, or a
 * fixture. The file is opened now and kept. Returns 0 or -errno with why.
 */
int measure_rtmr_open(const char *dir, unsigned index, struct measure_extender *ret, char *why,
                      size_t why_len);

#define MEASURE_RTMR_DIR "/sys/devices/virtual/misc/tdx_guest/measurements"
#define MEASURE_TPM_TCTI "device:/dev/tpmrm0"
/* Default PCR: extendable at locality 0 and not resettable (unlike 16, 23 and
 * 17-22), and not used by firmware, the boot chain, IMA, systemd-stub's UKI
 * sections or the attestation agent (8: initdata). See docs/attestation.md. */
#define MEASURE_DEFAULT_PCR 13u
/* Default RTMR: RTMR[3], which firmware and the kernel leave to guest software. */
#define MEASURE_DEFAULT_RTMR 3u
