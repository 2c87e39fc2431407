/* Classification of a stationary point: which parameters sit on a bound, the symmetric
 * eigen-decomposition (LAPACK dsyevr) of the Hessian of the free parameters scaled to unit
 * diagonal, the sign of each eigenvalue judged against its own uncertainty, the covariance
 * where the Hessian is positive definite, and how far the estimate is from stationary. */
#include <math.h>
#include <float.h>
#include <R_ext/Lapack.h>
#include "hesscheck.h"

/* A stationarity or KKT measure counts only if this many times its uncertainty. */
#define HC_SIGNIFICANT 3.0

enum { HC_NEGATIVE = -1, HC_ZERO = 0, HC_POSITIVE = 1 };

/* A stationarity or KKT measure z (in standard-error-like units, signed so that
 * negative is bad for KKT) is a finding only beyond tol and three times its uncertainty;
 * an unknown (NaN) uncertainty makes nothing significant. */
static int significant(double z, double err, double tol)
{
    return fabs(z) > tol && fabs(z) > HC_SIGNIFICANT * err;
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

/* H, E: Hessian and its error estimates (n x n); g, ge: gradient and its errors; x, lower,
 * upper: the point and bounds. control: tol_zero, tol_ill, tol_step, tol_bound. */
SEXP hc_classify(SEXP H, SEXP E, SEXP g, SEXP ge, SEXP x, SEXP lower, SEXP upper,
                 SEXP control)
{
    int n = (int) XLENGTH(x);
    if (TYPEOF(H) != REALSXP || XLENGTH(H) != (R_xlen_t) n * n || TYPEOF(E) != REALSXP ||
        XLENGTH(E) != (R_xlen_t) n * n || TYPEOF(g) != REALSXP || XLENGTH(g) != n ||
        TYPEOF(ge) != REALSXP || XLENGTH(ge) != n || TYPEOF(x) != REALSXP ||
        TYPEOF(lower) != REALSXP || XLENGTH(lower) != n || TYPEOF(upper) != REALSXP ||
        XLENGTH(upper) != n)
        Rf_error("hesscheck internal: bad arguments to hc_classify");
    double tol_zero = Rf_asReal(hc_list_get(control, "tol_zero"));
    double tol_ill = Rf_asReal(hc_list_get(control, "tol_ill"));
    double tol_step = Rf_asReal(hc_list_get(control, "tol_step"));
    double tol_bound = Rf_asReal(hc_list_get(control, "tol_bound"));
    const double *ph = REAL(H), *pe = REAL(E), *pg = REAL(g), *pge = REAL(ge);
    const double *px = REAL(x), *plo = REAL(lower), *pup = REAL(upper);

    const char *labels[] = {"at_bound", "kkt", "kkt_error", "scale", "values", "vectors",
                            "uncertainty", "sign", "cov", "newton", "newton_z",
                            "newton_error", "scaled_gradient", "flags", "kkt_violated",
                            "off_optimum"};
    SEXP res = PROTECT(hc_named_list(labels, 16));

    /* 1. Scale of each parameter: sqrt|H_ii|, or its error if that is larger (a parameter
     * fn does not depend on keeps scale 1 and shows up as a zero eigenvalue). */
    double *d = (double *) R_alloc(n, sizeof(double));
    for (int i = 0; i < n; i++) {
        size_t ii = i + (size_t) i * n;
        d[i] = sqrt(fmax(fabs(ph[ii]), pe[ii]));
        if (!(d[i] > 0.0) || !R_FINITE(d[i])) d[i] = 1.0;
    }

    /* 2. Bounds: distance to the nearest bound in units of 1/sqrt|H_ii|. For a parameter
     * on a bound, the KKT condition: fn must not decrease into the interior. The measure is
     * the gradient into the interior in the same units (negative = violated). */
    int *pb = INTEGER(hc_new_elt(res, 0, INTSXP, n, -1));
    double *pkkt = REAL(hc_new_elt(res, 1, REALSXP, n, -1));
    double *pkkte = REAL(hc_new_elt(res, 2, REALSXP, n, -1));
    int *pkv = LOGICAL(hc_new_elt(res, 14, LGLSXP, n, -1));
    int nfree = 0, nbound = 0, kkt_bad = 0;
    int *idx = (int *) R_alloc(n, sizeof(int));
    for (int i = 0; i < n; i++) {
        double dl = (px[i] - plo[i]) * d[i], du = (pup[i] - px[i]) * d[i];
        pb[i] = dl <= tol_bound ? -1 : (du <= tol_bound ? 1 : 0);
        pkv[i] = 0;
        if (pb[i] == 0) {
            idx[nfree++] = i;
            pkkt[i] = pkkte[i] = NA_REAL;
        } else {
            nbound++;
            pkkt[i] = -pb[i] * pg[i] / d[i];   /* slope into the interior */
            pkkte[i] = pge[i] / d[i];
            pkv[i] = pkkt[i] < 0.0 && significant(pkkt[i], pkkte[i], tol_step);
            kkt_bad |= pkv[i];
        }
    }

    /* 3. Scaled Hessian of the free parameters and its eigen-decomposition. */
    int k = nfree;
    double *psc = REAL(hc_new_elt(res, 3, REALSXP, k, -1));
    double *pw = REAL(hc_new_elt(res, 4, REALSXP, k, -1));
    double *pz = REAL(hc_new_elt(res, 5, REALSXP, k, k));
    double *pu = REAL(hc_new_elt(res, 6, REALSXP, k, -1));
    int *psg = INTEGER(hc_new_elt(res, 7, INTSXP, k, -1));
    double *a = (double *) R_alloc((size_t) k * k + 1, sizeof(double));
    double *es = (double *) R_alloc((size_t) k * k + 1, sizeof(double));
    for (int q = 0; q < k; q++) {
        psc[q] = d[idx[q]];
        for (int p = 0; p < k; p++) {
            size_t src = idx[p] + (size_t) idx[q] * n;
            double s = d[idx[p]] * d[idx[q]];
            a[p + (size_t) q * k] = ph[src] / s;
            es[p + (size_t) q * k] = pe[src] / s;
        }
    }
    if (k > 0) sym_eigen(k, a, pw, pz);

    /* 4. Sign of each eigenvalue against its uncertainty |v|' |E_s| |v| (first-order
     * perturbation bound, Weyl / Bauer-Fike for symmetric matrices) and a relative floor. */
    double lmax = 0.0;
    for (int q = 0; q < k; q++) lmax = fmax(lmax, fabs(pw[q]));
    int nneg = 0, nzero = 0, npos = 0;
    double lmin_pos = HUGE_VAL, rel_unc = 0.0;
    for (int q = 0; q < k; q++) {
        const double *v = pz + (size_t) q * k;
        double u = 0.0;
        for (int p = 0; p < k; p++)
            for (int r = 0; r < k; r++) u += fabs(v[p]) * es[p + (size_t) r * k] * fabs(v[r]);
        pu[q] = u;
        int s;
        if (fabs(pw[q]) <= fmax(u, tol_zero * lmax)) s = HC_ZERO;
        else s = pw[q] < 0.0 ? HC_NEGATIVE : HC_POSITIVE;
        psg[q] = s;
        if (s == HC_NEGATIVE) nneg++;
        else if (s == HC_ZERO) nzero++;
        else {
            npos++;
            lmin_pos = fmin(lmin_pos, pw[q]);
            rel_unc = fmax(rel_unc, u / pw[q]);
        }
    }

    /* 5. Covariance (inverse Hessian, scaled back) where positive definite; the Newton
     * step to the optimum this Hessian predicts and its size in standard errors. */
    double *pnt = REAL(hc_new_elt(res, 9, REALSXP, k, -1));
    double *pnz = REAL(hc_new_elt(res, 10, REALSXP, k, -1));
    double *pnze = REAL(hc_new_elt(res, 11, REALSXP, k, -1));
    int *poff = LOGICAL(hc_new_elt(res, 15, LGLSXP, k, -1));
    double *gs = (double *) R_alloc(k + 1, sizeof(double));
    double *gse = (double *) R_alloc(k + 1, sizeof(double));
    for (int p = 0; p < k; p++) {
        gs[p] = pg[idx[p]] / d[idx[p]];    /* gradient in scaled coordinates */
        gse[p] = pge[idx[p]] / d[idx[p]];
    }
    int pd = k > 0 && npos == k;
    double scgrad = NA_REAL;
    int not_stat = 0;
    if (pd) {
        double *pc = REAL(hc_new_elt(res, 8, REALSXP, k, k));
        /* C_s = V diag(1/lambda) V'; C = D^-1 C_s D^-1. */
        for (int q = 0; q < k; q++) {
            for (int p = 0; p <= q; p++) {
                double s = 0.0;
                for (int r = 0; r < k; r++)
                    s += pz[p + (size_t) r * k] * pz[q + (size_t) r * k] / pw[r];
                pc[p + (size_t) q * k] = pc[q + (size_t) p * k] = s;
            }
        }
        for (int p = 0; p < k; p++) {
            double s = 0.0, se = 0.0, sep = sqrt(pc[p + (size_t) p * k]);
            for (int r = 0; r < k; r++) {
                s -= pc[p + (size_t) r * k] * gs[r];
                se += fabs(pc[p + (size_t) r * k]) * gse[r];
            }
            pnt[p] = s / d[idx[p]];
            pnz[p] = s / sep;
            pnze[p] = se / sep;
        }
        for (int q = 0; q < k; q++)
            for (int p = 0; p < k; p++)
                pc[p + (size_t) q * k] /= d[idx[p]] * d[idx[q]];
        /* lme4's scaled gradient: solve(chol(H), g), the gradient in the metric of H. */
        int info;
        for (int q = 0; q < k; q++)
            for (int p = 0; p < k; p++)
                a[p + (size_t) q * k] = ph[idx[p] + (size_t) idx[q] * n];
        F77_CALL(dpotrf)("U", &k, a, &k, &info FCONE);
        if (info == 0) {
            double *y = gse;   /* reuse: gse is no longer needed */
            scgrad = 0.0;
            for (int p = k - 1; p >= 0; p--) {
                double s = pg[idx[p]];
                for (int r = p + 1; r < k; r++) s -= a[p + (size_t) r * k] * y[r];
                y[p] = s / a[p + (size_t) p * k];
                scgrad = fmax(scgrad, fabs(y[p]));
            }
        }
    } else {
        /* Without a positive definite Hessian, the gradient in units of 1/sqrt|H_ii|. */
        for (int p = 0; p < k; p++) {
            pnt[p] = NA_REAL;
            pnz[p] = -gs[p];
            pnze[p] = gse[p];
        }
    }
    for (int p = 0; p < k; p++) {
        poff[p] = significant(pnz[p], pnze[p], tol_step);
        not_stat |= poff[p];
    }
    SET_VECTOR_ELT(res, 12, Rf_ScalarReal(scgrad));

    /* 6. Flags. The caller orders them by seriousness for the verdict. */
    const char *flag_names[] = {"minimum", "maximum", "saddle", "singular",
                                "ill_conditioned", "not_stationary", "at_bound"};
    SEXP flags = hc_new_elt(res, 13, LGLSXP, 7, -1);
    hc_set_names(flags, flag_names, 7);
    int *pf = LOGICAL(flags);
    double cond = npos > 0 ? lmax / lmin_pos : HUGE_VAL;
    pf[0] = pd;
    pf[1] = k > 0 && nneg == k;
    pf[2] = nneg > 0 && nneg < k;
    pf[3] = nzero > 0;
    pf[4] = pd && (cond > tol_ill || rel_unc > 0.1);
    pf[5] = not_stat || kkt_bad;
    pf[6] = nbound > 0;
    UNPROTECT(1);
    return res;
}
