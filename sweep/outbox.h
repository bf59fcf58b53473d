/*
 * outbox.h - queueing a run's digests and delivering what the outbox
 * holds (sweep/outbox.c; the channels are sweep/notify.h's, the table
 * store/sweep_store.h's). A delivery is attempted 1 + retries times in a
 * run, waiting retry_delay, then twice as long each time (or the
 * receiver's Retry-After); accepted is "delivered", refused for good
 * (an HTTP 4xx other than 429) is "rejected", anything else stays
 * "pending" and is tried again by the next run with the same id.
 */
#ifndef BPH_SWEEP_OUTBOX_H
#define BPH_SWEEP_OUTBOX_H

#include <stddef.h>
#include <stdio.h>

#include "store/sweep_store.h"
#include "sweep/config.h"
#include "sweep/notify.h"

/*
 * The run's deliveries: one per channel whose filters leave something to
 * say (or notify_on_empty). *out is a new array of *n (free with
 * bph_outbox_free). Returns 0 or BPH_ERR_NOMEM.
 */
int bph_outbox_prepare(const struct bph_sweep_config *c,
		       const struct bph_event_set *s, const char *hostname,
		       struct bph_delivery **out, size_t *n);
void bph_outbox_free(struct bph_delivery *v, size_t n);

/* v as outbox rows for bph_sweep_commit(): a new array (caller frees;
 * strings borrowed from v). NULL on ENOMEM. */
struct bph_outbox_row *bph_outbox_rows(const struct bph_delivery *v, size_t n);

/*
 * Sends every pending delivery of c's sweep, older runs first, each
 * through the channel of the same id in c (a delivery whose channel is
 * gone stays pending), confined by cf (may be NULL; struct
 * bph_confine in notify.h). Failures are reported on log (may be NULL).
 * *delivered and *pending count the outcome. Returns 0 or the store's
 * error.
 */
int bph_outbox_deliver(struct bph_store *st, const struct bph_sweep_config *c,
		       const struct bph_confine *cf, FILE *log,
		       size_t *delivered, size_t *pending);

#endif
