/*
 * refcsv.h -- reading the committed reference CSVs of test/ref/ (R's write.csv: a header row,
 * quoted strings without embedded commas, NA for missing) in the unit tests.
 */
#ifndef MKTDB_REFCSV_H
#define MKTDB_REFCSV_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* splits a CSV line in place into at most max fields; returns the number of fields */
static int
csv_split(char *line, char **f, int max)
{
	int			k = 0;
	char	   *p = line;

	while (k < max)
	{
		char	   *e;

		if (*p == '"')
		{
			e = strchr(++p, '"');
			if (!e)
				break;
			*e = 0;
			f[k++] = p;
			p = e + 1;
		}
		else
		{
			e = p + strcspn(p, ",\n\r");
			f[k++] = p;
			p = e;
		}
		if (*p != ',')
		{
			*p = 0;
			break;
		}
		*p++ = 0;
	}
	return k;
}

static double
csv_num(const char *s)
{
	if (strcmp(s, "NA") == 0 || *s == 0)
		return NAN;
	if (strcmp(s, "Inf") == 0)
		return INFINITY;
	if (strcmp(s, "-Inf") == 0)
		return -INFINITY;
	return atof(s);
}

/* |a - b| relative to max(|b|, floor) */
static double
csv_rel(double a, double b, double floor_)
{
	double		d = fabs(b) > floor_ ? fabs(b) : floor_;

	if (isnan(a) && isnan(b))
		return 0.0;
	return fabs(a - b) / d;
}
#endif
