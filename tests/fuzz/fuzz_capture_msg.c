/* libFuzzer: the scanner's check of the capture child's messages
 * (scanner/capture_msg.h), read as a stream as scanner/recv.c does. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "scanner/capture_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 198.18.5.0/24, ports 22 and 443: built once, never freed. */
static const struct bph_cap_scope *scope(void)
{
	static struct bph_cap_scope sc;
	static uint32_t slot[65536];
	struct bph_targets *t = NULL;
	char err[128];

	if (sc.targets)
		return &sc;
	if (bph_targets_new(&t) ||
	    bph_targets_add_spec(t, "198.18.5.0/24", err, sizeof(err)) ||
	    bph_targets_finalize(t, true))
		abort();
	slot[22] = 1;
	slot[443] = 2;
	sc.targets = t;
	sc.port_slot = slot;
	return &sc;
}

static void check(const struct bph_cap_msg *m)
{
	if (m->type == BPH_CAP_OPEN &&
	    (strlen(m->tcp.sig) >= sizeof(m->tcp.sig) ||
	     strlen(m->tcp.options) >= sizeof(m->tcp.options) ||
	     strlen(m->tcp.quirks) >= sizeof(m->tcp.quirks) ||
	     (m->port != 22 && m->port != 443)))
		abort();
	if (m->type == BPH_CAP_HELLO && strlen(m->err) >= sizeof(m->err))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1); /* exact size for ASan */
	struct bph_cap_msg m;
	size_t off = 0, used;
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	while (off < size) {
		rc = bph_cap_decode(copy + off, size - off, scope(), &m, &used);
		if (rc == BPH_ERR_TRUNCATED || rc == BPH_ERR_FORMAT)
			break;
		if (used == 0 || used > size - off)
			abort();
		if (rc == 0)
			check(&m);
		off += used;
	}
	free(copy);
	return 0;
}
