/*
 * cmd_report.c - `bphound report SEED | --cluster ID --outdir DIR [--to
 * provider,upstreams] [--contact EMAIL] [--type T] [--dry-run]`: the
 * abuse reports of one cluster (abuse/report.h), addressed from the data
 * `bphound data import` loaded (cli/data_glue.h), written as files.
 * bphound never sends them. docs/guide.md "Abuse reports" shows a session.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "abuse/case.h"
#include "abuse/lookup_ranges.h"
#include "abuse/mime.h"
#include "abuse/report.h"
#include "cli/data_glue.h"
#include "cli/version.h"
#include "cluster/cluster.h"
#include "fingerprints/err.h"
#include "ranges/rdb.h"
#include "store/store.h"

/* What the command line asks for, checked. */
struct report_args {
	bool provider, upstreams;
	const struct bph_report_type *type;
	char org[200];	   /* the display name of --contact, or "" */
	char contact[256]; /* its address */
};

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "bphound report: %s%s%s%s\n", msg, arg ? " '" : "",
		arg ? arg : "", arg ? "'" : "");
	return BPH_EXIT_USAGE;
}

/* --to provider,upstreams (either or both). */
static int parse_to(const char *s, struct report_args *a)
{
	a->provider = !s;
	for (const char *p = s; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n == 8 && !strncmp(p, "provider", n))
			a->provider = true;
		else if (n == 9 && !strncmp(p, "upstreams", n))
			a->upstreams = true;
		else
			return usage("--to takes provider, upstreams or both "
				     "(provider,upstreams), not",
				     s);
		p += n + (p[n] == ',');
	}
	return 0;
}

/* --contact "Name <addr>" or "addr". */
static int parse_contact(const char *s, struct report_args *a)
{
	const char *lt = strrchr(s, '<');
	size_t n;
	if (lt) {
		n = strlen(lt + 1);
		if (n < 2 || lt[n] != '>' || n - 1 >= sizeof(a->contact))
			return usage("--contact is EMAIL or \"NAME <EMAIL>\", "
				     "not",
				     s);
		memcpy(a->contact, lt + 1, n - 1);
		a->contact[n - 1] = '\0';
		n = (size_t)(lt - s);
		while (n && s[n - 1] == ' ')
			n--;
		snprintf(a->org, sizeof(a->org), "%.*s", (int)n, s);
	} else {
		snprintf(a->contact, sizeof(a->contact), "%s", s);
	}
	if (!bph_mime_addr_ok(a->contact))
		return usage("--contact needs a plain e-mail address "
			     "(name@example.org), not",
			     a->contact);
	return 0;
}

static int check_args(const struct bph_opts *o, struct report_args *a)
{
	memset(a, 0, sizeof(*a));
	if ((o->n_args > 0) + (o->cluster_id > 0) != 1 || o->n_args > 1)
		return usage("one of SEED or --cluster ID is needed", NULL);
	if (!o->dry_run && (!o->outdir || !o->contact))
		return usage("--outdir DIR and --contact EMAIL are needed "
			     "(or --dry-run)",
			     NULL);
	if (parse_to(o->to, a))
		return BPH_EXIT_USAGE;
	a->type = bph_report_type_find(
	    o->report_type ? o->report_type : bph_report_types[0].name);
	if (!a->type) {
		fprintf(stderr, "bphound report: --type '%s' is not one of:",
			o->report_type);
		for (size_t i = 0; bph_report_types[i].name; i++)
			fprintf(stderr, " %s", bph_report_types[i].name);
		fputc('\n', stderr);
		return BPH_EXIT_USAGE;
	}
	return o->contact ? parse_contact(o->contact, a) : 0;
}

/* The outdir, made with its missing parents (private) when missing. */
static int make_outdir(const char *dir)
{
	char path[4096];
	struct stat sb;
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(path))
		return usage("--outdir needs a folder name", NULL);
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			break;
		*p = '/';
	}
	if (mkdir(dir, 0700) == 0 ||
	    (errno == EEXIST && !stat(dir, &sb) && S_ISDIR(sb.st_mode)))
		return 0;
	fprintf(stderr, "bphound report: --outdir %s: %s\n", dir,
		errno == EEXIST ? "not a directory" : strerror(errno));
	return BPH_EXIT_USAGE;
}

/* The case of SEED or --cluster ID, looked up in the store's data. */
static int load_case(const struct bph_opts *o, struct bph_clustering **c,
		     struct bph_rdb **db, struct bph_abuse_case **k)
{
	struct bph_store *st = NULL;
	struct bph_abuse_lookup look;
	const char *seed = o->n_args ? o->args[0] : NULL;
	char err[512] = "";
	long ci;
	int rc, status = bph_cli_open_store(o, &st) ? BPH_EXIT_FAIL : 0;
	if (!status)
		status = bph_cli_clustering(o, st, c);
	if (!status &&
	    (rc = bph_data_load(st, BPH_KINDS_ALL, db, err, sizeof(err))))
		status = bph_cli_fail("report: loading the data", rc, err);
	bph_store_close(st);
	if (status)
		return status;
	ci = bph_abuse_case_find(*c, seed, (uint32_t)o->cluster_id);
	if (ci < 0) {
		if (seed)
			return usage("not an answering host in the store:",
				     seed);
		fprintf(stderr,
			"bphound report: no cluster %llu (bphound "
			"cluster lists them)\n",
			(unsigned long long)o->cluster_id);
		return BPH_EXIT_USAGE;
	}
	bph_abuse_lookup_rdb(&look, *db);
	rc = bph_abuse_case_new(*c, (size_t)ci, k);
	if (!rc)
		rc = bph_abuse_case_lookup(*k, &look);
	return rc ? bph_cli_fail("report", rc, NULL) : 0;
}

static int write_reports(const struct bph_opts *o, const struct report_args *a,
			 struct bph_report_plan *p,
			 const struct bph_abuse_case *k)
{
	char gen[64], err[600] = "";
	struct bph_report_opts ro = {
	    .contact = a->contact,
	    .org = a->org[0] ? a->org : NULL,
	    .type = a->type,
	    .seed = o->n_args ? o->args[0] : NULL,
	    .generator = gen,
	    .now = (int64_t)time(NULL),
	};
	int rc;
	snprintf(gen, sizeof(gen), "bphound %s", bph_version());
	if (make_outdir(o->outdir))
		return BPH_EXIT_USAGE;
	rc = bph_report_write(p, k, &ro, o->outdir, o->quiet ? NULL : stderr,
			      err, sizeof(err));
	if (rc)
		return bph_cli_fail("report", rc, err);
	if (!o->quiet)
		fprintf(stderr,
			"bphound report: %zu report%s in %s; bphound sends "
			"nothing: read them, then send them yourself\n",
			p->n, p->n == 1 ? "" : "s", o->outdir);
	return 0;
}

int bph_cmd_report(const struct bph_opts *o)
{
	struct report_args a;
	struct bph_clustering *c = NULL;
	struct bph_rdb *db = NULL;
	struct bph_abuse_case *k = NULL;
	struct bph_report_plan p = {0};
	int status = check_args(o, &a);
	if (!status)
		status = load_case(o, &c, &db, &k);
	if (!status && bph_report_plan(k, a.provider, a.upstreams, &p))
		status = bph_cli_fail("report", BPH_ERR_NOMEM, NULL);
	if (!status && o->dry_run)
		bph_report_dry_run(&p, k, stdout);
	else if (!status && !p.n) {
		bph_report_dry_run(&p, k, stderr);
		status = usage("no recipient found: load registry and routing "
			       "data with bphound data import",
			       NULL);
	} else if (!status) {
		status = write_reports(o, &a, &p, k);
	}
	bph_report_plan_free(&p);
	bph_abuse_case_free(k);
	bph_rdb_free(db);
	bph_clustering_free(c);
	return status;
}
