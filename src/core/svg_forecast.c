/*
 * svg_forecast.c -- svg_forecast (see svg.h): one series' history, its forecast line and the
 * 80 % / 95 % bands on a time or index axis, drawn with the writer of svg.c.  Pure C.
 */
#include "core/svg_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
		svg_line_at(b, *x, y - 4, *x + 18, y - 4, colour, "stroke-width=\"2\"");
	else
	{
		snprintf(o, sizeof o, "fill-opacity=\"%s\"", opacity);
		svg_rect_at(b, *x, y - 9, 18, 10, colour, o);
	}
	svg_text_at(b, *x + 22, y, 11, "start", "#333333", NULL, label);
	*x += 22 + svg_utf8_len(label) * 11 * FONT_W + 14;
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
		label_w = fmax(label_w, svg_utf8_len(svg_tick_label(buf, sizeof buf, yt.lo + i * yt.step, &yt)) * 11 * FONT_W);

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

		svg_line_at(b, fr.px, y, fr.px + fr.pw, y, "#DDDDDD", NULL);
		svg_text_at(b, fr.px - 6, y + 4, 11, "end", "#333333", NULL, svg_tick_label(buf, sizeof buf, v, &yt));
	}
	if (f->y_label)
		svg_text_at(b, 14, fr.py + fr.ph / 2, 11, "middle", "#333333", NULL, f->y_label);

	/* x axis */
	svg_line_at(b, fr.px, fr.py + fr.ph, fr.px + fr.pw, fr.py + fr.ph, "#999999", NULL);
	if (f->time_axis)
	{
		svg_time_ticks((int64_t) floor(xmin), (int64_t) ceil(xmax), (int) fmax(2, fr.pw / 90), &tt);
		for (int i = 0; i < tt.n; i++)
		{
			double		x = fx(&fr, (double) tt.t[i]);

			svg_line_at(b, x, fr.py + fr.ph, x, fr.py + fr.ph + 4, "#999999", NULL);
			svg_text_at(b, x, fr.py + fr.ph + 17, 11, "middle", "#333333", NULL, svg_time_label(buf, sizeof buf, tt.t[i], &tt));
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
			svg_line_at(b, x, fr.py + fr.ph, x, fr.py + fr.ph + 4, "#999999", NULL);
			svg_text_at(b, x, fr.py + fr.ph + 17, 11, "middle", "#333333", NULL, svg_tick_label(buf, sizeof buf, v, &xt));
		}
	}
	svg_raw(b, "</g>\n");

	/* bands, then the lines */
	band(b, &fr, f, 3, 4, "0.25");
	band(b, &fr, f, 1, 2, "0.55");
	if (f->nfc > 0)
	{
		double		x = fx(&fr, f->fc_x[0]);

		svg_line_at(b, x, fr.py, x, fr.py + fr.ph, "#999999", "stroke-dasharray=\"4 3\"");
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

		svg_text_at(b, fr.px + 8, fr.py + 14, 11, "start", SVG_VERMILLION, NULL, svg_fit(nb, sizeof nb, f->note, fr.pw - 16, 11));
	}
	svg_end(b);
	return b->oom ? -1 : 0;
}

