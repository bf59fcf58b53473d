/*
 * hugemem.c - transparent huge pages for large arrays (contract and why
 * in fingerprints/hugemem.h).
 */
#include "fingerprints/hugemem.h"

#include <stdint.h>
#include <sys/mman.h>

void bph_advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t lo, hi;

	if (!p || len < BPH_HUGE_MIN)
		return;
	lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	hi = ((uintptr_t)p + len) & ~(huge - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}
