/*
 * cwatch.h - tracked provider clusters (watch.clusters in a sweep's
 * config): members from a clustering of one run, and the events when
 * membership changes (rules in sweep/sweep.h).
 */
#ifndef BPH_SWEEP_CWATCH_H
#define BPH_SWEEP_CWATCH_H

#include "cluster/cluster.h"
#include "sweep/config.h"
#include "sweep/coverage.h"
#include "sweep/sweep.h"

/* Appends (cluster, ip) to s->members; cluster is borrowed. Returns 0 or
 * BPH_ERR_NOMEM. */
int bph_state_add_member(struct bph_run_state *s, const char *cluster,
			 uint32_t ip);

/* Appends to out the members of every cluster watch of cfg in c (a
 * clustering of one run's hosts), each with its evidence: its links'
 * artifacts to other members of the same watch (at most 8, JSON text).
 * Returns 0 or BPH_ERR_NOMEM. */
int bph_cwatch_members(const struct bph_sweep_config *cfg,
		       const struct bph_clustering *c,
		       struct bph_run_state *out);

/*
 * Appends the cluster.* events between the members of f and t (the
 * baseline's and the run's), counting only hosts the other run covered;
 * a new member's evidence is the one t holds for it ([] when none).
 * Returns 0 or BPH_ERR_NOMEM.
 */
int bph_cwatch_events(const struct bph_sweep_config *cfg,
		      const struct bph_run_state *f,
		      const struct bph_run_state *t,
		      const struct bph_coverage *cov_f,
		      const struct bph_coverage *cov_t,
		      struct bph_event_set *out);

#endif
