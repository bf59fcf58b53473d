/*
 * registry.h - the one list of application probes.
 *
 * Every probe descriptor lives in its own file (probes/<name>.c) and is
 * listed here once. The engine refers to the descriptors directly; tools
 * and tests walk the list.
 */
#ifndef BPH_PROBES_REGISTRY_H
#define BPH_PROBES_REGISTRY_H

#include <stddef.h>

#include "probes/probe.h"

extern const struct bph_probe bph_probe_detect; /* server-first sniffing */
extern const struct bph_probe bph_probe_tls;
extern const struct bph_probe bph_probe_jarm;
extern const struct bph_probe bph_probe_ssh;
extern const struct bph_probe bph_probe_http; /* HTTP, or HTTPS if ctx->tls */
extern const struct bph_probe bph_probe_banner;

/*
 * Returns the registry (a static array of *n descriptors, NULL-terminated).
 * The array and the descriptors are const and live forever.
 */
const struct bph_probe *const *bph_probe_registry(size_t *n);

/* The probe named name, or NULL. */
const struct bph_probe *bph_probe_find(const char *name);

#endif
