/*
 * registry.c - the one list of application probes (each descriptor lives
 * in probes/<name>.c) and lookup by name. Contract in registry.h; the probe
 * interface in probe.h.
 */
#include "probes/registry.h"

#include <stdio.h>
#include <string.h>

#include "fingerprints/err.h"

static const struct bph_probe *const registry[] = {
    &bph_probe_detect,
    &bph_probe_tls,
    &bph_probe_jarm,
    &bph_probe_ssh,
    &bph_probe_http,
    &bph_probe_banner,
    NULL,
};

const struct bph_probe *const *bph_probe_registry(size_t *n)
{
	if (n)
		*n = sizeof(registry) / sizeof(registry[0]) - 1;
	return registry;
}

const struct bph_probe *bph_probe_find(const char *name)
{
	for (size_t i = 0; name && registry[i]; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

void bph_probe_set_error(char **field, int err, const char *detail)
{
	char tmp[256];

	if (!field || *field)
		return;
	if (detail)
		snprintf(tmp, sizeof(tmp), "%s: %s", detail, bph_strerror(err));
	else
		snprintf(tmp, sizeof(tmp), "%s", bph_strerror(err));
	*field = strdup(tmp);
}
