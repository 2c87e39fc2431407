/* The Jacobian of a vector-valued function (per-observation contributions to fn) by
 * fourth-order differences, for the score matrix of the sandwich estimator. Steps come
 * from the Hessian's step search, which balanced truncation against rounding for this fn;
 * the side rule, exact steps, stencil and the rule for non-finite values are the
 * Hessian's (steps.c, stencil.c). */
#include <math.h>
#include <string.h>
#include "hesscheck.h"

/* call: fn_obs(x, ...); par, step, lower, upper: length n; f0: the m values at par. */
SEXP hc_jacobian(SEXP call, SEXP rho, SEXP par, SEXP step, SEXP lower, SEXP upper,
                 SEXP f0, SEXP handler, SEXP where)
{
    int n = (int) XLENGTH(par), m = (int) XLENGTH(f0);
    if (!hc_is_vec(par, REALSXP, -1) || !hc_is_vec(step, REALSXP, n) ||
        !hc_is_vec(lower, REALSXP, n) || !hc_is_vec(upper, REALSXP, n) ||
        !hc_is_vec(f0, REALSXP, -1) || !hc_is_vec(where, INTSXP, -1))
        Rf_error("hesscheck internal: bad arguments to hc_jacobian");
    hc_fun f;
    hc_fun_init(&f, call, rho, handler, INTEGER(where), n, m, 1);
    hc_ctx c;
    memset(&c, 0, sizeof(c));
    c.f = &f;
    c.n = n;
    c.m = m;
    c.x = REAL(par);
    const double *v0 = REAL(f0);
    c.xw = (double *) R_alloc(n, sizeof(double));
    memcpy(c.xw, c.x, n * sizeof(double));
    /* Only the points of the estimate at h are evaluated (4 central, 3 one-sided): the
     * stencil's others feed the estimate at 2h, which the Jacobian does not use; they stay
     * 0 so that its arithmetic reads defined values. */
    double *v = (double *) R_alloc((size_t) HC_NPTS_MAX * m, sizeof(double));
    memset(v, 0, (size_t) HC_NPTS_MAX * m * sizeof(double));
    SEXP J = PROTECT(Rf_allocMatrix(REALSXP, m, n));
    double *pj = REAL(J);
    for (int i = 0; i < n; i++) {
        double lo = REAL(lower)[i], up = REAL(upper)[i];
        double h = hc_exact_step(c.x[i], REAL(step)[i]);
        int side, ok = 0, k = 0;
        while (!ok) {
            double hh = h;
            side = hc_choose_side(c.x[i], lo, up, 1, &hh);
            if (side == 2) hc_signal(&f, "nonfinite", c.x);
            int np = side == 0 ? 4 : 3;
            ok = 1;
            for (k = 0; k < np && ok; k++) {
                c.xw[i] = c.x[i] + hc_offset(side, k, hh);
                ok = hc_eval(&f, c.xw, v + (size_t) k * m);
            }
            c.xw[i] = c.x[i];
            if (!ok) hc_wall(&c, &f, hc_offset(side, k - 1, hh), &lo, &up, i);
            else h = hh;
        }
        double *col = pj + (size_t) i * m;
        for (int r = 0; r < m; r++) {
            hc_est e;
            if (side == 0) hc_d1_central(v + r, m, h, &e);
            else hc_d1_forward(v + r, m, v0[r], side * h, &e);
            col[r] = e.est;
        }
    }
    UNPROTECT(1);
    return J;
}
