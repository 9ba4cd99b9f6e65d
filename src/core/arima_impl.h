/*
 * arima_impl.h -- what the ARIMA files of src/core share beyond arima.h: R's parameter
 * transforms, used by the fit.  The files, by phase:
 *   arima_params.c  orders and coefficient names, polynomial roots (stationarity, MA
 *                   invertibility), the parameter transforms (R's partrans and friends)
 *   arima.c         one fit: its work space, the CSS and exact-ML objectives (Kalman filter of
 *                   kalman.c, BFGS of optim.c), standard errors, forecasts
 *   arima_batch.c   one series with its fallbacks (mean model, too short, constant, failed fit),
 *                   and many series on threads, stopped by a flag or a poll function
 */
#ifndef MKTDB_CORE_ARIMA_IMPL_H
#define MKTDB_CORE_ARIMA_IMPL_H

#include "arima.h"

/* R's undoPars: transformed AR blocks back to coefficients (n of them) */
void		arima_undo_pars(const ArimaSpec *s, const double *in, double *out, int n);

/* R's ARIMA_Invtrans: coefficients to the optimiser's transformed scale */
void		arima_inv_trans(const ArimaSpec *s, const double *in, double *out, int n);

/* the expanded (seasonal times non-seasonal) AR and MA polynomials of a parameter vector */
void		arima_trans_pars(const ArimaSpec *s, const double *in, int trans, double *phi, double *theta);

/* R's ARIMA_Gradtrans: the Jacobian of arima_undo_pars by forward differences */
void		arima_grad_trans(const ArimaSpec *s, const double *x, int n, double *A);

#endif
