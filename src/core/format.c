/*
 * format.c -- the mktdb binary model format: CRC-32C, header checks and a
 * bounds-checked payload reader.  Pure C: unit-tested and fuzzed outside the
 * server (test/unit/test_format.c, test/fuzz/fuzz_format.c).
 */
#include "format.h"

#include <string.h>

/* CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, table built on first use. */
static uint32_t crc_table[8][256];
static int	crc_ready;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[0][i] = c;
	}
	for (int t = 1; t < 8; t++)
		for (int i = 0; i < 256; i++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
	crc_ready = 1;
}

uint32_t
mkf_crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!crc_ready)
		crc_init();				/* idempotent: a race only recomputes the same table */
	crc = ~crc;
	/* slicing-by-8: model blobs reach hundreds of megabytes */
	while (len >= 8)
	{
		uint32_t	lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);

		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
			crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
			crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

void
mkf_store_i32(unsigned char *dst, int32_t v)
{
	uint32_t	u = (uint32_t) v;

	for (int i = 0; i < 4; i++)
		dst[i] = (unsigned char) (u >> (8 * i));
}

void
mkf_store_i64(unsigned char *dst, int64_t v)
{
	uint64_t	u = (uint64_t) v;

	for (int i = 0; i < 8; i++)
		dst[i] = (unsigned char) (u >> (8 * i));
}

void
mkf_store_f64(unsigned char *dst, double v)
{
	int64_t		bits;

	memcpy(&bits, &v, 8);
	mkf_store_i64(dst, bits);
}

static uint64_t
load_u64(const unsigned char *s)
{
	uint64_t	u = 0;

	for (int i = 7; i >= 0; i--)
		u = (u << 8) | s[i];
	return u;
}

static uint32_t
load_u32(const unsigned char *s)
{
	return (uint32_t) s[0] | (uint32_t) s[1] << 8 | (uint32_t) s[2] << 16 | (uint32_t) s[3] << 24;
}

void
mkf_write_header(unsigned char *out, uint16_t kind, const void *payload, uint64_t len)
{
	memcpy(out, MKF_MAGIC, 4);
	out[4] = MKF_VERSION & 0xff;
	out[5] = MKF_VERSION >> 8;
	out[6] = kind & 0xff;
	out[7] = kind >> 8;
	mkf_store_i64(out + 8, (int64_t) len);
	mkf_store_i32(out + 16, (int32_t) mkf_crc32c(0, payload, len));
	mkf_store_i32(out + 20, 0);
}

const char *
mkf_check(const void *blob, size_t len, uint16_t expected_kind, uint16_t *kind_out, uint16_t *version_out)
{
	const unsigned char *b = blob;
	uint16_t	version,
				kind;
	uint64_t	plen;

	if (len < MKF_HEADER_SIZE)
		return "shorter than a model header";
	if (memcmp(b, MKF_MAGIC, 4) != 0)
		return "not an mktdb model (bad magic number)";
	version = (uint16_t) (b[4] | b[5] << 8);
	kind = (uint16_t) (b[6] | b[7] << 8);
	if (kind_out)
		*kind_out = kind;
	if (version_out)
		*version_out = version;
	if (version < 1 || version > MKF_VERSION)
		return "unsupported model format version";
	plen = load_u64(b + 8);
	if (plen != len - MKF_HEADER_SIZE)
		return "payload length does not match (truncated or padded)";
	if (load_u32(b + 20) != 0)
		return "reserved header field is not zero";
	if (mkf_crc32c(0, b + MKF_HEADER_SIZE, plen) != load_u32(b + 16))
		return "checksum mismatch (damaged model)";
	if (expected_kind != 0 && kind != expected_kind)
		return "model of another kind";
	return NULL;
}

void
mkf_reader_init(MkfReader *r, const void *payload, size_t len)
{
	r->p = payload;
	r->end = r->p + len;
	r->err = NULL;
}

/* Returns a pointer to n readable bytes and advances, or NULL (and sets err). */
static const unsigned char *
take(MkfReader *r, uint64_t n)
{
	const unsigned char *p = r->p;

	if (r->err)
		return NULL;
	if (n > (uint64_t) (r->end - r->p))
	{
		r->err = "payload ends early";
		return NULL;
	}
	r->p += n;
	return p;
}

int32_t
mkf_get_i32(MkfReader *r)
{
	const unsigned char *p = take(r, 4);

	return p ? (int32_t) load_u32(p) : 0;
}

int64_t
mkf_get_i64(MkfReader *r)
{
	const unsigned char *p = take(r, 8);

	return p ? (int64_t) load_u64(p) : 0;
}

double
mkf_get_f64(MkfReader *r)
{
	const unsigned char *p = take(r, 8);
	uint64_t	u;
	double		v;

	if (!p)
		return 0;
	u = load_u64(p);
	memcpy(&v, &u, 8);
	return v;
}

int64_t
mkf_get_count(MkfReader *r, size_t elem_size, int64_t max_count)
{
	int64_t		n = mkf_get_i64(r);

	if (r->err)
		return -1;
	if (n < 0 || n > max_count)
	{
		r->err = "element count out of range";
		return -1;
	}
	if (elem_size > 0 && (uint64_t) n > (uint64_t) (r->end - r->p) / elem_size)
	{
		r->err = "array longer than the payload";
		return -1;
	}
	return n;
}

void
mkf_get_f64s(MkfReader *r, double *dst, int64_t n)
{
	const unsigned char *p = take(r, (uint64_t) n * 8);

	if (!p)
		return;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(dst, p, (size_t) n * 8);	/* the format is little-endian already */
#else
	for (int64_t i = 0; i < n; i++)
	{
		uint64_t	u = load_u64(p + 8 * i);

		memcpy(&dst[i], &u, 8);
	}
#endif
}

void
mkf_get_i32s(MkfReader *r, int32_t *dst, int64_t n)
{
	const unsigned char *p = take(r, (uint64_t) n * 4);

	if (!p)
		return;
	for (int64_t i = 0; i < n; i++)
		dst[i] = (int32_t) load_u32(p + 4 * i);
}

void
mkf_get_i64s(MkfReader *r, int64_t *dst, int64_t n)
{
	const unsigned char *p = take(r, (uint64_t) n * 8);

	if (!p)
		return;
	for (int64_t i = 0; i < n; i++)
		dst[i] = (int64_t) load_u64(p + 8 * i);
}

const char *
mkf_get_raw(MkfReader *r, int64_t n)
{
	if (n < 0)
	{
		if (!r->err)
			r->err = "negative length";
		return NULL;
	}
	return (const char *) take(r, (uint64_t) n);
}

int
mkf_reader_done(MkfReader *r)
{
	return r->err == NULL && r->p == r->end;
}
