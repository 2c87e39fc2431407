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
            /* Central: x + h, x - h, x + 2h, x - 2h; one-sided: x + dir * (1..4) h. */
            ok = 1;
            for (int k = 0; k < 4 && ok; k++) {
                double t = central ? ((k % 2) ? -1.0 : 1.0) * (k < 2 ? 1.0 : 2.0)
                                   : dir * (double) (k + 1);
                xw[i] = fmin(fmax(x[i] + t * h, lo[i]), up[i]);
                ok = hc_eval(&f, xw, v + (size_t) k * m);
            }
            xw[i] = x[i];
            if (!ok) {
                if (++tries > HC_JAC_TRIES) hc_signal(&f, "nonfinite", x);
                h *= HC_JAC_SHRINK;
            }
        }
        double *col = pj + (size_t) i * m;
        for (int r = 0; r < m; r++) {
            const double *w0 = v + r, *w1 = v + m + r, *w2 = v + 2 * (size_t) m + r,
                         *w3 = v + 3 * (size_t) m + r;
            if (central) {
                /* (8 (f(h) - f(-h)) - (f(2h) - f(-2h))) / 12h, error O(h^4) (Fornberg 1988). */
                col[r] = (8.0 * (*w0 - *w1) - (*w2 - *w3)) / (12.0 * h);
            } else {
                /* Five-point one-sided: (-25 f0 + 48 f1 - 36 f2 + 16 f3 - 3 f4) / 12h. */
                col[r] = (-25.0 * v0[r] + 48.0 * *w0 - 36.0 * *w1 + 16.0 * *w2 - 3.0 * *w3) /
                         (12.0 * dir * h);
            }
        }
    }
    UNPROTECT(1);
    return J;
}
