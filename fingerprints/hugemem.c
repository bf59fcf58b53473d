/*
 * hugemem.c - transparent huge pages for large arrays (contract and why
 * in fingerprints/hugemem.h).
 */
#include "fingerprints/hugemem.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

void bph_advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096, lo, hi;

	if (!p || len < BPH_HUGE_MIN)
		return;
	/* out to whole pages, not in to whole huge pages: a large block is
	 * its own mapping, and advising only part of it would split it in
	 * three, which realloc's mremap cannot move (it would copy) */
	lo = (uintptr_t)p & ~(page - 1);
	hi = ((uintptr_t)p + len + page - 1) & ~(page - 1);
	(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}
