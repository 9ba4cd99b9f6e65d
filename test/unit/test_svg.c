/* test_svg.c -- unit tests of src/core/svg.c: escaping, number formats, nice ticks, calendar ticks, charts. */
#include <string.h>

#include "core/svg.h"
#include "unit.h"

int
main(void)
{
	SvgBuf		b;
	char		buf[64];
	SvgTicks	t;
	SvgTimeTicks tt;
	int			y,
				m,
				d;

	PLAN(27);

	svg_init(&b);
	svg_text(&b, "a<b & \"c\" 'd'>\x01");
	CHECK(strcmp(b.p, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;") == 0, "escaping of < & \" ' > and control bytes: %s", b.p);
	svg_free(&b);
	svg_init(&b);
	svg_text(&b, "Caf\xC3\xA9");
	CHECK(strcmp(b.p, "Caf\xC3\xA9") == 0, "UTF-8 passes through unchanged");
	svg_free(&b);

	CHECK(strcmp(svg_num(buf, sizeof buf, -0.0001, 2), "0.00") == 0, "-0.0001 with 2 decimals is 0.00, not -0.00: %s", buf);
	CHECK(strcmp(svg_num(buf, sizeof buf, 3.14159, 1), "3.1") == 0, "3.14159 with 1 decimal: %s", buf);
	CHECK(strcmp(svg_num(buf, sizeof buf, -12.5, 1), "-12.5") == 0, "negative numbers keep their sign: %s", buf);
	CHECK(strcmp(svg_count(buf, sizeof buf, 1234567), "1,234,567") == 0, "thousands separator: %s", buf);
	CHECK(strcmp(svg_count(buf, sizeof buf, -1234.4), "-1,234") == 0, "negative count: %s", buf);
	CHECK(strcmp(svg_short(buf, sizeof buf, 0.12345), "0.123") == 0, "short format of 0.12345: %s", buf);
	CHECK(strcmp(svg_short(buf, sizeof buf, 12.345), "12.3") == 0, "short format of 12.345: %s", buf);

	CHECK(svg_nice_ticks(0, 97, 6, &t) == 0 && t.lo == 0 && t.hi == 100 && t.step == 20 && t.n == 6,
		  "nice ticks over [0, 97]: 0, 20, ..., 100 (got %g..%g by %g, %d)", t.lo, t.hi, t.step, t.n);
	svg_nice_ticks(0.012, 0.087, 5, &t);
	CHECK_NEAR(t.step, 0.02, 1e-15, "nice step over [0.012, 0.087] is 0.02");
	CHECK(t.decimals == 2 && t.lo == 0 && fabs(t.hi - 0.1) < 1e-12, "two decimals, axis 0 .. 0.1");
	svg_nice_ticks(-3.7, 12.2, 5, &t);
	CHECK(t.lo == -5 && t.hi == 15 && t.step == 5, "nice ticks over [-3.7, 12.2]: -5 .. 15 by 5 (got %g..%g by %g)", t.lo, t.hi, t.step);
	CHECK(svg_nice_ticks(5, 5, 5, &t) == 0 && t.lo <= 5 && t.hi >= 5 && t.hi > t.lo, "a constant gets an axis around it");
	CHECK(svg_nice_ticks(NAN, 1, 5, &t) == -1, "a non-finite bound is refused");
	svg_nice_ticks(0, 48000, 6, &t);
	CHECK(strcmp(svg_tick_label(buf, sizeof buf, 20000, &t), "20k") == 0, "label of 20000 on a 10k axis: %s", buf);
	CHECK(strcmp(svg_tick_label(buf, sizeof buf, 0, &t), "0") == 0, "zero has no suffix: %s", buf);
	svg_nice_ticks(0, 1, 6, &t);
	CHECK(strcmp(svg_tick_label(buf, sizeof buf, 0.4, &t), "0.4") == 0, "label of 0.4 on a 0.2 axis: %s", buf);

	svg_civil(0, &y, &m, &d);
	CHECK(y == 1970 && m == 1 && d == 1, "day 0 is 1970-01-01");
	svg_civil(19723, &y, &m, &d);
	CHECK(y == 2024 && m == 1 && d == 1, "day 19723 is 2024-01-01");
	svg_civil(-1, &y, &m, &d);
	CHECK(y == 1969 && m == 12 && d == 31, "day -1 is 1969-12-31");

	svg_time_ticks((int64_t) 19358 * 86400, (int64_t) 20058 * 86400, 8, &tt);
	CHECK(tt.unit == SVG_T_MONTH && tt.mult == 3 && tt.n == 8, "two years in 8 labels: quarters (unit %d x%d, %d)", tt.unit, tt.mult, tt.n);
	CHECK(strcmp(svg_time_label(buf, sizeof buf, tt.t[1], &tt), "Q2 2023") == 0, "quarter label: %s", buf);
	svg_time_ticks((int64_t) 19723 * 86400, (int64_t) 19753 * 86400, 8, &tt);
	CHECK(tt.unit == SVG_T_WEEK && strcmp(svg_time_label(buf, sizeof buf, tt.t[0], &tt), "2024-01-01") == 0,
		  "a month of days in 8 labels: weeks from Monday 2024-01-01 (%s)", buf);

	{
		double		hx[4] = {1, 2, 3, 4},
					hy[4] = {10, 12, NAN, 11},
					fxv[2] = {5, 6},
					fc[10] = {11, 10, 12, 9, 13, 11, 9, 13, 8, 14};
		SvgForecast f = {"m <&> \"q\"", "ARIMA(0,1,1)", NULL, 0, 4, hx, hy, 2, fxv, fc, NULL};
		SvgBuf		b2;

		svg_init(&b);
		svg_init(&b2);
		CHECK(svg_forecast(&b, 800, 400, &f) == 0 && svg_forecast(&b2, 800, 400, &f) == 0 &&
			  b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0, "a forecast chart is the same bytes twice");
		CHECK(strstr(b.p, "m &lt;&amp;&gt; &quot;q&quot;") != NULL && strstr(b.p, "<script") == NULL,
			  "the title is escaped, no script");
		svg_free(&b);
		svg_free(&b2);
	}
	{
		const char *rows[2] = {"r<1", "r2"},
				   *cols[2] = {"a&b", "c"};
		double		v[4] = {0, 1, NAN, 3};
		SvgHeatGrid g = {"grid", NULL, NULL, 2, 2, rows, cols, "R", "C", v, NULL, NULL, 0, 0, 3, "low", "high", NULL, NULL};
		char		c[8];

		svg_init(&b);
		svg_heat_colour(c, -1, 1);
		CHECK(svg_heat_grid(&b, 400, 300, &g) == 0 && strstr(b.p, "r&lt;1") && strstr(b.p, "a&amp;b") &&
			  strcmp(c, SVG_VERMILLION) == 0, "heat grid: labels escaped, diverging scale ends in Okabe-Ito vermillion");
		svg_free(&b);
	}
	UNIT_EXIT();
}
