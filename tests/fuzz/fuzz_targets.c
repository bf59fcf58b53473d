/* libFuzzer: target spec, target file line and port list parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_set(struct bph_targets *t)
{
	uint64_t n = bph_targets_count(t), idx;

	for (uint64_t i = 0; i < n && i < 64; i++) {
		uint64_t k = (i * 0x9e3779b97f4a7c15ULL) % n;
		uint32_t ip = bph_targets_at(t, k);
		if (!bph_targets_index_of(t, ip, &idx) || idx != k)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[128];
	struct bph_targets *t = NULL;
	uint16_t *ports = NULL;
	size_t n_ports = 0;
	char *line, *save = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (bph_ports_parse(s, &ports, &n_ports, err, sizeof(err)) == 0) {
		for (size_t i = 1; i < n_ports; i++)
			if (ports[i] <= ports[i - 1] || ports[0] == 0)
				abort();
		free(ports);
	}
	if (bph_targets_new(&t) != 0)
		goto out;
	/* every line is a spec; odd lines are exclusions */
	int k = 0;
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), k++) {
		if (k & 1)
			bph_targets_exclude_spec(t, line, err, sizeof(err));
		else
			bph_targets_add_spec(t, line, err, sizeof(err));
	}
	if (bph_targets_finalize(t, size & 1) == 0)
		check_set(t);
out:
	bph_targets_free(t);
	free(s);
	return 0;
}
