/*
 * test_intermittent.c -- Croston, naive and snaive (src/core/intermittent.c) against R's
 * forecast::croston / naive / snaive on the committed reference series and the generated
 * intermittent series (test/ref/croston_ref.csv, croston_series.csv, made by test/ref/theta_ref.R),
 * within 1e-9 relative; SBA, TSB and the ADI / CV^2 classification on hand-computed cases.
 */
#include <stdio.h>

#include "core/intermittent.h"
#include "refcsv.h"
#include "unit.h"

#define MAXS 100
#define MAXN 1200
#define MAXH 30

typedef struct Ser
{
	char		name[64];
	int			m,
				n,
				h[3];
	double		y[MAXN];
	double		mean[3][MAXH],
				lo80[3][MAXH];
} Ser;

static Ser	ser[MAXS];
static int	nser;
static const char *methods[3] = {"croston", "naive", "snaive"};

static Ser *
find(const char *name, int create)
{
	for (int i = 0; i < nser; i++)
		if (strcmp(ser[i].name, name) == 0)
			return &ser[i];
	if (!create || nser == MAXS)
		return NULL;
	memset(&ser[nser], 0, sizeof(Ser));
	strcpy(ser[nser].name, name);
	ser[nser].m = 1;
	return &ser[nser++];
}

static int
load(void)
{
	char		line[4096];
	char	   *f[20];
	FILE	   *fp;

	if (!(fp = fopen("../ref/autoarima_series.csv", "r")) || !fgets(line, sizeof line, fp))
		return -1;
	while (fgets(line, sizeof line, fp))
	{
		Ser		   *s;

		if (csv_split(line, f, 10) < 7 || !(s = find(f[0], 1)))
			continue;
		s->m = atoi(f[2]);
		s->y[s->n++] = csv_num(f[6]);
	}
	fclose(fp);
	if (!(fp = fopen("../ref/croston_series.csv", "r")) || !fgets(line, sizeof line, fp))
		return -1;
	while (fgets(line, sizeof line, fp))
	{
		Ser		   *s;

		if (csv_split(line, f, 10) < 3 || !(s = find(f[0], 1)))
			continue;
		s->y[s->n++] = csv_num(f[2]);
	}
	fclose(fp);
	if (!(fp = fopen("../ref/croston_ref.csv", "r")) || !fgets(line, sizeof line, fp))
		return -1;
	while (fgets(line, sizeof line, fp))
	{
		Ser		   *s;
		int			k,
					step;

		if (csv_split(line, f, 10) < 6 || !(s = find(f[0], 0)))
			continue;
		for (k = 0; k < 3 && strcmp(f[1], methods[k]) != 0; k++)
			;
		step = atoi(f[2]);
		if (k == 3 || step < 1 || step > MAXH)
			continue;
		s->h[k] = step > s->h[k] ? step : s->h[k];
		s->mean[k][step - 1] = csv_num(f[3]);
		s->lo80[k][step - 1] = csv_num(f[4]);
	}
	fclose(fp);
	return 0;
}

int
main(void)
{
	int			ok[3] = {0, 0, 0},
				cnt[3] = {0, 0, 0};
	double		worst[3] = {0, 0, 0};

	if (load() != 0)
	{
		PLAN(1);
		CHECK(0, "reference files readable");
		UNIT_EXIT();
	}
	PLAN(3 + 10);
	for (int i = 0; i < nser; i++)
	{
		Ser		   *s = &ser[i];

		for (int k = 0; k < 3; k++)
		{
			double		mean[MAXH],
						se[MAXH],
						err = 0;
			int			rc = 0,
						h = s->h[k];

			if (h == 0)
				continue;
			if (k == 0)
				rc = croston_forecast(s->y, s->n, h, CROSTON_ALPHA, 0, mean);
			else
				lagwalk_forecast(s->y, s->n, k == 1 ? 1 : s->m, h, mean, se, NULL);
			for (int j = 0; j < h; j++)
			{
				err = fmax(err, csv_rel(mean[j], s->mean[k][j], 1e-8));
				if (k > 0)
					err = fmax(err, csv_rel(mean[j] - 1.2815515655446004 * se[j], s->lo80[k][j], 1e-8));
			}
			cnt[k]++;
			ok[k] += rc == 0 && err <= 1e-9;
			worst[k] = fmax(worst[k], rc == 0 ? err : INFINITY);
			if (getenv("INTERMITTENT_VERBOSE"))
				printf("# %-20s %-8s n=%3d err %.2e\n", s->name, methods[k], s->n, err);
		}
	}
	for (int k = 0; k < 3; k++)
		CHECK(cnt[k] > 20 && ok[k] == cnt[k], "%s equals R's on %d of %d series (worst rel. error %.2e)",
			  methods[k], ok[k], cnt[k], worst[k]);

	{
		/* hand-checked cases */
		const double y[] = {0, 0, 3, 0, 5, 0, 0, 0, 2, 0};
		const double neg[] = {1, -1, 2};
		double		m[3],
					adi,
					cv2,
					z,
					p;

		CHECK(croston_forecast(neg, 3, 3, CROSTON_ALPHA, 0, m) == -1, "croston refuses negative values");
		CHECK(tsb_forecast(neg, 3, 3, 0.1, 0.1, m) == -1, "tsb refuses negative values");
		croston_forecast(y, 10, 3, 0.1, 0, m);
		/* sizes 3, 5, 2 from 3: 3, 3.2, 3.08; intervals 3, 2, 4 from 3: 3, 2.9, 3.01 */
		CHECK_NEAR(m[0], 3.08 / 3.01, 1e-12, "croston by hand");
		croston_forecast(y, 10, 3, 0.1, 1, m);
		CHECK_NEAR(m[2], 0.95 * 3.08 / 3.01, 1e-12, "sba = croston * (1 - alpha / 2)");
		tsb_forecast(y, 10, 2, 0.1, 0.1, m);
		z = 10.0 / 3;
		p = 0.3;
		for (int i = 0; i < 10; i++)
		{
			if (y[i] > 0)
				z += 0.1 * (y[i] - z);
			p += 0.1 * ((y[i] > 0) - p);
		}
		CHECK_NEAR(m[1], p * z, 1e-12, "tsb by hand (start: mean size, demand share)");
		CHECK(demand_classify(y, 10, &adi, &cv2) == DEMAND_INTERMITTENT, "classification: intermittent");
		CHECK_NEAR(adi, 10.0 / 3, 1e-12, "ADI = periods / demands");
		/* sizes 3, 5, 2: mean 10/3, sample variance (1/9 + 25/9 + 16/9) / 2 = 7/3 */
		CHECK_NEAR(cv2, (7.0 / 3) / (100.0 / 9), 1e-12,
				   "CV^2 of the sizes (sample variance / mean^2)");
		{
			const double smooth[] = {5, 6, 5, 4, 6, 5},
						lumpy[] = {0, 0, 40, 0, 1, 0, 0, 2},
						erratic[] = {1, 30, 2, 50, 1, 1};

			CHECK(demand_classify(smooth, 6, &adi, &cv2) == DEMAND_SMOOTH &&
				  demand_classify(lumpy, 8, &adi, &cv2) == DEMAND_LUMPY &&
				  demand_classify(erratic, 6, &adi, &cv2) == DEMAND_ERRATIC,
				  "classification: smooth, lumpy, erratic");
		}
		CHECK(demand_classify(neg, 3, &adi, &cv2) == DEMAND_NONE, "classification: negative values are no demand series");
	}
	UNIT_EXIT();
}
