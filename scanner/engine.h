/*
 * engine.h - the application-probe engine.
 *
 * Takes the services the SYN scan found open and runs the probes of
 * probes/registry.h against them on one libevent event loop with
 * nonblocking sockets. Protocol detection is by content, never by port
 * number. Three connections start at once: one waits up to detect_wait_ms
 * for server-first bytes ("SSH-" -> ssh; other bytes -> banner), one tries
 * a TLS handshake (success -> tls, then jarm and https), one sends a plain
 * HTTP GET (a status line while TLS failed -> http). The first verdict wins
 * and the other attempts are dropped, so client-first services do not wait
 * for detect_wait_ms. When nothing decides: a late "SSH-" -> ssh; a reply
 * that was TLS or HTTP but broke the protocol -> that protocol, with its
 * error kept in the record (TLS still gets JARM); else a banner grab.
 * Everything is bounded: connections in flight, connect and I/O deadlines
 * per connection, bytes per connection, and a time budget per host.
 *
 * A careful client, because one server often holds many addresses and
 * limits its clients (sshd's MaxStartups, nginx's limit_conn): at most
 * max_per_host connections to one address and a limit per /24 that starts
 * at max_per_net, halves when a server closes, resets or refuses a
 * connection before its banner, and climbs back by one per limit's worth
 * of answered connections (TCP's congestion window, per /24). A service
 * starts only when its address and /24 have room. Such a dropped
 * connection is tried again, up to retries times, after retry_ms,
 * 2 x retry_ms, ..., 2 s (each up to half as long again, at random, so that
 * dropped connections do not return together) as long as the host's
 * budget lasts; what still fails
 * is recorded with its cause: "refused", "reset", "closed before banner"
 * or "timeout" (docs/output.md). The SSH probe asks for one host key type
 * after the other on one connection at a time.
 */
#ifndef BPH_SCANNER_ENGINE_H
#define BPH_SCANNER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "fingerprints/record.h"

struct bph_engine_cfg {
	int max_connections;	/* in flight at once; default 512 */
	int connect_timeout_ms; /* TCP connect deadline; default 3000 */
	int io_timeout_ms;	/* per connection after connect; default 5000 */
	int host_budget_ms;	/* all probes of one service; default 30000 */
	int detect_wait_ms;	/* wait for server-first bytes; default 1000 */
	size_t max_read;	/* bytes read per connection; default 2 MiB */
	const char *sni;	/* TLS server name; NULL = the IP text */
	const char *user_agent; /* HTTP User-Agent; NULL = "bphound/0.1" */
	bool jarm;		/* run JARM on TLS services; default true */
	int max_per_host;	/* connections to one address; default 4 */
	int max_per_net;	/* to one /24 (the adaptive limit's top);
				   default 16 */
	int retries;  /* further attempts of a connection refused, reset or
			 closed before its banner; default 8 (0: none) */
	int retry_ms; /* wait before the first retry, doubled each time up
			 to 2 s; default 250 */
};

/* Fills cfg with the defaults above. */
void bph_engine_cfg_default(struct bph_engine_cfg *cfg);

/*
 * Probes every svcs[i] whose state is BPH_STATE_OPEN and fills its proto,
 * tls, ssh, http and banner members (freeing any previous ones). Per-service
 * failures (refused, timeouts, protocol errors) are recorded in the
 * sub-object's error field and never fail the run. cfg and svcs are
 * borrowed. Runs on the calling thread until every service is done (at
 * most about host_budget_ms after the last one started). Sets SIGPIPE to
 * SIG_IGN for the process, so a peer's reset cannot kill it. Returns 0, or
 * BPH_ERR_USAGE / BPH_ERR_NOMEM / BPH_ERR_IO with a message in err (errlen
 * bytes, may be NULL/0) when the engine itself could not run.
 */
int bph_engine_run(const struct bph_engine_cfg *cfg, struct bph_service *svcs,
		   size_t n, char *err, size_t errlen);

/*
 * The same engine fed while it runs (pipelining: probe services while the
 * SYN scan is still going). bph_engine_start copies cfg and runs the event
 * loop on a thread of its own. bph_engine_submit may be called from any
 * thread until bph_engine_finish; it copies ip, port, state, seen and tcp
 * of an open svc (others are ignored) and returns 0, BPH_ERR_NOMEM, or
 * BPH_ERR_USAGE after finish began. bph_engine_finish says no more
 * services will come, waits until every submitted one is probed (as
 * bph_engine_run would), hands back *svcs (*n records in submission order,
 * owned by the caller: bph_service_clear each, then free) and frees eng.
 * Both return 0 or BPH_ERR_* with a message in err. bph_engine_cancel
 * (any thread; 0 or BPH_ERR_IO) stops every running probe at once (their
 * records say "timed out") and leaves services not yet started unprobed;
 * bph_engine_finish is still needed afterwards.
 */
struct bph_engine;

int bph_engine_start(const struct bph_engine_cfg *cfg, struct bph_engine **eng,
		     char *err, size_t errlen);
int bph_engine_submit(struct bph_engine *eng, const struct bph_service *svc);
int bph_engine_cancel(struct bph_engine *eng);
int bph_engine_finish(struct bph_engine *eng, struct bph_service **svcs,
		      size_t *n, char *err, size_t errlen);

#endif
