/* The .Call entry point that assembles a Hessian: steps per parameter (steps.c), the
 * noise of fn, the diagonal and mixed differences (stencil.c), their error estimates. */
#include <math.h>
#include <float.h>
#include <string.h>
#include "hesscheck.h"

#define HC_RETUNE_NOISE 64.0  /* re-choose the steps if the noise is this much above rounding
                                (the optimal steps then move by 64^(1/6) = 2 or more) */
#define HC_NOISE_BOUND 2.0    /* a value's noise bound, in noise standard deviations */
#define HC_PAIR_SHRINK 0.5    /* pair step factor after a non-finite value */
#define HC_PAIR_TRIES 30
/* The pair direction h_i e_i + h_j e_j is longer than either step: scaled by 1/sqrt(2) it
 * has their length, which balances its truncation against the noise. */
#define HC_PAIR_SCALE M_SQRT1_2

/* Room from x_i towards side s, in units of h. */
static double pair_room(const hc_ctx *c, const hc_axis *ax, int i, int s, double h)
{
    double r = s > 0 ? ax->up - c->x[i] : c->x[i] - ax->lo;
    return r / h;
}

/* H_ij from the second derivative of f along d = d_i e_i + d_j e_j:
 * g''(0) = d_i^2 H_ii + 2 d_i d_j H_ij + d_j^2 H_jj, so that each mixed element costs four
 * evaluations (central) and inherits the O(h^4) accuracy of the diagonal. */
static void mixed_f(hc_ctx *c, const hc_axis *ax, int i, int j, double *hij,
                    double *eij)
{
    int central = ax[i].side == 0 && ax[j].side == 0;
    double di, dj, v[HC_NPTS_MAX];
    if (central) {
        di = HC_PAIR_SCALE * ax[i].h;
        dj = HC_PAIR_SCALE * ax[j].h;
    } else {
        /* One-sided along the diagonal, t = 1..5, into the side with room. */
        int si = ax[i].side, sj = ax[j].side;
        const hc_axis *ai = ax + i, *aj = ax + j;
        if (!si) si = pair_room(c, ai, i, 1, 1.0) >= pair_room(c, ai, i, -1, 1.0) ? 1 : -1;
        if (!sj) sj = pair_room(c, aj, j, 1, 1.0) >= pair_room(c, aj, j, -1, 1.0) ? 1 : -1;
        double ki = fmin(1.0, pair_room(c, ai, i, si, 5.0 * ai->h));
        double kj = fmin(1.0, pair_room(c, aj, j, sj, 5.0 * aj->h));
        di = HC_PAIR_SCALE * si * ax[i].h * ki;
        dj = HC_PAIR_SCALE * sj * ax[j].h * kj;
    }
    int np = central ? 4 : 5, tries = 0, ok = 0;
    while (!ok) {
        ok = 1;
        for (int k = 0; k < np && ok; k++) {
            double t = central ? hc_offset(0, k, 1.0) : (double) (k + 1);
            c->xw[i] = c->x[i] + t * di;
            c->xw[j] = c->x[j] + t * dj;
            c->xw[i] = fmin(fmax(c->xw[i], c->lo[i]), c->up[i]);
            c->xw[j] = fmin(fmax(c->xw[j], c->lo[j]), c->up[j]);
            ok = hc_eval(c->f, c->xw, v + k);
        }
        if (!ok) {
            if (++tries > HC_PAIR_TRIES) hc_signal(c->f, "nonfinite", c->xw);
            di *= HC_PAIR_SHRINK;
            dj *= HC_PAIR_SHRINK;
        }
        c->xw[i] = c->x[i];
        c->xw[j] = c->x[j];
    }
    double est, trunc, round1, curv, tmodel;
    double ci = di * di * ax[i].est, cj = dj * dj * ax[j].est;
    double e = fmax(c->noise, DBL_EPSILON * fabs(c->f0));
    for (int k = 0; k < np; k++) e = fmax(e, DBL_EPSILON * fabs(v[k]));
    if (central)
        hc_d2_central(v, c->f0, 1.0, e, fabs(ci) + fabs(cj), &est, &trunc, &round1, &curv,
                      &tmodel);
    else
        hc_d2_forward(v, c->f0, 1.0, e, &est, &trunc, &round1, &curv, &tmodel);
    double den = 2.0 * di * dj;
    *hij = (est - ci - cj) / den;
    *eij = (trunc + round1 + di * di * (ax[i].trunc + ax[i].round) +
            dj * dj * (ax[j].trunc + ax[j].round)) / fabs(den);
}

/* Column i of the Jacobian of gr from the accepted stencil in c->vals. */
static void column_g(hc_ctx *c, const hc_axis *ax, double *col, double *ctr,
                     double *cmag)
{
    int n = c->n, np = hc_npoints(c, ax->side);
    double v[HC_NPTS_MAX], est, trunc, round1, tmodel;
    for (int j = 0; j < n; j++) {
        for (int k = 0; k < np; k++) v[k] = c->vals[(size_t) k * n + j];
        if (ax->side == 0)
            hc_d1_central(v, ax->h, 1.0, 0.0, &est, &trunc, &round1, &tmodel);
        else
            hc_d1_forward(v, c->g0[j], ax->side * ax->h, 1.0, &est, &trunc, &round1,
                          &tmodel);
        double mag = fabs(c->g0[j]);
        for (int k = 0; k < np; k++) mag = fmax(mag, fabs(v[k]));
        col[j] = est;
        ctr[j] = trunc;
        cmag[j] = round1 * mag;   /* rounding per DBL_EPSILON, finished later */
    }
}

/* f mode: the gradient component i from the accepted stencil of axis i (in c->vals), at
 * no extra cost; its rounding per unit of noise is kept so the final noise applies. */
static void gradient_f(hc_ctx *c, const hc_axis *ax, double *gi, double *gtr,
                       double *grc)
{
    double est, trunc, round1, tmodel;
    if (ax->side == 0) {
        /* The curvature times the step bounds the size of f' that the model compares with. */
        hc_d1_central(c->vals, ax->h, 1.0, fabs(ax->est) * ax->h, &est, &trunc, &round1,
                      &tmodel);
    } else {
        hc_d1_forward(c->vals, c->f0, ax->side * ax->h, 1.0, &est, &trunc, &round1,
                      &tmodel);
    }
    *gi = est;
    *gtr = trunc;
    *grc = round1;
}

SEXP hc_hessian(SEXP fcall, SEXP gcall, SEXP rho, SEXP par, SEXP lower, SEXP upper,
                SEXP f0, SEXP g0, SEXP control, SEXP handler, SEXP where)
{
    int n = (int) XLENGTH(par), gmode = !Rf_isNull(gcall);
    if (TYPEOF(par) != REALSXP || TYPEOF(lower) != REALSXP || TYPEOF(upper) != REALSXP ||
        XLENGTH(lower) != n || XLENGTH(upper) != n || TYPEOF(f0) != REALSXP ||
        TYPEOF(where) != INTSXP || (gmode && (TYPEOF(g0) != REALSXP || XLENGTH(g0) != n)))
        Rf_error("hesscheck internal: bad arguments to hc_hessian");
    SEXP noise_s = hc_list_get(control, "noise"), step_s = hc_list_get(control, "step");
    int max_search = Rf_asInteger(hc_list_get(control, "max_search"));

    hc_fun f, g;
    hc_fun_init(&f, fcall, rho, handler, INTEGER(where), n, 1, 1);
    if (gmode) hc_fun_init(&g, gcall, rho, handler, INTEGER(where), n, n, 2);

    hc_ctx c;
    c.f = &f;
    c.g = gmode ? &g : NULL;
    c.n = n;
    c.m = gmode ? n : 1;
    c.x = REAL(par);
    c.lo = REAL(lower);
    c.up = REAL(upper);
    c.f0 = REAL(f0)[0];
    c.g0 = gmode ? REAL(g0) : NULL;
    c.fscale = c.f0 != 0.0 ? fabs(c.f0) : 1.0;
    int noise_given = R_FINITE(REAL(noise_s)[0]);
    c.noise = noise_given ? REAL(noise_s)[0] : DBL_EPSILON * fabs(c.f0);
    c.max_search = max_search;
    c.xw = (double *) R_alloc(n, sizeof(double));
    memcpy(c.xw, c.x, n * sizeof(double));
    c.vals = (double *) R_alloc((size_t) HC_NPTS_MAX * c.m, sizeof(double));
    c.trial = (double *) R_alloc((size_t) HC_NPTS_MAX * c.m, sizeof(double));
    c.cv = (double *) R_alloc((size_t) HC_CACHE * c.m, sizeof(double));
    c.cn = 0;
    hc_axis *ax = (hc_axis *) R_alloc(n, sizeof(hc_axis));
    const double *user_step = Rf_isNull(step_s) ? NULL : REAL(step_s);

    const char *labels[] = {"hessian", "error", "step", "side", "resolved", "noise",
                            "evaluations", "gradient", "gradient_error"};
    SEXP res = PROTECT(hc_named_list(labels, 9));
    double *ph = REAL(hc_new_elt(res, 0, REALSXP, n, n));
    double *pe = REAL(hc_new_elt(res, 1, REALSXP, n, n));
    double *ctr = NULL, *cmag = NULL;
    double *pg = REAL(hc_new_elt(res, 7, REALSXP, n, -1));
    double *pge = REAL(hc_new_elt(res, 8, REALSXP, n, -1));
    double *grc = (double *) R_alloc(n, sizeof(double));
    if (gmode) {
        ctr = (double *) R_alloc((size_t) n * n, sizeof(double));
        cmag = (double *) R_alloc((size_t) n * n, sizeof(double));
    }

    /* 1. Steps and diagonal (f mode) or columns (g mode). */
    for (int i = 0; i < n; i++) {
        hc_tune_axis(&c, i, user_step ? user_step[i] : 0.0, user_step == NULL, ax + i);
        if (gmode) column_g(&c, ax + i, ph + (size_t) i * n, ctr + (size_t) i * n,
                            cmag + (size_t) i * n);
        else gradient_f(&c, ax + i, pg + i, pge + i, grc + i);
    }

    /* 2. Noise (f mode): if fn is noisier than rounding, the steps were too small. */
    int inform = 0;
    double sigma = 0.0;
    if (!gmode && !noise_given) {
        sigma = hc_noise(&c, ax, &inform);
        double e_new = HC_NOISE_BOUND * sigma;
        if (e_new > HC_RETUNE_NOISE * c.noise && user_step == NULL) {
            c.noise = e_new;
            for (int i = 0; i < n; i++) {
                hc_tune_axis(&c, i, ax[i].h, 1, ax + i);
                gradient_f(&c, ax + i, pg + i, pge + i, grc + i);
            }
        } else {
            c.noise = fmax(c.noise, e_new);
        }
    }

    if (!gmode) {
        for (int i = 0; i < n; i++) {
            ax[i].round = ax[i].rcoef * fmax(c.noise, ax[i].rfloor);
            ph[i + (size_t) i * n] = ax[i].est;
            pe[i + (size_t) i * n] = ax[i].trunc + ax[i].round;
            pge[i] += grc[i] * fmax(c.noise, ax[i].rfloor);
        }
        for (int j = 1; j < n; j++) {
            for (int i = 0; i < j; i++) {
                double hij, eij;
                mixed_f(&c, ax, i, j, &hij, &eij);
                ph[i + (size_t) j * n] = ph[j + (size_t) i * n] = hij;
                pe[i + (size_t) j * n] = pe[j + (size_t) i * n] = eij;
            }
        }
    } else {
        for (int i = 0; i < n; i++) {
            pg[i] = c.g0[i];
            pge[i] = 0.0;
        }
        /* Rounding of column element (j, i): DBL_EPSILON times the size of gr_j's terms,
         * at least sqrt(F |H_jj|); then symmetrise, the asymmetry counting as error. */
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                size_t ji = j + (size_t) i * n;
                double hjj = fabs(ph[j + (size_t) j * n]);
                double mag = fmax(cmag[ji], ax[i].rcoef * sqrt(c.fscale * hjj));
                cmag[ji] = ctr[ji] + DBL_EPSILON * mag;
            }
        }
        for (int j = 0; j < n; j++) {
            for (int i = 0; i <= j; i++) {
                size_t ij = i + (size_t) j * n, ji = j + (size_t) i * n;
                double a = ph[ij], b = ph[ji];
                double err = 0.5 * (cmag[ij] + cmag[ji]) + 0.5 * fabs(a - b);
                ph[ij] = ph[ji] = 0.5 * (a + b);
                pe[ij] = pe[ji] = err;
            }
        }
    }

    double *pstep = REAL(hc_new_elt(res, 2, REALSXP, n, -1));
    int *pside = INTEGER(hc_new_elt(res, 3, INTSXP, n, -1));
    int *pres = LOGICAL(hc_new_elt(res, 4, LGLSXP, n, -1));
    for (int i = 0; i < n; i++) {
        pstep[i] = ax[i].h;
        pside[i] = ax[i].side;
        pres[i] = ax[i].resolved;
    }
    double *pn = REAL(hc_new_elt(res, 5, REALSXP, 3, -1));
    pn[0] = c.noise;
    pn[1] = sigma;
    pn[2] = inform;
    double *pev = REAL(hc_new_elt(res, 6, REALSXP, 2, -1));
    pev[0] = f.count;
    pev[1] = gmode ? g.count : 0;
    UNPROTECT(1);
    return res;
}
