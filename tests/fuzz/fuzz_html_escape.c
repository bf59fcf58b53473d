/* libFuzzer: the HTML page's escape of hostile text and its data builder
 * (cluster/export_html_data.c) on arbitrary bytes used as a host's title,
 * certificate subject and annotation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster/annot.h"
#include "cluster/export.h"
#include "fingerprints/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The escape's promise: valid UTF-8, no control character, no direction
 * control, and nothing the input did not hold but escapes. */
static void check_escape(const char *in)
{
	char *e = bph_export_escape_text(in);
	const unsigned char *p = (const unsigned char *)e;
	size_t n = e ? strlen(e) : 0;

	if (!e || !bph_text_is_clean(e, BPH_TEXT_UTF8))
		abort();
	while (n > 0) {
		unsigned cp = 0;
		size_t len = bph_utf8_decode(p, n, &cp);
		if (!len || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
		    cp == 0x200f)
			abort();
		p += len;
		n -= len;
	}
	if (!strchr(in, '\\') && strlen(e) < strlen(in))
		abort(); /* escaping never drops bytes */
	free(e);
}

static void check_data(const char *s)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	struct bph_annot_attr attr = {"registrant", s};
	struct bph_annot hosts[2] = {{.attrs = &attr, .n_attrs = 1},
				     {.attrs = &attr, .n_attrs = 1}};
	struct bph_annot cl[1] = {{.remark = s, .json = s}};

	bph_graph_add(g, "192.0.2.1", "ssh_hostkey", "k", 22, 1);
	bph_graph_add(g, "192.0.2.2", "ssh_hostkey", "k", 22, 1);
	bph_graph_add(g, "192.0.2.1", "title", s, 80, 1);
	bph_graph_add(g, "192.0.2.2", "cert_subject", s, 443, 1);
	if (g && !bph_cluster_run(g, NULL, &c)) {
		struct bph_annotations an = {hosts, 2, cl, 1};
		struct bph_export_opts o = {.seed = "192.0.2.1", .annot = &an};
		json_t *d = c->n_hosts == 2 && c->n_clusters == 1
				? bph_export_html_data(c, &o)
				: NULL;
		char *text = d ? json_dumps(d, 0) : NULL;
		/* no raw control byte reaches the data */
		for (const char *q = text; q && *q; q++)
			if ((unsigned char)*q < 0x20)
				abort();
		free(text);
		json_decref(d);
	}
	bph_clustering_free(c);
	bph_graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	check_escape(s);
	if (s[0])
		check_data(s);
	free(s);
	return 0;
}
