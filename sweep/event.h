/*
 * event.h - the events a sweep produces: one registry of types with
 * their default severities, the event record, its stable id and its JSON
 * form ("bphound.event/1", documented field by field in docs/output.md).
 *
 * The same JSON object is printed by `bphound diff --format jsonl`,
 * stored in the store's events table and carried by every notification.
 * An event's id is the first 32 hex digits of
 *   SHA-256(sweep 0x1f run_to 0x1f type 0x1f ip 0x1f port 0x1f field
 *           0x1f after)
 * where absent parts are empty strings and after is its compact JSON
 * with sorted keys: re-diffing the same runs gives the same ids, and a
 * change seen at run_to keeps its id whatever baseline it was compared
 * with.
 */
#ifndef BPH_SWEEP_EVENT_H
#define BPH_SWEEP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define BPH_EVENT_SCHEMA "bphound.event/1"

enum bph_severity {
	BPH_SEV_INFO = 0,
	BPH_SEV_LOW,
	BPH_SEV_MEDIUM,
	BPH_SEV_HIGH,
	BPH_SEV_CRITICAL,
	BPH_SEV_COUNT
};

/* In registry order, which is also the order of events of one service. */
enum bph_event_type {
	BPH_EV_HOST_NEW = 0,
	BPH_EV_HOST_GONE,
	BPH_EV_HOST_BACK,
	BPH_EV_PORT_OPEN,
	BPH_EV_PORT_CLOSED,
	BPH_EV_SERVICE_CHANGED,
	BPH_EV_TLS_CERT_CHANGED,
	BPH_EV_TLS_JARM_CHANGED,
	BPH_EV_SSH_HOSTKEY_CHANGED,
	BPH_EV_SSH_HASSH_CHANGED,
	BPH_EV_HTTP_CHANGED,
	BPH_EV_TCP_SIG_CHANGED,
	BPH_EV_IDENTITY_MOVED,
	BPH_EV_WATCH_HIT,
	BPH_EV_CLUSTER_MEMBER_ADDED,
	BPH_EV_CLUSTER_MEMBER_REMOVED,
	BPH_EV_CLUSTER_GROWTH,
	BPH_EV_SWEEP_COMPLETED,
	BPH_EV_SWEEP_FAILED,
	BPH_EV_COUNT
};

struct bph_event_type_info {
	const char *name;	    /* "host.new" */
	enum bph_severity severity; /* default */
	const char *summary;	    /* one line for docs and digests */
};

/* Indexed by enum bph_event_type. */
extern const struct bph_event_type_info bph_event_types[BPH_EV_COUNT];

/* "info", "low", "medium", "high", "critical". */
const char *bph_severity_name(enum bph_severity s);
/* The severity named s; -1 when unknown. */
int bph_severity_parse(const char *s);
/* The type named s; -1 when unknown. */
int bph_event_type_parse(const char *s);

/*
 * One event. The json_t members are owned references (NULL: absent;
 * printed as null, or left out for evidence, watch and cluster).
 */
struct bph_event {
	enum bph_event_type type;
	enum bph_severity severity;
	bool has_ip;
	uint32_t ip; /* host order */
	int port;    /* -1: none */
	char *field; /* owned; NULL: none */
	json_t *before, *after, *details;
	json_t *evidence, *watch, *cluster;
	char id[33];
};

/* The events of one comparison, with what they share. */
struct bph_event_set {
	char *sweep;	     /* owned */
	int64_t run_from;    /* 0: none (a first run) */
	int64_t run_to;	     /* the run that observed the changes */
	time_t observed_at;  /* when run_to finished */
	struct bph_event *v; /* owned */
	size_t n, cap;
};

/* Sets up an empty set (sweep copied). Returns 0 or BPH_ERR_NOMEM. */
int bph_event_set_init(struct bph_event_set *s, const char *sweep,
		       int64_t run_from, int64_t run_to, time_t observed_at);
void bph_event_set_clear(struct bph_event_set *s); /* frees all events */

/*
 * Appends a new event of type with its default severity, ip (has_ip),
 * port (-1: none) and field (copied; may be NULL); before/after/details
 * are taken over (stolen even on failure). Returns the event, or NULL on
 * allocation failure.
 */
struct bph_event *bph_event_add(struct bph_event_set *s,
				enum bph_event_type type, bool has_ip,
				uint32_t ip, int port, const char *field,
				json_t *before, json_t *after, json_t *details);

/* Computes every event's id (see above). Returns 0 or BPH_ERR_NOMEM. */
int bph_event_set_finish(struct bph_event_set *s);

/* Sorts by (ip, port, type, field, id); events without an ip last. */
void bph_event_set_sort(struct bph_event_set *s);

/* The event as a new JSON object (caller owns it); NULL on ENOMEM. */
json_t *bph_event_to_json(const struct bph_event_set *s,
			  const struct bph_event *e);

/* RFC 3339 UTC ("2026-12-07T03:41:12Z") into out (at least 21 bytes). */
void bph_time_rfc3339(time_t t, char out[32]);

#endif
