/*
 * forecast_series.h -- reading series for the forecasting trainers (arima_sql.c, shared with
 * forecast_sql.c): one cursor over the source, the time axis (step and seasonal period from the
 * spacing), forecast timestamps.
 */
#ifndef MKTDB_FORECAST_SERIES_H
#define MKTDB_FORECAST_SERIES_H

#include "mktdb.h"

#include "funcapi.h"

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

void		read_series(const char *source, const char *time_col, const char *value_col, char **groups,
						int ngroups, SeriesData *sd, MemoryContext cxt);
TimeStep	infer_step(const SeriesData *sd, MemoryContext cxt);
int64		period_index(const SeriesData *sd, const TimeStep *st, int64 first, int64 i);
Datum		time_after(int64 t, Oid ttype, const TimeStep *st, int h);
char	   *time_text(int64 t, Oid ttype);
Datum		jsonb_from_text(const char *s);

/* rows of a stored forecast-kind model for mktdb.forecasts_of (forecast_sql.c) */
void		forecast_put_rows(const char *name, ReturnSetInfo *rsinfo);

#endif
