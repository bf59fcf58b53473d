/* libFuzzer: the sweep config loader (sweep/config.c, sweep/yconf.c) on
 * arbitrary files, as a user's NAME.yaml may be. A config that loads
 * prints (sweep show) as YAML that loads back to a config printing the
 * same; an error names file:line:column. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "sweep/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const struct bph_sweep_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || bph_sweep_config_print(c, f))
		abort();
	fclose(f);
	return buf;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/bph-fuzz-sweep-XXXXXX", path[64], err[512];
	struct bph_sweep_config *c = NULL, *c2 = NULL;

	if (!mkdtemp(dir))
		return 0;
	snprintf(path, sizeof(path), "%s/fuzz.yaml", dir);
	write_file(path, data, size);
	err[0] = '\0';
	int rc = bph_sweep_config_load(path, &c, err, sizeof(err));
	if (rc == BPH_ERR_FORMAT && !strstr(err, "fuzz.yaml:"))
		abort(); /* a format error names the file and line */
	if (!rc) {
		char *a = print(c);
		write_file(path, a, strlen(a));
		if (bph_sweep_config_load(path, &c2, err, sizeof(err)))
			abort(); /* sweep show's output must load */
		char *b = print(c2);
		if (strcmp(a, b))
			abort();
		free(a);
		free(b);
	}
	bph_sweep_config_free(c);
	bph_sweep_config_free(c2);
	unlink(path);
	rmdir(dir);
	return 0;
}
