/* Step selection per parameter and the noise level of fn.
 *
 * A step is good when the truncation error of the extrapolated difference balances its
 * rounding (noise) error, and when the change it makes in fn is of the same size for every
 * parameter, so that mixed differences are well conditioned. The search measures both on
 * the stencil itself and moves the step by the ratio that minimises the modelled error
 * E(r) = T r^p + R r^-k (T, R: truncation and rounding at the current step; p the order of
 * the truncation, k the order of the derivative), capped so that the second difference of
 * fn stays below the size that is optimal for a function of its magnitude (Gill, Murray,
 * Saunders & Wright 1983, "Computing forward-difference intervals for numerical
 * optimization", SIAM J. Sci. Stat. Comput. 4(2), 310-321, for the same idea at first
 * order). */
#include <math.h>
#include <float.h>
#include <string.h>
#include "hesscheck.h"

/* First trial step, relative to |x| (or absolute at 0): near the optimum for a parameter
 * whose scale is |x|, (240 eps)^(1/6) for fn and (11.25 eps)^(1/5) for gr. */
#define HC_H0_REL_F 5e-3
#define HC_H0_REL_G 1e-3
#define HC_ACCEPT_LO 0.7        /* a step within these ratios of the optimum is kept */
#define HC_ACCEPT_HI 1.42
#define HC_GOOD_F 1e-9          /* relative error at which a step is kept when it is ... */
#define HC_GOOD_G 1e-10         /* (differences of gr are more accurate) */
#define HC_GOOD_RATIO 4.0       /* ... at most this factor above the optimum */
#define HC_JUMP_MAX 1e8         /* largest change of the step in one move */
#define HC_RATIO_MIN 1e-8
#define HC_COARSE 4.0           /* two-point moves while the change is off by more */
#define HC_ACCURACY_MARGIN 8.0  /* a step grown for accuracy aims this far below HC_GOOD */
#define HC_RESOLVE 16.0         /* curvature is resolved above this many noise units */
#define HC_SHRINK_NONFINITE 0.1 /* step factor after a non-finite value */
#define HC_MAX_NONFINITE 30
#define HC_NONFINITE_MARGIN 0.9 /* steps stay below this share of one that met a non-finite */
#define HC_BOUND_SHRINK 4.0     /* central stencil kept near a bound if h shrinks less */
/* Optimal second difference of f for a function of magnitude F and noise e:
 * F (K e / F)^(2/(p+k)); K = 2 k (sum|c|) (p-th Taylor coefficient)^-1 for the stencil. */
#define HC_CAP_F 240.0          /* 5-point second derivative: (240 e / F)^(1/3) */
#define HC_CAP_G 11.25          /* 4-point first derivative of gr: (11.25 e / F)^(2/5) */
/* Noise probe: 8 points spaced 1/16 of the chosen steps, so that the probe spans the
 * stencil's own scale (noise that is smooth at tiny scales, like an adaptive quadrature's,
 * still shows) while the smooth part of fn drops below rounding by the 5th difference. For
 * n <= 2, where the evaluation budget is tight, 5 points spaced 2^-20 of the steps, where
 * the smooth part is below rounding from the 2nd difference on. */
#define HC_NOISE_DELTA (1.0 / 16.0)
#define HC_NOISE_POINTS 8
#define HC_NOISE_DELTA_SMALL (1.0 / 1048576.0)
#define HC_NOISE_POINTS_SMALL 5

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

double hc_first_step(double x, int gmode)
{
    return (gmode ? HC_H0_REL_G : HC_H0_REL_F) * (x != 0.0 ? fabs(x) : 1.0);
}

int hc_npoints(const hc_ctx *c, int side)
{
    return side == 0 ? 4 : (c->g ? 4 : 5);
}

/* Offset of stencil point k: central h, -h, 2h, -2h; one-sided side * h * (k + 1). */
double hc_offset(int side, int k, double h)
{
    if (side == 0) return ((k & 1) ? -h : h) * (k < 2 ? 1.0 : 2.0);
    return side * h * (k + 1);
}

/* fn or gr at x + off e_i, from the cache when this offset was evaluated already. */
static int axis_value(hc_ctx *c, int i, double off, double *out)
{
    int m = c->m;
    for (int k = 0; k < c->cn; k++) {
        if (c->ct[k] == off) {
            memcpy(out, c->cv + (size_t) k * m, m * sizeof(double));
            return c->cok[k];
        }
    }
    c->xw[i] = clamp(c->x[i] + off, c->lo[i], c->up[i]);
    if (c->xw[i] == c->x[i]) return 0;   /* a step lost in rounding: no information */
    int ok = hc_eval(c->g ? c->g : c->f, c->xw, out);
    c->xw[i] = c->x[i];
    if (c->cn < HC_CACHE) {
        c->ct[c->cn] = off;
        c->cok[c->cn] = ok;
        memcpy(c->cv + (size_t) c->cn * m, out, m * sizeof(double));
        c->cn++;
    }
    return ok;
}

/* Central if the stencil fits inside the bounds (ax->lo, ax->up: the bounds, narrowed
 * where fn was found non-finite). Otherwise the better of a central
 * stencil shrunk to fit and a one-sided one towards the side with more room, judged by
 * their rounding errors: sum|c| / h^k, 16/3 against 160/3 for fn, 3/2 against 32/3 for gr. */
static int choose_side(const hc_ctx *c, int i, const hc_axis *ax, double *h)
{
    double rup = ax->up - c->x[i], rlo = c->x[i] - ax->lo;
    if (2.0 * *h <= fmin(rup, rlo)) return 0;
    int s = rup >= rlo ? 1 : -1;
    double reach = hc_npoints(c, s);
    double hc = fmin(rup, rlo) / 2.0, ho = fmin(*h, (s > 0 ? rup : rlo) / reach);
    int central = c->g ? 1.5 / hc <= (32.0 / 3.0) / ho
                       : (16.0 / 3.0) / (hc * hc) <= (160.0 / 3.0) / (ho * ho);
    *h = central ? hc : ho;
    return central ? 0 : s;
}

static double max_abs(const double *v, int np, int m, int comp, double start)
{
    double a = start;
    for (int k = 0; k < np; k++) a = fmax(a, fabs(v[k * m + comp]));
    return a;
}

/* Estimates of the diagonal element for parameter i from the stencil values v. */
static void measure(const hc_ctx *c, int i, double h, int side, const double *v,
                    hc_axis *ax)
{
    int np = hc_npoints(c, side);
    double est, trunc, round, curv, tmodel;
    ax->h = h;
    ax->side = side;
    if (!c->g) {
        ax->rfloor = DBL_EPSILON * max_abs(v, np, 1, 0, fabs(c->f0));
        double e = fmax(c->noise, ax->rfloor);
        if (side == 0) {
            hc_d2_central(v, c->f0, h, e, 0.0, &est, &trunc, &round, &curv, &tmodel);
        } else {
            hc_d2_forward(v, c->f0, side * h, e, &est, &trunc, &round, &curv, &tmodel);
        }
        ax->rcoef = round / e;
        ax->round = round;
        ax->resolved = curv > HC_RESOLVE * e;
    } else {
        int m = c->m;
        double vi[HC_NPTS_MAX], b1;
        for (int k = 0; k < np; k++) vi[k] = v[k * m + i];
        /* Near a stationary point the gradient is small but its rounding error is that
         * of its terms, of the order of sqrt(F |H_ii|) (F / s for a natural scale s);
         * est is needed for that floor, so estimate first with a unit noise. */
        if (side == 0) {
            hc_d1_central(vi, h, 1.0, 0.0, &est, &trunc, &round, &tmodel);
        } else {
            hc_d1_forward(vi, c->g0[i], side * h, 1.0, &est, &trunc, &round, &tmodel);
        }
        double e = DBL_EPSILON * max_abs(vi, np, 1, 0,
                                         fmax(fabs(c->g0[i]), sqrt(c->fscale * fabs(est))));
        if (side == 0) {
            hc_d1_central(vi, h, e, 0.0, &est, &trunc, &round, &tmodel);
            b1 = vi[0] - vi[1];
            curv = fabs(h * b1) / 2.0;
        } else {
            hc_d1_forward(vi, c->g0[i], side * h, e, &est, &trunc, &round, &tmodel);
            b1 = vi[0] - c->g0[i];
            curv = fabs(h * b1);
        }
        ax->rfloor = e;
        ax->rcoef = round / e;
        ax->round = round;
        ax->resolved = fabs(b1) > HC_RESOLVE * e;
    }
    ax->est = est;
    ax->trunc = trunc;
    ax->tmodel = tmodel;
    ax->curv = curv;
}

/* The factor that brings the second difference of fn to the optimal size for a function
 * of its magnitude (a jump up when it is lost in the noise). */
static double step_ratio_curv(const hc_ctx *c, double curv, int resolved)
{
    double F = c->fscale;
    double e = fmax(c->noise, DBL_EPSILON * F);
    double cap = c->g ? F * pow(HC_CAP_G * e / F, 0.4) : F * cbrt(HC_CAP_F * e / F);
    double r_cap = sqrt(cap / fmax(curv, e));
    if (!resolved) return fmin(fmax(r_cap, 2.0), HC_JUMP_MAX);
    return fmax(fmin(r_cap, HC_JUMP_MAX), HC_RATIO_MIN);
}

/* Moves by a factor 2 reuse half of the stencil: round ratios near 2 or 1/2 to them
 * (from 2 to 4, moving by 2 costs half and usually suffices). */
static double snap(double r)
{
    if (r > HC_ACCEPT_HI && r < 4.0) return 2.0;
    if (r < HC_ACCEPT_LO && r > HC_ACCEPT_LO / 2.0) return 0.5;
    return r;
}

/* The factor by which to multiply the step: the minimiser of the modelled error, capped
 * by step_ratio_curv. */
static double step_ratio(const hc_ctx *c, const hc_axis *ax)
{
    double r_cap = step_ratio_curv(c, ax->curv, ax->resolved);
    if (!ax->resolved) return r_cap;
    double p = ax->side ? 3.0 : 4.0, k = c->g ? 1.0 : 2.0;
    double r_opt = ax->tmodel > 0 ?
        pow(k * ax->round / (p * ax->tmodel), 1.0 / (p + k)) : HUGE_VAL;
    return fmax(fmin(r_opt, r_cap), HC_RATIO_MIN);
}

/* The relative error at which a step is accurate enough to keep. */
static double good_rel(const hc_ctx *c)
{
    return c->g ? HC_GOOD_G : HC_GOOD_F;
}

/* Whether the step is good enough to keep: near the optimum, or accurate already and not
 * much larger than the optimum (each move costs a stencil; a smaller step than optimal
 * loses only to rounding, which the estimate measures). */
static int step_ok(const hc_ctx *c, const hc_axis *ax, double r)
{
    if (r >= HC_ACCEPT_LO && r <= HC_ACCEPT_HI) return 1;
    double rel = (ax->trunc + ax->round) / fmax(fabs(ax->est), DBL_MIN);
    return ax->resolved && rel <= good_rel(c) && r >= 1.0 / HC_GOOD_RATIO;
}

/* From the first two stencil points: the second difference of fn along the step (f
 * units; in g mode h times the first difference of gr_i), whether it stands above the
 * noise, and the relative rounding error the full stencil would have at this step. */
static double coarse_curv(const hc_ctx *c, int i, int side, double h, const double *v,
                          int *resolved, double *rel)
{
    double e, curv;
    if (!c->g) {
        e = fmax(c->noise, DBL_EPSILON * fmax(fabs(c->f0), fmax(fabs(v[0]), fabs(v[1]))));
        curv = side == 0 ? fabs((v[0] - c->f0) + (v[1] - c->f0))
                         : fabs((c->f0 - v[0]) - (v[0] - v[1]));
        *resolved = curv > HC_RESOLVE * e;
        *rel = (side == 0 ? 16.0 / 3.0 : 160.0 / 3.0) * e / fmax(curv, DBL_MIN);
        return curv;
    }
    double a = v[i], b = side == 0 ? v[c->m + i] : c->g0[i];
    double d = fabs(side == 0 ? (a - b) / 2.0 : a - b);
    e = DBL_EPSILON * fmax(fmax(fabs(a), fabs(b)), sqrt(c->fscale * d / fabs(h)));
    curv = fabs(h) * d;
    *resolved = d > HC_RESOLVE * e;
    *rel = (side == 0 ? 1.5 : 32.0 / 3.0) * e / fmax(d, DBL_MIN);
    return curv;
}

/* Choose the step for parameter i, starting from h (or hc_first_step(x_i) when h <= 0),
 * and leave the accepted stencil's values in c->vals and the estimates in ax. With
 * search = 0 the step is used as given (only cut to fit the bounds).
 * Each trial first evaluates two points: while the change they show is far from the
 * target size the step moves at that cost; the rest of the stencil is evaluated once it
 * is close, and the truncation it reveals settles the step. */
void hc_tune_axis(hc_ctx *c, int i, double h, int search, hc_axis *ax)
{
    size_t m = c->m, bytes = (size_t) HC_NPTS_MAX * m * sizeof(double);
    int have = 0, it = 0, bad = 0, side_prev = 2;
    double h_prev = 0.0, h_good = 0.0;
    if (!(h > 0.0)) h = hc_first_step(c->x[i], c->g != NULL);
    ax->lo = c->lo[i];
    ax->up = c->up[i];
    c->cn = 0;
    for (;;) {
        int side = choose_side(c, i, ax, &h);
        if (have && h == h_prev && side == side_prev) break;
        int np = hc_npoints(c, side), ok = 1, k;
        for (k = 0; k < 2 && ok; k++)
            ok = axis_value(c, i, hc_offset(side, k, h), c->trial + k * m);
        if (ok && search && it + 1 < c->max_search) {
            int resolved;
            double rel, curv = coarse_curv(c, i, side, h, c->trial, &resolved, &rel);
            double r = step_ratio_curv(c, curv, resolved);
            h_good = h;
            /* Move now if the step is too large, or too small to be accurate already. */
            double good = good_rel(c);
            if (r < 1.0 / HC_COARSE || (r > HC_COARSE && !(resolved && rel <= good))) {
                /* gr mode, a resolved curvature that is only too small for accuracy: grow
                 * the step just enough (rounding falls as 1/h); the cap's size can be far
                 * past the truncation optimum, which a full stencil there would reveal
                 * only to move back, at the cost of a second stencil. (In fn mode the
                 * mixed differences reuse these steps, and a step that only just meets
                 * the accuracy makes their rounding bound the dominant error term.) */
                if (c->g && resolved && r > HC_COARSE)
                    r = fmin(r, rel / (good / HC_ACCURACY_MARGIN));   /* > 8: rel > good */
                it++;
                h *= snap(r);
                continue;
            }
        }
        for (; k < np && ok; k++)
            ok = axis_value(c, i, hc_offset(side, k, h), c->trial + k * m);
        if (!ok) {
            double off = hc_offset(side, k - 1, h);
            c->xw[i] = clamp(c->x[i] + off, c->lo[i], c->up[i]);
            if (++bad > HC_MAX_NONFINITE || c->xw[i] == c->x[i])
                hc_signal(c->g ? c->g : c->f, "nonfinite", c->xw);
            c->xw[i] = c->x[i];
            /* Treat the place as a bound (so a one-sided stencil may turn away from it),
             * and go back towards the last good step, else shrink. */
            if (off > 0) ax->up = fmin(ax->up, c->x[i] + HC_NONFINITE_MARGIN * off);
            else ax->lo = fmax(ax->lo, c->x[i] + HC_NONFINITE_MARGIN * off);
            double last = have ? h_prev : h_good;
            h = (last > 0.0 && h > last) ? sqrt(h * last) : h * HC_SHRINK_NONFINITE;
            if (have && h <= h_prev) break;
            continue;
        }
        memcpy(c->vals, c->trial, bytes);
        have = 1;
        h_prev = h_good = h;
        side_prev = side;
        measure(c, i, h, side, c->vals, ax);
        if (!search || ++it >= c->max_search) break;
        double r = step_ratio(c, ax);
        if (step_ok(c, ax, r)) break;
        h *= snap(r);
    }
}

/* Noise of fn (standard deviation of one value) along a line through x whose components
 * are a fraction of the chosen steps, with signs that alternate pseudo-randomly
 * (so that no cancellation between parameters hides the noise). Returns 0 when no noise
 * above rounding was found; *inform is hc_ecnoise's code (4: a non-finite value). */
double hc_noise(hc_ctx *c, const hc_axis *ax, int *inform)
{
    int n = c->n, nf = n > 2 ? HC_NOISE_POINTS : HC_NOISE_POINTS_SMALL;
    double delta = n > 2 ? HC_NOISE_DELTA : HC_NOISE_DELTA_SMALL;
    double fv[HC_NOISE_POINTS], sigma = 0.0;
    fv[0] = c->f0;
    for (int k = 1; k < nf; k++) {
        for (int i = 0; i < n; i++) {
            /* A fixed pseudo-random sign per parameter (Knuth's multiplicative hash). */
            int s = ax[i].side;
            if (!s) s = (((unsigned int) i + 1u) * 2654435761u >> 15) & 1u ? 1 : -1;
            c->xw[i] = clamp(c->x[i] + k * delta * s * ax[i].h, c->lo[i], c->up[i]);
        }
        int ok = hc_eval(c->f, c->xw, fv + k);
        if (!ok) {
            memcpy(c->xw, c->x, n * sizeof(double));
            *inform = 4;
            return 0.0;
        }
    }
    memcpy(c->xw, c->x, n * sizeof(double));
    *inform = hc_ecnoise(nf, fv, c->fscale, &sigma);
    return *inform == 1 ? sigma : 0.0;
}
