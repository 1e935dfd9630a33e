/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Field rules of a request (`fields:` of a `requests:` entry): a dotted path
 * of .proto field names and a matcher; every value the path reaches in a
 * request (each element of a repeated field) must match. How network,
 * time, hotplug and other node-level calls are confined.
 */
#pragma once

#include "policy_compiled.h"

/* The first field rule of rr that req breaks, or NULL. */
const struct field_rule *fields_check(const struct policy *p, const struct request_rule *rr,
                                      const ProtobufCMessage *req);
