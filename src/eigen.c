/* The linear algebra behind check_fit()'s verdict: the scale of each parameter, which
 * parameters sit on a bound or do not enter fn at all, and the symmetric
 * eigen-decomposition (LAPACK dsyevr) of the Hessian of the free parameters scaled to
 * unit diagonal, each eigenvalue with an error bar from the Hessian's element errors.
 * No verdict is taken here: R's verdict() decides, once, from these named fields and
 * from fn itself along the directions these error bars leave undecided. */
#include <math.h>
#include <R_ext/Lapack.h>
#include "hesscheck.h"

/* An element counts as non-zero only beyond this many times its error estimate. */
#define HC_SIGNIFICANT 3.0

/* Scale of each parameter, d[i] = sqrt|H_ii|, that can never be ~0 (numerics notes,
 * "a diagonal of zero means no curvature seen, not divide by it"). A diagonal within
 * its error bound takes the scale that makes its largest significant off-diagonal element 1
 * in the scaled matrix, |H_ij| / d_j; with none, fn does not depend on the parameter
 * at the point (depends[i] = 0) and the scale is 1 (used only for its distance to a
 * bound). */
static void param_scale(int n, const double *ph, const double *pe, double *d, int *depends)
{
    for (int i = 0; i < n; i++) {
        size_t ii = i + (size_t) i * n;
        /* An unknown (infinite) error says nothing about the curvature: kept. */
        /* A diagonal above its error bound is curvature, resolved or not (a kink's
         * second differences are large and uncertain: the probe along it decides). */
        depends[i] = R_FINITE(ph[ii]) && fabs(ph[ii]) > 0.0 &&
            (fabs(ph[ii]) > pe[ii] || !R_FINITE(pe[ii]));
        d[i] = depends[i] ? sqrt(fabs(ph[ii])) : 0.0;
    }
    for (int i = 0; i < n; i++) {
        if (depends[i]) continue;
        double s = 0.0, any = 0.0;
        for (int j = 0; j < n; j++) {
            size_t ij = i + (size_t) j * n;
            if (j == i || !(fabs(ph[ij]) > HC_SIGNIFICANT * pe[ij])) continue;
            any = fmax(any, sqrt(fabs(ph[ij])));
            if (depends[j]) s = fmax(s, fabs(ph[ij]) / d[j]);
        }
        if (s == 0.0) s = any;          /* all diagonals zero: f = x y at 0 */
        if (s > 0.0 && R_FINITE(s)) {
            depends[i] = 1;
            d[i] = s;
        } else {
            d[i] = 1.0;
        }
    }
}

/* Bounds: -1 / 1 on the lower / upper bound (closer than tol_bound in units of 1 / d_i),
 * else 0; for a parameter on a bound, the slope of fn into the interior in the same
 * units (negative: fn decreases away from the bound) and its error. */
static void bound_status(int n, const double *px, const double *plo, const double *pup,
                         const double *d, const double *pg, const double *pge,
                         double tol_bound, int *pb, double *pkkt, double *pkkte)
{
    for (int i = 0; i < n; i++) {
        double dl = (px[i] - plo[i]) * d[i], du = (pup[i] - px[i]) * d[i];
        pb[i] = dl <= tol_bound ? -1 : (du <= tol_bound ? 1 : 0);
        if (pb[i] == 0) {
            pkkt[i] = pkkte[i] = NA_REAL;
        } else {
            pkkt[i] = -pb[i] * pg[i] / d[i];
            pkkte[i] = pge[i] / d[i];
        }
    }
}

/* Eigenvalues (ascending) in w and eigenvectors in z of the symmetric k x k matrix a,
 * which is overwritten. */
static void sym_eigen(int k, double *a, double *w, double *z)
{
    int m, info, lwork = -1, liwork = -1, il = 1, iu = k, iwq;
    double vl = 0.0, vu = 0.0, abstol = 0.0, wq;
    int *isuppz = (int *) R_alloc(2 * (size_t) k, sizeof(int));
    F77_CALL(dsyevr)("V", "A", "L", &k, a, &k, &vl, &vu, &il, &iu, &abstol, &m, w, z, &k,
                     isuppz, &wq, &lwork, &iwq, &liwork, &info FCONE FCONE FCONE);
    lwork = (int) wq;
    liwork = iwq;
    double *work = (double *) R_alloc(lwork, sizeof(double));
    int *iwork = (int *) R_alloc(liwork, sizeof(int));
    F77_CALL(dsyevr)("V", "A", "L", &k, a, &k, &vl, &vu, &il, &iu, &abstol, &m, w, z, &k,
                     isuppz, work, &lwork, iwork, &liwork, &info FCONE FCONE FCONE);
    if (info != 0) Rf_error("hesscheck: LAPACK dsyevr failed (info = %d)", info);
}

/* Error bar of each eigenvalue of the scaled matrix: the smaller of the first-order
 * per-eigenpair bound sum_pr |v_p| E_pr |v_r| (dlambda = v' dH v) and Weyl's bound
 * ||E||_2 <= ||E||_F, valid for every eigenvalue (numerics notes, "Turning element errors
 * into eigenvalue error bars"). */
static void eigen_error(int k, const double *z, const double *es, double *pu)
{
    double frob = 0.0;
    for (size_t t = 0; t < (size_t) k * k; t++) frob += es[t] * es[t];
    frob = sqrt(frob);
    for (int q = 0; q < k; q++) {
        const double *v = z + (size_t) q * k;
        double u = 0.0;
        for (int p = 0; p < k; p++)
            for (int r = 0; r < k; r++) u += fabs(v[p]) * es[p + (size_t) r * k] * fabs(v[r]);
        pu[q] = fmin(u, frob);
    }
}

/* H, E: Hessian and its error estimates (n x n); g, ge: gradient and its errors; x, lower,
 * upper: the point and bounds; tol_bound: see bound_status(). */
SEXP hc_classify(SEXP H, SEXP E, SEXP g, SEXP ge, SEXP x, SEXP lower, SEXP upper,
                 SEXP tol_bound)
{
    int n = (int) XLENGTH(x);
    R_xlen_t nn = (R_xlen_t) n * n;
    if (!hc_is_vec(x, REALSXP, -1) || !hc_is_vec(H, REALSXP, nn) ||
        !hc_is_vec(E, REALSXP, nn) || !hc_is_vec(g, REALSXP, n) ||
        !hc_is_vec(ge, REALSXP, n) || !hc_is_vec(lower, REALSXP, n) ||
        !hc_is_vec(upper, REALSXP, n) || !hc_is_vec(tol_bound, REALSXP, 1))
        Rf_error("hesscheck internal: bad arguments to hc_classify");
    const double *ph = REAL(H), *pe = REAL(E);

    const char *labels[] = {"scale", "depends", "at_bound", "kkt", "kkt_error", "free",
                            "values", "vectors", "uncertainty"};
    SEXP res = PROTECT(hc_named_list(labels, 9));
    double *d = REAL(hc_new_elt(res, 0, REALSXP, n, -1));
    int *dep = LOGICAL(hc_new_elt(res, 1, LGLSXP, n, -1));
    int *pb = INTEGER(hc_new_elt(res, 2, INTSXP, n, -1));
    double *pkkt = REAL(hc_new_elt(res, 3, REALSXP, n, -1));
    double *pkkte = REAL(hc_new_elt(res, 4, REALSXP, n, -1));
    param_scale(n, ph, pe, d, dep);
    bound_status(n, REAL(x), REAL(lower), REAL(upper), d, REAL(g), REAL(ge),
                 REAL(tol_bound)[0], pb, pkkt, pkkte);

    /* The free block: off its bounds and entering fn. */
    int k = 0;
    int *idx = (int *) R_alloc(n + 1, sizeof(int));
    for (int i = 0; i < n; i++) if (pb[i] == 0 && dep[i]) idx[k++] = i;
    int *pfree = INTEGER(hc_new_elt(res, 5, INTSXP, k, -1));
    for (int q = 0; q < k; q++) pfree[q] = idx[q] + 1;

    /* Scaled matrix and its errors. An off-diagonal element within its error is set to
     * zero (a change inside the error bars), so that a diagonal Hessian with equal
     * eigenvalues keeps the parameters as its eigenvectors rather than arbitrary
     * rotations of them. */
    double *pw = REAL(hc_new_elt(res, 6, REALSXP, k, -1));
    double *pz = REAL(hc_new_elt(res, 7, REALSXP, k, k));
    double *pu = REAL(hc_new_elt(res, 8, REALSXP, k, -1));
    double *a = (double *) R_alloc((size_t) k * k + 1, sizeof(double));
    double *es = (double *) R_alloc((size_t) k * k + 1, sizeof(double));
    for (int q = 0; q < k; q++) {
        for (int p = 0; p < k; p++) {
            size_t src = idx[p] + (size_t) idx[q] * n, dst = p + (size_t) q * k;
            double s = d[idx[p]] * d[idx[q]];
            a[dst] = ph[src] / s;
            es[dst] = pe[src] / s;
            if (p != q && fabs(a[dst]) <= es[dst]) a[dst] = 0.0;
        }
    }
    if (k > 0) {
        sym_eigen(k, a, pw, pz);
        eigen_error(k, pz, es, pu);
    }
    UNPROTECT(1);
    return res;
}

/* Stationarity and covariance from an eigen-decomposition of the scaled Hessian (the
 * Hessian's, or one whose curvatures fn measured): over the directions with use[q] = 1
 * (the non-flat ones), Cs = sum_q v_q v_q' / |lambda_q|, the Newton step s = -Cs gs in
 * scaled units, z = s / sqrt(diag Cs) (standard errors of the |curvature| metric) with
 * the gradient errors' effect |Cs| gse / sqrt(diag Cs), and per direction the step in
 * its own standard errors (v_q' gs) / sqrt|lambda_q| with its error. When posdef, also
 * Cs itself (the scaled covariance) and lme4's scaled gradient max |solve(chol(H), g)|,
 * H = D Hs D, whose Cholesky factor is chol(Hs) D. */
SEXP hc_newton(SEXP vectors, SEXP values, SEXP use, SEXP gs, SEXP gse, SEXP d,
               SEXP posdef)
{
    int k = (int) XLENGTH(values);
    if (!hc_is_vec(values, REALSXP, -1) || !hc_is_vec(vectors, REALSXP, (R_xlen_t) k * k) ||
        !hc_is_vec(use, LGLSXP, k) || !hc_is_vec(gs, REALSXP, k) ||
        !hc_is_vec(gse, REALSXP, k) || !hc_is_vec(d, REALSXP, k) ||
        !hc_is_vec(posdef, LGLSXP, 1))
        Rf_error("hesscheck internal: bad arguments to hc_newton");
    const double *pv = REAL(vectors), *pl = REAL(values), *pg = REAL(gs), *pge = REAL(gse),
        *pd = REAL(d);
    const int *pu = LOGICAL(use);
    int pd_ok = LOGICAL(posdef)[0];
    const char *labels[] = {"step", "z", "z_error", "direction_z", "direction_z_error",
                            "cov", "scaled_gradient"};
    SEXP res = PROTECT(hc_named_list(labels, 7));
    double *ps = REAL(hc_new_elt(res, 0, REALSXP, k, -1));
    double *pz = REAL(hc_new_elt(res, 1, REALSXP, k, -1));
    double *pze = REAL(hc_new_elt(res, 2, REALSXP, k, -1));
    double *pdz = REAL(hc_new_elt(res, 3, REALSXP, k, -1));
    double *pdze = REAL(hc_new_elt(res, 4, REALSXP, k, -1));
    double *cs = pd_ok ? REAL(hc_new_elt(res, 5, REALSXP, k, k))
                       : (double *) R_alloc((size_t) k * k + 1, sizeof(double));
    int nuse = 0;
    for (int q = 0; q < k; q++) {
        const double *v = pv + (size_t) q * k;
        double a = 0.0, b = 0.0;
        for (int p = 0; p < k; p++) {
            a += v[p] * pg[p];
            b += fabs(v[p]) * pge[p];
        }
        nuse += pu[q] != 0;
        pdz[q] = pu[q] ? a / sqrt(fabs(pl[q])) : NA_REAL;
        pdze[q] = pu[q] ? b / sqrt(fabs(pl[q])) : NA_REAL;
    }
    for (int c = 0; c < k; c++)
        for (int r = 0; r <= c; r++) {
            double s = 0.0;
            for (int q = 0; q < k; q++)
                if (pu[q]) s += pv[r + (size_t) q * k] * pv[c + (size_t) q * k] / fabs(pl[q]);
            cs[r + (size_t) c * k] = cs[c + (size_t) r * k] = s;
        }
    for (int p = 0; p < k; p++) {
        double s = 0.0, e = 0.0, se = sqrt(cs[p + (size_t) p * k]);
        for (int r = 0; r < k; r++) {
            s -= cs[p + (size_t) r * k] * pg[r];
            e += fabs(cs[p + (size_t) r * k]) * pge[r];
        }
        ps[p] = nuse ? s : NA_REAL;
        pz[p] = nuse && se > 0.0 ? s / se : NA_REAL;
        pze[p] = nuse && se > 0.0 ? e / se : NA_REAL;
    }
    double sg = NA_REAL;
    if (pd_ok && k > 0) {
        double *a = (double *) R_alloc((size_t) k * k, sizeof(double));
        for (int c = 0; c < k; c++)
            for (int r = 0; r < k; r++) {
                double s = 0.0;
                for (int q = 0; q < k; q++)
                    s += pv[r + (size_t) q * k] * pl[q] * pv[c + (size_t) q * k];
                a[r + (size_t) c * k] = s;
            }
        int info;
        F77_CALL(dpotrf)("U", &k, a, &k, &info FCONE);
        if (info == 0) {
            /* Back substitution R y = g, g = gs d (the unscaled gradient). */
            double *y = (double *) R_alloc(k, sizeof(double));
            sg = 0.0;
            for (int p = k - 1; p >= 0; p--) {
                double s = pg[p] * pd[p];
                for (int r = p + 1; r < k; r++) s -= a[p + (size_t) r * k] * y[r];
                y[p] = s / a[p + (size_t) p * k];
                sg = fmax(sg, fabs(y[p] / pd[p]));
            }
        }
    }
    SET_VECTOR_ELT(res, 6, Rf_ScalarReal(sg));
    UNPROTECT(1);
    return res;
}
