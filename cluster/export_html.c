/*
 * export_html.c - the pivot as one self-contained HTML page: the page
 * template (BPH_HTMLDIR: page.html, page.css, page.js), Debian's d3
 * (BPH_D3_JS, with its licence BPH_D3_COPYRIGHT) and the data of
 * export_html_data.c, all inline, under a Content-Security-Policy that
 * lets only those scripts and that style run and allows no connection.
 * What the page shows and how it stays safe: docs/output.md ("HTML page").
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fingerprints/err.h"

#ifndef BPH_HTMLDIR
#define BPH_HTMLDIR "cluster/html"
#endif
#ifndef BPH_D3_JS
#define BPH_D3_JS "/usr/share/javascript/d3/d3.min.js"
#endif
#ifndef BPH_D3_COPYRIGHT
#define BPH_D3_COPYRIGHT "/usr/share/doc/libjs-d3/copyright"
#endif

#define PART_MAX (8u << 20) /* bytes of one inlined file */

/* One file read whole. */
struct part {
	char *p;
	size_t len;
};

/* Reads path into *out (NUL-terminated). */
static int slurp(const char *path, struct part *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char msg[512];
	long n;

	out->p = NULL;
	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 &&
	    (size_t)n <= PART_MAX && !fseek(f, 0, SEEK_SET) &&
	    (out->p = malloc((size_t)n + 1)) &&
	    fread(out->p, 1, (size_t)n, f) == (size_t)n) {
		out->p[n] = 0;
		out->len = (size_t)n;
		fclose(f);
		return 0;
	}
	if (f)
		fclose(f);
	free(out->p);
	out->p = NULL;
	snprintf(msg, sizeof(msg),
		 "cannot read %s (the HTML page needs it: libjs-d3 for d3, "
		 "the bphound data files for the page)",
		 path);
	return bph_export_fail(err, errlen, BPH_ERR_IO, msg);
}

/* Whether s holds a (case-insensitive) "</script", "</style" or "<!--":
 * inlined, it would end or confuse the element holding it. */
static bool breaks_element(const char *s)
{
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
		if (!strncmp(p, "<!--", 4) || !strncasecmp(p, "</script", 8) ||
		    !strncasecmp(p, "</style", 7))
			return true;
	}
	return false;
}

/* 'sha256-<base64>' of s, the CSP source allowing that inline element. */
static void csp_hash(const char *s, size_t n, char out[80])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	unsigned char b64[64];

	EVP_Digest(s, n, md, &md_len, EVP_sha256(), NULL);
	EVP_EncodeBlock(b64, md, (int)md_len);
	snprintf(out, 80, "'sha256-%s'", (const char *)b64);
}

/* The page's JSON data with every '<', '>' and '&' written as a \u
 * escape: they only occur inside JSON strings, where the escape means the
 * same, and without them no "</script" or "<!--" can reach the HTML
 * parser. */
static int write_data(FILE *out, const json_t *data)
{
	char *s = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(6) |
				       JSON_ENSURE_ASCII);
	int rc = s ? 0 : BPH_ERR_NOMEM;

	for (const char *p = s; p && *p;) {
		size_t run = strcspn(p, "<>&"); /* a run written at once */
		fwrite(p, 1, run, out);
		p += run;
		if (*p)
			fprintf(out, "\\u%04x", (unsigned char)*p++);
	}
	free(s);
	return rc;
}

/* Text as HTML character data (the d3 licence). */
static void write_html_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '&')
			fputs("&amp;", out);
		else
			fputc(*s, out);
	}
}

enum { P_PAGE, P_CSS, P_JS, P_D3, P_LICENCE, P_COUNT };

struct html {
	struct part part[P_COUNT];
	const json_t *data;
};

static void write_csp(FILE *out, const struct html *h)
{
	char css[80], d3[80], js[80];

	csp_hash(h->part[P_CSS].p, h->part[P_CSS].len, css);
	csp_hash(h->part[P_D3].p, h->part[P_D3].len, d3);
	csp_hash(h->part[P_JS].p, h->part[P_JS].len, js);
	fprintf(out,
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; script-src %s %s; "
		"style-src %s; img-src data:; base-uri 'none'; "
		"form-action 'none'\">",
		d3, js, css);
}

/* Writes what marker name (between "@@" pairs in page.html) stands for. */
static int write_marker(FILE *out, const struct html *h, const char *name,
			size_t n)
{
	if (n == 3 && !strncmp(name, "CSP", 3))
		write_csp(out, h);
	else if (n == 5 && !strncmp(name, "STYLE", 5))
		fwrite(h->part[P_CSS].p, 1, h->part[P_CSS].len, out);
	else if (n == 2 && !strncmp(name, "D3", 2))
		fwrite(h->part[P_D3].p, 1, h->part[P_D3].len, out);
	else if (n == 3 && !strncmp(name, "APP", 3))
		fwrite(h->part[P_JS].p, 1, h->part[P_JS].len, out);
	else if (n == 7 && !strncmp(name, "LICENCE", 7))
		write_html_text(out, h->part[P_LICENCE].p);
	else if (n == 4 && !strncmp(name, "DATA", 4))
		return write_data(out, h->data);
	else
		return BPH_ERR_FORMAT;
	return 0;
}

/* page.html with every @@NAME@@ marker replaced. */
static int write_page(FILE *out, const struct html *h, char *err, size_t errlen)
{
	const char *p = h->part[P_PAGE].p, *m, *end;
	int rc = 0;

	while (!rc && (m = strstr(p, "@@")) && (end = strstr(m + 2, "@@"))) {
		fwrite(p, 1, (size_t)(m - p), out);
		rc = write_marker(out, h, m + 2, (size_t)(end - m - 2));
		p = end + 2;
	}
	if (rc == BPH_ERR_FORMAT)
		return bph_export_fail(err, errlen, rc,
				       "page.html: unknown @@ marker");
	if (rc)
		return bph_export_fail(err, errlen, rc, "out of memory");
	fputs(p, out);
	return 0;
}

static int load_parts(struct html *h, char *err, size_t errlen)
{
	static const char *const paths[P_COUNT] = {
	    BPH_HTMLDIR "/page.html", BPH_HTMLDIR "/page.css",
	    BPH_HTMLDIR "/page.js", BPH_D3_JS, BPH_D3_COPYRIGHT};
	int rc = 0;

	for (int i = 0; !rc && i < P_COUNT; i++)
		rc = slurp(paths[i], &h->part[i], err, errlen);
	for (int i = P_CSS; !rc && i <= P_D3; i++)
		if (breaks_element(h->part[i].p))
			rc = bph_export_fail(
			    err, errlen, BPH_ERR_FORMAT,
			    "an inlined script or style holds </script, "
			    "</style or <!--");
	return rc;
}

static int write_html(const struct bph_clustering *c,
		      const struct bph_export_opts *o, FILE *out, char *err,
		      size_t errlen)
{
	struct html h = {0};
	json_t *data = NULL;
	int rc = load_parts(&h, err, errlen);

	if (!rc && !(data = bph_export_html_data(c, o)))
		rc = bph_export_fail(err, errlen, BPH_ERR_NOMEM,
				     "out of memory building the page data");
	h.data = data;
	if (!rc)
		rc = write_page(out, &h, err, errlen);
	json_decref(data);
	for (int i = 0; i < P_COUNT; i++)
		free(h.part[i].p);
	return rc;
}

const struct bph_exporter bph_export_html = {
    .name = "html",
    .extension = "html",
    .summary = "one self-contained HTML page: the cluster's graph, "
	       "evidence and members (opens offline)",
    .write = write_html,
};
