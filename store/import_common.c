#include "store/import_common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

uint8_t *bph_import_b64(const char *text, size_t len, size_t max,
			size_t *out_len)
{
	char *clean = malloc(len + 1);
	uint8_t *out = NULL;
	size_t n = 0, pad = 0;
	int got;

	if (!clean)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i]))
			clean[n++] = text[i];
	if (n == 0 || n % 4 || n / 4 * 3 > max || n > INT32_MAX)
		goto out;
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		goto out;
	got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		out = NULL;
		goto out;
	}
	*out_len = (size_t)got - pad;
out:
	free(clean);
	return out;
}

time_t bph_import_time(const char *s)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long off = 0;
	time_t t;

	if (!p)
		return 0;
	if (*p == '.')
		while (isdigit((unsigned char)*++p))
			;
	if ((*p == '+' || *p == '-') && strlen(p) >= 6 &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    p[3] == ':' && isdigit((unsigned char)p[4]) &&
	    isdigit((unsigned char)p[5]))
		off = (*p == '-' ? -1 : 1) *
		      (((p[1] - '0') * 10 + (p[2] - '0')) * 3600L +
		       ((p[4] - '0') * 10 + (p[5] - '0')) * 60L);
	t = timegm(&tm);
	return t < 0 ? 0 : t - off;
}
