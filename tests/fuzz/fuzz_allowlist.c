/* libFuzzer: the --allowlist reader (abuse/addrlist.c) on arbitrary
 * files, and the aggregation of whatever it accepts (abuse/cidr.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuse/addrlist.h"
#include "fingerprints/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The prefixes of s cover exactly s: re-adding them gives s again, and
 * each one's text parses back to itself. */
static void check(struct bph_rangeset *s)
{
	struct bph_rangeset t = {0};
	struct bph_cidr *c = NULL, back;
	size_t n = 0;
	char buf[BPH_CIDR_STRLEN];
	bph_rangeset_normalize(s);
	if (bph_rangeset_cidrs(s, 0, 0, (size_t)-1, &c, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		bph_cidr_format(&c[i], buf);
		if (bph_cidr_parse(buf, &back, NULL, NULL) ||
		    back.addr != c[i].addr || back.len != c[i].len ||
		    back.family != c[i].family)
			abort();
		if (bph_rangeset_add(&t, &c[i]))
			break;
	}
	bph_rangeset_normalize(&t);
	if (t.n != s->n)
		abort();
	for (size_t i = 0; i < t.n; i++) /* field by field: padding */
		if (t.r[i].family != s->r[i].family ||
		    t.r[i].lo != s->r[i].lo || t.r[i].hi != s->r[i].hi)
			abort();
	free(c);
	bph_rangeset_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_rangeset s = {0};
	char err[256] = "";
	size_t n = 0;
	int rc = bph_addrlist_parse((const char *)data, size, "fuzz", &s, &n,
				    err, sizeof(err));
	if (rc == 0)
		check(&s);
	else if (rc == BPH_ERR_FORMAT && strncmp(err, "fuzz:", 5))
		abort(); /* a format error always names file:line:column */
	bph_rangeset_free(&s);
	return 0;
}
