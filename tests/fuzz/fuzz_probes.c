/*
 * libFuzzer: every registered probe as a byte-level state machine.
 * Input: byte 0 picks the probe (and HTTPS for the http probe), byte 1 the
 * read chunk size, the rest is what "the server" sends on each connection.
 * The run mimics the engine: start, reads, idle or EOF, close, finish.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/record.h"
#include "probes/registry.h"

#define FUZZ_MAX_CONNS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Drives one connection; returns the status given to on_close. */
static int one_conn(const struct bph_probe *p, void *priv, int idx,
		    const uint8_t *d, size_t n, size_t chunk)
{
	void *conn = calloc(1, p->conn_size ? p->conn_size : 1);
	struct bph_sbuf out;
	struct bph_probe_io io = {&out, 0};
	int rc;

	if (!conn)
		return 0;
	bph_sbuf_init(&out);
	rc = p->start(priv, conn, idx, &io);
	for (size_t off = 0; rc == BPH_PROBE_MORE && off < n; off += chunk) {
		io.idle_ms = 0;
		rc = p->on_read(priv, conn, idx, d + off,
				n - off < chunk ? n - off : chunk, &io);
	}
	for (int k = 0;
	     k < 3 && rc == BPH_PROBE_MORE && io.idle_ms > 0 && p->on_idle;
	     k++) {
		io.idle_ms = 0;
		rc = p->on_idle(priv, conn, idx, &io);
	}
	if (rc == BPH_PROBE_MORE)
		rc = p->on_eof ? p->on_eof(priv, conn, idx) : -7;
	rc = rc > 0 ? 0 : rc;
	p->on_close(priv, conn, idx, rc);
	free(conn);
	bph_sbuf_free(&out);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n_probes = 0;
	const struct bph_probe *const *reg = bph_probe_registry(&n_probes);
	struct bph_probe_ctx ctx = {.ip = "198.18.0.1",
				    .port = 443,
				    .sni = "198.18.0.1",
				    .wait_ms = 10};
	struct bph_service svc;
	const struct bph_probe *p;
	void *priv;

	if (size < 2)
		return 0;
	p = reg[data[0] % n_probes];
	ctx.tls = data[0] & 0x80;
	priv = calloc(1, p->priv_size);
	if (!priv)
		return 0;
	if (!p->init || p->init(priv, &ctx) == 0)
		for (int i = 0; i < p->conns(priv) && i < FUZZ_MAX_CONNS; i++)
			one_conn(p, priv, i, data + 2, size - 2,
				 (size_t)data[1] + 1);
	memset(&svc, 0, sizeof(svc));
	p->finish(priv, &svc);
	if (p->cleanup)
		p->cleanup(priv);
	free(priv);
	bph_service_clear(&svc);
	return 0;
}
