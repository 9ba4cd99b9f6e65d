/* test_format.c -- the model format: CRC-32C, header checks, and a reader that survives damaged input. */
#include "core/format.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static size_t
make_blob(unsigned char *buf, uint16_t kind)
{
	unsigned char *p = buf + MKF_HEADER_SIZE;

	mkf_store_i32(p, 42);
	mkf_store_i64(p + 4, 3);	/* count of three doubles */
	mkf_store_f64(p + 12, 1.5);
	mkf_store_f64(p + 20, -2.25);
	mkf_store_f64(p + 28, 1e300);
	mkf_write_header(buf, kind, p, 36);
	return MKF_HEADER_SIZE + 36;
}

/* decodes like a model reader would; returns 0 when everything read back was valid */
static int
decode(const unsigned char *buf, size_t len, uint16_t kind, double *out)
{
	MkfReader	r;
	int64_t		n;

	if (mkf_check(buf, len, kind, NULL, NULL) != NULL)
		return 1;
	mkf_reader_init(&r, buf + MKF_HEADER_SIZE, len - MKF_HEADER_SIZE);
	if (mkf_get_i32(&r) != 42)
		return 2;
	n = mkf_get_count(&r, 8, 1000);
	if (n != 3)
		return 3;
	mkf_get_f64s(&r, out, n);
	return mkf_reader_done(&r) ? 0 : 4;
}

int
main(void)
{
	unsigned char buf[128];
	unsigned char bad[128];
	double		v[3];
	size_t		len = make_blob(buf, MKF_KIND_TEST);

	PLAN(11);
	/* the standard CRC-32C check value */
	CHECK(mkf_crc32c(0, "123456789", 9) == 0xE3069283u, "crc32c of \"123456789\" is E3069283");
	CHECK(decode(buf, len, MKF_KIND_TEST, v) == 0 && v[0] == 1.5 && v[1] == -2.25 && v[2] == 1e300,
		  "a written blob reads back exactly");
	CHECK(mkf_check(buf, len, MKF_KIND_KMEANS, NULL, NULL) != NULL, "a blob of another kind is refused");

	/* every truncation is refused by the header check */
	{
		int			refused = 0;

		for (size_t l = 0; l < len; l++)
			refused += mkf_check(buf, l, MKF_KIND_TEST, NULL, NULL) != NULL;
		CHECK(refused == (int) len, "all %zu truncations are refused", len);
	}
	/* every single-bit flip is refused (header fields or CRC) */
	{
		int			refused = 0,
					total = 0;

		for (size_t i = 0; i < len; i++)
			for (int b = 0; b < 8; b++)
			{
				memcpy(bad, buf, len);
				bad[i] ^= (unsigned char) (1 << b);
				total++;
				refused += decode(bad, len, MKF_KIND_TEST, v) != 0;
			}
		CHECK(refused == total, "all %d single-bit flips are refused", total);
	}
	/* a forged payload with a valid CRC but lying counts is refused without overreading */
	{
		unsigned char *p = bad + MKF_HEADER_SIZE;
		MkfReader	r;

		memcpy(bad, buf, len);
		mkf_store_i64(p + 4, (int64_t) 1 << 60);
		mkf_write_header(bad, MKF_KIND_TEST, p, 36);
		CHECK(mkf_check(bad, len, MKF_KIND_TEST, NULL, NULL) == NULL, "forged blob passes the CRC");
		mkf_reader_init(&r, p, 36);
		mkf_get_i32(&r);
		CHECK(mkf_get_count(&r, 8, INT64_MAX) == -1 && r.err != NULL, "a count larger than the payload is refused");
		CHECK(mkf_get_f64(&r) == 0 && r.err != NULL, "reads after an error return 0 and keep the error");
		mkf_store_i64(p + 4, -5);
		mkf_write_header(bad, MKF_KIND_TEST, p, 36);
		mkf_reader_init(&r, p, 36);
		mkf_get_i32(&r);
		CHECK(mkf_get_count(&r, 8, INT64_MAX) == -1, "a negative count is refused");
		CHECK(mkf_get_raw(&r, -1) == NULL, "a negative raw length is refused");
	}
	/* random garbage of random lengths is refused; a crash on it kills the binary, which the
	 * harness (test/tap.sh) counts as a failure, and the sanitizer pass catches overreads */
	{
		int			refused = 0;

		srand(7);
		for (int t = 0; t < 20000; t++)
		{
			size_t		l = (size_t) (rand() % 100);

			for (size_t i = 0; i < l; i++)
				bad[i] = (unsigned char) rand();
			if (t % 2)
				memcpy(bad, "MKDB\1\0\x63\0", l < 8 ? l : 8);
			refused += decode(bad, l, MKF_KIND_TEST, v) != 0;
		}
		CHECK(refused == 20000, "20000 random blobs are refused (%d)", refused);
	}
	UNIT_EXIT();
}
