/*
 * engine.h - the application-probe engine.
 *
 * Takes the services the SYN scan found open and runs the probes of
 * probes/registry.h against them on one libevent event loop with
 * nonblocking sockets. Protocol detection is by content, never by port
 * number: a first connection waits detect_wait_ms for server-first bytes
 * ("SSH-" -> ssh; other bytes -> banner); on silence a TLS handshake is
 * tried (success -> tls, jarm and https), then plain HTTP, then a banner.
 * Everything is bounded: connections in flight, connect and I/O deadlines
 * per connection, bytes per connection, and a time budget per host.
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
	bool jarm;		/* run JARM on TLS services; default true */
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

#endif
