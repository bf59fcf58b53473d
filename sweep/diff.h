/*
 * diff.h - comparing a sweep's runs: host, port and fingerprint changes
 * and identities that moved (event types in sweep/event.h; the rules in
 * docs/guide.md "Sweeps" and docs/output.md).
 *
 * Input: the snapshots of a window of complete runs, oldest first; the
 * last is the run compared (T), the one before it the baseline (F), and
 * the absent_after - 1 runs before F, when there are that many, decide
 * absences. Only the (ip, port) pairs that both F and T covered take
 * part. With N = absent_after:
 *   host.gone / port.closed  present in run T-N, absent in the N runs
 *                            after it (a host.gone lists the ports it had
 *                            and replaces their port.closed);
 *   host.new                 present in T, in no earlier run of the sweep;
 *   host.back                present in T, absent from the N runs before,
 *                            seen in an earlier run;
 *   port.open                a port of a host present in T, absent from
 *                            the N runs before (a new or returning host
 *                            also gets one per port);
 *   a host or port back after fewer than N absences is compared with its
 *   last presence and gives no host or port event;
 *   field changes            between T and the last run the service was
 *                            present in; a field unknown in either run
 *                            (the probe gave no value) never changes;
 *   identity.moved           an SSH host key or certificate SPKI (not on
 *                            the common list, on at most
 *                            identity_max_hosts hosts) present at X in F
 *                            and not in T, present at Y in T and not in F:
 *                            one event per (X, Y) with every such artifact
 *                            as evidence.
 */
#ifndef BPH_SWEEP_DIFF_H
#define BPH_SWEEP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/common.h"
#include "fingerprints/record.h"
#include "sweep/coverage.h"
#include "sweep/event.h"
#include "sweep/snap.h"

/* absent_after is at most 30: a window holds at most 30 runs before T. */
#define DIFF_WINDOW_MAX 30

struct bph_diff_run {
	int64_t id;
	const struct bph_coverage *cov; /* borrowed */
	const struct bph_snap *snap;	/* borrowed, finished */
};

/* Reads records back for the services that changed. */
struct bph_diff_source {
	void *ctx;
	/*
	 * Fills *out (zeroed by the caller, cleared by the caller after)
	 * with the open service (ip, port) of run. Returns 0,
	 * BPH_ERR_USAGE when the run has no such service, or another
	 * negative BPH_ERR_*.
	 */
	int (*get)(void *ctx, int64_t run, uint32_t ip, uint16_t port,
		   struct bph_service *out);
	/*
	 * The latest complete run of the sweep before run in which ip had
	 * an open service, into *last (0: none). Returns 0 or a negative
	 * BPH_ERR_*.
	 */
	int (*seen_before)(void *ctx, int64_t run, uint32_t ip, int64_t *last);
};

struct bph_diff_opts {
	unsigned absent_after;		 /* >= 1 */
	bool ignore[BPH_SF_COUNT];	 /* fields never reported */
	bool identity_ssh;		 /* ssh_hostkey moves */
	bool identity_spki;		 /* spki_sha256 moves */
	unsigned identity_max_hosts;	 /* larger artifacts never move */
	const struct bph_common *common; /* may be NULL */
};

/* absent_after 2, nothing ignored, both identities, 50 hosts. */
void bph_diff_opts_default(struct bph_diff_opts *o);

/*
 * Appends to out (whose run_from and run_to should be runs[n-2].id and
 * runs[n-1].id) the events between runs[n-2] and runs[n-1], with
 * runs[0..n-3] as the earlier window (see above; n >= 2). Borrows
 * everything. Returns 0, BPH_ERR_NOMEM, or the source's error, with a
 * message in err.
 */
int bph_diff_runs(const struct bph_diff_opts *o,
		  const struct bph_diff_run *runs, size_t n,
		  const struct bph_diff_source *src, struct bph_event_set *out,
		  char *err, size_t errlen);

#endif
