/*
 * probe_worker.h - the probe engine in a process of its own: the side of
 * the scan that connects to targets and parses what they send runs
 * unprivileged, with no capability and under the probe seccomp allowlist
 * (scanner/sandbox.h), and hands its records back over a socket, where the
 * scanner checks them as untrusted input. Design: docs/architecture.md
 * ("Privileges").
 */
#ifndef BPH_CLI_PROBE_WORKER_H
#define BPH_CLI_PROBE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fingerprints/record.h"
#include "scanner/engine.h"
#include "scanner/sandbox.h"

struct bph_worker;

/*
 * Forks the worker (call it while the process has one thread): the child
 * keeps only its end of a socket pair, gives up every privilege
 * (bph_privs_drop to id), enters BPH_SANDBOX_PROBES and runs the engine
 * with cfg (copied). Returns 0 once the worker said it is confined and
 * running, with *out owned by the caller (end it with bph_worker_finish
 * or bph_worker_cancel), or BPH_ERR_* with a message (a worker that died
 * first: how it ended, "exited with status N" or "killed by signal N").
 */
int bph_worker_start(const struct bph_engine_cfg *cfg,
		     const struct bph_identity *id, struct bph_worker **out,
		     char *err, size_t errlen);

/*
 * Takes over a worker already forked (bph_worker_start's second half, and
 * the tests' way to hand the scanner's side what a hostile worker could
 * write): its pid, and fd, the scanner's end of their socket pair, which
 * *out owns from then on. Waits for the worker's ready byte ('R'); a
 * worker that ends first is reaped and how it ended is put in err.
 * Returns 0, or BPH_ERR_IO / BPH_ERR_NOMEM with fd closed and pid reaped.
 */
int bph_worker_attach(pid_t pid, int fd, struct bph_worker **out, char *err,
		      size_t errlen);

/* The worker's process id (for tests and messages). */
pid_t bph_worker_pid(const struct bph_worker *w);

/*
 * Hands an open service (ip, port, seen and tcp are sent; the rest is
 * ignored) to the worker. One caller at a time. Returns 0 or BPH_ERR_IO
 * (the worker is gone).
 */
int bph_worker_submit(struct bph_worker *w, const struct bph_service *svc);

/*
 * No more services: waits for the worker's records and moves each one's
 * proto, tls, ssh, http and banner into the service of svcs[0..n) with the
 * same address and port (the scanner's own ip, port, state, seen and tcp
 * stay). A record that does not parse, names a service not submitted or
 * comes twice is refused and counted in *refused. sigfd (or -1): a
 * signalfd; a signal on it kills the worker and is returned in *signo.
 * Frees w. Returns 0, or BPH_ERR_IO / BPH_ERR_NOMEM with a message (the
 * worker died, or sent nothing readable).
 */
int bph_worker_finish(struct bph_worker *w, struct bph_service *svcs, size_t n,
		      int sigfd, int *signo, size_t *refused, char *err,
		      size_t errlen);

/* Kills the worker, reaps it and frees w; NULL is a no-op. */
void bph_worker_cancel(struct bph_worker *w);

#endif
