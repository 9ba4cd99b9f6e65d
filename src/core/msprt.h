/*
 * msprt.h -- always-valid inference for a difference of means or proportions: the
 * mixture sequential probability ratio test with a normal mixing distribution N(0, tau^2)
 * (Johari, Pekelis & Walsh, "Always valid inference", Operations Research 2022).
 */
#ifndef MKTDB_MSPRT_H
#define MKTDB_MSPRT_H

/* default mixing scale: tau = MK_MSPRT_TAU_SD x the pooled standard deviation of the metric */
#define MK_MSPRT_TAU_SD 0.1

typedef struct MkMsprt
{
	double		p;				/* running always-valid p-value (starts at 1) */
	double		lo,
				hi;				/* running confidence sequence (starts at -inf, inf) */
} MkMsprt;

void		mk_msprt_init(MkMsprt *s);
/*
 * One look: the observed difference and its variance v (sigma_t^2/n_t + sigma_c^2/n_c).
 * Looks with v <= 0 or non-finite leave the state alone; returns 1 when the look counted.
 */
int			mk_msprt_look(MkMsprt *s, double diff, double v, double tau, double alpha);

#endif
