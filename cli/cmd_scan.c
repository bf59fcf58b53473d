/*
 * cmd_scan.c - `bphound scan` and `bphound pivot`: their arguments, then
 * the shared pipeline of scan_run.h (targets -> SYN scan -> probes ->
 * store and JSON Lines); pivot then clusters and prints the seed's
 * cluster (report.c).
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli/asn_targets.h"
#include "cli/scan_run.h"
#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "scanner/sandbox.h"
#include "store/store.h"

/* Ports a pivot probes when -p is not given: the services BPH panels and
 * their admin planes most often expose. */
#define PIVOT_DEFAULT_PORTS "21,22,25,80,443,2222,3389,8000,8080,8443,8888"

/* The exit status of a pipeline's return value and result: a scan
 * stopped by a signal exits as the shell reports one (128 + the signal:
 * 130 for SIGINT, 143 for SIGTERM). */
static int scan_status(int rc, const struct bph_scan_result *res)
{
	if (rc)
		return bph_cli_status(rc);
	return res->signo ? 128 + res->signo : BPH_EXIT_OK;
}

/* Checks that the scan may send, then confines the process that stays
 * privileged: from here on it cannot exec, so a flaw in its checks of
 * what the children hand it cannot start a program as root. Returns 0
 * or an exit status after saying why. */
static int may_send_confined(const struct bph_opts *o, const char *kind)
{
	char err[160];

	if (o->dry_run)
		return BPH_EXIT_OK;
	if (!bph_scan_may_send(o))
		return BPH_EXIT_USAGE; /* before the store is made */
	if (bph_sandbox_enter(BPH_SANDBOX_SCANNER, err, sizeof(err)) != 0) {
		fprintf(stderr, "bphound %s: %s\n", kind, err);
		return BPH_EXIT_FAIL;
	}
	return BPH_EXIT_OK;
}

/* `scan --resume`, `pivot --resume`: the store's last unfinished run of
 * that command, same targets, parameters and probe options (the options
 * given that it ignores are named by bph_scan_resume); a pivot then
 * reports on its seed (its first target) with this invocation's
 * clustering and export options. */
static int resume_run(const struct bph_opts *o, const char *kind)
{
	struct bph_store *st = NULL;
	struct bph_scan_result res = {0};
	int status;

	if (o->n_args || o->ports || o->ranges) {
		fprintf(stderr,
			"bphound %s --resume: targets%s and -p come from the "
			"store; give only --db\n",
			kind, o->ranges ? ", --ranges" : "");
		return BPH_EXIT_USAGE;
	}
	if ((status = may_send_confined(o, kind)))
		return status;
	if ((status = bph_cli_open_store(o, &st)))
		return status;
	status = scan_status(bph_scan_resume(st, kind, o, &res), &res);
	if (status == BPH_EXIT_OK && !strcmp(kind, "pivot") && !o->dry_run)
		status = res.first_target
			     ? bph_cli_cluster_report(o, st, res.first_target)
			     : BPH_EXIT_FAIL;
	bph_scan_result_clear(&res);
	bph_store_close(st);
	return status;
}

int bph_cmd_scan(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	struct bph_scan_job job = {.kind = "scan",
				   .targets = o->args,
				   .n_targets = o->n_args,
				   .ports = o->ports,
				   .opts = o};
	struct bph_scan_result res = {0};
	int status;

	if (o->resume)
		return resume_run(o, "scan");
	if (o->n_args == 0) {
		fprintf(stderr, "bphound scan: no targets given (bphound never "
				"picks targets by itself)\n");
		return BPH_EXIT_USAGE;
	}
	if (!o->ports) {
		fprintf(stderr, "bphound scan: -p PORTS is required\n");
		return BPH_EXIT_USAGE;
	}
	if ((status = may_send_confined(o, "scan")))
		return status;
	if ((status = bph_cli_open_store(o, &st)))
		return status;
	status = scan_status(bph_scan_run(st, &job, &res), &res);
	bph_scan_result_clear(&res);
	bph_store_close(st);
	return status;
}

/* Seed's /24, as text, for the default pivot neighbourhood. */
static int seed_neighbourhood(const char *seed, char out[32])
{
	struct in_addr a;
	if (inet_pton(AF_INET, seed, &a) != 1)
		return BPH_ERR_USAGE;
	uint32_t ip = ntohl(a.s_addr) & 0xffffff00u;
	char s[16];
	bph_ip_str(ip, s);
	snprintf(out, 32, "%s/24", s);
	return 0;
}

#define SCOPE_MAX 64 /* ASes of --scope asn --scope-siblings */

/* A pivot's target specs: the seed first (the report's seed, also for
 * --resume), then each of the comma-separated ranges. specs[] borrows
 * from *copy (a new string the caller frees); at most max specs. */
static size_t pivot_specs(const char *seed, const char *ranges, char **copy,
			  const char **specs, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	specs[n++] = seed;
	*copy = strdup(ranges);
	for (char *tok = *copy ? strtok_r(*copy, ",", &save) : NULL;
	     tok && n < max; tok = strtok_r(NULL, ",", &save))
		specs[n++] = tok;
	return *copy ? n : 0;
}

/* --scope asn: the seed's origin ASes (and siblings) replace the seed's
 * /24 (cli/asn_targets.h; --ranges stay). */
static int scope_specs(const struct bph_opts *o, struct bph_store *st,
		       const char *seed, struct bph_scan_job *job,
		       char (*scope)[16])
{
	size_t n = 0;
	const char **specs = (const char **)job->targets;

	if (bph_cli_scope_asns(st, seed, o->scope_siblings, scope, SCOPE_MAX,
			       &n))
		return BPH_EXIT_USAGE;
	if (!o->ranges)
		job->n_targets = 1; /* the seed; its /24 is in its AS */
	for (size_t i = 0; i < n && i < SCOPE_MAX; i++)
		specs[job->n_targets++] = scope[i];
	return BPH_EXIT_OK;
}

int bph_cmd_pivot(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	struct bph_scan_result res = {0};
	char hood[32], *copy = NULL, scope[SCOPE_MAX][16];
	const char **specs = NULL;
	size_t max;
	int status;

	if (o->resume)
		return resume_run(o, "pivot");
	if (o->n_args != 1) {
		fprintf(stderr, "bphound pivot: exactly one SEED address is "
				"required\n");
		return BPH_EXIT_USAGE;
	}
	const char *seed = o->args[0];
	if (bph_cli_check_exports(o))
		return BPH_EXIT_USAGE;
	if (o->scope_siblings && !o->scope) {
		fputs("bphound pivot: --scope-siblings needs --scope asn\n",
		      stderr);
		return BPH_EXIT_USAGE;
	}
	if (seed_neighbourhood(seed, hood)) {
		fprintf(stderr, "bphound pivot: '%s' is not an IPv4 address\n",
			seed);
		return BPH_EXIT_USAGE;
	}
	if ((status = may_send_confined(o, "pivot")))
		return status;
	max = 2 + (o->ranges ? strlen(o->ranges) : 0) + SCOPE_MAX;
	specs = calloc(max, sizeof(*specs));
	struct bph_scan_job job = {.kind = "pivot",
				   .targets = specs,
				   .ports = o->ports ? o->ports
						     : PIVOT_DEFAULT_PORTS,
				   .opts = o};
	status = BPH_EXIT_FAIL;
	if (specs)
		job.n_targets = pivot_specs(seed, o->ranges ? o->ranges : hood,
					    &copy, specs, max - SCOPE_MAX);
	if (job.n_targets > 0 &&
	    (status = bph_cli_open_store(o, &st)) == BPH_EXIT_OK && o->scope)
		status = scope_specs(o, st, seed, &job, scope);
	if (job.n_targets > 0 && status == BPH_EXIT_OK)
		status = scan_status(bph_scan_run(st, &job, &res), &res);
	if (status == BPH_EXIT_OK && !o->dry_run)
		status = bph_cli_cluster_report(o, st, seed);
	bph_scan_result_clear(&res);
	bph_store_close(st);
	free(copy);
	free(specs);
	return status;
}
