/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attestation agent extender: ccgate as a ttRPC client of CoCo's
 * attestation agent, calling
 * attestation_agent.AttestationAgentService/ExtendRuntimeMeasurement
 * (Domain, Operation, Content, RegisterIndex) on its unix socket, so that
 * ccgate's events land in the agent's event log (AAEL) and register, which
 * Trustee verifies. One connection per event (events are rare, and the agent
 * may restart); each call is bounded by a timeout. The daemon's, not the
 * core's: it opens sockets.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "measure.h"

#define AA_DEFAULT_SOCKET "unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"
#define AA_SERVICE "attestation_agent.AttestationAgentService"
#define AA_METHOD "ExtendRuntimeMeasurement"
/* How long one ExtendRuntimeMeasurement may take, connect to answer. */
#define AA_TIMEOUT_MS 5000

/*
 * Set up the extender for the agent at addr ("unix:///path", "unix:/path").
 * With has_index, every call names RegisterIndex index (a PCR index the agent
 * maps to its TEE's register); without, the agent uses its configured
 * default. Nothing is connected yet. Returns 0, or -EINVAL with why.
 */
int aa_extender_open(const char *addr, bool has_index, uint64_t index, unsigned timeout_ms,
                     struct measure_extender *ret, char *why, size_t why_len);

/* Whether something listens at addr (for --measure auto): 1 yes, 0 no. */
int aa_present(const char *addr);
