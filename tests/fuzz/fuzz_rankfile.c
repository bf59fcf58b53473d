/* libFuzzer: the --rank-file reader (abuse/rankfile.c) on arbitrary
 * files: CSV or JSON Lines in, units out, or an error naming
 * file:line:column. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abuse/rankfile.h"
#include "fingerprints/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every unit is what its kind says: a prefix that formats back to one
 * that parses equal, or an AS, or a short organisation id. */
static void check(const struct bph_rank_unit *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bph_cidr back;
		char s[BPH_CIDR_STRLEN];
		if (!memchr(u[i].text, '\0', sizeof(u[i].text)) ||
		    !u[i].text[0] || u[i].rank == 0)
			abort();
		if (u[i].kind != BPH_UNIT_PREFIX)
			continue;
		bph_cidr_format(&u[i].cidr, s);
		if (bph_cidr_parse(s, &back, NULL, NULL) ||
		    back.addr != u[i].cidr.addr || back.len != u[i].cidr.len)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_rank_unit *u = NULL;
	size_t n = 0;
	char err[256] = "";
	int rc = bph_rankfile_parse((const char *)data, size, "fuzz", &u, &n,
				    err, sizeof(err));
	if (rc == 0)
		check(u, n);
	else if (rc == BPH_ERR_FORMAT && strncmp(err, "fuzz:", 5))
		abort(); /* a format error names file:line:column */
	else if (u)
		abort(); /* nothing is returned on error */
	free(u);
	return 0;
}
