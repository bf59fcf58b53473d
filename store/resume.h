/*
 * resume.h - interrupted SYN scans, resumed from the store.
 *
 * A scan's parameters (targets, ports, exclusions, seed, shard, rate,
 * retries, cooldown) and its probe options (core schema step 3,
 * store/schema.c) go into the table synscan_resume of the store under
 * the scan's id; about once a second the scanner's checkpoint writes its
 * position in the permutation (pass, steps, see bph_perm_pos) together with
 * the open ports found since the last checkpoint (synscan_resume_open), in
 * one transaction. A resumed scan replays those open ports, restarts the
 * walk a safety margin before the saved position (synscan.h) and drops
 * repeated open verdicts. So even after SIGKILL nothing found before the
 * last checkpoint is lost and nothing after it is skipped.
 */
#ifndef BPH_STORE_RESUME_H
#define BPH_STORE_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"

struct bph_store;

struct bph_resume_params {
	char *targets; /* target specs or file paths, one per line */
	char *ports;   /* the -p spec */
	char *exclude; /* --exclude file, or NULL */
	bool allow_reserved;
	uint64_t seed;
	uint32_t shard_index, shard_count;
	uint64_t rate;
	int retries, wait_ms;
	/* What the probes do (the engine's options, scanner/engine.h). A
	 * row saved before they were has probes_saved false and these
	 * zero: bph_resume_begin ignores probes_saved and always saves
	 * them. */
	bool probes_saved;
	bool no_probes, no_jarm;
	int probe_retries, timeout_ms;
	int max_connections, max_per_host, max_per_net;
	char *sni;     /* TLS server name, or NULL */
	char *contact; /* --contact of the User-Agent, or NULL */
};

struct bph_resume;

/*
 * Records a new scan under scan_id with
 * parameters p (copied). *out owns the state. Returns 0, BPH_ERR_NOMEM or
 * BPH_ERR_DB (message in err).
 */
int bph_resume_begin(struct bph_store *st, int64_t scan_id,
		     const struct bph_resume_params *p, struct bph_resume **out,
		     char *err, size_t errlen);

/*
 * Loads the most recent unfinished scan of the store with its open ports
 * and every parameter bph_resume_begin saved (probes_saved false for a
 * scan saved before the probe options were). Returns 0, BPH_ERR_USAGE when
 * there is none, BPH_ERR_NOMEM, BPH_ERR_DB.
 */
int bph_resume_load(struct bph_store *st, struct bph_resume **out, char *err,
		    size_t errlen);

/* Frees; NULL is a no-op. */
void bph_resume_free(struct bph_resume *r);

/* Accessors: borrowed parameters, scan id, saved pass and position. */
const struct bph_resume_params *bph_resume_params(const struct bph_resume *r);
int64_t bph_resume_scan_id(const struct bph_resume *r);
int bph_resume_pass(const struct bph_resume *r);
uint64_t bph_resume_pos(const struct bph_resume *r);

/*
 * A bph_service_cb (ctx = the bph_resume): an open verdict for a pair
 * loaded by bph_resume_load is dropped; any other open verdict is kept
 * for the next checkpoint; every verdict not dropped goes on to
 * next(next_ctx). Safe to call from the capture thread.
 */
void bph_resume_on_verdict(void *ctx, const struct bph_service *svc);
void bph_resume_set_next(struct bph_resume *r, bph_service_cb next,
			 void *next_ctx);

/* Calls cb once for every open port loaded from the store (with its TCP
 * traits when they were saved). */
void bph_resume_replay(const struct bph_resume *r, bph_service_cb cb,
		       void *ctx);

/* A bph_synscan_checkpoint_cb (ctx = the bph_resume): saves pass, pos and
 * the pending open ports in one transaction. Returns 0 or BPH_ERR_DB. */
int bph_resume_checkpoint(void *ctx, int pass, uint64_t pos);

/* Marks the scan finished (no longer offered by bph_resume_load). */
int bph_resume_done(struct bph_resume *r);

/* "spec\nspec\n..." of n strings, newly allocated; NULL on no memory. */
char *bph_resume_join(const char *const *v, size_t n);

#endif
