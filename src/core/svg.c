/*
 * svg.c -- the SVG writer behind mktdb's charts (see svg.h): buffer, escaping, fixed number
 * formats, nice ticks (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990), calendar
 * ticks, and two chart bodies: svg_forecast and svg_heat_grid.  Pure C; the glue
 * (src/chart_sql.c) reads the models and turns a failure into an ERROR.
 */
#include "core/svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_W 0.6				/* average glyph width of sans-serif text, in font sizes */

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

/* ---------- text fitting ---------- */

static int
utf8_len(const char *s)
{
	int			n = 0;

	for (; *s; s++)
		n += ((unsigned char) *s & 0xC0) != 0x80;
	return n;
}

/* s cut to at most max_chars characters (an ellipsis marks a cut), into out */
static const char *
fit(char *out, size_t size, const char *s, double width, double font)
{
	int			max_chars = (int) (width / (font * FONT_W));
	int			n = utf8_len(s),
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
static void
text_at(SvgBuf *b, double x, double y, double font, const char *anchor, const char *fill,
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

static void
line_at(SvgBuf *b, double x1, double y1, double x2, double y2, const char *stroke, const char *extra)
{
	char		a[32],
				c[32],
				d[32],
				e[32];

	svg_printf(b, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"%s%s/>\n",
			   svg_num(a, sizeof a, x1, 1), svg_num(c, sizeof c, y1, 1), svg_num(d, sizeof d, x2, 1),
			   svg_num(e, sizeof e, y2, 1), stroke, extra ? " " : "", extra ? extra : "");
}

static void
rect_at(SvgBuf *b, double x, double y, double w, double h, const char *fill, const char *extra)
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
	rect_at(b, 0, 0, width, height, "#FFFFFF", NULL);
	text_at(b, 16, 24, 15, "start", SVG_BLACK, "font-weight=\"bold\"",
			fit(buf, sizeof buf, title, width - 32, 15));
	if (subtitle && *subtitle)
		text_at(b, 16, 42, 12, "start", "#444444", NULL, fit(buf, sizeof buf, subtitle, width - 32, 12));
}

void
svg_end(SvgBuf *b)
{
	svg_raw(b, "</svg>\n");
}

/* ---------- forecast chart ---------- */

typedef struct Frame
{
	double		x0,
				x1,
				y0,
				y1;				/* data ranges */
	double		px,
				py,
				pw,
				ph;				/* plot area */
} Frame;

static double
fx(const Frame *f, double x)
{
	return f->px + (f->x1 > f->x0 ? (x - f->x0) / (f->x1 - f->x0) * f->pw : f->pw / 2);
}

static double
fy(const Frame *f, double y)
{
	return f->py + f->ph - (y - f->y0) / (f->y1 - f->y0) * f->ph;
}

static void
path_pt(SvgBuf *b, char cmd, double x, double y)
{
	char		a[32],
				c[32];

	svg_printf(b, "%c%s %s", cmd, svg_num(a, sizeof a, x, 1), svg_num(c, sizeof c, y, 1));
}

/* the band between columns lo and hi of fc over the steps with a finite forecast */
static void
band(SvgBuf *b, const Frame *fr, const SvgForecast *f, int lo, int hi, const char *opacity)
{
	int			first = 1;

	svg_raw(b, "<path d=\"");
	for (int k = 0; k < f->nfc; k++)
		if (isfinite(f->fc[5 * k + lo]) && isfinite(f->fc[5 * k + hi]))
		{
			path_pt(b, first ? 'M' : 'L', fx(fr, f->fc_x[k]), fy(fr, f->fc[5 * k + hi]));
			first = 0;
		}
	for (int k = f->nfc - 1; k >= 0; k--)
		if (isfinite(f->fc[5 * k + lo]) && isfinite(f->fc[5 * k + hi]))
			path_pt(b, 'L', fx(fr, f->fc_x[k]), fy(fr, f->fc[5 * k + lo]));
	svg_printf(b, "%s\" fill=\"%s\" fill-opacity=\"%s\"/>\n", first ? "M0 0" : "Z", SVG_SKY, opacity);
}

static void
legend_item(SvgBuf *b, double *x, double y, const char *kind, const char *colour, const char *opacity,
			const char *label)
{
	char		o[64];

	if (strcmp(kind, "line") == 0)
		line_at(b, *x, y - 4, *x + 18, y - 4, colour, "stroke-width=\"2\"");
	else
	{
		snprintf(o, sizeof o, "fill-opacity=\"%s\"", opacity);
		rect_at(b, *x, y - 9, 18, 10, colour, o);
	}
	text_at(b, *x + 22, y, 11, "start", "#333333", NULL, label);
	*x += 22 + utf8_len(label) * 11 * FONT_W + 14;
}

int
svg_forecast(SvgBuf *b, int width, int height, const SvgForecast *f)
{
	Frame		fr;
	SvgTicks	yt,
				xt;
	SvgTimeTicks tt;
	double		ymin = INFINITY,
				ymax = -INFINITY,
				xmin = INFINITY,
				xmax = -INFINITY;
	double		top = f->subtitle && *f->subtitle ? 70 : 54;
	double		label_w = 0;
	char		buf[128];
	int			last_hist = -1,
				first;

	for (int i = 0; i < f->nhist; i++)
	{
		xmin = fmin(xmin, f->hist_x[i]);
		xmax = fmax(xmax, f->hist_x[i]);
		if (isfinite(f->hist_y[i]))
		{
			ymin = fmin(ymin, f->hist_y[i]);
			ymax = fmax(ymax, f->hist_y[i]);
			last_hist = i;
		}
	}
	for (int k = 0; k < f->nfc; k++)
	{
		xmin = fmin(xmin, f->fc_x[k]);
		xmax = fmax(xmax, f->fc_x[k]);
		for (int c = 0; c < 5; c++)
			if (isfinite(f->fc[5 * k + c]))
			{
				ymin = fmin(ymin, f->fc[5 * k + c]);
				ymax = fmax(ymax, f->fc[5 * k + c]);
			}
	}
	if (!isfinite(ymin) || !isfinite(xmin))
		return -1;
	svg_nice_ticks(ymin, ymax, height >= 300 ? 6 : 4, &yt);
	for (int i = 0; i < yt.n; i++)
		label_w = fmax(label_w, utf8_len(svg_tick_label(buf, sizeof buf, yt.lo + i * yt.step, &yt)) * 11 * FONT_W);

	fr.x0 = xmin;
	fr.x1 = xmax;
	fr.y0 = yt.lo;
	fr.y1 = yt.hi;
	fr.px = 16 + label_w + 8 + (f->y_label ? 16 : 0);
	fr.py = top;
	fr.pw = width - fr.px - 20;
	fr.ph = height - top - 36;

	svg_begin(b, width, height, f->title, f->subtitle);

	/* legend, on one line under the titles */
	{
		double		x = 16,
					y = top - 10;

		int			bands = 0;

		/* the bands only where there are any (Croston's method has no interval) */
		for (int k = 0; k < f->nfc; k++)
			bands |= isfinite(f->fc[5 * k + 1]) && isfinite(f->fc[5 * k + 2]);
		if (f->nhist > 0)
			legend_item(b, &x, y, "line", SVG_BLACK, NULL, "history");
		legend_item(b, &x, y, "line", SVG_BLUE, NULL, "forecast");
		if (bands)
		{
			legend_item(b, &x, y, "rect", SVG_SKY, "0.55", "80 % interval");
			legend_item(b, &x, y, "rect", SVG_SKY, "0.25", "95 % interval");
		}
	}

	/* y axis: grid lines and labels */
	svg_raw(b, "<g font-size=\"11\">\n");
	for (int i = 0; i < yt.n; i++)
	{
		double		v = yt.lo + i * yt.step,
					y = fy(&fr, v);

		line_at(b, fr.px, y, fr.px + fr.pw, y, "#DDDDDD", NULL);
		text_at(b, fr.px - 6, y + 4, 11, "end", "#333333", NULL, svg_tick_label(buf, sizeof buf, v, &yt));
	}
	if (f->y_label)
		text_at(b, 14, fr.py + fr.ph / 2, 11, "middle", "#333333", NULL, f->y_label);

	/* x axis */
	line_at(b, fr.px, fr.py + fr.ph, fr.px + fr.pw, fr.py + fr.ph, "#999999", NULL);
	if (f->time_axis)
	{
		svg_time_ticks((int64_t) floor(xmin), (int64_t) ceil(xmax), (int) fmax(2, fr.pw / 90), &tt);
		for (int i = 0; i < tt.n; i++)
		{
			double		x = fx(&fr, (double) tt.t[i]);

			line_at(b, x, fr.py + fr.ph, x, fr.py + fr.ph + 4, "#999999", NULL);
			text_at(b, x, fr.py + fr.ph + 17, 11, "middle", "#333333", NULL, svg_time_label(buf, sizeof buf, tt.t[i], &tt));
		}
	}
	else
	{
		svg_nice_ticks(xmin, xmax, (int) fmax(2, fr.pw / 80), &xt);
		for (int i = 0; i < xt.n; i++)
		{
			double		v = xt.lo + i * xt.step,
						x = fx(&fr, v);

			if (v < xmin - 1e-9 * fabs(xt.step) || v > xmax + 1e-9 * fabs(xt.step))
				continue;
			line_at(b, x, fr.py + fr.ph, x, fr.py + fr.ph + 4, "#999999", NULL);
			text_at(b, x, fr.py + fr.ph + 17, 11, "middle", "#333333", NULL, svg_tick_label(buf, sizeof buf, v, &xt));
		}
	}
	svg_raw(b, "</g>\n");

	/* bands, then the lines */
	band(b, &fr, f, 3, 4, "0.25");
	band(b, &fr, f, 1, 2, "0.55");
	if (f->nfc > 0)
	{
		double		x = fx(&fr, f->fc_x[0]);

		line_at(b, x, fr.py, x, fr.py + fr.ph, "#999999", "stroke-dasharray=\"4 3\"");
	}
	if (f->nhist > 0)
	{
		first = 1;
		svg_raw(b, "<path d=\"");
		for (int i = 0; i < f->nhist; i++)
		{
			if (!isfinite(f->hist_y[i]))
			{
				first = 1;		/* a gap */
				continue;
			}
			path_pt(b, first ? 'M' : 'L', fx(&fr, f->hist_x[i]), fy(&fr, f->hist_y[i]));
			first = 0;
		}
		svg_printf(b, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>\n", SVG_BLACK);
	}
	first = 1;
	svg_raw(b, "<path d=\"");
	if (last_hist >= 0)
	{
		path_pt(b, 'M', fx(&fr, f->hist_x[last_hist]), fy(&fr, f->hist_y[last_hist]));
		first = 0;
	}
	for (int k = 0; k < f->nfc; k++)
		if (isfinite(f->fc[5 * k]))
		{
			path_pt(b, first ? 'M' : 'L', fx(&fr, f->fc_x[k]), fy(&fr, f->fc[5 * k]));
			first = 0;
		}
	svg_printf(b, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n", SVG_BLUE);
	if (f->note && *f->note)
	{
		char		nb[512];

		text_at(b, fr.px + 8, fr.py + 14, 11, "start", SVG_VERMILLION, NULL, fit(nb, sizeof nb, f->note, fr.pw - 16, 11));
	}
	svg_end(b);
	return b->oom ? -1 : 0;
}

/* ---------- heat grid ---------- */

static void
mix(char out[8], const int a[3], const int c[3], double t)
{
	int			v[3];

	for (int i = 0; i < 3; i++)
		v[i] = (int) lround(a[i] + (c[i] - a[i]) * t);
	snprintf(out, 8, "#%02X%02X%02X", v[0], v[1], v[2]);
}

void
svg_heat_colour(char out[8], double t, int diverging)
{
	static const int white[3] = {0xFF, 0xFF, 0xFF},
				blue[3] = {0x00, 0x72, 0xB2},
				verm[3] = {0xD5, 0x5E, 0x00};

	if (!isfinite(t))
	{
		snprintf(out, 8, "#EEEEEE");
		return;
	}
	if (diverging)
	{
		t = fmax(-1, fmin(1, t));
		mix(out, white, t < 0 ? verm : blue, fabs(t));
	}
	else
		mix(out, white, blue, fmax(0, fmin(1, t)));
}

/* black or white text, whichever reads better on the fill */
static const char *
ink(const char *fill)
{
	unsigned	r,
				g,
				bl;

	if (sscanf(fill, "#%2X%2X%2X", &r, &g, &bl) != 3)
		return SVG_BLACK;
	return 0.299 * r + 0.587 * g + 0.114 * bl < 140 ? "#FFFFFF" : SVG_BLACK;
}

void
svg_heat_cell(SvgBuf *b, double x, double y, double w, double h, double t, int diverging,
			  const char *line1, const char *line2)
{
	char		fill[8],
				c1[256],
				c2[256];
	double		font = fmin(13, fmax(8, fmin(h / (line2 ? 3.2 : 2.2), 14)));
	const char *tc;

	/* a long first line gets a smaller font (down to 8) before it is cut */
	if (line1 && utf8_len(line1) > 0)
		font = fmax(fmin(font, (w - 6) / (utf8_len(line1) * FONT_W)), fmin(font, 8));

	svg_heat_colour(fill, t, diverging);
	tc = ink(fill);
	rect_at(b, x, y, w, h, fill, "stroke=\"#FFFFFF\" stroke-width=\"2\"");
	if (line1 && *line1)
		text_at(b, x + w / 2, y + h / 2 + (line2 ? -font * 0.25 : font * 0.35), font, "middle", tc,
				"font-weight=\"bold\"", fit(c1, sizeof c1, line1, w - 6, font));
	if (line2 && *line2)
		text_at(b, x + w / 2, y + h / 2 + font * 1.05, font * 0.85, "middle", tc, NULL,
				fit(c2, sizeof c2, line2, w - 6, font * 0.85));
}

int
svg_heat_grid(SvgBuf *b, int width, int height, const SvgHeatGrid *g)
{
	double		top = g->subtitle && *g->subtitle ? 58 : 42;
	double		left = 16,
				label_w = 0,
				bar_w = g->row_bar ? fmin(160, width * 0.18) : 0;
	double		bottom = 18 + (g->col_title ? 16 : 0) + 24 + (g->note ? 16 : 0);
	double		gx,
				gw,
				gh,
				cw,
				ch,
				bar_max = 0,
				mid = (g->vmin + g->vmax) / 2,
				half = (g->vmax - g->vmin) / 2;
	char		buf[256],
				vb[64];

	if (g->nrows < 1 || g->ncols < 1)
		return -1;
	for (int r = 0; r < g->nrows; r++)
		label_w = fmax(label_w, utf8_len(g->row_labels[r]) * 11 * FONT_W);
	label_w = fmin(label_w, width * 0.3);
	if (g->row_title)
		left += 18;
	gx = left + label_w + 8;
	gw = width - gx - 16 - (bar_w > 0 ? bar_w + 12 : 0);
	gh = height - top - bottom;
	cw = gw / g->ncols;
	ch = gh / g->nrows;
	if (g->row_bar)
		for (int r = 0; r < g->nrows; r++)
			if (isfinite(g->row_bar[r]))
				bar_max = fmax(bar_max, g->row_bar[r]);

	svg_begin(b, width, height, g->title, g->subtitle);
	for (int r = 0; r < g->nrows; r++)
	{
		double		y = top + r * ch;

		text_at(b, gx - 8, y + ch / 2 + 4, 11, "end", "#333333", NULL,
				fit(buf, sizeof buf, g->row_labels[r], label_w, 11));
		for (int c = 0; c < g->ncols; c++)
		{
			double		v = g->value[r * g->ncols + c];
			double		t = !isfinite(v) ? NAN : g->diverging
				? (half > 0 ? (v - mid) / half : 0)
				: (g->vmax > g->vmin ? (v - g->vmin) / (g->vmax - g->vmin) : 0);
			const char *l1 = g->text ? g->text[r * g->ncols + c] : svg_short(vb, sizeof vb, v);

			svg_heat_cell(b, gx + c * cw, y, cw, ch, t, g->diverging, l1, g->sub ? g->sub[r * g->ncols + c] : NULL);
		}
		if (g->row_bar && isfinite(g->row_bar[r]))
		{
			double		bx = gx + gw + 12,
						len = bar_max > 0 ? g->row_bar[r] / bar_max * (bar_w - 50) : 0;

			rect_at(b, bx, y + ch * 0.25, len, ch * 0.5, SVG_ORANGE, NULL);
			text_at(b, bx + len + 4, y + ch / 2 + 4, 11, "start", "#333333", NULL,
					g->row_bar[r] == floor(g->row_bar[r]) ? svg_count(vb, sizeof vb, g->row_bar[r])
					: svg_short(vb, sizeof vb, g->row_bar[r]));
		}
	}
	if (g->row_bar && g->row_bar_title)
		text_at(b, gx + gw + 12, top - 6, 11, "start", "#333333", "font-weight=\"bold\"",
				fit(buf, sizeof buf, g->row_bar_title, bar_w, 11));
	if (g->row_title)
	{
		char		tr[96];
		char		xb[32],
					yb[32];

		snprintf(tr, sizeof tr, "transform=\"rotate(-90 %s %s)\"", svg_num(xb, sizeof xb, 22, 1),
				 svg_num(yb, sizeof yb, top + gh / 2, 1));
		text_at(b, 22, top + gh / 2, 12, "middle", "#333333", tr, fit(buf, sizeof buf, g->row_title, gh, 12));
	}
	for (int c = 0; c < g->ncols; c++)
	{
		/* long labels get a smaller font (down to 8) before they are cut */
		double		font = fmax(8, fmin(11, (cw - 4) / (fmax(utf8_len(g->col_labels[c]), 1) * FONT_W)));

		text_at(b, gx + (c + 0.5) * cw, top + gh + 15, font, "middle", "#333333", NULL,
				fit(buf, sizeof buf, g->col_labels[c], cw - 4, font));
	}
	{
		double		y = top + gh + 18;

		if (g->col_title)
		{
			y += 16;
			text_at(b, gx + gw / 2, y, 12, "middle", "#333333", NULL, fit(buf, sizeof buf, g->col_title, gw, 12));
		}
		/* the colour scale: five swatches between the two legend texts */
		y += 20;
		{
			double		x = gx + gw,
						sw = 22;

			if (g->legend_hi)
			{
				x -= utf8_len(g->legend_hi) * 11 * FONT_W;
				text_at(b, x, y, 11, "start", "#333333", NULL, g->legend_hi);
				x -= 6;
			}
			for (int i = 4; i >= 0; i--)
			{
				char		fill[8];

				x -= sw;
				svg_heat_colour(fill, g->diverging ? -1 + i * 0.5 : i * 0.25, g->diverging);
				rect_at(b, x, y - 10, sw, 12, fill, "stroke=\"#CCCCCC\" stroke-width=\"0.5\"");
			}
			if (g->legend_lo)
				text_at(b, x - 6, y, 11, "end", "#333333", NULL, g->legend_lo);
		}
		if (g->note)
			text_at(b, 16, y + 16, 11, "start", "#555555", NULL, fit(buf, sizeof buf, g->note, width - 32, 11));
	}
	svg_end(b);
	return b->oom ? -1 : 0;
}
