/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime state: container bindings, exec ids, the sandbox, holds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy_state.h"

/* Index tables are twice the entry count: linear probing stays short. */
#define CONTAINER_SLOTS (2u * POLICY_STATE_CONTAINERS_MAX)
#define EXEC_SLOTS (2u * POLICY_STATE_EXECS_MAX)

struct state_container {
        bool used;
        bool pending; /* reserved by a forwarded CreateContainer, not yet answered */
        uint32_t entry;
        size_t len;
        char id[POLICY_ID_MAX + 1];
};

struct state_exec {
        bool used;
        uint32_t entry;
        size_t cid_len, eid_len;
        char container_id[POLICY_ID_MAX + 1];
        char exec_id[POLICY_ID_MAX + 1];
};

struct policy_state {
        bool sandbox_created; /* stays set: a VM hosts one sandbox, once */
        bool sandbox_pending; /* a CreateSandbox is forwarded and not yet answered */
        size_t n_containers;
        struct state_container containers[POLICY_STATE_CONTAINERS_MAX];
        uint16_t container_index[CONTAINER_SLOTS]; /* entry index + 1; 0 = empty */
        size_t exec_next;                          /* ring position of the next exec */
        struct state_exec execs[POLICY_STATE_EXECS_MAX];
        uint16_t exec_index[EXEC_SLOTS];
};

_Static_assert(POLICY_STATE_EXECS_MAX < UINT16_MAX && POLICY_STATE_CONTAINERS_MAX < UINT16_MAX,
               "index slots hold entry numbers in 16 bits");

static uint64_t hash_bytes(uint64_t h, const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
        return h;
}

static uint64_t hash_pair(const char *a, size_t alen, const char *b, size_t blen)
{
        uint64_t h = hash_bytes(14695981039346656037ull, a, alen);
        h = (h ^ 0xff) * 1099511628211ull; /* separator: ("ab","c") != ("a","bc") */
        return hash_bytes(h, b, blen);
}

struct policy_state *policy_state_new(void)
{
        return calloc(1, sizeof(struct policy_state));
}

struct policy_state *policy_state_free(struct policy_state *s)
{
        free(s);
        return NULL;
}

static bool container_is(const struct state_container *c, const char *id, size_t len)
{
        return c->used && c->len == len && memcmp(c->id, id, len) == 0;
}

static bool exec_is(const struct state_exec *e, const char *cid, size_t cid_len, const char *eid,
                    size_t eid_len)
{
        return e->used && e->cid_len == cid_len && e->eid_len == eid_len &&
               memcmp(e->container_id, cid, cid_len) == 0 && memcmp(e->exec_id, eid, eid_len) == 0;
}

/* Slot in index holding key, or the empty slot where it would go. */
static size_t container_slot(const struct policy_state *s, const char *id, size_t len)
{
        size_t i = hash_pair(id, len, "", 0) & (CONTAINER_SLOTS - 1);

        while (s->container_index[i] &&
               !container_is(&s->containers[s->container_index[i] - 1], id, len))
                i = (i + 1) & (CONTAINER_SLOTS - 1);
        return i;
}

static size_t exec_slot(const struct policy_state *s, const char *cid, size_t cid_len,
                        const char *eid, size_t eid_len)
{
        size_t i = hash_pair(cid, cid_len, eid, eid_len) & (EXEC_SLOTS - 1);

        while (s->exec_index[i] &&
               !exec_is(&s->execs[s->exec_index[i] - 1], cid, cid_len, eid, eid_len))
                i = (i + 1) & (EXEC_SLOTS - 1);
        return i;
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void index_delete(uint16_t *index, size_t n_slots, size_t hole,
                         uint64_t (*home_of)(const struct policy_state *, uint16_t),
                         const struct policy_state *s)
{
        size_t i = hole;

        index[hole] = 0;
        for (;;) {
                size_t home;

                i = (i + 1) & (n_slots - 1);
                if (!index[i])
                        return;
                home = home_of(s, index[i]) & (n_slots - 1);
                /* Move index[i] into the hole unless its home lies cyclically in (hole, i]. */
                if ((hole <= i) ? (home <= hole || home > i) : (home <= hole && home > i)) {
                        index[hole] = index[i];
                        index[i] = 0;
                        hole = i;
                }
        }
}

static uint64_t container_home(const struct policy_state *s, uint16_t v)
{
        const struct state_container *c = &s->containers[v - 1];
        return hash_pair(c->id, c->len, "", 0);
}

static uint64_t exec_home(const struct policy_state *s, uint16_t v)
{
        const struct state_exec *e = &s->execs[v - 1];
        return hash_pair(e->container_id, e->cid_len, e->exec_id, e->eid_len);
}

int state_container_find(const struct policy_state *s, const char *id, size_t len,
                         uint32_t *ret_entry)
{
        size_t i;

        if (len > POLICY_ID_MAX)
                return -ENOENT;
        i = container_slot(s, id, len);
        if (!s->container_index[i] || s->containers[s->container_index[i] - 1].pending)
                return -ENOENT;
        *ret_entry = s->containers[s->container_index[i] - 1].entry;
        return 0;
}

bool state_container_taken(const struct policy_state *s, const char *id, size_t len)
{
        return len <= POLICY_ID_MAX && s->container_index[container_slot(s, id, len)] != 0;
}

size_t state_container_count(const struct policy_state *s, uint32_t entry)
{
        size_t n = 0;

        for (size_t i = 0; i < POLICY_STATE_CONTAINERS_MAX; i++)
                n += s->containers[i].used && s->containers[i].entry == entry;
        return n;
}

size_t state_n_containers(const struct policy_state *s)
{
        return s->n_containers;
}

int state_exec_find(const struct policy_state *s, const char *container_id, size_t cid_len,
                    const char *exec_id, size_t eid_len, uint32_t *ret_entry)
{
        size_t i;

        if (cid_len > POLICY_ID_MAX || eid_len > POLICY_ID_MAX)
                return -ENOENT;
        i = exec_slot(s, container_id, cid_len, exec_id, eid_len);
        if (!s->exec_index[i])
                return -ENOENT;
        *ret_entry = s->execs[s->exec_index[i] - 1].entry;
        return 0;
}

bool state_sandbox_created(const struct policy_state *s)
{
        return s->sandbox_created || s->sandbox_pending;
}

static void exec_remove(struct policy_state *s, size_t k)
{
        struct state_exec *e = &s->execs[k];

        if (!e->used)
                return;
        index_delete(s->exec_index, EXEC_SLOTS,
                     exec_slot(s, e->container_id, e->cid_len, e->exec_id, e->eid_len), exec_home,
                     s);
        e->used = false;
}

static int bind_container(struct policy_state *s, const char *id, size_t len, uint32_t entry,
                          bool pending)
{
        size_t i = container_slot(s, id, len);
        size_t k;

        if (s->container_index[i]) {
                struct state_container *c = &s->containers[s->container_index[i] - 1];

                if (pending)
                        return -EEXIST; /* taken: decisions refuse a second create */
                c->entry = entry;
                c->pending = false;
                return 0;
        }
        if (s->n_containers >= POLICY_STATE_CONTAINERS_MAX)
                return -ENOSPC;
        for (k = 0; s->containers[k].used; k++)
                ;
        s->containers[k] = (struct state_container){ .used = true, .pending = pending,
                                                     .entry = entry, .len = len };
        memcpy(s->containers[k].id, id, len);
        s->container_index[i] = (uint16_t)(k + 1);
        s->n_containers++;
        return 0;
}

static void unbind_container(struct policy_state *s, const char *id, size_t len)
{
        size_t i = container_slot(s, id, len);
        size_t k;

        if (!s->container_index[i])
                return;
        k = s->container_index[i] - 1u;
        index_delete(s->container_index, CONTAINER_SLOTS, i, container_home, s);
        s->containers[k].used = false;
        s->n_containers--;
        /* Its processes go with it: a later container reusing the id starts clean. */
        for (size_t j = 0; j < POLICY_STATE_EXECS_MAX; j++)
                if (s->execs[j].used && s->execs[j].cid_len == len &&
                    memcmp(s->execs[j].container_id, id, len) == 0)
                        exec_remove(s, j);
}

static void add_exec(struct policy_state *s, const char *cid, size_t cid_len, const char *eid,
                     size_t eid_len, uint32_t entry)
{
        size_t i = exec_slot(s, cid, cid_len, eid, eid_len);
        struct state_exec *e;

        if (s->exec_index[i]) {
                s->execs[s->exec_index[i] - 1].entry = entry;
                return;
        }
        /* Forget the oldest when the ring comes round. */
        exec_remove(s, s->exec_next);
        e = &s->execs[s->exec_next];
        *e = (struct state_exec){ .used = true, .entry = entry, .cid_len = cid_len,
                                  .eid_len = eid_len };
        memcpy(e->container_id, cid, cid_len);
        memcpy(e->exec_id, eid, eid_len);
        /* The removal may have shifted the chain: look the slot up again. */
        i = exec_slot(s, cid, cid_len, eid, eid_len);
        s->exec_index[i] = (uint16_t)(s->exec_next + 1);
        s->exec_next = (s->exec_next + 1) % POLICY_STATE_EXECS_MAX;
}

int policy_state_apply(struct policy_state *s, const struct policy_effect *e)
{
        size_t cid_len = strnlen(e->container_id, sizeof(e->container_id));
        size_t eid_len = strnlen(e->exec_id, sizeof(e->exec_id));

        if (cid_len > POLICY_ID_MAX || eid_len > POLICY_ID_MAX)
                return -EINVAL;
        switch (e->kind) {
        case POLICY_EFFECT_NONE:
                return 0;
        case POLICY_EFFECT_BIND_CONTAINER:
                if (cid_len == 0)
                        return -EINVAL;
                return bind_container(s, e->container_id, cid_len, e->entry, false);
        case POLICY_EFFECT_UNBIND_CONTAINER:
                unbind_container(s, e->container_id, cid_len);
                return 0;
        case POLICY_EFFECT_ADD_EXEC:
                if (cid_len == 0 || eid_len == 0)
                        return -EINVAL;
                add_exec(s, e->container_id, cid_len, e->exec_id, eid_len, e->entry);
                return 0;
        case POLICY_EFFECT_SANDBOX_CREATED:
                s->sandbox_created = true;
                s->sandbox_pending = false;
                return 0;
        case POLICY_EFFECT_SANDBOX_DESTROYED:
                /* Everything in it is gone; it is not created a second time. */
                for (size_t k = 0; k < POLICY_STATE_CONTAINERS_MAX; k++)
                        if (s->containers[k].used)
                                unbind_container(s, s->containers[k].id, s->containers[k].len);
                return 0;
        default:
                return -EINVAL;
        }
}

int policy_state_reserve(struct policy_state *s, const struct policy_effect *e)
{
        size_t cid_len = strnlen(e->container_id, sizeof(e->container_id));

        switch (e->kind) {
        case POLICY_EFFECT_BIND_CONTAINER:
                if (cid_len == 0 || cid_len > POLICY_ID_MAX)
                        return -EINVAL;
                return bind_container(s, e->container_id, cid_len, e->entry, true);
        case POLICY_EFFECT_SANDBOX_CREATED:
                if (s->sandbox_created || s->sandbox_pending)
                        return -EEXIST;
                s->sandbox_pending = true;
                return 0;
        default:
                return 0; /* nothing exclusive to hold */
        }
}

void policy_state_cancel(struct policy_state *s, const struct policy_effect *e)
{
        size_t cid_len = strnlen(e->container_id, sizeof(e->container_id));
        size_t i;

        switch (e->kind) {
        case POLICY_EFFECT_BIND_CONTAINER:
                if (cid_len == 0 || cid_len > POLICY_ID_MAX)
                        return;
                i = container_slot(s, e->container_id, cid_len);
                if (s->container_index[i] && s->containers[s->container_index[i] - 1].pending)
                        unbind_container(s, e->container_id, cid_len);
                return;
        case POLICY_EFFECT_SANDBOX_CREATED:
                s->sandbox_pending = false;
                return;
        default:
                return;
        }
}
