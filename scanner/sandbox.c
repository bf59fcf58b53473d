/*
 * sandbox.c - the unprivileged identity, the privilege drop (in p0f's and
 * OpenSSH's order, then verified) and the seccomp filters (libseccomp) of
 * the probe worker and the scanner. Contracts in sandbox.h; the design in
 * docs/architecture.md ("Privileges").
 */
#include "scanner/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "fingerprints/err.h"

static int fail(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "dropping privileges: %s: %s", what,
			 strerror(errno));
	return BPH_ERR_PERM;
}

/* ---- identity --------------------------------------------------------- */

static int identity_of(const char *name, struct bph_identity *id, char *err,
		       size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "--user: no such user '%s'", name);
		return BPH_ERR_USAGE;
	}
	if (pw.pw_uid == 0 || pw.pw_gid == 0) {
		snprintf(err, errlen,
			 "--user: '%s' is root; probes never run as root",
			 name);
		return BPH_ERR_USAGE;
	}
	id->uid = pw.pw_uid;
	id->gid = pw.pw_gid;
	snprintf(id->name, sizeof(id->name), "%s", pw.pw_name);
	return 0;
}

int bph_identity_pick(const char *user, struct bph_identity *id, char *err,
		      size_t errlen)
{
	const char *sudo = getenv("SUDO_USER");

	memset(id, 0, sizeof(*id));
	if (user)
		return identity_of(user, id, err, errlen);
	if (sudo && *sudo && strcmp(sudo, "root") != 0 &&
	    identity_of(sudo, id, err, errlen) == 0)
		return 0;
	return identity_of("nobody", id, err, errlen);
}

/* ---- the drop --------------------------------------------------------- */

static int drop_bounding_set(char *err, size_t errlen)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (CAP_IS_SUPPORTED(c) && cap_drop_bound(c) != 0)
			return fail(err, errlen, "capability bounding set");
	return 0;
}

/* setgroups, setgid, setuid (each real, effective and saved), verified. */
static int become(const struct bph_identity *id, char *err, size_t errlen)
{
	uid_t r, e, s;

	if (initgroups(id->name, id->gid) != 0 && setgroups(1, &id->gid) != 0)
		return fail(err, errlen, "setgroups");
	if (setresgid(id->gid, id->gid, id->gid) != 0)
		return fail(err, errlen, "setresgid");
	if (setresuid(id->uid, id->uid, id->uid) != 0)
		return fail(err, errlen, "setresuid");
	if (getresuid(&r, &e, &s) != 0 || r != id->uid || e != id->uid ||
	    s != id->uid || getgid() != id->gid || getegid() != id->gid)
		return fail(err, errlen, "identity check");
	if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0) {
		errno = EPERM;
		return fail(err, errlen, "root could be regained");
	}
	return 0;
}

static int clear_caps(char *err, size_t errlen)
{
	cap_t none = cap_init(); /* every set empty */
	int rc = none && cap_set_proc(none) == 0 ? 0 : -1;

	cap_free(none);
	if (rc != 0)
		return fail(err, errlen, "capabilities");
	return 0;
}

int bph_privs_drop(const struct bph_identity *id, char *err, size_t errlen)
{
	int rc = 0;

	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		return fail(err, errlen, "PR_SET_KEEPCAPS");
	if (geteuid() == 0 || getuid() == 0) {
		rc = drop_bounding_set(err, errlen);
		if (rc == 0)
			rc = become(id, err, errlen);
	}
	if (rc == 0)
		rc = clear_caps(err, errlen);
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		rc = fail(err, errlen, "no_new_privs");
	return rc;
}

int bph_sandbox_null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);
	int rc = 0;

	if (fd < 0)
		return BPH_ERR_IO;
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		rc = BPH_ERR_IO;
	if (fd > STDOUT_FILENO) /* else it is one of them now */
		close(fd);
	return rc;
}

bool bph_have_net_raw(void)
{
	cap_t now = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (now)
		cap_get_flag(now, CAP_NET_RAW, CAP_EFFECTIVE, &v);
	cap_free(now);
	return v == CAP_SET;
}

/* ---- seccomp ---------------------------------------------------------- */

/*
 * What the probe worker does: memory, threads, time, randomness, the
 * event loop (libevent exits when it cannot make its internal pipe), its
 * socket to the scanner, and TCP sockets to targets.
 */
static const char *const probe_calls[] = {
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "close",
    "fstat",
    "newfstatat",
    "lseek",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "brk",
    "madvise",
    "futex",
    "set_robust_list",
    "rseq",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "nanosleep",
    "clock_nanosleep",
    "getrandom",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "pipe2",
    "pipe",
    "eventfd2",
    "connect",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
    "fcntl",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "gettid",
    "getpid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "tgkill",
    "exit",
    "exit_group",
    "sched_yield",
    "sched_getaffinity",
    "restart_syscall",
    "prlimit64",
    "getrlimit",
    "membarrier",
};

/*
 * What the capture child does (recv.c): libpcap's reads of its ring
 * (poll, the ring's memory, getsockopt for the drop counts), its writes
 * to the scanner, memory, time, and its own end.
 */
static const char *const capture_calls[] = {
    "read",	   "write",	    "close",
    "poll",	   "ppoll",	    "recvfrom",
    "recvmsg",	   "getsockopt",    "fstat",
    "newfstatat",  "mmap",	    "munmap",
    "mremap",	   "brk",	    "madvise",
    "futex",	   "clock_gettime", "clock_nanosleep",
    "nanosleep",   "rt_sigreturn",  "rt_sigprocmask",
    "getpid",	   "gettid",	    "tgkill",
    "exit",	   "exit_group",    "restart_syscall",
    "sigaltstack", /* sanitizer builds read it */
};

/* Never, in any process: the filter kills the whole process. */
/* Killed in every kind; the last three are left out of the scanner's in
 * a sanitizer build (SCANNER_KILLED). */
static const char *const killed_calls[] = {
    "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
};

static int add_all(scmp_filter_ctx ctx, uint32_t action,
		   const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, action, nr, 0) != 0)
			return -1;
	}
	return 0;
}

/* libseccomp's SCMP_An() leave datum_b out, which clang's
 * -Wmissing-field-initializers (the fuzz build) rejects. */
static struct scmp_arg_cmp arg(unsigned int n, enum scmp_compare op,
			       scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = {n, op, a, b};

	return c;
}

/* The probe worker's conditional rules: sockets, threads, one ioctl. */
static int add_probe_conditions(scmp_filter_ctx ctx)
{
	uint32_t deny = SCMP_ACT_ERRNO(EACCES);

	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
				arg(0, SCMP_CMP_EQ, AF_INET, 0),
				arg(1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM)) ||
	       /* pthread_create: clone3 is told it does not exist (glibc
		* then uses clone), clone only with CLONE_THREAD: no fork */
	       seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
				0) ||
	       seccomp_rule_add(
		   ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		   arg(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) ||
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				arg(1, SCMP_CMP_EQ, FIONREAD, 0)) ||
	       seccomp_rule_add(ctx, deny, SCMP_SYS(open), 0) ||
	       seccomp_rule_add(ctx, deny, SCMP_SYS(openat), 0) ||
	       seccomp_rule_add(ctx, deny, SCMP_SYS(openat2), 0);
}

/* The capture child's denials that say "no file" rather than EPERM. */
static int add_capture_conditions(scmp_filter_ctx ctx)
{
	uint32_t deny = SCMP_ACT_ERRNO(EACCES);

	return seccomp_rule_add(ctx, deny, SCMP_SYS(open), 0) ||
	       seccomp_rule_add(ctx, deny, SCMP_SYS(openat), 0) ||
	       seccomp_rule_add(ctx, deny, SCMP_SYS(openat2), 0);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The allowlist of kind, on top of the killed calls. */
static int add_kind(scmp_filter_ctx ctx, enum bph_sandbox_kind kind)
{
	if (kind == BPH_SANDBOX_PROBES)
		return add_all(ctx, SCMP_ACT_ALLOW, probe_calls,
			       N_OF(probe_calls)) ||
		       add_probe_conditions(ctx);
	if (kind == BPH_SANDBOX_CAPTURE)
		return add_all(ctx, SCMP_ACT_ALLOW, capture_calls,
			       N_OF(capture_calls)) ||
		       add_capture_conditions(ctx);
	return 0;
}

/* LeakSanitizer stops the world with ptrace at exit: in a sanitizer
 * build the scanner's filter (a whole process that exits normally) leaves
 * ptrace out, or every scan would die at its end. */
#if defined(__SANITIZE_ADDRESS__)
#define SCANNER_KILLED (N_OF(killed_calls) - 3)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCANNER_KILLED (N_OF(killed_calls) - 3)
#endif
#endif
#ifndef SCANNER_KILLED
#define SCANNER_KILLED N_OF(killed_calls)
#endif

static scmp_filter_ctx build(enum bph_sandbox_kind kind)
{
	bool allowlist = kind != BPH_SANDBOX_SCANNER;
	size_t n_killed = allowlist ? N_OF(killed_calls) : SCANNER_KILLED;
	scmp_filter_ctx ctx =
	    seccomp_init(allowlist ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW);

	if (!ctx)
		return NULL;
	/* the scanner may already run threads (the store's): all of them
	 * get the filter, or none does */
	if ((!allowlist &&
	     seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) ||
	    add_all(ctx, SCMP_ACT_KILL_PROCESS, killed_calls, n_killed) != 0 ||
	    add_kind(ctx, kind) != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int bph_sandbox_enter(enum bph_sandbox_kind kind, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = build(kind);
	int rc = ctx ? seccomp_load(ctx) : -ENOMEM;

	seccomp_release(ctx);
	if (rc != 0) {
		if (err && errlen)
			snprintf(err, errlen, "seccomp filter: %s",
				 strerror(-rc));
		return BPH_ERR_PERM;
	}
	return 0;
}

int bph_sandbox_child_status(int status, const char *who, char *err,
			     size_t errlen)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s killed by signal %d%s", who,
			 WTERMSIG(status),
			 WTERMSIG(status) == SIGSYS
			     ? " (a system call its sandbox forbids)"
			     : "");
	else
		snprintf(err, errlen, "%s exited with status %d", who,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return BPH_ERR_IO;
}
