/*
 * svg.c -- the SVG writer behind mktdb's charts (see svg.h): buffer, escaping, fixed number
 * formats, nice ticks (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990), calendar
 * ticks, text primitives and the document frame.  The chart bodies build on it: svg_forecast
 * (svg_forecast.c) and svg_heat_grid (svg_heat.c).  Pure C; the glue (src/chart_sql.c) reads
 * the models and turns a failure into an ERROR.
 */
#include "core/svg_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- buffer ---------- */

void
svg_init(SvgBuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
svg_free(SvgBuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
reserve(SvgBuf *b, size_t more)
{
	size_t		need = b->len + more + 1;

	if (b->oom)
		return 0;
	if (need > b->cap)
	{
		size_t		ncap = b->cap ? b->cap : 4096;
		char	   *np;

		while (ncap < need)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL)
		{
			b->oom = 1;
			return 0;
		}
		b->p = np;
		b->cap = ncap;
	}
	return 1;
}

static void
put(SvgBuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
svg_raw(SvgBuf *b, const char *s)
{
	put(b, s, strlen(s));
}

void
svg_printf(SvgBuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void
svg_text(SvgBuf *b, const char *s)
{
	for (; s && *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		switch (c)
		{
			case '&':
				svg_raw(b, "&amp;");
				break;
			case '<':
				svg_raw(b, "&lt;");
				break;
			case '>':
				svg_raw(b, "&gt;");
				break;
			case '"':
				svg_raw(b, "&quot;");
				break;
			case '\'':
				svg_raw(b, "&#39;");
				break;
			default:
				/* XML 1.0 allows no control characters but tab, newline and return */
				if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
					break;
				put(b, s, 1);
		}
	}
}

/* ---------- numbers ---------- */

char *
svg_num(char *buf, size_t size, double v, int decimals)
{
	if (!isfinite(v))
		v = 0;
	snprintf(buf, size, "%.*f", decimals, v);
	if (buf[0] == '-')
	{
		const char *p = buf + 1;

		while (*p == '0' || *p == '.')
			p++;
		if (*p == '\0')
			memmove(buf, buf + 1, strlen(buf));
	}
	return buf;
}

char *
svg_count(char *buf, size_t size, double v)
{
	char		digits[32];
	long long	x;
	int			n,
				o = 0;
	unsigned long long ux;

	if (!isfinite(v) || fabs(v) > 9e18)
	{
		snprintf(buf, size, "%s", isfinite(v) ? (v < 0 ? "-huge" : "huge") : "n/a");
		return buf;
	}
	x = llround(v);
	ux = x < 0 ? (unsigned long long) (-(x + 1)) + 1 : (unsigned long long) x;
	n = snprintf(digits, sizeof digits, "%llu", ux);
	if (x < 0 && o + 1 < (int) size)
		buf[o++] = '-';
	for (int i = 0; i < n && o + 1 < (int) size; i++)
	{
		if (i > 0 && (n - i) % 3 == 0 && o + 2 < (int) size)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

char *
svg_short(char *buf, size_t size, double v)
{
	double		a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, size, "n/a");
	else if (a >= 1000)
		svg_count(buf, size, v);
	else if (a >= 100)
		svg_num(buf, size, v, 0);
	else if (a >= 10)
		svg_num(buf, size, v, 1);
	else if (a >= 1)
		svg_num(buf, size, v, 2);
	else if (a >= 0.001 || a == 0)
		svg_num(buf, size, v, 3);
	else
		snprintf(buf, size, "%.2e", v);
	return buf;
}

/* ---------- nice ticks ---------- */

double
svg_nice_num(double x, int round)
{
	double		e = floor(log10(x)),
				f = x / pow(10, e),
				nf;

	if (round)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10, e);
}

int
svg_nice_ticks(double lo, double hi, int n, SvgTicks *t)
{
	double		range,
				d;

	if (!isfinite(lo) || !isfinite(hi))
		return -1;
	if (hi < lo)
	{
		double		s = lo;

		lo = hi;
		hi = s;
	}
	if (n < 2)
		n = 2;
	if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi)) || hi == lo)
	{
		/* one value: an axis around it */
		double		pad = lo == 0 ? 1 : fabs(lo) * 0.1;

		lo -= pad;
		hi += pad;
	}
	range = svg_nice_num(hi - lo, 0);
	d = svg_nice_num(range / (n - 1), 1);
	t->step = d;
	t->lo = floor(lo / d) * d;
	t->hi = ceil(hi / d) * d;
	t->n = (int) llround((t->hi - t->lo) / d) + 1;
	t->decimals = (int) fmax(-floor(log10(d)), 0);
	return 0;
}

char *
svg_tick_label(char *buf, size_t size, double v, const SvgTicks *t)
{
	double		top = fmax(fabs(t->lo), fabs(t->hi));
	double		scale = 1;
	const char *suffix = "";
	int			dec;

	if (top >= 1e6 && t->step >= 1e5)
	{
		scale = 1e6;
		suffix = "M";
	}
	else if (top >= 1e4 && t->step >= 1e3)
	{
		scale = 1e3;
		suffix = "k";
	}
	dec = (int) fmax(-floor(log10(t->step / scale) + 1e-9), 0);
	svg_num(buf, size, v / scale, dec);
	if (*suffix && strcmp(buf, "0") != 0)
		strncat(buf, suffix, size - strlen(buf) - 1);
	return buf;
}

/* ---------- calendar (Howard Hinnant's civil-date algorithms) ---------- */

static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		era;
	unsigned	yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

void
svg_civil(int64_t z, int *y, int *m, int *d)
{
	int64_t		era;
	unsigned	doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) ((int64_t) yoe + era * 400 + (*m <= 2));
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

typedef struct TimeCand
{
	SvgTimeUnit unit;
	int			mult;
	double		secs;
} TimeCand;

static const TimeCand CANDS[] = {
	{SVG_T_HOUR, 1, 3600}, {SVG_T_HOUR, 3, 10800}, {SVG_T_HOUR, 6, 21600}, {SVG_T_HOUR, 12, 43200},
	{SVG_T_DAY, 1, 86400}, {SVG_T_DAY, 2, 172800}, {SVG_T_WEEK, 1, 604800}, {SVG_T_WEEK, 2, 1209600},
	{SVG_T_MONTH, 1, 2629746}, {SVG_T_MONTH, 2, 5259492}, {SVG_T_MONTH, 3, 7889238},
	{SVG_T_MONTH, 6, 15778476}, {SVG_T_YEAR, 1, 31556952}, {SVG_T_YEAR, 2, 63113904},
	{SVG_T_YEAR, 5, 157784760}, {SVG_T_YEAR, 10, 315569520}, {SVG_T_YEAR, 20, 631139040},
	{SVG_T_YEAR, 50, 1577847600}, {SVG_T_YEAR, 100, 3155695200.0}, {SVG_T_YEAR, 1000, 31556952000.0}
};

/* ticks of one candidate in [t0, t1]; stops at max */
static int
gen_ticks(int64_t t0, int64_t t1, SvgTimeUnit unit, int k, int max, int64_t *out)
{
	int			n = 0;

	switch (unit)
	{
		case SVG_T_HOUR:
		case SVG_T_DAY:
		case SVG_T_WEEK:
			{
				int64_t		step = unit == SVG_T_HOUR ? 3600 * (int64_t) k : 86400 * (int64_t) (unit == SVG_T_WEEK ? 7 * k : k);
				/* weeks start on Mondays (1970-01-05 was one); hours and days from midnight */
				int64_t		origin = unit == SVG_T_WEEK ? 4 * 86400 : 0;
				int64_t		t = floor_div(t0 - origin + step - 1, step) * step + origin;

				for (; t <= t1 && n < max; t += step)
					out[n++] = t;
				break;
			}
		case SVG_T_MONTH:
			{
				int			y,
							m,
							d;
				int64_t		mi;

				svg_civil(floor_div(t0, 86400), &y, &m, &d);
				mi = (int64_t) y * 12 + (m - 1);
				if (days_from_civil(y, m, 1) * 86400 < t0)
					mi++;
				mi = floor_div(mi + k - 1, k) * k;
				for (;; mi += k)
				{
					int64_t		t = days_from_civil((int) floor_div(mi, 12), (int) (mi - floor_div(mi, 12) * 12) + 1, 1) * 86400;

					if (t > t1 || n >= max)
						break;
					out[n++] = t;
				}
				break;
			}
		case SVG_T_YEAR:
			{
				int			y,
							m,
							d;

				svg_civil(floor_div(t0, 86400), &y, &m, &d);
				if (days_from_civil(y, 1, 1) * 86400 < t0)
					y++;
				y = (int) (floor_div(y + k - 1, k) * k);
				for (;; y += k)
				{
					int64_t		t = days_from_civil(y, 1, 1) * 86400;

					if (t > t1 || n >= max)
						break;
					out[n++] = t;
				}
				break;
			}
	}
	return n;
}

void
svg_time_ticks(int64_t t0, int64_t t1, int max_ticks, SvgTimeTicks *tt)
{
	int			ncand = (int) (sizeof(CANDS) / sizeof(CANDS[0]));

	if (max_ticks < 2)
		max_ticks = 2;
	if (max_ticks > 64)
		max_ticks = 64;
	if (t1 < t0)
	{
		int64_t		s = t0;

		t0 = t1;
		t1 = s;
	}
	for (int c = 0; c < ncand; c++)
	{
		if ((double) (t1 - t0) / CANDS[c].secs + 1 > max_ticks + 1)
			continue;
		tt->unit = CANDS[c].unit;
		tt->mult = CANDS[c].mult;
		tt->n = gen_ticks(t0, t1, tt->unit, tt->mult, max_ticks + 1, tt->t);
		if (tt->n <= max_ticks && (tt->n >= 2 || c == ncand - 1 || (double) (t1 - t0) < CANDS[c].secs))
			return;
	}
	tt->unit = SVG_T_YEAR;
	tt->mult = 1000;
	tt->n = 0;
}

char *
svg_time_label(char *buf, size_t size, int64_t t, const SvgTimeTicks *tt)
{
	int64_t		day = floor_div(t, 86400);
	int			y,
				m,
				d;

	svg_civil(day, &y, &m, &d);
	switch (tt->unit)
	{
		case SVG_T_HOUR:
			snprintf(buf, size, "%s %d %02d:00", MONTHS[m - 1], d, (int) ((t - day * 86400) / 3600));
			break;
		case SVG_T_DAY:
		case SVG_T_WEEK:
			snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
			break;
		case SVG_T_MONTH:
			if (tt->mult == 3)
				snprintf(buf, size, "Q%d %04d", (m - 1) / 3 + 1, y);
			else
				snprintf(buf, size, "%s %04d", MONTHS[m - 1], y);
			break;
		case SVG_T_YEAR:
			snprintf(buf, size, "%04d", y);
			break;
	}
	return buf;
}

/* ---------- text primitives (for the chart bodies: svg_impl.h) ---------- */

int
svg_utf8_len(const char *s)
{
	int			n = 0;

	for (; *s; s++)
		n += ((unsigned char) *s & 0xC0) != 0x80;
	return n;
}

/* s cut to at most max_chars characters (an ellipsis marks a cut), into out */
const char *
svg_fit(char *out, size_t size, const char *s, double width, double font)
{
	int			max_chars = (int) (width / (font * FONT_W));
	int			n = svg_utf8_len(s),
				o = 0,
				chars = 0;

	if (n <= max_chars || max_chars < 2)
	{
		if (max_chars < 2 && n > 1)
			max_chars = 2;
		else
			return s;
	}
	for (const char *p = s; *p && o + 5 < (int) size; p++)
	{
		if (((unsigned char) *p & 0xC0) != 0x80 && ++chars > max_chars - 1)
			break;
		out[o++] = *p;
	}
	memcpy(out + o, "\xE2\x80\xA6", 4);	/* U+2026 */
	return out;
}

/* <text> with escaped content; anchor "start" | "middle" | "end" */
void
svg_text_at(SvgBuf *b, double x, double y, double font, const char *anchor, const char *fill,
		const char *extra, const char *s)
{
	char		bx[32],
				by[32];

	svg_printf(b, "<text x=\"%s\" y=\"%s\" font-size=\"%d\"", svg_num(bx, sizeof bx, x, 1),
			   svg_num(by, sizeof by, y, 1), (int) lround(font));
	if (strcmp(anchor, "start") != 0)
		svg_printf(b, " text-anchor=\"%s\"", anchor);
	if (fill)
		svg_printf(b, " fill=\"%s\"", fill);
	if (extra)
		svg_printf(b, " %s", extra);
	svg_raw(b, ">");
	svg_text(b, s);
	svg_raw(b, "</text>\n");
}

void
svg_line_at(SvgBuf *b, double x1, double y1, double x2, double y2, const char *stroke, const char *extra)
{
	char		a[32],
				c[32],
				d[32],
				e[32];

	svg_printf(b, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"%s%s/>\n",
			   svg_num(a, sizeof a, x1, 1), svg_num(c, sizeof c, y1, 1), svg_num(d, sizeof d, x2, 1),
			   svg_num(e, sizeof e, y2, 1), stroke, extra ? " " : "", extra ? extra : "");
}

void
svg_rect_at(SvgBuf *b, double x, double y, double w, double h, const char *fill, const char *extra)
{
	char		a[32],
				c[32],
				d[32],
				e[32];

	svg_printf(b, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"%s%s/>\n",
			   svg_num(a, sizeof a, x, 1), svg_num(c, sizeof c, y, 1), svg_num(d, sizeof d, fmax(w, 0), 1),
			   svg_num(e, sizeof e, fmax(h, 0), 1), fill, extra ? " " : "", extra ? extra : "");
}

/* ---------- documents ---------- */

void
svg_begin(SvgBuf *b, int width, int height, const char *title, const char *subtitle)
{
	char		buf[1024];

	svg_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
			   "font-family=\"sans-serif\" role=\"img\">\n<title>", width, height, width, height);
	svg_text(b, title);
	if (subtitle && *subtitle)
	{
		svg_raw(b, " \xE2\x80\x94 ");
		svg_text(b, subtitle);
	}
	svg_raw(b, "</title>\n");
	svg_rect_at(b, 0, 0, width, height, "#FFFFFF", NULL);
	svg_text_at(b, 16, 24, 15, "start", SVG_BLACK, "font-weight=\"bold\"",
			svg_fit(buf, sizeof buf, title, width - 32, 15));
	if (subtitle && *subtitle)
		svg_text_at(b, 16, 42, 12, "start", "#444444", NULL, svg_fit(buf, sizeof buf, subtitle, width - 32, 12));
}

void
svg_end(SvgBuf *b)
{
	svg_raw(b, "</svg>\n");
}

