/* Step selection per parameter and the one rule for non-finite values (the noise of fn
 * and gr: noise.c).
 *
 * Steps are powers of two no smaller than the spacing of doubles near the stencil, so that
 * every point x + k h is exact and the step the formula uses is the step fn saw (a step
 * lost in rounding cannot happen). On each trial step the stencil gives the estimate at h
 * and at 2h (stencil.c); their difference measures the truncation, and fn's noise
 * bounds the rounding. The step then moves by the factor that minimises the modelled error
 * E(r) = T r^p + N r^-k (T, N: truncation and rounding now; p the order of the formula,
 * k that of the derivative): never from the size of the curvature or of |f|. Where the
 * estimate stays inside its rounding, the step grows until it resolves, but never past
 * where fn stops behaving like a polynomial along the axis (the first derivative's two
 * estimates disagree) nor beyond HC_FLAT_CAP; the best stencil seen is kept. */
#include <math.h>
#include <float.h>
#include <string.h>
#include "hesscheck.h"

/* First trial step, relative to |x| (or absolute at 0): near the optimum for a parameter
 * whose scale is |x|. */
#define HC_H0_REL_F 5e-3
#define HC_H0_REL_G 2e-3
#define HC_RESOLVE_TARGET 64.0  /* an unresolved step grows to a difference this many e */
#define HC_JUMP_MAX 1099511627776.0  /* 2^40: largest move in one search step */
#define HC_GROW_UNSEEN 4.0      /* growth when no truncation is seen above the noise */
#define HC_GROW_SLOPE 16.0      /* largest growth of an unresolved step while the first
                                   derivative is resolved (the polynomial range is unknown) */
#define HC_STEP_MIN 1e-150      /* smallest step: h^2 stays a normal number */
#define HC_CREDIBLE 0.25        /* two steps disagreeing, beyond the noise, by more than
                                   this share of the estimate: outside the polynomial
                                   range, its bound means nothing */
#define HC_GARBAGE_SHRINK (1.0 / 1024.0)   /* the least shrink of such a step */
#define HC_RHO_NOISY 0.1       /* second correction over the first (rho) beyond which a
                                   stencil's differences look like noise, not truncation */
#define HC_RHO_ONESIDED 0.3     /* the same of a one-sided stencil, for its asymptotic
                                   range */
#define HC_NOISE_LIKE 1e-4      /* such a disagreement below this share of the estimate is
                                   noise, not truncation */
#define HC_CONSIST_BELOW 0.25   /* the consistency check compares steps from this share
                                   of the accepted one upwards */
#define HC_GOOD_F 1e-8          /* relative error at which a step is kept without moving */
#define HC_GOOD_G 4e-10
#define HC_ODD_FAR 1e6         /* odd_excess beyond which the slope's two estimates differ
                                   by 1e-3 of it: a step far outside the polynomial range */
#define HC_TAU_ODD 1e-9         /* relative disagreement of the first derivative's two
                                   estimates (or the column's, with gr) beyond which fn is
                                   no longer polynomial at the step: do not grow further */
#define HC_STAIR 1e3            /* a flat stencil where the slope predicts this many
                                   rounding units of change is a staircase */
#define HC_FLAT_CAP 1024.0      /* an unresolved step stops at this times max(|x|, 1) */
#define HC_RESOLVED_CAP 0.25    /* a resolved one grows no further than this times it */
#define HC_STEP_MAX 1e300
#define HC_WALL 0.9             /* a non-finite value at offset t narrows the room to 0.9 t */
/* The power of two nearest h (in ratio) that keeps x + k h exact for |k| <= 8. */
double hc_exact_step(double x, double h)
{
    int e;
    if (!(h > HC_STEP_MIN) || !R_FINITE(h)) h = HC_STEP_MIN;
    if (h > HC_STEP_MAX) h = HC_STEP_MAX;
    frexp(h, &e);
    double p = ldexp(0.5, e);     /* the power of two <= h */
    if (h / p > M_SQRT2) p *= 2.0;
    for (int k = 0; k < 3; k++) p = fmax(p, hc_ulp_above(fabs(x) + 8.0 * p));
    return p;
}

/* The largest power of two <= h that keeps x + k h exact, or 0 if there is none. */
static double exact_step_below(double x, double h)
{
    int e;
    if (!(h >= HC_STEP_MIN)) return 0.0;
    frexp(h, &e);
    double p = ldexp(0.5, e);
    return p >= hc_ulp_above(fabs(x) + 8.0 * p) ? p : 0.0;
}

/* The first trial step: HC_H0_REL of |x|, the parameter's own scale as its value shows
 * it (a rate of 1e-5 changes fn on a scale of 1e-5, not of 1), or of 1 at x = 0. Where
 * fn says otherwise the search moves: far outside the polynomial range it shrinks by
 * HC_GARBAGE_SHRINK at least, lost in the rounding it jumps to max(|x|, 1) (a variance
 * of 1e-60 on the scale 1). Starting small is the honest side: a step too short is seen
 * (its estimate stays inside its rounding); one too long can hide what fn does on the
 * parameter's own scale (a term cos(x / s) under a large quadratic looks polynomial). */
double hc_first_step(double x, int gmode)
{
    double a = fabs(x);
    return (gmode ? HC_H0_REL_G : HC_H0_REL_F) * (a > 0.0 ? a : 1.0);
}

/* Central if the stencil (+-4h) fits inside [lo, up]. Otherwise the better of a central
 * stencil shrunk to fit and a one-sided one (to 8h) towards the side with more room,
 * judged by their rounding errors, sum|c| / h^k. Returns the side, 2 if neither fits. */
int hc_choose_side(double x, double lo, double up, int gmode, double *h)
{
    double rup = up - x, rlo = x - lo;
    if (4.0 * *h <= fmin(rup, rlo)) return 0;
    int s = hc_room_side(x, lo, up);
    double hc = exact_step_below(x, fmin(rup, rlo) / 4.0);
    double ho = exact_step_below(x, fmin(*h, (s > 0 ? rup : rlo) / 8.0));
    if (hc == 0.0 && ho == 0.0) return 2;
    double k = gmode ? 1.0 : 2.0;
    double rc = (gmode ? 1.5 : 16.0 / 3.0) / pow(hc, k);
    double ro = (gmode ? 20.0 / 3.0 : 80.0 / 3.0) / pow(ho, k);
    int central = hc > 0.0 && (ho == 0.0 || rc <= ro);
    *h = central ? hc : ho;
    return central ? 0 : s;
}

/* The one rule for a non-finite value met at offset off along parameter i: the place is
 * treated as a wall (the room shrinks to HC_WALL of the offset), so that the next stencil
 * is shorter or turns away from it. Signals "nonfinite" after HC_MAX_NONFINITE such
 * values in one call. Returns 0 if no room is left on either side. */
int hc_wall(hc_ctx *c, hc_fun *f, double off, double *lo, double *up, int i)
{
    if (++c->nonfinite > HC_MAX_NONFINITE) {
        c->xw[i] = c->x[i] + off;
        hc_signal(f, "nonfinite", c->xw);
    }
    if (off > 0) *up = fmin(*up, c->x[i] + HC_WALL * off);
    else *lo = fmax(*lo, c->x[i] + HC_WALL * off);
    return *up > c->x[i] || *lo < c->x[i];
}

static double max_abs(const double *v, int np, int stride, double start)
{
    double a = start;
    for (int k = 0; k < np; k++) a = fmax(a, fabs(v[(size_t) k * stride]));
    return a;
}

/* Rounding floor of one value of gr_j: eps times the size of its terms, at least
 * sqrt(F |H_jj|) near a stationary point (where gr is small but its terms are not). */
static double gfloor(const hc_ctx *c, int j, const double *v, int np, double hjj)
{
    double mag = max_abs(v + j, np, c->m, fabs(c->g0[j]));
    return hc_round_floor(fmax(mag, sqrt(c->fscale) * sqrt(fabs(hjj))));
}

/* A kink at x along the axis (central stencils). The second derivative jumps: the
 * one-sided second derivatives from the right and from the left, each extrapolated from
 * steps h and 2h (first order: r(s) = (f0 - 2 f(s) + f(2s)) / s^2 = f2 + s f3 + ..., so
 * 2 r(h) - r(2h) with bound |r(h) - r(2h)|), disagree beyond twice their bounds and
 * their rounding (coefficients (2 * 4 + 1) / h^2 per unit of noise each); with gr, the
 * same of gr_i's one-sided first differences (rounding (2 * 2 + 1) / h). Returns the
 * jump (0 if none), the one-sided values in *right and *left. Meaningful only within the
 * polynomial range (a credible stencil): far outside it a smooth fn's sides differ too. */
#define HC_KINK_SAFETY 2.0
static double kink_jump(const hc_ctx *c, int i, double h, const double *v, double e,
                        double *right, double *left)
{
    double r1, r2, l1, l2, rc;
    if (!c->g) {
        double f0 = c->f0, h2 = h * h;
        r1 = (f0 - 2.0 * v[0] + v[2]) / h2;
        r2 = (f0 - 2.0 * v[2] + v[4]) / (4.0 * h2);
        l1 = (f0 - 2.0 * v[1] + v[3]) / h2;
        l2 = (f0 - 2.0 * v[3] + v[5]) / (4.0 * h2);
        rc = 9.0 / h2;
    } else {
        int m = c->m;
        double g0 = c->g0[i];
        r1 = (v[i] - g0) / h;
        r2 = (v[2 * m + i] - g0) / (2.0 * h);
        l1 = (g0 - v[m + i]) / h;
        l2 = (g0 - v[3 * m + i]) / (2.0 * h);
        rc = 5.0 / h;
    }
    *right = 2.0 * r1 - r2;
    *left = 2.0 * l1 - l2;
    double bound = HC_KINK_SAFETY * (fabs(r1 - r2) + fabs(l1 - l2) + 2.0 * rc * e);
    double jump = fabs(*right - *left);
    return jump > bound ? jump : 0.0;
}

/* fn itself kinked at x (its slope jumps, as |x| at 0): the central second differences
 * grow as 1 / s, D(h) : D(2h) : D(4h) = 4 : 2 : 1, well above their rounding (f mode;
 * with gr the first differences of gr_i do the same). A smooth fn that looks like |x|
 * at a step far beyond its own scale does so too, so this is only concluded where no step
 * the search measured was credible and resolved (the smooth range) and most of those
 * whose differences stand above the rounding (at least two) show it. Returns 1 (kink), 0 (none) or -1 (lost in the rounding). */
static int slope_kink(const hc_ctx *c, int i, double h, const double *v, double e)
{
    double d1, d2, d4, rc;
    if (!c->g) {
        double f0 = c->f0, h2 = h * h;
        d1 = (v[0] + v[1] - 2.0 * f0) / h2;
        d2 = (v[2] + v[3] - 2.0 * f0) / (4.0 * h2);
        d4 = (v[4] + v[5] - 2.0 * f0) / (16.0 * h2);
        rc = 4.0 / (16.0 * h2);
    } else {
        int m = c->m;
        d1 = (v[i] - v[m + i]) / (2.0 * h);
        d2 = (v[2 * m + i] - v[3 * m + i]) / (4.0 * h);
        d4 = (v[4 * m + i] - v[5 * m + i]) / (8.0 * h);
        rc = 2.0 / (8.0 * h);
    }
    if (!(fabs(d4) > 100.0 * rc * e)) return -1;   /* lost in the rounding: no opinion */
    return d1 / d2 > 1.8 && d1 / d2 < 2.2 && d2 / d4 > 1.8 && d2 / d4 < 2.2;
}

static double odd_excess(const hc_ctx *c, const hc_axis *ax);
static double step_ratio(const hc_ctx *c, int i, const hc_axis *ax);

/* Estimates for parameter i from the stencil values v at step h. */
static void measure(const hc_ctx *c, int i, double h, int side, const double *v,
                    hc_axis *ax)
{
    int np = hc_npoints(side, c->g != NULL);
    hc_est e2;
    ax->h = h;
    ax->side = side;
    ax->gtau = 0.0;
    ax->slope = 0;
    if (!c->g) {
        hc_est e1;
        if (side == 0) {
            hc_d2_central(v, c->f0, h, &e2);
            hc_d1_central(v, 1, h, &e1);
        } else {
            hc_d2_forward(v, c->f0, side * h, &e2);
            hc_d1_forward(v, 1, c->f0, side * h, &e1);
        }
        ax->rfloor = hc_round_floor(max_abs(v, np, 1, fabs(c->f0)));
        ax->g = e1.ext;
        ax->gtrunc = e1.ext_trunc;
        ax->grcoef = e1.ext_rcoef;
        double ef = fmax(c->noise, ax->rfloor);
        ax->slope = fabs(e1.est) > HC_RESOLVE * e1.rcoef * ef;
    } else {
        int m = c->m;
        if (side == 0) hc_d1_central(v + i, m, h, &e2);
        else hc_d1_forward(v + i, m, c->g0[i], side * h, &e2);
        ax->rfloor = gfloor(c, i, v, np, e2.est);
        /* The column's other elements must be polynomial at this step too. */
        for (int j = 0; j < c->n; j++) {
            if (j == i) continue;
            hc_est ej;
            if (side == 0) hc_d1_central(v + j, m, h, &ej);
            else hc_d1_forward(v + j, m, c->g0[j], side * h, &ej);
            double ej_round = ej.rcoef * fmax(c->gnoise[j], gfloor(c, j, v, np, 0.0));
            double tj = fabs(ej.est - ej.alt);
            if (fabs(ej.est) > HC_RESOLVE * ej_round) {
                ax->slope = 1;
                if (tj > 2.0 * ej_round) ax->gtau = fmax(ax->gtau, tj / fabs(ej.est));
            }
        }
        ax->g = 0.0;
        ax->gtrunc = 0.0;
        ax->grcoef = 0.0;
    }
    double e = fmax(c->g ? c->gnoise[i] : c->noise, ax->rfloor);
    ax->est = e2.ext;
    ax->trunc = e2.ext_trunc;
    ax->rcoef = e2.ext_rcoef;
    ax->round = e2.ext_rcoef * e;
    double corr = fabs(e2.lo - e2.lo2);   /* the first correction */
    /* rho only where the first correction stands above its own noise. */
    double corr_noise = 2.0 * e2.rcoef * e;
    double trunc_net = fmax(0.0, ax->trunc - 1.25 * e2.rcoef * e);
    ax->rho = corr > 4.0 * corr_noise ? trunc_net / corr : -1.0;
    ax->resolved = fabs(e2.est) > HC_RESOLVE * ax->round;
    /* Far outside the polynomial range: the two steps disagree, beyond the noise, by a
     * good part of the estimate itself (or of the larger of the two). */
    ax->credible = !(trunc_net > HC_CREDIBLE * fmax(fabs(e2.est), fabs(e2.alt)));
    /* and in the asymptotic range, where the bound |est - alt| holds: the second
     * correction small against the first (at larger steps the extrapolation's own error
     * need not be below the difference of the two steps). A one-sided stencil's
     * corrections differ by one order of h, not two: its rho is larger there, and its
     * limit too. */
    ax->asymptotic = ax->credible &&
        !(ax->rho > (side == 0 ? HC_RHO_NOISY : HC_RHO_ONESIDED));
    ax->inconsistent = 0;
    ax->status = HC_OK;
    ax->slope_kink = side == 0 ? slope_kink(c, i, h, v, e) : -1;
    /* f mode, central: the fourth-order term q of D(s) = H_ii + q s^2 + r s^4 + ..., from
     * D(h) and D(2h), its error from the same at 2h and 4h and the rounding of the two
     * (check_fit's curved-ridge test) */
    ax->quartic = 0.0;
    ax->quartic_err = HUGE_VAL;
    if (!c->g && side == 0) {
        double h2 = h * h, d4 = ((v[4] - c->f0) + (v[5] - c->f0)) / (16.0 * h2);
        double q1 = (e2.lo2 - e2.lo) / (3.0 * h2), q2 = (d4 - e2.lo2) / (12.0 * h2);
        ax->quartic = q1;
        ax->quartic_err = fabs(q2 - q1) + 5.0 * e / (3.0 * h2 * h2);
    }
    ax->odd = odd_excess(c, ax);
    if (side == 0 && ax->credible) {
        double right, left;
        if (kink_jump(c, i, h, v, e, &right, &left) > 0.0) {
            /* no derivative at x: the bound covers both one-sided values */
            ax->trunc = fmax(ax->trunc, fmax(fabs(ax->est - right), fabs(ax->est - left)));
            ax->status = HC_KINK;
        }
    }
}

/* Whether fn's first derivative along the axis (or the column, with gr) is still
 * polynomial at this step: used to stop an unresolved step from growing. */
static double odd_excess(const hc_ctx *c, const hc_axis *ax)
{
    if (c->g) return ax->gtau / HC_TAU_ODD;
    double e = fmax(c->noise, ax->rfloor);
    double gt = ax->gtrunc - 2.0 * ax->grcoef * e;   /* beyond the noise */
    if (gt <= 0.0) return 0.0;
    /* relative to the first derivative, or to its change over the step at a stationary
     * point */
    return gt / (HC_TAU_ODD * fmax(fmax(fabs(ax->g), fabs(ax->est) * ax->h), DBL_MIN));
}

/* The power of two nearest r. */
static double snap2(double r)
{
    int e;
    frexp(r, &e);
    double p = ldexp(0.5, e);
    return r / p > M_SQRT2 ? 2.0 * p : p;
}

/* The factor by which to multiply the step. Truncation seen beyond the noise: shrink to
 * the step that balances it against the rounding (E(r) = T r^p + N r^-k), and far outside
 * the polynomial range (not credible) by HC_GARBAGE_SHRINK at least, or at once to the
 * parameter's relative scale HC_H0_REL |x| where that is smaller (a parameter much
 * smaller than 1 whose fn changes on its own scale: a rate near 0, a coefficient of a
 * cubic term). No truncation seen: grow, until the estimate stands above its rounding
 * or towards the accuracy aimed at. */
static double step_ratio(const hc_ctx *c, int i, const hc_axis *ax)
{
    double p = ax->side ? 3.0 : 4.0, k = c->g ? 1.0 : 2.0, r;
    double e = fmax(c->g ? c->gnoise[i] : c->noise, ax->rfloor);
    double N = ax->rcoef * e;
    /* |est - alt| carries the noise of both: at most (1 + 2^-k) N. */
    double T = ax->trunc - (1.0 + pow(2.0, -k)) * N;
    /* A disagreement of the two steps with second corrections as large as the first
     * (rho), yet small against the estimate: not truncation, which at steps where rho is
     * large is a good share of the estimate, but something the probe did not see moving
     * the values (an oscillation below the step). A longer step averages it out;
     * shrinking resolves it and leaves the smooth part behind. */
    int noise_like = ax->side == 0 && ax->rho > HC_RHO_NOISY &&
        ax->trunc < HC_NOISE_LIKE * fabs(ax->est);
    if (noise_like) T = 0.0;
    if (T > 0.0 && (ax->resolved || !ax->credible)) {
        r = pow(k * N / (p * T), 1.0 / (p + k));
        if (!ax->credible) {
            r = fmin(r, HC_GARBAGE_SHRINK);
            double hrel = (c->g ? HC_H0_REL_G : HC_H0_REL_F) * fabs(c->x[i]);
            if (hrel > 0.0 && hrel < r * ax->h) r = hrel / ax->h;
        }
    } else if (!ax->resolved) {
        /* Lost in the rounding: grow (the largest difference scales as h^k). */
        r = HC_JUMP_MAX;
        double est_scale = fabs(ax->est) * pow(ax->h, k);   /* in value units */
        if (est_scale > 0.0) r = pow(HC_RESOLVE_TARGET * e / est_scale, 1.0 / k);
        r = fmin(fmax(r, HC_GROW_UNSEEN), ax->slope ? HC_GROW_SLOPE : HC_JUMP_MAX);
        /* a parameter far smaller than its scale (a variance of 1e-60 on the scale 1):
         * at once to the unit scale, max(|x|, 1), which the search left untried */
        double hunit = (c->g ? HC_H0_REL_G : HC_H0_REL_F) * fmax(fabs(c->x[i]), 1.0);
        if (ax->h * r < hunit) r = hunit / ax->h;
    } else {
        /* No truncation seen: grow towards the accuracy aimed at (rounding falls as
         * h^-k), by HC_GROW_UNSEEN at least and HC_GROW_SLOPE at most. */
        double rel = fmax(N, noise_like ? ax->trunc : 0.0) / fmax(fabs(ax->est), DBL_MIN);
        r = pow(rel / (c->g ? HC_GOOD_G : HC_GOOD_F), 1.0 / k);
        r = fmin(fmax(r, HC_GROW_UNSEEN), HC_GROW_SLOPE);
        /* up to the next power of two: a step that just misses the accuracy costs one
         * more stencil, and no truncation was seen at this one */
        int e;
        if (frexp(r, &e) > 0.5) r = ldexp(1.0, e);
    }
    /* An unresolved estimate: grow only within the polynomial range of the slope. */
    double ex = ax->resolved ? 0.0 : odd_excess(c, ax);
    if (r > 1.0 && ex > 0.0) r = fmax(fmin(r, pow(1.0 / ex, 0.25)), 1.0);
    /* A resolved estimate whose slope is past its polynomial range grows towards its
     * accuracy only up to a share of the parameter's unit scale max(|x|, 1): beyond it a
     * stencil can average out what fn does on that scale (a term sin(x) under a large
     * quadratic) and still look polynomial. An unresolved one may grow further, to
     * HC_FLAT_CAP, to see any curvature at all. */
    double cap = (ax->resolved ? HC_RESOLVED_CAP : HC_FLAT_CAP) * fmax(fabs(c->x[i]), 1.0);
    if (r > 1.0 && ax->h * r > cap && (!ax->resolved || ax->odd > 1.0))
        r = fmax(cap / ax->h, 1.0);
    return snap2(fmax(r, 1.0 / HC_JUMP_MAX));
}

/* Total error of a resolved stencil relative to its estimate. */
static double rel_error(const hc_axis *a)
{
    return (a->trunc + a->round) / fabs(a->est);
}

/* Whether a is a better stencil than b: an asymptotic one (its bound holds) first, then a
 * credible one (within the polynomial range), then a resolved one; among resolved ones the
 * smaller relative error; among unresolved ones, one within the polynomial range of the
 * slope, then the smaller error. (A resolved step beyond the slope's polynomial range is
 * kept for the diagonal; the mixed elements then try shorter steps: hessian.c.) */
static int better(const hc_ctx *c, const hc_axis *a, const hc_axis *b)
{
    if (a->asymptotic != b->asymptotic) return a->asymptotic;
    if (a->credible != b->credible) return a->credible;
    if (a->resolved != b->resolved) return a->resolved;
    if (a->resolved) return rel_error(a) < rel_error(b);
    int oa = odd_excess(c, a) <= 1.0, ob = odd_excess(c, b) <= 1.0;
    if (oa != ob) return oa;
    return a->trunc + a->round < b->trunc + b->round;
}

/* Workspace of `count` searches (one allocation), for values of m doubles. */
hc_search *hc_alloc_slots(int count, int m)
{
    size_t per = (size_t) (HC_CACHE + 2 * HC_NPTS_MAX) * m;
    hc_search *s = (hc_search *) R_alloc(count, sizeof(hc_search));
    double *w = (double *) R_alloc(count * per, sizeof(double));
    for (int k = 0; k < count; k++) {
        s[k].cv = w + k * per;
        s[k].trial = s[k].cv + (size_t) HC_CACHE * m;
        s[k].vals = s[k].trial + (size_t) HC_NPTS_MAX * m;
    }
    return s;
}

/* Whether every value of the stencil equals fn(x) exactly. */
static int flat_stencil(const hc_ctx *c, int side, const double *v)
{
    int np = hc_npoints(side, 0);
    for (int k = 0; k < np; k++) if (v[k] != c->f0) return 0;
    return 1;
}

/* A staircase (fn piecewise constant, as with floor() or a table look-up): fn was exactly
 * flat at step h_flat although the slope the accepted (larger) step measured would have
 * changed it by HC_STAIR times its rounding there. The accepted stencil then saw the
 * stairs smoothed, not a derivative of fn at x: its error bounds cover the values. */
static void stair_check(const hc_ctx *c, const hc_search *s, hc_axis *ax)
{
    double h_flat = s->h_flat;
    double e = fmax(c->noise, hc_round_floor(c->f0));   /* at h_flat */
    /* the slope of the accepted stencil, or of the longer, not flat one the search saw
     * (where the accepted stencil is itself flat) */
    double g = fabs(ax->g), hs = ax->h;
    if (!(h_flat < hs) && s->h_moving > h_flat) {
        g = s->g_moving;
        hs = s->h_moving;
    }
    if (!(h_flat < hs) || !(g * h_flat > HC_STAIR * e)) return;
    ax->trunc += fmax(fabs(ax->est), s->est_moving);
    ax->gtrunc += g;
    ax->resolved = 0;
    ax->status = HC_STAIRS;
}

/* Stencil t (its step, side and estimates) as the search's k-th tried one. */
static void remember(hc_search *s, int k, const hc_axis *t)
{
    s->tried[k] = t->h;
    s->tried_side[k] = t->side;
    s->tried_est[k] = t->est;
    s->tried_trunc[k] = t->trunc;
    s->tried_rcoef[k] = t->rcoef;
    s->tried_rfloor[k] = t->rfloor;
    s->tried_rho[k] = t->rho;
    s->tried_cred[k] = (t->side == 0 ? t->credible : t->asymptotic) && t->status == HC_OK;
}

/* The bound of tried stencil t with the noise known now. */
static double tried_error(const hc_ctx *c, const hc_search *s, int t)
{
    return s->tried_trunc[t] + s->tried_rcoef[t] * fmax(c->noise, s->tried_rfloor[t]);
}

/* The accepted stencil against every other credible one of the search: where two
 * estimates at different steps disagree beyond their combined bounds, one of the bounds
 * is wrong (noise the probe did not see, a step outside the polynomial range that looked
 * inside it): the accepted bound is widened to cover the other's interval, and the element
 * is marked inconsistent (unresolved). */
static void consistency(const hc_ctx *c, const hc_search *s, hc_axis *ax)
{
    double err = ax->trunc + ax->round;
    /* an accepted step far outside the slope's polynomial range: its two curvature
     * estimates may agree by chance (second differences averaging fn'' over a window as
     * wide as its scale), so the shorter steps are compared too */
    int far = ax->odd > HC_ODD_FAR;
    for (int t = 0; t < s->ntried; t++) {
        if (!s->tried_cred[t] || (s->tried[t] == ax->h && s->tried_side[t] == ax->side))
            continue;
        /* structure far below the step (an oscillation of fn that a longer step
         * averages out) is noise at the scale of the step, bounded by its rounding
         * term: only steps of the same scale or longer are compared */
        if (s->tried[t] < HC_CONSIST_BELOW * ax->h && !far) continue;
        double d = fabs(s->tried_est[t] - ax->est), et = tried_error(c, s, t);
#ifdef HC_DEBUG
        Rprintf("consist ax h %g est %g err %g vs tried h %g side %d est %g err %g\n", ax->h, ax->est, err,
                s->tried[t], s->tried_side[t], s->tried_est[t], et);
#endif
        if (!(d <= err + et)) {
            ax->inconsistent = 1;
            ax->trunc = fmax(ax->trunc, d + et - ax->round);
        }
    }
}

/* The calibration the pairs' lines take from this axis (pairs.c, stencil.c's
 * hc_line_trunc): rho at the accepted step or, where the second correction was lost in
 * the noise there (0) or the first one too (-1), the largest rho measured at a longer
 * credible step of the same side, scaled to this step as h^2 (central stencils: R(h) -
 * R(2h) is of order h^4 against the first correction's h^2; the one-sided lines take no
 * calibration). Without it a line whose leading correction cancels (a likelihood's
 * fourth derivatives summed along it) kept a bound from the model alone, 10 times below
 * its error at the long steps of a noisy fn. Set here, once per search, for every axis
 * the pairs read. */
static void line_calibration(const hc_search *s, hc_axis *ax)
{
    ax->rho_line = ax->rho;
    if (ax->rho > 0.0) return;
    for (int t = 0; t < s->ntried; t++) {
        if (!s->tried_cred[t] || s->tried_side[t] != ax->side || !(s->tried[t] > ax->h) ||
            !(s->tried_rho[t] > 0.0))
            continue;
        double r = ax->h / s->tried[t], rho = s->tried_rho[t] * r * r;
        if (rho > ax->rho_line) ax->rho_line = rho;
    }
}

static void search_finish(const hc_ctx *c, hc_search *s, hc_axis *ax)
{
    ax->lo = s->lo;
    ax->up = s->up;
    s->active = 0;
    consistency(c, s, ax);
    line_calibration(s, ax);
    /* A curvature lost in the rounding where a longer step was tried and found far
     * outside the polynomial range (fn rounded to a few digits: flat between its
     * quanta at this step, stairs at the next): a curvature near 0 is not
     * established, whatever the bound at this step says. (Its twin, for a slope far
     * from polynomial at the accepted step, is judged in hessian.c's assemble_f once
     * the noise has been measured again at the steps.) */
    if (s->search && !ax->resolved && s->h_bad > ax->h && ax->status == HC_OK)
        ax->inconsistent = 1;
    if (!s->smooth_seen && s->nslope_kink >= 2 && 2 * s->nslope_kink > s->nmeasured) {
        /* fn's slope jumps at x: no second derivative at any step */
        ax->status = HC_KINK;
        ax->trunc = fmax(ax->trunc, fabs(ax->est));
        ax->resolved = 0;
    }
    if (s->h_flat > 0.0) stair_check(c, s, ax);
}

/* The next stencil of search s: its side and step (from the bounds and the walls met), its
 * values from the cache or, for the others, points added to the batch. Ends the search
 * when no stencil fits and one was measured; signals when none was. */
static void search_plan(hc_ctx *c, hc_search *s, hc_axis *ax)
{
    int i = s->i, gmode = c->g != NULL;
    size_t m = c->m;
    double h = s->h;
    int side = hc_choose_side(c->x[i], s->lo, s->up, gmode, &h);
    if (side == 2) {
        if (s->have) {
            search_finish(c, s, ax);
            return;
        }
        c->xw[i] = c->x[i];
        hc_signal(gmode ? c->g : c->f, c->nonfinite ? "nonfinite" : "room", c->xw);
    }
    s->h = h;
    s->side = side;
    s->np = hc_npoints(side, gmode);
    for (int k = 0; k < s->np; k++) {
        double off = hc_offset(side, k, h);
        s->src[k] = -1;
        int hit = 0;
        for (int q = 0; q < s->cn && !hit; q++) {
            if (s->ct[q] == off) {
                memcpy(s->trial + k * m, s->cv + q * m, m * sizeof(double));
                s->tok[k] = s->cok[q];
                hit = 1;
            }
        }
        if (!hit) s->src[k] = hc_batch_add(c, i, c->x[i] + off, -1, 0.0);
    }
}

/* The values of search s's stencil, from the batch (those new also remembered: the oldest
 * entry goes when the cache is full) or from the cache. Returns the first point, in the
 * order of the stencil, whose value is not finite, or -1. */
static int stencil_values(hc_search *s, const hc_batch *b, size_t m)
{
    int bad = -1;
    for (int k = 0; k < s->np; k++) {
        int p = s->src[k];
        if (p >= 0) {
            memcpy(s->trial + k * m, b->vals + p * m, m * sizeof(double));
            s->tok[k] = b->ok[p];
            int q = s->cn < HC_CACHE ? s->cn++ : (s->cnext++ % HC_CACHE);
            s->ct[q] = hc_offset(s->side, k, s->h);
            s->cok[q] = b->ok[p];
            memcpy(s->cv + q * m, b->vals + p * m, m * sizeof(double));
        }
        if (bad < 0 && !s->tok[k]) bad = k;
    }
    return bad;
}

/* What search s learns from its trial stencil at step h (ax: its best so far): whether to
 * probe the noise along its axis, the stencil among those tried, and whether it looked
 * like |x| at 0. */
static void trial_note(hc_ctx *c, hc_search *s, const hc_axis *ax, const hc_axis *trial)
{
    double h = s->h;
    int side = s->side;
    /* Second corrections as large as the first: not truncation but something that moves
     * the values at the scale of this step (an oscillation, rounding to a few digits)
     * which the first probe, far below it, did not see: measure the noise here. */
    /* So too where a shorter step than a credible one fell outside the polynomial range
     * (truncation shrinks with the step; noise grows), and where the first step did (noise,
     * or a step far beyond the parameter's scale: the probe tells). Along this axis, at
     * the step of its best stencil so far, once per parameter and HC_AXIS_PROBES times
     * per Hessian. */
    int noisy = (side == 0 && trial->rho > HC_RHO_NOISY && trial->credible && trial->resolved) ||
        (!trial->credible && s->have && ax->credible && h < ax->h);
    if (noisy && !s->probed && c->probes_left > 0 && c->probe_axis < 0) {
        c->probe_axis = s->i;
        s->probed = 1;
    }
    if (!trial->credible && !s->have && c->fine_state == 1) c->fine_state = 3;   /* extend */
    if (s->ntried < HC_TRIED) remember(s, s->ntried++, trial);
    s->smooth_seen |= trial->asymptotic && trial->resolved;
    if (trial->slope_kink >= 0) {
        s->nslope_kink += trial->slope_kink;
        s->nmeasured++;
    }
}

/* Search s's next step after its trial stencil (ax: its best, the trial included), from
 * the model (step_ratio), pulled back towards the best and kept below a step found far
 * outside the polynomial range. Returns 0 when the search ends there: the step would not
 * move, the trial is good enough, or the next stencil was tried already or has no room. */
static int next_step(hc_ctx *c, hc_search *s, const hc_axis *ax, const hc_axis *trial)
{
    int i = s->i, gmode = c->g != NULL;
    double h = s->h;
    double r = step_ratio(c, i, trial);
#ifdef HC_DEBUG
    Rprintf("ax %d h %g side %d est %g trunc %g round %g res %d cred %d rho %g skink %d slope %d odd %g r %g\n", i, h, s->side,
            trial->est, trial->trunc, trial->round, trial->resolved, trial->credible, trial->rho, trial->slope_kink, trial->slope, odd_excess(c, trial), r);
#endif
    double rel = (trial->trunc + trial->round) / fmax(fabs(trial->est), DBL_MIN);
    if (r == 1.0 || (trial->resolved && rel <= (gmode ? HC_GOOD_G : HC_GOOD_F))) return 0;
    /* A worse trial whose model points back towards the best: halve the distance to it
     * (in log h) rather than trust the model of a step outside the polynomial range. */
    if (ax->h != trial->h && ((r < 1.0 && ax->h < trial->h) || (r > 1.0 && ax->h > trial->h)))
        r = snap2(sqrt(ax->h / trial->h));
    /* Never grow to or past a step found far outside the polynomial range: bisect (in
     * log h) between it and this one, where fn's scale lies. */
    if (!trial->credible) s->h_bad = s->h_bad > 0.0 ? fmin(s->h_bad, h) : h;
    if (r > 1.0 && s->h_bad > 0.0 && h * r >= s->h_bad && h < s->h_bad)
        r = snap2(sqrt(s->h_bad / h));
    if (r == 1.0) return 0;
    double hx = hc_exact_step(c->x[i], h * r), hn = hx;
    int seen = 0;
    int sn = hc_choose_side(c->x[i], s->lo, s->up, gmode, &hn);
    for (int t = 0; t < s->ntried; t++)
        if (s->tried[t] == hn && s->tried_side[t] == sn) seen = 1;
    if (seen || sn == 2) return 0;
    s->h = hx;
    return 1;
}

/* Search s after its stencil's values came back: the first non-finite value (in the order
 * of the stencil) is a wall; otherwise the stencil is measured, kept if better, and the
 * step moved (steps.c's model) or the search ended. */
static void search_consume(hc_ctx *c, hc_search *s, hc_axis *ax)
{
    int i = s->i, gmode = c->g != NULL;
    size_t m = c->m;
    hc_fun *fun = gmode ? c->g : c->f;
    int bad = stencil_values(s, c->b, m);
    double h = s->h;
    int side = s->side;
    if (bad >= 0) {
        if (!hc_wall(c, fun, hc_offset(side, bad, h), &s->lo, &s->up, i)) {
            if (s->have) {
                search_finish(c, s, ax);
                return;
            }
            hc_signal(fun, "nonfinite", c->xw);
        }
        return;
    }
    hc_axis trial;
    measure(c, i, h, side, s->trial, &trial);
    trial_note(c, s, ax, &trial);
    trial.lo = s->lo;
    trial.up = s->up;
    if (!gmode && flat_stencil(c, side, s->trial)) {
        s->h_flat = fmax(s->h_flat, h);
    } else if (!gmode && h > s->h_moving) {
        /* the longest stencil over which fn moved: its slope and estimate */
        s->h_moving = h;
        s->g_moving = fabs(trial.g);
        s->est_moving = fabs(trial.est);
    }
    if (!s->have || better(c, &trial, ax)) {
        *ax = trial;
        memcpy(s->vals, s->trial, (size_t) HC_NPTS_MAX * m * sizeof(double));
        s->have = 1;
    }
    if (!s->search || ++s->it >= c->max_search || !next_step(c, s, ax, &trial))
        search_finish(c, s, ax);
}

/* The noise along axis i alone, at HC_NOISE_STEP_DELTA of its step now (the best
 * stencil's): where it is above the noise used so far it replaces it, and the bounds of
 * the stencils accepted so far are recomputed with it. */
static int axis_noise(hc_ctx *c, hc_axis *ax, int i)
{
    double before = c->g ? c->gnoise[i] : c->noise;
    if (!c->tmp_ax) c->tmp_ax = (hc_axis *) R_alloc(c->n, sizeof(hc_axis));
    for (int j = 0; j < c->n; j++) {
        c->tmp_ax[j] = ax[j];
        if (j != i) c->tmp_ax[j].h = 0.0;
    }
    if (c->g) hc_gnoise_line(c, c->tmp_ax, HC_NOISE_STEP_DELTA, HC_NOISE_STEP_POINTS);
    else hc_step_noise(c, c->tmp_ax);
    for (int j = 0; j < c->n; j++) {
        double r = ax[j].rcoef * fmax(c->g ? c->gnoise[j] : c->noise, ax[j].rfloor);
        if (r > ax[j].round) {
            ax[j].round = r;
            ax[j].resolved = ax[j].resolved && fabs(ax[j].est) > HC_RESOLVE * r;
        }
    }
    return (c->g ? c->gnoise[i] : c->noise) > before;
}

/* A search after the noise it assumed was found too small: its best stencil measured again
 * with the noise known now, and its next step taken from that (the stencils tried so far
 * were judged against the wrong noise: a noisy one looked far outside the polynomial
 * range, and the search was shrinking into the noise). */
static void search_renoise(hc_ctx *c, hc_search *s, hc_axis *ax)
{
    if (!s->have || !s->search) return;
    hc_axis t;
    measure(c, s->i, ax->h, ax->side, s->vals, &t);
    t.lo = s->lo;
    t.up = s->up;
    *ax = t;
    s->ntried = 1;
    remember(s, 0, &t);
    double r = step_ratio(c, s->i, &t);
    if (r != 1.0) s->h = hc_exact_step(c->x[s->i], t.h * r);
}

/* Choose the steps of parameters i0, ..., i0 + count - 1 (count <= the slots in c), each
 * starting from h0[k] (or hc_first_step() when h0[k] <= 0), their searches in lockstep:
 * each round, the next stencil of every search still running is one batch. The accepted
 * stencils' values stay in the slots (vals), their estimates go to ax[i]. With
 * search = 0 the steps are used as given (made exact, and cut to fit the bounds). */
void hc_tune_group(hc_ctx *c, int i0, int count, const double *h0, int search, hc_axis *ax)
{
    int gmode = c->g != NULL;
    hc_fun *fun = gmode ? c->g : c->f;
    for (int k = 0; k < count; k++) {
        hc_search *s = c->slots + k;
        int i = i0 + k;
        double h = h0[k] > 0.0 ? h0[k] : hc_first_step(c->x[i], gmode);
        s->i = i;
        s->active = 1;
        s->have = s->it = s->ntried = s->cn = s->cnext = 0;
        s->h_flat = s->h_moving = s->g_moving = s->est_moving = 0.0;
        s->nslope_kink = s->nmeasured = s->smooth_seen = s->probed = 0;
        s->h_bad = 0.0;
        s->search = search;
        s->lo = c->lo[i];
        s->up = c->up[i];
        s->h = hc_exact_step(c->x[i], h);
    }
    for (;;) {
        int running = 0;
        int louder = 0;
        if (c->fine_state == 3) louder = hc_fine_extend(c);
        if (c->probe_axis >= 0) {
            louder |= axis_noise(c, ax, c->probe_axis);
            c->probe_axis = -1;
            c->probes_left--;
        }
        if (louder) {
            hc_renoise(c, ax);
            for (int k = 0; k < count; k++)
                if (c->slots[k].active) search_renoise(c, c->slots + k, ax + c->slots[k].i);
        }
        c->b->k = 0;
        for (int k = 0; k < count; k++) {
            hc_search *s = c->slots + k;
            if (s->active) search_plan(c, s, ax + s->i);
            running += s->active;
        }
        if (!running) break;
        hc_batch_run(c, fun);
        for (int k = 0; k < count; k++) {
            hc_search *s = c->slots + k;
            if (s->active) search_consume(c, s, ax + s->i);
        }
    }
}

/* Axes for the noise probe before any search: the first steps, towards the side with more
 * room when the bounds are near. */
void hc_probe_axes(const hc_ctx *c, const double *user_step, hc_axis *ax)
{
    for (int i = 0; i < c->n; i++) {
        double h = user_step ? user_step[i] : hc_first_step(c->x[i], c->g != NULL);
        ax[i].h = hc_exact_step(c->x[i], h);
        ax[i].lo = c->lo[i];
        ax[i].up = c->up[i];
        ax[i].est = 0.0;
        double rup = c->up[i] - c->x[i], rlo = c->x[i] - c->lo[i];
        ax[i].side = 4.0 * ax[i].h <= fmin(rup, rlo) ? 0 : hc_room_side(c->x[i], c->lo[i], c->up[i]);
    }
}

/* The rounding bounds of the accepted stencils again, with the noise c->noise measured at
 * the scale of the steps (after the search, which used the noise seen far below them). */
void hc_renoise(const hc_ctx *c, hc_axis *ax)
{
    for (int i = 0; i < c->n; i++) {
        double e = fmax(c->noise, ax[i].rfloor);
        double r = ax[i].rcoef * e;
        if (r > ax[i].round) {
            ax[i].round = r;
            ax[i].resolved = ax[i].resolved && fabs(ax[i].est) > HC_RESOLVE * r;
        }
    }
}
