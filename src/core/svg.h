/*
 * svg.h -- a small SVG writer for mktdb's charts (pure C: no PostgreSQL header).
 *
 * The output is self-contained (no script, no external reference, no id that two charts on
 * one page could share), uses sans-serif text and the Okabe-Ito colour-blind-safe palette,
 * and is byte-for-byte the same for the same input: every number is printed with a fixed
 * format (svg_num), text is XML-escaped (svg_text), axis ticks are Heckbert's "nice numbers"
 * and time axes step by hours, days, weeks, months, quarters or years.
 *
 * Two chart bodies build on it: svg_forecast (history, forecast line, 80 % / 95 % bands)
 * and svg_heat_grid (a labelled grid of coloured cells: RFM's R x FM grid, the segment
 * profile, and any other heat map, e.g. P(alive) over frequency x recency).
 */
#ifndef MKTDB_SVG_H
#define MKTDB_SVG_H

#include <stddef.h>
#include <stdint.h>

#define SVG_MIN_SIZE 200		/* width/height bounds the SQL functions accept */
#define SVG_MAX_SIZE 4000

/* Okabe & Ito (2008) */
#define SVG_BLACK "#000000"
#define SVG_ORANGE "#E69F00"
#define SVG_SKY "#56B4E9"
#define SVG_GREEN "#009E73"
#define SVG_YELLOW "#F0E442"
#define SVG_BLUE "#0072B2"
#define SVG_VERMILLION "#D55E00"
#define SVG_PURPLE "#CC79A7"

/* a growing text buffer (malloc); oom is set, and later writes ignored, when memory ran out */
typedef struct SvgBuf
{
	char	   *p;
	size_t		len;
	size_t		cap;
	int			oom;
} SvgBuf;

void		svg_init(SvgBuf *b);
void		svg_free(SvgBuf *b);
void		svg_raw(SvgBuf *b, const char *s);
void		svg_printf(SvgBuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' escaped as XML character references (invalid control bytes dropped) */
void		svg_text(SvgBuf *b, const char *s);

/* fixed formatting: v with `decimals` decimals, "-0" printed as "0", non-finite as "0" */
char	   *svg_num(char *buf, size_t size, double v, int decimals);
/* v with a thousands separator and no decimals (counts: "12,345") */
char	   *svg_count(char *buf, size_t size, double v);
/* about 3 significant digits, for values in cells ("1,234", "12.3", "0.123") */
char	   *svg_short(char *buf, size_t size, double v);

/* Heckbert's nice numbers: a loose axis over [lo, hi] with about n ticks */
typedef struct SvgTicks
{
	double		lo;				/* first tick (<= data min) */
	double		hi;				/* last tick (>= data max) */
	double		step;
	int			n;				/* ticks lo, lo + step, ..., hi */
	int			decimals;		/* decimals that show the step */
} SvgTicks;

double		svg_nice_num(double x, int round);
/* 0 on success; -1 when lo or hi is not finite */
int			svg_nice_ticks(double lo, double hi, int n, SvgTicks *t);
/* a tick label: decimals from the step, thousands as "k", millions as "M" for large steps */
char	   *svg_tick_label(char *buf, size_t size, double v, const SvgTicks *t);

/* time axes: times are seconds since 1970-01-01 in local civil time (no zone, no leap seconds) */
typedef enum SvgTimeUnit
{
	SVG_T_HOUR,
	SVG_T_DAY,
	SVG_T_WEEK,
	SVG_T_MONTH,
	SVG_T_YEAR
} SvgTimeUnit;

typedef struct SvgTimeTicks
{
	SvgTimeUnit unit;
	int			mult;			/* every mult units (months: 3 = quarters) */
	int			n;
	int64_t		t[64];
} SvgTimeTicks;

/* ticks within [t0, t1], at most max_ticks of them, in the finest unit that fits */
void		svg_time_ticks(int64_t t0, int64_t t1, int max_ticks, SvgTimeTicks *tt);
/* the label of a tick in the format of its unit: "14:00", "2024-03-05", "Mar 2024", "Q1 2024", "2024" */
char	   *svg_time_label(char *buf, size_t size, int64_t t, const SvgTimeTicks *tt);
/* civil date of a day number (days since 1970-01-01) */
void		svg_civil(int64_t days, int *y, int *m, int *d);

/* ---------- documents ---------- */

/* <svg ...> with a white background, the title (bold) and a subtitle (may be NULL) */
void		svg_begin(SvgBuf *b, int width, int height, const char *title, const char *subtitle);
void		svg_end(SvgBuf *b);

/* ---------- forecast chart ---------- */

typedef struct SvgForecast
{
	const char *title;
	const char *subtitle;
	const char *note;			/* shown in the plot (e.g. why the history is missing), or NULL */
	int			time_axis;		/* 1: x are svg times (seconds), 0: a plain index */
	int			nhist;
	const double *hist_x;
	const double *hist_y;		/* NaN: a gap */
	int			nfc;
	const double *fc_x;
	const double *fc;			/* 5 per step: mean, lo80, hi80, lo95, hi95 (NaN: no forecast) */
	const char *y_label;		/* axis title, or NULL */
} SvgForecast;

/* 0 on success; -1 when there is nothing finite to draw */
int			svg_forecast(SvgBuf *b, int width, int height, const SvgForecast *f);

/* ---------- heat grid ---------- */

typedef struct SvgHeatGrid
{
	const char *title;
	const char *subtitle;
	const char *note;			/* a line under the grid, or NULL */
	int			nrows;
	int			ncols;
	const char *const *row_labels;	/* nrows */
	const char *const *col_labels;	/* ncols */
	const char *row_title;		/* axis titles (may be NULL) */
	const char *col_title;
	const double *value;		/* nrows * ncols, row-major: the colour (NaN: an empty grey cell) */
	const char *const *text;	/* nrows * ncols first lines, or NULL: the value by svg_short */
	const char *const *sub;		/* nrows * ncols second lines, or NULL */
	int			diverging;		/* 0: white -> blue over [vmin, vmax]; 1: vermillion <- white -> blue */
	double		vmin;
	double		vmax;			/* diverging: white at (vmin + vmax) / 2 */
	const char *legend_lo;		/* legend texts at both ends of the colour scale */
	const char *legend_hi;
	const double *row_bar;		/* nrows values drawn as bars right of the grid, or NULL */
	const char *row_bar_title;
} SvgHeatGrid;

/* One cell: a rectangle in the colour of t (0..1 sequential, -1..1 diverging), up to two lines */
void		svg_heat_cell(SvgBuf *b, double x, double y, double w, double h, double t, int diverging,
						  const char *line1, const char *line2);
/* the fill colour of t as "#rrggbb" */
void		svg_heat_colour(char out[8], double t, int diverging);

/* 0 on success; -1 on an empty grid */
int			svg_heat_grid(SvgBuf *b, int width, int height, const SvgHeatGrid *g);

#endif
