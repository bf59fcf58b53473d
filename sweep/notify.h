/*
 * notify.h - notifications: one digest per run per channel, prepared as
 * a delivery (the exact bytes to send, with a stable id) that the outbox
 * keeps until the channel accepts it, then sent by the channel's
 * mechanism (docs/guide.md "Notifications", formats in docs/output.md).
 *
 * Channels: webhook (an HTTP POST with libcurl, signed
 * "X-Bphound-Signature: sha256=HMAC-SHA256(secret, timestamp.body)"),
 * email (a message piped to `sendmail -t -oi`; header values come from
 * the config and from counts only, never from the network), syslog (one
 * RFC 5424 message per event to a Unix datagram socket, or "<N>"-prefixed
 * lines on stdout for the journal), exec (a program with the events as
 * JSON Lines on stdin, no shell). One registry lists them.
 *
 * A delivery's id is the first 32 hex digits of SHA-256(sweep 0x1f run
 * 0x1f channel id): every retry of a run's digest, in this run or a
 * later one, carries the same id, so a receiver can drop duplicates.
 */
#ifndef BPH_SWEEP_NOTIFY_H
#define BPH_SWEEP_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sweep/config.h"
#include "sweep/event.h"

#define BPH_DIGEST_SCHEMA "bphound.digest/1"

/* The bytes of one run's digest for one channel. */
struct bph_delivery {
	char id[33];
	char *channel; /* channel id, owned */
	enum bph_notify_type type;
	char *sweep; /* owned */
	int64_t run;
	char *payload; /* owned: what the channel sends (see each channel) */
	size_t len;
	size_t n_events; /* events in the digest (after "+N more") */
};

void bph_delivery_clear(struct bph_delivery *d); /* frees what it owns */

/* The outcome of one delivery attempt. */
enum bph_send_result {
	BPH_SEND_OK = 0,       /* accepted */
	BPH_SEND_RETRY = 1,    /* try again (5xx, 429, network, timeout) */
	BPH_SEND_REJECTED = 2, /* refused for good (other 4xx): not retried */
};

/*
 * How a channel that reads replies from the network gives up the
 * sweep's privileges before it does (cli/sweep_run.c: the probe worker's
 * drop, in a child forked per attempt). drop returns 0, or an error with
 * a message in err; then nothing is sent.
 */
struct bph_confine {
	int (*drop)(void *ctx, char *err, size_t errlen);
	void *ctx;
};

/* One channel kind. */
struct bph_channel {
	const char *name; /* "webhook", ... as in the config */
	/*
	 * Builds d->payload from the selected events sel[0..n) of s (more:
	 * how many were left out by max_events_per_message). d's id,
	 * channel, sweep and run are set by the caller. Returns 0 or
	 * BPH_ERR_NOMEM.
	 */
	int (*prepare)(const struct bph_notify_cfg *ch,
		       const struct bph_event_set *s,
		       const struct bph_event *const *sel, size_t n,
		       size_t more, const char *hostname,
		       struct bph_delivery *d);
	/*
	 * Sends d once. Returns the outcome; *retry_after_ms may be set
	 * (429 Retry-After); a reason goes into err for anything but
	 * BPH_SEND_OK. cf (may be NULL): the webhook, which reads the
	 * server's reply, sends from a child that first calls cf->drop;
	 * the other channels read nothing back and ignore it.
	 */
	enum bph_send_result (*send)(const struct bph_notify_cfg *ch,
				     const struct bph_delivery *d,
				     const struct bph_confine *cf,
				     uint64_t *retry_after_ms, char *err,
				     size_t errlen);
};

extern const struct bph_channel bph_channel_webhook;
extern const struct bph_channel bph_channel_email;
extern const struct bph_channel bph_channel_syslog;
extern const struct bph_channel bph_channel_exec;

/* The channel of type t. */
const struct bph_channel *bph_channel_of(enum bph_notify_type t);

/* Once per process, before any delivery (libcurl's global init).
 * Returns 0 or BPH_ERR_NOMEM. */
int bph_notify_global_init(void);
void bph_notify_global_cleanup(void);

/* Whether e passes the config's alerts and channel ch's filters. */
bool bph_notify_wants(const struct bph_sweep_config *c,
		      const struct bph_notify_cfg *ch,
		      const struct bph_event *e);

/*
 * Prepares ch's digest of s into d (zeroed by the caller): the events
 * that pass the filters, at most ch->max_events of them. *empty is set
 * when no event passed and the config does not notify on empty runs (d
 * is then left empty). Returns 0 or BPH_ERR_NOMEM.
 */
int bph_notify_prepare(const struct bph_sweep_config *c,
		       const struct bph_notify_cfg *ch,
		       const struct bph_event_set *s, const char *hostname,
		       struct bph_delivery *d, bool *empty);

/* The delivery id of (sweep, run, channel) into id. */
void bph_delivery_id(const char *sweep, int64_t run, const char *channel,
		     char id[33]);

/*
 * Reads the webhook secret of ch (secret_file, or
 * $CREDENTIALS_DIRECTORY/secret_credential), trailing newlines dropped,
 * into a new string (caller wipes and frees; NULL when ch has none).
 * Returns 0, BPH_ERR_IO (unreadable, empty or over 4 KiB; why in err).
 */
int bph_webhook_secret(const struct bph_notify_cfg *ch, char **secret,
		       char *err, size_t errlen);

/*
 * "sha256=" + hex HMAC-SHA256(secret, timestamp "." body) into out
 * (at least 72 bytes). Returns 0 or BPH_ERR_CRYPTO.
 */
int bph_webhook_signature(const char *secret, const char *timestamp,
			  const char *body, size_t len, char out[72]);

/* ---- helpers the channels share (digest.c) ---- */

/* The digest envelope as JSON (schema, delivery, sweep, run, run_from,
 * host, observed_at, counts, total, more, events). NULL on ENOMEM. */
json_t *bph_digest_json(const struct bph_event_set *s,
			const struct bph_event *const *sel, size_t n,
			size_t more, const char *delivery,
			const char *hostname);

/* One human line for e (no newline), network strings escaped and cut;
 * a new string (caller frees) or NULL on ENOMEM. */
char *bph_event_line(const struct bph_event_set *s, const struct bph_event *e);

/* e as compact ASCII JSON (jansson escapes every control and non-ASCII
 * character): a new string or NULL. */
char *bph_event_json_line(const struct bph_event_set *s,
			  const struct bph_event *e);

#endif
