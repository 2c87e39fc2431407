/* The .Call entry point that assembles a Hessian: steps per parameter (steps.c), the
 * noise of fn, the diagonal and mixed differences (stencil.c), and for every element an
 * error bound made of truncation (measured between two steps), rounding (from the
 * measured noise) and, where a second estimate was made, their disagreement. */
#include <math.h>
#include <float.h>
#include <string.h>
#include "hesscheck.h"

#define HC_PAIR_SHRINK 0.5    /* pair step factor after a non-finite value */
#define HC_PAIR_TRIES 30
#define HC_PAIR_RISK 1e-7     /* a mixed element whose scaled error bound exceeds this
                                 share of the pair's smaller scaled curvature gets a second,
                                 diagonal-free estimate from the cross stencil */
#define HC_PAIR_VALLEY_MIN 1e-4
#define HC_PAIR_REFINE 6      /* tries with a shorter step for an unresolved parameter */
#define HC_PAIR_REFINE_RATIO 32.0
#define HC_SCALE_FLOOR 1e-8   /* diagonal scale: max(|H_ii|, this times the largest) */

/* f at x + t d (d along parameters i and j) for the offsets of a line stencil (central:
 * the axes' first four, t = 1, -1, 2, -2; one-sided: their six, t = 1, 2, 3, 4, 6, 8);
 * halves d after a non-finite value. */
static void line_values(hc_ctx *c, int i, int j, double *di, double *dj, int central,
                        double *v)
{
    int tries = 0, ok = 0, np = central ? 4 : hc_npoints(1, 0);
    while (!ok) {
        ok = 1;
        for (int k = 0; k < np && ok; k++) {
            double t = hc_offset(central ? 0 : 1, k, 1.0);
            c->xw[i] = c->x[i] + t * *di;
            c->xw[j] = c->x[j] + t * *dj;
            ok = hc_eval(c->f, c->xw, v + k);
        }
        if (!ok) {
            if (++tries > HC_PAIR_TRIES || ++c->nonfinite > 60) hc_signal(c->f, "nonfinite", c->xw);
            *di *= HC_PAIR_SHRINK;
            *dj *= HC_PAIR_SHRINK;
        }
        c->xw[i] = c->x[i];
        c->xw[j] = c->x[j];
    }
}

/* Second derivative of f along the line through x with direction (di, dj) (unit step in
 * t), with its truncation (stencil.c's model, calibrated by rho) and rounding bounds. */
static void line_d2(hc_ctx *c, const double *v, int central, double rho, double *est,
                    double *trunc, double *round)
{
    hc_est r;
    hc_d2_line(v, c->f0, central, &r);
    double e = fmax(c->noise, 2.0 * DBL_EPSILON * fabs(c->f0));
    for (int k = 0; k < (central ? 4 : hc_npoints(1, 0)); k++)
        e = fmax(e, 2.0 * DBL_EPSILON * fabs(v[k]));
    if (central) {
        *est = r.est;
        *round = r.rcoef * e;
        *trunc = hc_line_trunc(&r, central, rho, e);
    } else {
        /* two steps of its own, as on the axes */
        *est = r.ext;
        *round = r.ext_rcoef * e;
        *trunc = r.ext_trunc;
    }
}

/* The scale of parameter i's curvature: |H_ii|, at least HC_SCALE_FLOOR of the largest. */
static double diag_scale(const hc_axis *ax, int i, double hmax)
{
    return fmax(fabs(ax[i].est), HC_SCALE_FLOOR * hmax);
}

/* H_ij from the second derivative along d = (d_i, d_j): d' H d = d_i^2 H_ii + 2 d_i d_j H_ij
 * + d_j^2 H_jj (four evaluations, central, inheriting the diagonal's error); where that
 * error bound is large or the pair nearly collinear, also from the cross stencil along d
 * and d' = (d_i, -d_j): H_ij = (d'H d - d'' H d'') / (4 d_i d_j), diagonal-free (four more).
 * The two estimates' disagreement beyond their bounds widens the error reported. */
static void mixed_once(hc_ctx *c, const hc_axis *ax, int i, int j, double hmax,
                       double di, double dj, double *hij, double *eij, int *nsecond)
{
    int central = ax[i].side == 0 && ax[j].side == 0;
    double v[HC_NPTS_MAX];
    if (!central) {
        /* One-sided along the diagonal, t = 1..8, into the side with room. */
        int si = ax[i].side, sj = ax[j].side;
        if (!si) si = ax[i].up - c->x[i] >= c->x[i] - ax[i].lo ? 1 : -1;
        if (!sj) sj = ax[j].up - c->x[j] >= c->x[j] - ax[j].lo ? 1 : -1;
        di *= si;
        dj *= sj;
    }
    double rho = fmax(ax[i].rho, ax[j].rho);
    if (!central) {
        /* the one-sided line reaches 8 d: half the step of a central axis (room 4 h) */
        if (ax[i].side == 0) di *= 0.5;
        if (ax[j].side == 0) dj *= 0.5;
    }
    line_values(c, i, j, &di, &dj, central, v);
    double s, ts, rs;
    line_d2(c, v, central, rho, &s, &ts, &rs);
    double ci = di * di * ax[i].est, cj = dj * dj * ax[j].est;
    double den = 2.0 * di * dj;
    double p = (s - ci - cj) / den;
    double ep = (ts + rs + di * di * (ax[i].trunc + ax[i].round) +
                 dj * dj * (ax[j].trunc + ax[j].round)) / fabs(den);
    *hij = p;
    *eij = ep;
    double sc = sqrt(diag_scale(ax, i, hmax) * diag_scale(ax, j, hmax));
#ifdef HC_DEBUG

#endif
    /* What matters for the standard errors is the error against the smaller curvature
     * of the pair: the ratio of the smaller to the larger |eigenvalue| of the scaled
     * 2 x 2 block (1 - |scaled H_ij| for a positive definite one). */
    double a = ax[i].est / diag_scale(ax, i, hmax), b = ax[j].est / diag_scale(ax, j, hmax);
    double rr = p / sc, mid = 0.5 * (a + b), rad = sqrt(0.25 * (a - b) * (a - b) + rr * rr);
    double lmax = fabs(mid) + rad, lmin = fabs(fabs(mid) - rad);
    double valley = fmax(lmax > 0.0 ? lmin / lmax : 1.0, HC_PAIR_VALLEY_MIN);
#ifdef HC_DEBUG
    Rprintf("pair %d %d p %g ep/sc %g valley %g ts %g rs %g prop %g\n", i, j, p, ep / sc, valley, ts / fabs(den), rs / fabs(den), ep - (ts + rs) / fabs(den));
#endif
    /* The cross shares the pair's own rounding: it helps only where the diagonal's
     * errors or the truncation dominate. */
    double own = rs / fabs(den);
    if (!central || !(ep > HC_PAIR_RISK * valley * sc) || !(ep - own > own)) return;

    /* The second opinion: the cross, with the same steps along d' = (d_i, -d_j). */
    double w[4], ei = di, ej = -dj;
    line_values(c, i, j, &ei, &ej, 1, w);
    double s2, ts2, rs2;
    line_d2(c, w, 1, rho, &s2, &ts2, &rs2);
    if (ei != di) {
        /* d' was shrunk by a non-finite value: redo d at the same steps for the cross. */
        di = ei;
        dj = -ej;
        line_values(c, i, j, &di, &dj, 1, v);
        line_d2(c, v, 1, rho, &s, &ts, &rs);
    }
    (*nsecond)++;
    double dx = 4.0 * di * dj;
    double q = (s - s2) / dx, eq = (ts + rs + ts2 + rs2) / fabs(dx);
    double best = eq <= ep ? q : p, ebest = fmin(eq, ep);
    if (fabs(q - p) > eq + ep) ebest += fabs(q - p);
    *hij = best;
    *eij = ebest;
}

/* H_ij with the axes' steps; where a parameter's curvature was not resolved its step
 * may have grown to HC_FLAT_CAP, far past the polynomial range of the pair, so the pair
 * tries that step shortened by HC_PAIR_REFINE_RATIO (up to HC_PAIR_REFINE times) while its
 * error bound falls, and keeps the best. */
static void mixed_f(hc_ctx *c, const hc_axis *ax, int i, int j, double hmax,
                    double *hij, double *eij, int *nsecond)
{
    double di = ax[i].h, dj = ax[j].h;
    mixed_once(c, ax, i, j, hmax, di, dj, hij, eij, nsecond);
    int fi = !ax[i].resolved, fj = !ax[j].resolved;
    if (!(fi || fj)) return;
    double sc = sqrt(diag_scale(ax, i, hmax) * diag_scale(ax, j, hmax));
    for (int k = 0; k < HC_PAIR_REFINE && *eij > HC_PAIR_RISK * sc; k++) {
        if (fi) di = hc_exact_step(c->x[i], di / HC_PAIR_REFINE_RATIO);
        if (fj) dj = hc_exact_step(c->x[j], dj / HC_PAIR_REFINE_RATIO);
        double h2, e2;
        mixed_once(c, ax, i, j, hmax, di, dj, &h2, &e2, nsecond);
        if (!(e2 < *eij)) break;
        *hij = h2;
        *eij = e2;
    }
}

/* f mode: the gradient component i from the accepted stencil of axis i, at no cost. */
static void gradient_f(const hc_ctx *c, const hc_axis *ax, double *gi, double *gerr)
{
    double e = fmax(c->noise, ax->rfloor);
    *gi = ax->g;
    *gerr = ax->gtrunc + ax->grcoef * e;
}

/* g mode: column i of the Jacobian of gr, its truncation and rounding, from c->vals. */
static void column_g(hc_ctx *c, const hc_axis *ax, int i, double *col, double *err)
{
    int n = c->n, np = hc_npoints(ax->side, 1);
    for (int j = 0; j < n; j++) {
        hc_est r;
        if (ax->side == 0) hc_d1_central(c->vals + j, n, ax->h, &r);
        else hc_d1_forward(c->vals + j, n, c->g0[j], ax->side * ax->h, &r);
        col[j] = r.ext;
        double mag = fabs(c->g0[j]);
        for (int k = 0; k < np; k++) mag = fmax(mag, fabs(c->vals[(size_t) k * n + j]));
        /* the floor sqrt(F |H_jj|) is applied once the diagonal is known */
        err[j] = r.ext_trunc;
        col[n + j] = r.ext_rcoef;   /* scratch: rounding per unit noise */
        col[2 * n + j] = 2.0 * DBL_EPSILON * mag;
    }
    (void) i;
}

/* The first trial step for parameter i: the user's, or hc_first_step() moved by the
 * geometric mean of how far the searches of the parameters before it moved theirs (on
 * problems whose parameters share a scale, or a noise level, that saves most moves; the
 * search corrects it where they do not). */
static double first_step(const hc_ctx *c, const hc_axis *ax, int i, const double *user)
{
    if (user) return user[i];
    double h0 = hc_first_step(c->x[i], c->g != NULL);
    if (i == 0) return h0;
    double s = 0.0;
    for (int k = 0; k < i; k++) s += log(ax[k].h / hc_first_step(c->x[k], c->g != NULL));
    return h0 * exp(s / i);
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
    c.noise = noise_given ? REAL(noise_s)[0] : 0.0;
    c.gnoise = NULL;
    c.max_search = max_search;
    c.nonfinite = 0;
    c.xw = (double *) R_alloc(n, sizeof(double));
    memcpy(c.xw, c.x, n * sizeof(double));
    c.vals = (double *) R_alloc((size_t) HC_NPTS_MAX * c.m, sizeof(double));
    c.trial = (double *) R_alloc((size_t) HC_NPTS_MAX * c.m, sizeof(double));
    c.cv = (double *) R_alloc((size_t) HC_CACHE * c.m, sizeof(double));
    c.cn = 0;
    hc_axis *ax = (hc_axis *) R_alloc(n, sizeof(hc_axis));
    const double *user_step = Rf_isNull(step_s) ? NULL : REAL(step_s);

    const char *labels[] = {"hessian", "error", "step", "side", "resolved", "noise",
                            "evaluations", "gradient", "gradient_error", "second", "status"};
    SEXP res = PROTECT(hc_named_list(labels, 11));
    double *ph = REAL(hc_new_elt(res, 0, REALSXP, n, n));
    double *pe = REAL(hc_new_elt(res, 1, REALSXP, n, n));
    double *pg = REAL(hc_new_elt(res, 7, REALSXP, n, -1));
    double *pge = REAL(hc_new_elt(res, 8, REALSXP, n, -1));
    int nsecond = 0;
    double sigma = 0.0;
    int inform = 0;

    if (!gmode) {
        /* 1. Noise, measured first so that the steps are chosen for it. 2. Steps and
         *    diagonal. */
        if (!noise_given && n > 1) {
            hc_probe_axes(&c, user_step, ax);
            sigma = hc_noise(&c, ax, &inform);
            c.noise = sigma;
        }
        for (int i = 0; i < n; i++)
            hc_tune_axis(&c, i, first_step(&c, ax, i, user_step), user_step == NULL, ax + i);
        double hmax = 0.0;
        for (int i = 0; i < n; i++) {
            ax[i].round = ax[i].rcoef * fmax(c.noise, ax[i].rfloor);
            ph[i + (size_t) i * n] = ax[i].est;
            pe[i + (size_t) i * n] = ax[i].trunc + ax[i].round;
            gradient_f(&c, ax + i, pg + i, pge + i);
            hmax = fmax(hmax, fabs(ax[i].est));
        }
        /* 3. Mixed elements. */
        for (int j = 1; j < n; j++) {
            for (int i = 0; i < j; i++) {
                double hij, eij;
                mixed_f(&c, ax, i, j, hmax, &hij, &eij, &nsecond);
                ph[i + (size_t) j * n] = ph[j + (size_t) i * n] = hij;
                pe[i + (size_t) j * n] = pe[j + (size_t) i * n] = eij;
            }
        }
    } else {
        c.gnoise = (double *) R_alloc(n, sizeof(double));
        for (int i = 0; i < n; i++) c.gnoise[i] = 0.0;
        double *tmp = (double *) R_alloc(3 * (size_t) n, sizeof(double));
        double *terr = (double *) R_alloc((size_t) n * n, sizeof(double));
        double *fl = (double *) R_alloc((size_t) n * n, sizeof(double));
        /* 1. The noise of each component of gr (cancellation inside gr included).
         * 2. Steps, from the columns' diagonal elements, and the columns. */
        hc_probe_axes(&c, user_step, ax);
        hc_gnoise(&c, ax);
        for (int i = 0; i < n; i++) {
            hc_tune_axis(&c, i, first_step(&c, ax, i, user_step), user_step == NULL, ax + i);
            column_g(&c, ax + i, i, tmp, terr + (size_t) i * n);
            for (int j = 0; j < n; j++) {
                ph[j + (size_t) i * n] = tmp[j];
                fl[j + (size_t) i * n] = tmp[2 * n + j];
            }
        }
        for (int i = 0; i < n; i++) {
            pg[i] = c.g0[i];
            pge[i] = c.gnoise[i];
        }
        /* Element (j, i): truncation + rounding of gr_j (its measured noise, at least eps
         * times its terms and sqrt(F |H_jj|)); then symmetrise, the two columns' estimates
         * being each other's second opinion: their disagreement counts in the error. */
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                size_t ji = j + (size_t) i * n;
                double hjj = fabs(ph[j + (size_t) j * n]);
                double e = fmax(fmax(c.gnoise[j], fl[ji]),
                                2.0 * DBL_EPSILON * sqrt(c.fscale * hjj));
                terr[ji] += ax[i].rcoef * e;
            }
        }
        for (int j = 0; j < n; j++) {
            for (int i = 0; i <= j; i++) {
                size_t ij = i + (size_t) j * n, ji = j + (size_t) i * n;
                double a = ph[ij], b = ph[ji];
                double ea = terr[ij], eb = terr[ji];
                double err = 0.5 * (ea + eb);
                if (fabs(a - b) > ea + eb) err += 0.5 * fabs(a - b);
                else err = fmax(err, 0.5 * fabs(a - b));
                ph[ij] = ph[ji] = 0.5 * (a + b);
                pe[ij] = pe[ji] = err;
            }
        }
    }

    double *pstep = REAL(hc_new_elt(res, 2, REALSXP, n, -1));
    int *pside = INTEGER(hc_new_elt(res, 3, INTSXP, n, -1));
    int *pres = LOGICAL(hc_new_elt(res, 4, LGLSXP, n, -1));
    int *pstat = INTEGER(hc_new_elt(res, 10, INTSXP, n, -1));
    for (int i = 0; i < n; i++) {
        pstep[i] = ax[i].h;
        pside[i] = ax[i].side;
        pres[i] = ax[i].resolved;
        pstat[i] = ax[i].status;
    }
    double *pn = REAL(hc_new_elt(res, 5, REALSXP, 3, -1));
    pn[0] = c.noise;
    pn[1] = sigma;
    pn[2] = inform;
    double *pev = REAL(hc_new_elt(res, 6, REALSXP, 2, -1));
    pev[0] = f.count;
    pev[1] = gmode ? g.count : 0;
    INTEGER(hc_new_elt(res, 9, INTSXP, 1, -1))[0] = nsecond;
    UNPROTECT(1);
    return res;
}
