/* libFuzzer: the common-artifacts list loader (fingerprints/common.c) on
 * arbitrary files, as a user's --common FILE may be. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fingerprints/common.h"
#include "fingerprints/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every loaded entry is found again, and the list is sorted. */
static void check(const struct bph_common *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct bph_common_entry *e = &c->v[i];
		if (!e->kind || !e->value ||
		    !bph_common_find(c, e->kind, e->value))
			abort();
		if (i && (strcmp(c->v[i - 1].kind, e->kind) > 0 ||
			  (!strcmp(c->v[i - 1].kind, e->kind) &&
			   strcmp(c->v[i - 1].value, e->value) > 0)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("common.yaml", 0);
	char path[64], err[256];
	struct bph_common *c = NULL;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	int rc = bph_common_load(path, &c, err, sizeof(err));
	if (rc == 0) {
		check(c);
		bph_common_free(c);
	} else if (rc == BPH_ERR_FORMAT &&
		   (!memchr(err, '\0', sizeof(err)) || !strstr(err, path))) {
		abort(); /* a format error always names file:line:column */
	}
	close(fd);
	return 0;
}
