/*
 * fuzz_format.c -- libFuzzer target for the model format: header check plus a
 * generic decode that walks the payload as every model reader does (counts,
 * arrays, texts) and must never read out of bounds.
 *   clang -g -O1 -fsanitize=fuzzer,address -Isrc test/fuzz/fuzz_format.c src/core/format.c
 */
#include "core/format.h"

#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MkfReader	r;
	uint16_t	kind,
				version;

	/* the raw input as a whole blob */
	if (mkf_check(data, size, 0, &kind, &version) == NULL)
		mkf_reader_init(&r, data + MKF_HEADER_SIZE, size - MKF_HEADER_SIZE);
	else
		mkf_reader_init(&r, data, size);	/* and as a payload whose CRC happened to match */

	while (!r.err && r.p < r.end)
	{
		switch (mkf_get_i32(&r) & 3)
		{
			case 0:
				{
					int64_t		n = mkf_get_count(&r, 8, 1 << 20);

					if (n >= 0)
					{
						double	   *v = malloc((size_t) (n ? n : 1) * sizeof(double));

						mkf_get_f64s(&r, v, n);
						free(v);
					}
					break;
				}
			case 1:
				{
					int64_t		n = mkf_get_count(&r, 4, 1 << 20);

					if (n >= 0)
					{
						int32_t    *v = malloc((size_t) (n ? n : 1) * sizeof(int32_t));

						mkf_get_i32s(&r, v, n);
						free(v);
					}
					break;
				}
			case 2:
				(void) mkf_get_raw(&r, mkf_get_i64(&r));
				break;
			default:
				(void) mkf_get_f64(&r);
		}
	}
	return 0;
}
