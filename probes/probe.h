/*
 * probe.h - the application probe interface.
 *
 * A probe is a pure byte-level state machine described by one const
 * struct bph_probe. It never touches a socket: the engine (scanner/engine.c)
 * connects, reads, writes and times out, and feeds the probe bytes.
 *
 * Life of one probe run against one service:
 *
 *   priv = calloc(priv_size); init(priv, ctx)
 *   while engine opened < conns(priv):          (connections may overlap)
 *       conn = calloc(conn_size)
 *       start(priv, conn, idx, io)              after the TCP connect
 *       on_read / on_idle / on_eof ...          until DONE or an error
 *       on_close(priv, conn, idx, status)       exactly once per connection
 *                                               (and once per dropped
 *                                               attempt: BPH_ERR_AGAIN)
 *   finish(priv, svc); cleanup(priv); free(priv)
 *
 * Callbacks that see bytes return BPH_PROBE_MORE (keep the connection),
 * BPH_PROBE_DONE (close it, success) or a negative BPH_ERR_* code (close it,
 * failure). Bytes appended to io->out are sent before the next read; on DONE
 * or an error pending bytes are dropped.
 */
#ifndef BPH_PROBES_PROBE_H
#define BPH_PROBES_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/buf.h"
#include "fingerprints/record.h"

enum bph_probe_status {
	BPH_PROBE_DONE = 0,
	BPH_PROBE_MORE = 1,
};

/* What a probe may know about its target; borrowed for the whole run. */
struct bph_probe_ctx {
	const char *ip; /* "a.b.c.d" */
	uint16_t port;
	const char *sni; /* server name to send (IP text unless configured) */
	const char *user_agent; /* HTTP User-Agent; NULL: "bphound/0.1" */
	int wait_ms;		/* short wait for server-first bytes */
	bool tls;		/* speak the protocol inside TLS (HTTPS) */
};

/* Per-callback I/O request: what to send and whether to wait for silence. */
struct bph_probe_io {
	struct bph_sbuf *out; /* append bytes to send; owned by the engine */
	int idle_ms; /* set > 0: call on_idle after that many ms without
			bytes received; 0 (the default each call) = no idle
			timer; the connection deadline still applies */
};

/*
 * Prepares priv (zeroed, priv_size bytes, owned by the engine) for a run.
 * ctx is borrowed and stays valid until cleanup. Returns 0 or BPH_ERR_*;
 * on error the engine still calls finish and cleanup.
 */
typedef int (*bph_probe_init_fn)(void *priv, const struct bph_probe_ctx *ctx);

/*
 * Number of connections the run wants so far. Asked before the first
 * connection and after each one closes; it may grow as the probe learns
 * (SSH: one connection per advertised host key type). Connections whose
 * index is below this number may be open at the same time.
 */
typedef int (*bph_probe_conns_fn)(const void *priv);

/*
 * Called once the TCP connection idx is established. conn is a zeroed
 * conn_size area owned by the engine. May append the first bytes to
 * io->out and may request an idle wait. Returns MORE, DONE or BPH_ERR_*.
 */
typedef int (*bph_probe_start_fn)(void *priv, void *conn, int idx,
				  struct bph_probe_io *io);

/*
 * Bytes p[0..n) arrived on connection idx (borrowed for the call only).
 * The engine caps the bytes per connection at its max_read. Returns MORE,
 * DONE or BPH_ERR_*.
 */
typedef int (*bph_probe_read_fn)(void *priv, void *conn, int idx,
				 const uint8_t *p, size_t n,
				 struct bph_probe_io *io);

/*
 * No bytes arrived for io->idle_ms as requested by the previous callback.
 * Returns MORE (usually after sending something), DONE or BPH_ERR_*.
 */
typedef int (*bph_probe_idle_fn)(void *priv, void *conn, int idx,
				 struct bph_probe_io *io);

/*
 * The peer closed its side. Returns DONE or BPH_ERR_* (MORE counts as
 * DONE). Without this callback an EOF is BPH_ERR_PROTO.
 */
typedef int (*bph_probe_eof_fn)(void *priv, void *conn, int idx);

/*
 * Connection idx is gone; called exactly once per connection, also when
 * start was never called (connect failed). status is 0 when the probe said
 * DONE, else the probe's own error or the engine's: BPH_ERR_TIMEOUT
 * (connect or I/O deadline, host budget), BPH_ERR_REFUSED (connect
 * refused), BPH_ERR_RESET (reset once connected), BPH_ERR_CLOSED (the
 * peer closed before its first byte), BPH_ERR_TOOBIG (max_read),
 * BPH_ERR_IO. Must release everything conn owns; the engine frees conn
 * itself afterwards.
 *
 * BPH_ERR_AGAIN: the engine drops this attempt (refused, reset or closed
 * before a byte arrived) and will connect idx again: release what conn
 * owns and record nothing; conn is zeroed and start is called anew.
 */
typedef void (*bph_probe_close_fn)(void *priv, void *conn, int idx, int status);

/*
 * All connections are closed: write the results into svc (creating the
 * sub-object the probe owns, e.g. svc->tls; other sub-objects may be read).
 * Errors go into the sub-object's error field. A probe that recognised
 * another protocol by content (e.g. a late "SSH-" banner) may set
 * svc->proto as a hint for the engine. Returns 0 or BPH_ERR_NOMEM.
 */
typedef int (*bph_probe_finish_fn)(void *priv, struct bph_service *svc);

/*
 * True while the server has sent bytes on connection idx but not yet its
 * protocol's banner (SSH: the identification line). A hang-up or reset
 * then is a server turning the client away, as sshd does past MaxStartups
 * with "Exceeded MaxStartups": the engine retries it and records
 * "closed before banner" or "reset", never a protocol error. Without
 * this callback any byte counts as the banner.
 */
typedef bool (*bph_probe_banner_fn)(const void *priv, const void *conn,
				    int idx);

/* Releases what priv still owns after finish (not priv itself). */
typedef void (*bph_probe_cleanup_fn)(void *priv);

struct bph_probe {
	const char *name;
	size_t priv_size;
	size_t conn_size;
	bph_probe_init_fn init; /* optional */
	bph_probe_conns_fn conns;
	bph_probe_start_fn start;
	bph_probe_read_fn on_read;
	bph_probe_idle_fn on_idle;	   /* optional */
	bph_probe_eof_fn on_eof;	   /* optional */
	bph_probe_banner_fn before_banner; /* optional */
	bph_probe_close_fn on_close;
	bph_probe_finish_fn finish;
	bph_probe_cleanup_fn cleanup; /* optional */
};

/*
 * Records a failure in a sub-object's error field: "<detail>: <strerror>"
 * (or just the strerror text when detail is NULL). Keeps an existing message
 * (the first failure wins). Never fails loudly: on allocation failure the
 * field stays as it was.
 */
void bph_probe_set_error(char **field, int err, const char *detail);

#endif
