#!/usr/bin/python3
"""Training time of mktdb.recommend_train on 2,000,000 interactions (100,000 users x 20,000 items,
64 factors, 15 iterations; CG and Cholesky solvers) against the same implicit ALS written in
numpy/scipy (conjugate gradient batched over all rows with sparse products: what a Python user
without the `implicit` package, which this machine cannot install, would write).

Reads the interactions from the table bench_big that recommend_speed.sh created.
"""
import io
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

DB = os.environ.get('BENCH_DB', 'mk_bench_speed')


def psql(sql):
    r = subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', DB, '-c', sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout


def cg_side(C, F, R, reg, alpha, steps=3):
    """3 warm-started CG steps for every row of R at once; C: csr rows x cols of weights."""
    G = F.T @ F + reg * np.eye(F.shape[1])
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    cols = C.indices
    cm1 = alpha * C.data                       # c - 1

    def A(P):
        s = np.einsum('kf,kf->k', P[rows], F[cols]) * cm1
        return P @ G + sp.csr_matrix((s, cols, C.indptr), shape=C.shape) @ F

    Cb = sp.csr_matrix((1.0 + cm1, cols, C.indptr), shape=C.shape)
    x = R
    r = Cb @ F - A(x)
    p = r.copy()
    rs = np.einsum('kf,kf->k', r, r)
    for _ in range(steps):
        Ap = A(p)
        a = rs / np.maximum(np.einsum('kf,kf->k', p, Ap), 1e-300)
        x = x + a[:, None] * p
        r = r - a[:, None] * Ap
        rn = np.einsum('kf,kf->k', r, r)
        p = r + (rn / np.maximum(rs, 1e-300))[:, None] * p
        rs = rn
    return x


REG, ALPHA = 0.01, 1.0       # both sides


def numpy_als(df, f=64, iters=15, reg=REG, alpha=ALPHA):
    users, ui = np.unique(df.u.values, return_inverse=True)
    items, ii = np.unique(df.i.values, return_inverse=True)
    C = sp.csr_matrix((df.w.values.astype(float), (ui, ii)), shape=(len(users), len(items)))
    C.sum_duplicates()
    Ct = C.T.tocsr()
    rng = np.random.default_rng(0)
    X = rng.random((len(users), f)) * 0.01
    Y = rng.random((len(items), f)) * 0.01
    for _ in range(iters):
        X = cg_side(C, Y, X, reg, alpha)
        Y = cg_side(Ct, X, Y, reg, alpha)
    return X, Y


def main():
    n = int(psql('SELECT count(*) FROM bench_big'))
    print('interactions: %d rows; %d cores' % (n, os.cpu_count()))
    res = {}
    quick = bool(os.environ.get('RECSPEED_QUICK'))   # skip the Cholesky fit and the numpy comparison
    # RECSPEED_EASE_ONLY=1: only the EASE timings (sizes from RECSPEED_EASE_SIZES, e.g. '20000')
    ease_only = bool(os.environ.get('RECSPEED_EASE_ONLY'))
    for solver in ([] if ease_only else ['cg'] if quick else ['cg', 'cholesky']):
        t0 = time.time()
        # the baseline's hyperparameters (numpy_als below: no frequency scaling, 3 CG steps), so
        # both run the same arithmetic; the time of a CG iteration does not depend on them
        out = psql("SELECT n_users, n_items, n_interactions, train_ms FROM "
                   "mktdb.recommend_train('big_%s', 'bench_big', 'u', 'i', method => 'als', min_buyers => 1, factors => 64, iterations => 15, "
                   "regularization => %r, alpha => %r, frequency_scaling => 0, cg_steps => 3, solver => '%s')"
                   % (solver, REG, ALPHA, solver))
        wall = time.time() - t0
        nu, ni, nnz, ms = out.strip().split('|')
        fit = psql("SELECT metrics->>'read_ms', metrics->>'als_fit_ms', coalesce(metrics->>'precompute_ms', '0') "
                   "FROM mktdb.models WHERE name = 'big_%s'" % solver)
        read_ms, fit_ms, top_ms = [float(v) for v in fit.strip().split('|')]
        res[solver] = float(ms) / 1000
        res[solver + '_als'] = fit_ms / 1000
        print('mktdb %-8s %s users x %s items, %s pairs: train %.2f s (reading+indexing %.2f s, ALS %.2f s, '
              'top-50 lists %.2f s), call %.2f s' % (solver, nu, ni, nnz, float(ms) / 1000, read_ms / 1000,
                                                     fit_ms / 1000, top_ms / 1000, wall))
    # the defaults: 20,000 items are over mktdb.ease_memory_limit, so ALS with its regularization
    # chosen on the validation split (3 grid points x 8 iterations, then the fit)
    out = None if ease_only else psql("SELECT train_ms FROM mktdb.recommend_train('big_auto', 'bench_big', 'u', 'i')")
    m = '' if ease_only else psql("SELECT concat_ws(' | ', metrics->>'method', metrics->>'regularization', "
             "metrics->'validation'->>'ms', metrics->>'als_fit_ms') FROM mktdb.models WHERE name = 'big_auto'")
    if not ease_only:
        print('mktdb defaults (method | regularization | validation ms | final fit ms): %s; train %.2f s = %.2f x the '
              'one-fit cg training' % (m.strip(), float(out) / 1000, float(out) / 1000 / res['cg']), flush=True)

    # EASE training time by catalog size (lambda given: one Cholesky inverse; 2,000 items also validated)
    sizes = [2000, 10000] + ([20000] if os.environ.get('EASE_20K') else [])
    if os.environ.get('RECSPEED_EASE_SIZES'):
        sizes = [int(v) for v in os.environ['RECSPEED_EASE_SIZES'].split()]
    for n_items in sizes:
        src = 'SELECT u, i FROM bench_big WHERE i < %d' % n_items
        for reg in (['500', 'NULL'] if n_items == 2000 else ['500']):
            out = psql("SET mktdb.ease_memory_limit = '8GB'; SELECT n_users, n_items, n_interactions, train_ms FROM "
                       "mktdb.recommend_train('ease_%d', '%s', 'u', 'i', method => 'ease', regularization => %s)"
                       % (n_items, src, reg)).strip().split('\n')[-1]
            nu, ni, nnz, ms = out.split('|')
            m = psql("SELECT concat_ws(' ', metrics->>'regularization', metrics->'validation'->>'ms', "
                     "metrics->>'precompute_ms') FROM mktdb.models WHERE name = 'ease_%d'" % n_items).strip()
            print('mktdb EASE %5s items, %s users, %s pairs, regularization %s: train %.2f s (lambda, validation ms, '
                  'lists ms: %s)' % (ni, nu, nnz, reg, float(ms) / 1000, m), flush=True)

    if quick or ease_only:
        return
    csv = psql("COPY bench_big TO STDOUT WITH (FORMAT csv)")
    df = pd.read_csv(io.StringIO(csv), names=['u', 'i'])
    df['w'] = 1.0
    t0 = time.time()
    numpy_als(df)
    t_np = time.time() - t0
    print('numpy/scipy batched-CG ALS (same algorithm, data already in memory): %.2f s' % t_np)
    print('ratio numpy / mktdb (cg) ALS alone: %.1fx; numpy / whole mktdb training (reading and top-50 lists too): '
          '%.1fx;  cholesky / cg ALS: %.2fx' % (t_np / res['cg_als'], t_np / res['cg'], res['cholesky_als'] / res['cg_als']))


if __name__ == '__main__':
    main()
