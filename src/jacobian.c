/* The Jacobian of a vector-valued function (per-observation contributions to fn) by
 * fourth-order differences, for the score matrix of the sandwich estimator. Steps come
 * from the Hessian's step search, which balanced truncation against rounding for this fn. */
#include <math.h>
#include <string.h>
#include "hesscheck.h"

#define HC_JAC_SHRINK 0.5  /* step factor after a non-finite value */
#define HC_JAC_TRIES 30

/* call: fn_obs(x, ...); par, step, lower, upper: length n; f0: the m values at par. */
SEXP hc_jacobian(SEXP call, SEXP rho, SEXP par, SEXP step, SEXP lower, SEXP upper,
                 SEXP f0, SEXP handler, SEXP where)
{
    int n = (int) XLENGTH(par), m = (int) XLENGTH(f0);
    if (TYPEOF(par) != REALSXP || TYPEOF(step) != REALSXP || XLENGTH(step) != n ||
        TYPEOF(lower) != REALSXP || XLENGTH(lower) != n || TYPEOF(upper) != REALSXP ||
        XLENGTH(upper) != n || TYPEOF(f0) != REALSXP || TYPEOF(where) != INTSXP)
        Rf_error("hesscheck internal: bad arguments to hc_jacobian");
    hc_fun f;
    hc_fun_init(&f, call, rho, handler, INTEGER(where), n, m, 1);
    const double *x = REAL(par), *lo = REAL(lower), *up = REAL(upper), *v0 = REAL(f0);
    double *xw = (double *) R_alloc(n, sizeof(double));
    double *v = (double *) R_alloc(4 * (size_t) m, sizeof(double));
    memcpy(xw, x, n * sizeof(double));
    SEXP J = PROTECT(Rf_allocMatrix(REALSXP, m, n));
    double *pj = REAL(J);
    for (int i = 0; i < n; i++) {
        double h = REAL(step)[i];
        int tries = 0, ok = 0, central = 0, dir = 1;
        while (!ok) {
            central = x[i] - 2.0 * h >= lo[i] && x[i] + 2.0 * h <= up[i];
            dir = up[i] - x[i] >= x[i] - lo[i] ? 1 : -1;
            /* The stencil points of steps.c: central x + h, x - h, x + 2h, x - 2h;
             * one-sided x + dir * (1..4) h. */
            ok = 1;
            for (int k = 0; k < 4 && ok; k++) {
                xw[i] = fmin(fmax(x[i] + hc_offset(central ? 0 : dir, k, h), lo[i]), up[i]);
                ok = hc_eval(&f, xw, v + (size_t) k * m);
            }
            xw[i] = x[i];
            if (!ok) {
                if (++tries > HC_JAC_TRIES) hc_signal(&f, "nonfinite", x);
                h *= HC_JAC_SHRINK;
            }
        }
        /* Fourth-order differences, the formulas of stencil.c (Fornberg 1988). */
        double *col = pj + (size_t) i * m, w[4], trunc, round1, tmodel;
        for (int r = 0; r < m; r++) {
            for (int k = 0; k < 4; k++) w[k] = v[(size_t) k * m + r];
            if (central)
                hc_d1_central(w, h, 0.0, 0.0, col + r, &trunc, &round1, &tmodel);
            else
                hc_d1_forward(w, v0[r], dir * h, 0.0, col + r, &trunc, &round1, &tmodel);
        }
    }
    UNPROTECT(1);
    return J;
}
