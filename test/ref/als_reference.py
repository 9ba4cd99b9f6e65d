#!/usr/bin/python3
"""Independent numpy reference for mktdb's implicit ALS (src/core/als.c) on small exact cases.

Implements Hu, Koren & Volinsky (2008) straight from the normal equations with dense matrices
(no sparse tricks, no shared code with the C side): confidence C = 1 + alpha * W, preference
P = (W > 0), row regularization lambda_r = reg * (m_r / mean(m))^nu with m_r = n_cols + alpha *
sum(W[r]).  Two solvers: exact (np.linalg.solve) and the warm-started conjugate gradient
with a fixed number of steps.  The initial factors come from the same documented SplitMix64
stream as als_init_factors().

Writes test/ref/als_ref.h (for test/unit/test_als.c) and test/ref/als_ref.json (values the
regression test sql/recommend.sql asserts).  Run: /usr/bin/python3 test/ref/als_reference.py
"""
import json
import math
import os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1


def splitmix64_stream(seed):
    s = seed & M64
    while True:
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield (z ^ (z >> 31)) & M64


def init_factors(seed, n_users, n_items, f):
    """N(0, (0.1 / sqrt(f))^2) entries: Box-Muller (cosine branch) over pairs of stream values."""
    g = splitmix64_stream(seed)
    sd = 0.1 / math.sqrt(f)

    def draw():
        u1 = ((next(g) >> 11) + 1) * 2.0 ** -53
        u2 = (next(g) >> 11) * 2.0 ** -53
        return sd * (math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2))
    Y = np.array([draw() for _ in range(n_items * f)]).reshape(n_items, f)
    X = np.array([draw() for _ in range(n_users * f)]).reshape(n_users, f)
    return X, Y


def row_reg(W, reg, alpha, nu):
    m = W.shape[1] + alpha * W.sum(axis=1)
    if nu == 0:
        return np.full(W.shape[0], reg)
    return reg * (m / m.mean()) ** nu


def solve_side(W, F, R, lam, alpha, solver, cg_steps):
    """Solves every row r of R: (F'C_r F + lam_r I) x = F'C_r p_r, C_r = diag(1 + alpha W[r])."""
    f = F.shape[1]
    out = R.copy()
    for r in range(W.shape[0]):
        c = 1.0 + alpha * W[r]
        p = (W[r] > 0).astype(float)
        A = F.T @ (c[:, None] * F) + lam[r] * np.eye(f)
        b = F.T @ (c * p)
        if solver == 'cholesky':
            out[r] = np.linalg.solve(A, b)
        else:
            x = R[r].copy()
            res = b - A @ x
            d = res.copy()
            rs = res @ res
            for _ in range(cg_steps):
                if rs <= 1e-20:
                    break
                Ad = A @ d
                pAp = d @ Ad
                if not pAp > 0:
                    break
                step = rs / pAp
                x = x + step * d
                res = res - step * Ad
                rsn = res @ res
                if rsn < 1e-20:
                    break
                d = res + (rsn / rs) * d
                rs = rsn
            out[r] = x
    return out


def loss(W, X, Y, lu, li, alpha):
    C = 1.0 + alpha * W
    P = (W > 0).astype(float)
    S = X @ Y.T
    total = (C * (P - S) ** 2).sum() + (lu * (X ** 2).sum(1)).sum() + (li * (Y ** 2).sum(1)).sum()
    return total / C.sum()


def fit(W, f, iters, reg, alpha, nu, seed, solver, cg_steps=3):
    X, Y = init_factors(seed, W.shape[0], W.shape[1], f)
    lu = row_reg(W, reg, alpha, nu)
    li = row_reg(W.T, reg, alpha, nu)
    losses = []
    for _ in range(iters):
        X = solve_side(W, Y, X, lu, alpha, solver, cg_steps)
        Y = solve_side(W.T, X, Y, li, alpha, solver, cg_steps)
        losses.append(loss(W, X, Y, lu, li, alpha))
    return X, Y, losses


def topn(scores, skip, n, self_idx=-1):
    cand = [(-s, j) for j, s in enumerate(scores) if j not in skip and j != self_idx]
    cand.sort()
    return [(j, -s) for s, j in cand[:n]]


# ---- the small case: 7 users x 6 items; the SQL test feeds the same rows (with a duplicate) ----
USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']     # bigint form: 101..107
ITEMS = ['apple', 'bread', 'cheese', 'dates', 'eggs', 'flour']          # bigint form: 11..16
ROWS = [  # (user, item, weight); duplicates are summed by the trainer
    ('alice', 'apple', 1), ('alice', 'apple', 1), ('alice', 'bread', 1), ('alice', 'cheese', 3),
    ('bob', 'apple', 1), ('bob', 'bread', 2), ('bob', 'dates', 1),
    ('carol', 'cheese', 1), ('carol', 'dates', 2), ('carol', 'eggs', 1),
    ('dave', 'apple', 4), ('dave', 'eggs', 1),
    ('erin', 'bread', 1), ('erin', 'flour', 2), ('erin', 'cheese', 1),
    ('frank', 'dates', 1), ('frank', 'eggs', 3), ('frank', 'flour', 1),
    ('grace', 'apple', 1), ('grace', 'flour', 1),
]
W = np.zeros((len(USERS), len(ITEMS)))
for u, i, w in ROWS:
    W[USERS.index(u), ITEMS.index(i)] += w

CASES = {
    # exact solves, constant regularization
    'exact': dict(f=3, iters=6, reg=0.1, alpha=2.0, nu=0.0, seed=42, solver='cholesky', cg_steps=3),
    # conjugate gradient, 3 steps, frequency-scaled regularization
    'cg_freq': dict(f=4, iters=5, reg=0.5, alpha=1.5, nu=1.0, seed=7, solver='cg', cg_steps=3),
}


def main():
    out = {'users': USERS, 'items': ITEMS, 'rows': ROWS, 'W': W.tolist(), 'cases': {}}
    hdr = ['/* generated by test/ref/als_reference.py -- do not edit */',
           '#define REF_NU %d' % len(USERS), '#define REF_NI %d' % len(ITEMS),
           'static const double ref_W[%d] = {%s};' % (W.size, ', '.join(repr(v) for v in W.ravel()))]
    for name, c in CASES.items():
        X, Y, losses = fit(W, c['f'], c['iters'], c['reg'], c['alpha'], c['nu'], c['seed'], c['solver'], c['cg_steps'])
        S = X @ Y.T
        recs = {}
        for u in range(len(USERS)):
            seen = set(np.nonzero(W[u])[0])
            recs[USERS[u]] = [(ITEMS[j], s) for j, s in topn(S[u], seen, 3)]
        norms = np.linalg.norm(Y, axis=1)
        cos = (Y @ Y.T) / np.outer(norms, norms)
        sims = {ITEMS[i]: [(ITEMS[j], s) for j, s in topn(cos[i], set(), 3, i)] for i in range(len(ITEMS))}
        out['cases'][name] = dict(params=c, X=X.tolist(), Y=Y.tolist(), loss=losses, scores=S.tolist(),
                                  recommend_top3=recs, similar_top3=sims)
        hdr += ['static const double ref_%s_X[] = {%s};' % (name, ', '.join(repr(v) for v in X.ravel())),
                'static const double ref_%s_Y[] = {%s};' % (name, ', '.join(repr(v) for v in Y.ravel())),
                'static const double ref_%s_loss[] = {%s};' % (name, ', '.join(repr(v) for v in losses))]
    with open(os.path.join(HERE, 'als_ref.json'), 'w') as fh:
        json.dump(out, fh, indent=1)
        fh.write('\n')
    with open(os.path.join(HERE, 'als_ref.h'), 'w') as fh:
        fh.write('\n'.join(hdr) + '\n')
    # read by sql/recommend.sql (\i): every user x item score and item x item cosine of each case
    with open(os.path.join(HERE, 'als_ref_values.sql'), 'w') as fh:
        fh.write('-- generated by test/ref/als_reference.py: (case, user, item, score = x_u . y_i)\n')
        rows = []
        for name in CASES:
            S = out['cases'][name]['scores']
            for u, un in enumerate(USERS):
                for i, it in enumerate(ITEMS):
                    rows.append("('%s', '%s', '%s', %r)" % (name, un, it, S[u][i]))
        fh.write('INSERT INTO ref_scores\nVALUES\n    ' + ',\n    '.join(rows) + ';\n')
        fh.write('-- (case, item, other item, cosine of their factors)\n')
        rows = []
        for name in CASES:
            Y = np.array(out['cases'][name]['Y'])
            nrm = np.linalg.norm(Y, axis=1)
            cos = (Y @ Y.T) / np.outer(nrm, nrm)
            for i, it in enumerate(ITEMS):
                for j, jt in enumerate(ITEMS):
                    if i != j:
                        rows.append("('%s', '%s', '%s', %r)" % (name, it, jt, cos[i, j]))
        fh.write('INSERT INTO ref_cosine\nVALUES\n    ' + ',\n    '.join(rows) + ';\n')
    for name in CASES:
        print(name, 'loss', ['%.6f' % v for v in out['cases'][name]['loss']])


if __name__ == '__main__':
    main()
