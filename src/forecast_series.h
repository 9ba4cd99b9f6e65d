/*
 * forecast_series.h -- reading series for the forecasting trainers (forecast_series.c, shared by
 * arima_train.c and forecast_sql.c): one cursor over the source, the time axis (step and
 * seasonal period from the spacing), the series on their period grid, forecast timestamps and
 * the recent history kept for charts.
 */
#ifndef MKTDB_FORECAST_SERIES_H
#define MKTDB_FORECAST_SERIES_H

#include "mktdb.h"

#include "funcapi.h"
#include "series_history.h"

typedef enum TimeKind
{
	TK_INTEGER = 0,				/* integer index: ts NULL, step = index */
	TK_TIME = 1					/* date / timestamp / timestamptz */
} TimeKind;

/* the step of the time axis: whole months, or a fixed number of microseconds */
typedef struct TimeStep
{
	int			months;			/* > 0: calendar months */
	int64		usecs;			/* > 0: fixed spacing (days, hours, ...) */
	bool		known;			/* false when no series had two time points */
	const char *name;
	int			period;			/* the inferred seasonal period */
} TimeStep;

/* the data of one call, series after series */
typedef struct SeriesData
{
	int64		nrows;			/* rows kept */
	int64		cap;
	int64	   *t;				/* time as int64 (index, or microseconds) */
	double	   *v;				/* value, NaN for NULL */
	int			nseries;
	int			scap;
	int64	   *start;			/* first row of each series (nseries + 1) */
	char	  **key;			/* series JSON text */
	int64		skipped;		/* rows with a NULL or infinite time */
	Oid			time_type;
} SeriesData;

/* the series of one call on their period grid (gaps and NULL values NaN) */
typedef struct SeriesGrid
{
	SeriesData	sd;
	TimeStep	st;
	int			period;			/* the one asked for, or the inferred one (1 for an integer index) */
	bool		itime;			/* an integer time index */
	int64	   *off;			/* nseries + 1: series s is y[off[s] .. off[s + 1]) */
	double	   *y;
	int64		longest;		/* the longest series' periods (at least 1) */
	int64		missing;		/* NaN on the grid */
} SeriesGrid;

/*
 * Reads and grids the series (req_period 0: infer).  Two rows of a series in one period are an
 * ERROR 21000; index_wording: say "at index N" for an integer index (arima_forecast's message).
 */
void		series_grid_read(SeriesGrid *g, const char *source, const char *time_col, const char *value_col,
							 char **groups, int ngroups, int req_period, bool index_wording, MemoryContext cxt);
/* forecast steps and timestamps (*ts NULL without a time axis) of series s, palloc'd */
void		series_grid_steps(const SeriesGrid *g, int s, int horizon, int64 **steps, int64 **ts);
/* the recent history of series s, for charts (series_history.h) */
void		series_grid_history(const SeriesGrid *g, int s, MkSeriesHistory *h);

bool		integer_time(Oid t);
void		read_series(const char *source, const char *time_col, const char *value_col, char **groups,
						int ngroups, SeriesData *sd, MemoryContext cxt);
TimeStep	infer_step(const SeriesData *sd, MemoryContext cxt);
int64		period_index(const SeriesData *sd, const TimeStep *st, int64 first, int64 i);
Datum		time_after(int64 t, Oid ttype, const TimeStep *st, int h);
char	   *time_text(int64 t, Oid ttype);
Datum		jsonb_from_text(const char *s);

#endif
