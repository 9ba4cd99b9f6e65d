/*
 * chart_sql.c -- SQL side of the charts: mktdb.forecast_chart, mktdb.segment_chart and
 * mktdb.rfm_chart, mktdb.clv_chart.  Each reads one model (the caller's privileges and row security apply),
 * gathers what the chart shows into plain arrays, and hands them to the pure-C SVG writer
 * (core/svg.c), which prints every number in a fixed format: the same model gives the same bytes.
 *
 * A heat map of another kind (e.g. clv_chart: P(alive) over frequency x recency) fills an
 * SvgHeatGrid and calls heat_grid_text() below, as rfm_chart and segment_chart do.
 */
#include "mktdb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "chart.h"
#include "core/clv.h"
#include "core/rfm.h"
#include "core/svg.h"

/* ---------- shared ---------- */

/* width and height arguments: ERROR 22004 on NULL, 22023 outside [SVG_MIN_SIZE, SVG_MAX_SIZE] */
static void
chart_size(FunctionCallInfo fcinfo, int n, int *width, int *height)
{
	mk_arg_notnull(fcinfo, n, "width");
	mk_arg_notnull(fcinfo, n + 1, "height");
	*width = PG_GETARG_INT32(n);
	*height = PG_GETARG_INT32(n + 1);
	if (*width < SVG_MIN_SIZE || *width > SVG_MAX_SIZE || *height < SVG_MIN_SIZE || *height > SVG_MAX_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chart size %d x %d is out of range", *width, *height),
				 errhint("width and height are pixels between %d and %d.", SVG_MIN_SIZE, SVG_MAX_SIZE)));
}

/* the model named by argument 0 ("name" or "name@version"); kind NULL: any */
static void
chart_model(FunctionCallInfo fcinfo, const char *kind, MkModelInfo *info)
{
	int32		version;
	char	   *name = mk_parse_model_ref(mk_arg_text(fcinfo, 0, "model"), &version);

	mk_lookup_model(name, version, kind, info);
}

static char *
model_title(const char *what, const MkModelInfo *info)
{
	return psprintf("%s: %s (version %d)", what, info->name, info->version);
}

/* the finished document as text; frees the buffer (which nothing between init and here can leak) */
static text *
chart_text(SvgBuf *b, int rc)
{
	text	   *t;

	if (b->oom)
	{
		svg_free(b);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory while drawing a chart")));
	}
	if (rc != 0)
	{
		svg_free(b);
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("the model has nothing to draw")));
	}
	t = cstring_to_text_with_len(b->p, (int) b->len);
	svg_free(b);
	return t;
}

/* a heat map as SVG text: rfm_chart, segment_chart (and clv_chart) end here */
static text *
heat_grid_text(int width, int height, const SvgHeatGrid *g)
{
	SvgBuf		b;
	int			rc;

	svg_init(&b);
	rc = svg_heat_grid(&b, width, height, g);
	return chart_text(&b, rc);
}

/* SPI_connect()s and runs a read-only query with the model_id as $1; the rows stay in SPI_tuptable */
static uint64
model_query(const char *sql, int64 model_id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(model_id)};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading model " INT64_FORMAT " failed", model_id);
	return SPI_processed;
}

/* a timestamptz as seconds of local civil time in the session's time zone (svg.h's time axis) */
static double
local_seconds(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	Timestamp	local;

	if (timestamp2tm(t, &tz, &tm, &fsec, NULL, NULL) != 0 || tm2timestamp(&tm, fsec, NULL, &local) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	return (double) local / USECS_PER_SEC +
		(double) ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
}

/* ---------- forecast_chart ---------- */

bool
mk_forecast_view_match(const char *series, const char *asked, int64 nseries)
{
	return strcmp(series, asked) == 0 || (nseries == 1 && strcmp(asked, "{}") == 0);
}

void
mk_forecast_view_set(MkForecastView *v, const char *series, const char *fallback, int horizon,
					 const int64 *steps, const int64 *ts, const double *fc, bool has_history,
					 const MkSeriesHistory *hist)
{
	v->series = series;
	v->fallback = fallback;
	v->horizon = horizon;
	v->time_axis = ts != NULL;
	v->x = ts ? ts : steps;
	v->fc = fc;
	v->has_history = has_history;
	v->hist = *hist;
}

PG_FUNCTION_INFO_V1(mktdb_forecast_chart);
Datum
mktdb_forecast_chart(PG_FUNCTION_ARGS)
{
	MkModelInfo info;
	MkForecastView v;
	const char *example = NULL;
	char	   *series;
	int			width,
				height;
	int64		nseries;
	double	   *hx,
			   *fcx;
	SvgForecast f;
	SvgBuf		b;
	int			rc;

	chart_size(fcinfo, 2, &width, &height);
	series = PG_ARGISNULL(1) ? "{}" : DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(1)));
	chart_model(fcinfo, NULL, &info);

	/* each forecasting kind gives its series through a MkForecastView (chart.h) */
	memset(&v, 0, sizeof(v));
	if (strcmp(info.kind, "arima") == 0)
		nseries = mk_arima_forecast_view(text_to_cstring(PG_GETARG_TEXT_PP(0)), series, &v, &example);
	else if (strcmp(info.kind, "forecast") == 0)
		nseries = mk_forecast_forecast_view(text_to_cstring(PG_GETARG_TEXT_PP(0)), series, &v, &example);
	else
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model, not a forecasting model", info.name, info.kind),
				 errhint("forecast_chart draws models made by mktdb.arima_forecast and mktdb.forecast.")));
	if (v.series == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" has no series %s", info.name, series),
				 example ? errdetail("It has " INT64_FORMAT " series, e.g. %s.", nseries, example) : 0,
				 errhint("List them with SELECT series FROM mktdb.%s WHERE model = %s;",
						 strcmp(info.kind, "arima") == 0 ? "arima_models" : "forecast_models",
						 quote_literal_cstr(info.name))));

	hx = palloc(Max(v.hist.n, 1) * sizeof(double));
	fcx = palloc(Max(v.horizon, 1) * sizeof(double));
	for (int i = 0; i < v.hist.n; i++)
		hx[i] = v.time_axis ? local_seconds(v.hist.t[i]) : (double) v.hist.t[i];
	for (int k = 0; k < v.horizon; k++)
		fcx[k] = v.time_axis ? local_seconds(v.x[k]) : (double) v.x[k];

	memset(&f, 0, sizeof(f));
	f.title = strcmp(v.series, "{}") == 0 ? model_title("Forecast", &info)
		: psprintf("%s %s", model_title("Forecast", &info), v.series);
	f.subtitle = v.fallback ? psprintf("%s (fallback: %s), %d steps ahead", v.description, v.fallback, v.horizon)
		: psprintf("%s, %d steps ahead", v.description, v.horizon);
	f.note = v.has_history ? NULL
		: "History not stored in this model version: mktdb.retrain() it to chart its history.";
	f.time_axis = v.time_axis;
	f.nhist = v.hist.n;
	f.hist_x = hx;
	f.hist_y = v.hist.y;
	f.nfc = v.horizon;
	f.fc_x = fcx;
	f.fc = v.fc;

	svg_init(&b);
	rc = svg_forecast(&b, width, height, &f);
	PG_RETURN_TEXT_P(chart_text(&b, rc));
}

/* ---------- segment_chart ---------- */

PG_FUNCTION_INFO_V1(mktdb_segment_chart);
Datum
mktdb_segment_chart(PG_FUNCTION_ARGS)
{
	MkModelInfo info;
	int			width,
				height,
				k,
				d = 0;
	MemoryContext caller = CurrentMemoryContext;
	char	  **names = NULL;
	double	   *cent = NULL,
			   *size,
				total = 0;
	SvgHeatGrid g;
	char	  **rows,
			  **cell,
			  **sub;
	double	   *value;
	char		buf[64],
				buf2[64];

	chart_size(fcinfo, 1, &width, &height);
	chart_model(fcinfo, "kmeans", &info);

	/* the centroids in original units, by segment (segments are numbered by size) */
	k = (int) model_query("SELECT c.size, c.features, c.centroid FROM mktdb.model m "
						  "CROSS JOIN LATERAL mktdb.kmeans_centroids(m.data) c "
						  "WHERE m.model_id = $1 ORDER BY c.segment", info.model_id);
	if (k == 0)
		mk_damaged("a k-means model without segments");
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		size = palloc(k * sizeof(double));
		for (int s = 0; s < k; s++)
		{
			HeapTuple	tup = SPI_tuptable->vals[s];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			Datum	   *el;
			bool	   *nl;
			int			n;

			size[s] = (double) DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
			total += size[s];
			deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, td, 3, &isnull)), FLOAT8OID, 8,
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nl, &n);
			if (s == 0)
			{
				Datum		fd = SPI_getbinval(tup, td, 2, &isnull);

				d = n;
				cent = palloc(sizeof(double) * k * d);
				names = palloc(sizeof(char *) * d);
				for (int j = 0; j < d; j++)
					names[j] = psprintf("feature %d", j + 1);
				if (!isnull)
				{
					Datum	   *fe;
					bool	   *fnl;
					int			fn;

					deconstruct_array(DatumGetArrayTypeP(fd), TEXTOID, -1, false, TYPALIGN_INT, &fe, &fnl, &fn);
					for (int j = 0; j < Min(fn, d); j++)
						names[j] = TextDatumGetCString(fe[j]);
				}
			}
			if (n != d)
				mk_damaged("centroids of different lengths");
			for (int j = 0; j < d; j++)
				cent[s * d + j] = DatumGetFloat8(el[j]);
		}
		MemoryContextSwitchTo(old);
	}
	SPI_finish();

	/*
	 * rows: the segments, then the overall mean (the size-weighted mean of the centroids, which
	 * are their members' means); colour: the centroid's distance from that mean in the feature's
	 * between-segment standard deviations, so that every feature is on one scale
	 */
	rows = palloc(sizeof(char *) * (k + 1));
	cell = palloc(sizeof(char *) * (k + 1) * d);
	sub = palloc(sizeof(char *) * (k + 1) * d);
	value = palloc(sizeof(double) * (k + 1) * d);
	for (int j = 0; j < d; j++)
	{
		double		mean = 0,
					var = 0,
					sd;
		bool		nonneg = true;

		for (int s = 0; s < k; s++)
		{
			mean += size[s] * cent[s * d + j] / Max(total, 1);
			nonneg = nonneg && cent[s * d + j] >= 0;
		}
		for (int s = 0; s < k; s++)
			var += size[s] * (cent[s * d + j] - mean) * (cent[s * d + j] - mean) / Max(total, 1);
		sd = sqrt(var);
		for (int s = 0; s < k; s++)
		{
			double		c = cent[s * d + j];

			value[s * d + j] = sd > 0 ? (c - mean) / sd : 0;
			cell[s * d + j] = pstrdup(svg_short(buf, sizeof buf, c));
			if (nonneg && mean > 0)
				sub[s * d + j] = psprintf("index %s", svg_num(buf2, sizeof buf2, 100 * c / mean, 0));
			else
				sub[s * d + j] = psprintf("%s%s vs mean", c >= mean ? "+" : "", svg_short(buf2, sizeof buf2, c - mean));
		}
		value[k * d + j] = NAN;
		cell[k * d + j] = pstrdup(svg_short(buf, sizeof buf, mean));
		sub[k * d + j] = nonneg && mean > 0 ? "index 100" : "";
	}
	for (int s = 0; s < k; s++)
		rows[s] = psprintf("segment %d (%s %%)", s + 1, svg_num(buf, sizeof buf, 100 * size[s] / Max(total, 1), 1));
	rows[k] = "overall mean";
	{
		double	   *bars = palloc(sizeof(double) * (k + 1));

		memcpy(bars, size, sizeof(double) * k);
		bars[k] = NAN;
		memset(&g, 0, sizeof(g));
		g.title = model_title("Segments", &info);
		g.subtitle = psprintf("%d segments of %s rows: centroid per feature, index 100 = overall mean", k,
							  svg_count(buf, sizeof buf, total));
		g.nrows = k + 1;
		g.ncols = d;
		g.row_labels = (const char *const *) rows;
		g.col_labels = (const char *const *) names;
		g.value = value;
		g.text = (const char *const *) cell;
		g.sub = (const char *const *) sub;
		g.diverging = 1;
		g.vmin = -2;
		g.vmax = 2;
		g.legend_lo = "below the mean";
		g.legend_hi = "above (2 between-segment sd)";
		g.row_bar = bars;
		g.row_bar_title = "rows";
		PG_RETURN_TEXT_P(heat_grid_text(width, height, &g));
	}
}

/* ---------- rfm_chart ---------- */

PG_FUNCTION_INFO_V1(mktdb_rfm_chart);
Datum
mktdb_rfm_chart(PG_FUNCTION_ARGS)
{
	MkModelInfo info;
	int			width,
				height;
	double		count[25],
				total = 0,
				most = 0;
	bool		have_grid = true;
	char	   *as_of = NULL;
	const char *rows[5] = {"R 5", "R 4", "R 3", "R 2", "R 1"},
			   *cols[5] = {"FM 1", "FM 2", "FM 3", "FM 4", "FM 5"};
	const char *cell[25];
	char	   *sub[25];
	double		value[25];
	SvgHeatGrid g;
	char		buf[64],
				buf2[64];
	MemoryContext caller = CurrentMemoryContext;

	chart_size(fcinfo, 1, &width, &height);
	chart_model(fcinfo, "rfm", &info);

	/* customers per cell, stored at training (models before 0.3.0 lack them) */
	if (model_query("SELECT (m.metrics->'grid'->(r - 1)->>(f - 1))::float8, m.metrics->>'as_of' "
					"FROM mktdb.model m, generate_series(1, 5) r, generate_series(1, 5) f "
					"WHERE m.model_id = $1 ORDER BY r DESC, f", info.model_id) != 25)
		mk_damaged("an RFM model without its 5 x 5 grid");
	for (int i = 0; i < 25; i++)
	{
		bool		isnull;
		Datum		c = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		count[i] = isnull ? NAN : DatumGetFloat8(c);
		have_grid = have_grid && !isnull;
		if (i == 0)
		{
			char	   *a = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

			if (a)
				as_of = MemoryContextStrdup(caller, a);
		}
	}
	SPI_finish();

	for (int i = 0; i < 25; i++)
		if (isfinite(count[i]))
		{
			total += count[i];
			most = Max(most, count[i]);
		}
	for (int i = 0; i < 25; i++)
	{
		int			r5 = 5 - i / 5,
					fm5 = i % 5 + 1;

		cell[i] = rfm_segment_name(rfm_grid(r5, fm5));
		value[i] = have_grid ? count[i] : NAN;
		sub[i] = !have_grid ? "" : psprintf("%s (%s %%)", svg_count(buf, sizeof buf, count[i]),
											svg_num(buf2, sizeof buf2, total > 0 ? 100 * count[i] / total : 0, 1));
	}
	memset(&g, 0, sizeof(g));
	g.title = model_title("RFM grid", &info);
	g.subtitle = have_grid
		? psprintf("%s customers%s%s: segment and customers per cell", svg_count(buf, sizeof buf, total),
				   as_of ? " as of " : "", as_of ? as_of : "")
		: "segment per cell";
	g.note = have_grid ? NULL
		: "Customer counts per cell are not stored in this model version: mktdb.retrain() it to chart them.";
	g.nrows = 5;
	g.ncols = 5;
	g.row_labels = rows;
	g.col_labels = cols;
	g.row_title = "recency score";
	g.col_title = "frequency & monetary score, round((F + M) / 2)";
	g.value = value;
	g.text = cell;
	g.sub = (const char *const *) sub;
	g.vmin = 0;
	g.vmax = most;
	g.legend_lo = "fewer customers";
	g.legend_hi = "more";
	PG_RETURN_TEXT_P(heat_grid_text(width, height, &g));
}

/* ---------- clv_chart ---------- */

#define CLV_GRID 11				/* frequencies 0..10, recencies 0, T/10, ..., T */

/*
 * mktdb.clv_chart(model, width, height): the classic P(alive) heat map of a BG/NBD or
 * Pareto/NBD model, frequency (rows, highest on top) against recency (columns), for a
 * customer as old as the oldest calibration customer (T).  x = 0 has no recency: its row is
 * P(alive) of a customer who never came back.
 */
PG_FUNCTION_INFO_V1(mktdb_clv_chart);
Datum
mktdb_clv_chart(PG_FUNCTION_ARGS)
{
	MkModelInfo info;
	MkClvView	v;
	SvgHeatGrid g;
	int			width,
				height;
	char	   *rows[CLV_GRID],
			   *cols[CLV_GRID],
			   *cell[CLV_GRID * CLV_GRID];
	double		value[CLV_GRID * CLV_GRID];
	char		buf[64],
				nbuf[64];
	const char *names = NULL;

	chart_size(fcinfo, 1, &width, &height);
	chart_model(fcinfo, "clv", &info);
	mk_clv_chart_view(info.name, &v);
	if (!(v.T > 0))
		mk_damaged("a clv model without calibration customers");
	for (int j = 0; j < CLV_GRID; j++)
		cols[j] = pstrdup(svg_num(buf, sizeof buf, v.T * j / (CLV_GRID - 1), 1));
	for (int i = 0; i < CLV_GRID; i++)
	{
		int			x = CLV_GRID - 1 - i;

		rows[i] = psprintf("x = %d", x);
		for (int j = 0; j < CLV_GRID; j++)
		{
			double		tx = x == 0 ? 0 : v.T * j / (CLV_GRID - 1);
			double		p = clv_p_alive(v.purchase_model, v.par, x, tx, v.T);

			value[i * CLV_GRID + j] = isfinite(p) ? p : NAN;
			cell[i * CLV_GRID + j] = pstrdup(isfinite(p) ? svg_num(buf, sizeof buf, p, 2) : "");
		}
	}
	names = v.purchase_model == CLV_BGNBD ? "r %s, alpha %s, a %s, b %s" : "r %s, alpha %s, s %s, beta %s";
	{
		char		b0[32],
					b1[32],
					b2[32],
					b3[32];

		memset(&g, 0, sizeof(g));
		g.title = model_title(v.purchase_model == CLV_BGNBD ? "P(alive), BG/NBD" : "P(alive), Pareto/NBD", &info);
		g.subtitle = psprintf(names, svg_short(b0, sizeof b0, v.par[0]), svg_short(b1, sizeof b1, v.par[1]),
							  svg_short(b2, sizeof b2, v.par[2]), svg_short(b3, sizeof b3, v.par[3]));
	}
	g.note = psprintf("a customer first seen %s %s before the end of calibration (the oldest of %s)",
					  svg_num(buf, sizeof buf, v.T, 1), v.unit, svg_count(nbuf, sizeof nbuf, (double) v.n));
	g.nrows = CLV_GRID;
	g.ncols = CLV_GRID;
	g.row_labels = (const char *const *) rows;
	g.col_labels = (const char *const *) cols;
	g.row_title = "frequency (repeat purchases)";
	g.col_title = psprintf("recency (%s from first to last purchase)", v.unit);
	g.value = value;
	g.text = (const char *const *) cell;
	g.diverging = 0;
	g.vmin = 0;
	g.vmax = 1;
	g.legend_lo = "0";
	g.legend_hi = "P(alive) 1";
	PG_RETURN_TEXT_P(heat_grid_text(width, height, &g));
}
