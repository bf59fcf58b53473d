/* libFuzzer: received-frame decoder and reply validation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bph_validate v = {
	    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
	struct bph_frame f;
	uint8_t *copy;
	uint32_t ip;
	uint16_t port;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	enum bph_linktype link = data[0] & 1 ? BPH_LINK_RAW : BPH_LINK_ETHERNET;
	if (bph_frame_decode(copy, size - 1, link, &f) == 0) {
		if (f.ip < copy || f.ip + f.ip_len > copy + size - 1)
			abort();
		bph_validate_frame(&v, f.daddr, &f, &ip, &port);
	}
	free(copy);
	return 0;
}
