/* The noise of fn and gr: More & Wild's estimate from values at equally spaced points
 * (hc_ecnoise), and the probes that evaluate fn or gr along a line through x, far below
 * the steps (the first probe, extended where it found no noise from few points) or at a
 * fraction of them (the second, and the probes along one axis), each one batch on the
 * batch's line. */
#include <math.h>
#include <float.h>
#include <string.h>
#include "hesscheck.h"

/* Noise probe: points spaced 2^-20 of the chosen steps along a line, where the smooth part
 * of fn drops below rounding from the 2nd difference on, so that several orders of
 * differences show the noise alone and More & Wild's test can agree on it (at wider
 * spacing only the 6th and 7th differences would, from two or three values). Rounding
 * in each value, from cancellation inside fn included, is independent between points.
 * 2n points for n > 3 (at least 8, at most 16: the levels of few differences scatter by
 * a factor 10), 5 for n = 2, 3 (the evaluation budget), none for n = 1. */
#define HC_NOISE_POINTS_MIN 8
#define HC_NOISE_POINTS_SMALL 5
#define HC_NOISE_BOUND 3.0      /* a value's noise bound, in noise standard deviations */
#define HC_NOISE_RETRIES 4      /* times the probe's spacing grows where values are equal */
#define HC_NOISE_WIDEN 64.0     /* by this factor each time */

/* Noise of a function from nf values at equally spaced points: More & Wild (2011),
 * "Estimating computational noise", SIAM J. Sci. Comput. 33(3), 1292-1314. The k-th
 * differences of pure noise of standard deviation sigma have mean square
 * sigma^2 (2k)! / (k!)^2; the estimate is accepted at the first order k whose neighbours
 * agree within a factor 4 and whose differences change sign (the largest of the three
 * levels is taken). fv is overwritten.
 * Returns 1 (noise found, *sigma set), 2 (values too close: step too small) or 3 (no
 * noise seen: step too large, or the function is smooth at this resolution). Where some
 * neighbours are exactly equal (fn rounded to a quantum), *quantum (when not NULL) is the
 * smallest jump between neighbours, else 0. The spread
 * of the values is judged against fscale too, so that f = 0 at the point is no failure. */
int hc_ecnoise(int nf, double *fv, double fscale, double *sigma, double *quantum)
{
    double level[HC_NOISE_POINTS_MAX];
    int sign_change[HC_NOISE_POINTS_MAX];
    double vmin = fv[0], vmax = fv[0];
    for (int k = 1; k < nf; k++) {
        vmin = fmin(vmin, fv[k]);
        vmax = fmax(vmax, fv[k]);
    }
    *sigma = 0.0;
    if (quantum) *quantum = 0.0;
    /* (No test of the spread of the values against |fn|: at a point where fn is near 0,
     * a fn shifted by a constant, any change would fail it. The agreement of three orders
     * of differences below decides whether they show noise.) */
    (void) fscale;
    if (!R_FINITE(vmax - vmin)) return 3;
    /* In units of the largest |value|, so that squares of differences cannot overflow
     * (|fn| near 1e300) or underflow (near 1e-300). */
    double unit = fmax(fabs(vmax), fabs(vmin));
    if (!(unit > 0.0) || !R_FINITE(unit)) unit = 1.0;
    for (int k = 0; k < nf; k++) fv[k] /= unit;
    double gamma = 1.0;
    for (int j = 1; j < nf; j++) {
        int zeros = 0;
        double emin = HUGE_VAL, emax = -HUGE_VAL, ss = 0.0;
        for (int k = 0; k < nf - j; k++) {
            fv[k] = fv[k + 1] - fv[k];
            if (fv[k] == 0.0) zeros++;
            emin = fmin(emin, fv[k]);
            emax = fmax(emax, fv[k]);
            ss += fv[k] * fv[k];
        }
        if (j == 1 && zeros > 0 && quantum) {
            /* equal neighbours: fn rounded to a quantum, the smallest jump seen */
            double q = HUGE_VAL;
            for (int k = 0; k < nf - 1; k++) if (fv[k] != 0.0) q = fmin(q, fabs(fv[k]));
            *quantum = R_FINITE(q) ? q * unit : 0.0;
        }
        if (j == 1 && 2 * zeros >= nf) return 2;
        gamma *= 0.5 * j / (2.0 * j - 1.0);   /* (j!)^2 / (2j)! */
        level[j - 1] = sqrt(gamma * ss / (nf - j));
        sign_change[j - 1] = emin * emax < 0.0;
    }
    for (int k = 0; k + 2 < nf - 1; k++) {
        double lmin = fmin(level[k], fmin(level[k + 1], level[k + 2]));
        double lmax = fmax(level[k], fmax(level[k + 1], level[k + 2]));
        if (lmax <= 4.0 * lmin && sign_change[k]) {
            *sigma = lmax * unit;   /* the largest of the three: the levels scatter */
            return 1;
        }
    }
    return 3;
}

/* The probe's unit along parameter i: the step times the golden ratio, made a multiple of
 * 2^20 units in the last place of x, so that every point of a probe (offsets k 2^-j units,
 * j <= 20) is exact, yet its offsets carry a full pattern of bits. Offsets that are k times
 * a power of two change a few bits of x as a counter does, and noise that depends on the
 * bits of x (a seed taken from them, an adaptive rule) can be linear in k there, which
 * the differences of the noise estimate remove: it would be missed. */
#define HC_PROBE_IRRATIONAL 1.6180339887498949
static double probe_unit(double x, double h)
{
    double u = h * HC_PROBE_IRRATIONAL;
    if (x == 0.0 || !(u > 0.0)) return u;
    double q = ldexp(hc_ulp_above(fabs(x) + 16.0 * u), 20);
    return fmax(nearbyint(u / q), 1.0) * q;
}

/* The probe's line through x along the steps in ax (k: the offset in units of the steps):
 * the batch's direction, a fixed pseudo-random sign per parameter (Knuth's multiplicative
 * hash) times the probe's unit, and its bounds, those of the axes. */
static void probe_direction(const hc_ctx *c, const hc_axis *ax)
{
    hc_batch *b = c->b;
    for (int i = 0; i < c->n; i++) {
        int s = ax[i].side;
        if (!s) s = (((unsigned int) i + 1u) * 2654435761u >> 15) & 1u ? 1 : -1;
        b->dir[i] = s * probe_unit(c->x[i], ax[i].h);
    }
    b->bounds = ax;
}

/* The probe's points k0 <= k < k1 along its line at spacing delta (of the steps in ax):
 * their m values to fv + k m. Returns 0 if some value is not finite. */
static int probe_range(hc_ctx *c, const hc_axis *ax, double delta, int k0, int k1,
                       double *fv)
{
    size_t m = c->m;
    hc_batch *b = c->b;
    b->k = 0;
    probe_direction(c, ax);
    for (int k = k0; k < k1; k++) hc_batch_add(c, -1, k * delta, -1, 0.0);
    hc_batch_run(c, c->g ? c->g : c->f);
    for (int k = k0; k < k1; k++) {
        if (!b->ok[k - k0]) return 0;
        memcpy(fv + k * m, b->vals + (k - k0) * m, m * sizeof(double));
    }
    return 1;
}

/* The probe's line: fn (or gr) at x and nf - 1 points beyond (nf <= 0: as many as the
 * number of parameters asks for), into fv. */
static int probe_line(hc_ctx *c, const hc_axis *ax, double delta, int nf, int *nf_out,
                      double *fv)
{
    int n = c->n;
    if (nf <= 0) {
        nf = HC_NOISE_POINTS_SMALL;
        if (n > 3) nf = 2 * n < HC_NOISE_POINTS_MIN ? HC_NOISE_POINTS_MIN :
                        (2 * n > HC_NOISE_POINTS_MAX ? HC_NOISE_POINTS_MAX : 2 * n);
    }
    memcpy(fv, c->g ? c->g0 : &c->f0, c->m * sizeof(double));
    if (!probe_range(c, ax, delta, 1, nf, fv)) return 0;
    *nf_out = nf;
    return 1;
}

/* Where the highest difference of nf values stands far above what rounding of the values
 * gives it, the standard deviation of noise that would give it (noise of standard
 * deviation s gives a k-th difference of root mean square s sqrt((2k)! / (k!)^2);
 * rounding, s <= eps |f|); else 0. */
static double rough_values(int nf, const double *fv)
{
    double d[HC_NOISE_POINTS_MAX], big = 0.0, ms = 1.0;
    for (int k = 0; k < nf; k++) {
        d[k] = fv[k];
        big = fmax(big, fabs(fv[k]));
    }
    for (int k = 1; k < nf; k++) {
        for (int t = 0; t < nf - k; t++) d[t] = d[t + 1] - d[t];
        ms *= (2.0 * k) * (2.0 * k - 1.0) / ((double) k * k);
    }
    double sd = fabs(d[0]) / sqrt(ms);   /* the standard deviation it suggests */
    return nf > 2 && sd > 16.0 * DBL_EPSILON * big ? sd : 0.0;
}

/* Noise of fn (standard deviation of one value) along a line through x whose components
 * are a fraction of the chosen steps, with signs that alternate pseudo-randomly
 * (so that no cancellation between parameters hides the noise). With gr, the noise of
 * each component of gr along the same line goes to c->gnoise. Returns the noise bound of
 * fn (0 when no noise above rounding was found); *inform is hc_ecnoise's code (4: a
 * non-finite value). */
double hc_noise(hc_ctx *c, const hc_axis *ax, double delta, int npts, int *inform)
{
    double buf[HC_NOISE_POINTS_MAX], sigma = 0.0, quantum = 0.0;
    /* the first probe (f mode) keeps its values and line, to be extended if need be */
    int first = c->fine_state == 0 && !c->g && delta == HC_NOISE_DELTA;
    double *fv = first ? c->fine_fv : buf;
    int nf = 0;
    /* Values mostly equal (fn rounded to a few digits, or a table): the spacing grows by
     * HC_NOISE_WIDEN until they differ, at most HC_NOISE_RETRIES times; the quantum seen
     * on the way is the noise where no other is found (rounding error of one value is
     * at most half of it: the bound is the quantum itself). */
    for (int t = 0; t <= HC_NOISE_RETRIES; t++, delta *= HC_NOISE_WIDEN) {
        double q = 0.0;
        if (!probe_line(c, ax, delta, npts, &nf, fv)) {
            *inform = 4;
            return quantum;
        }
        double work[HC_NOISE_POINTS_MAX];
        memcpy(work, fv, nf * sizeof(double));
        *inform = hc_ecnoise(nf, work, c->fscale, &sigma, &q);
        quantum = fmax(quantum, q);
        if (*inform != 2) break;
    }
    if (first) {
        c->fine_state = *inform == 3 && quantum == 0.0 && nf < HC_NOISE_POINTS_MIN ? 1 : 2;
        c->fine_nf = nf;
        c->fine_delta = delta;
        if (c->fine_state == 1) {
            c->fine_ax = (hc_axis *) R_alloc(c->n, sizeof(hc_axis));
            memcpy(c->fine_ax, ax, c->n * sizeof(hc_axis));
            /* its values move more than rounding can, at a spacing where a smooth fn is
             * a polynomial: too few points to call it noise, enough to extend at once */
            if (rough_values(nf, fv)) c->fine_state = 3;
        }
    }
    return fmax(*inform == 1 ? HC_NOISE_BOUND * sigma : 0.0, quantum);
}

/* The first probe again where it found no noise from its few points (n = 2, 3) and a
 * search then met a first stencil far outside the polynomial range, which noise the
 * probe missed would explain: its line extended to HC_NOISE_POINTS_MIN points (a few more
 * evaluations, far below the steps, where fn's own structure does not enter). Returns 1
 * if the noise it finds is above the noise known. */
int hc_fine_extend(hc_ctx *c)
{
    int nf = HC_NOISE_POINTS_MIN, inform;
    double work[HC_NOISE_POINTS_MAX], sigma, q;
    c->fine_state = 2;
    if (!probe_range(c, c->fine_ax, c->fine_delta, c->fine_nf, nf, c->fine_fv)) return 0;
    memcpy(work, c->fine_fv, nf * sizeof(double));
    inform = hc_ecnoise(nf, work, c->fscale, &sigma, &q);
    double noise = fmax(inform == 1 ? HC_NOISE_BOUND * sigma : 0.0, q);
    if (!(noise > c->noise)) return 0;
    c->noise = noise;
    return 1;
}

/* The noise of each component of gr along the probe's line at spacing delta (of the
 * steps in ax), kept where above what is known: c->gnoise[j] is the largest seen. */
void hc_gnoise_line(hc_ctx *c, const hc_axis *ax, double delta, int npts)
{
    int n = c->n, nf = 0;
    double *fv = c->gscratch, col[HC_NOISE_POINTS_MAX], sigma, q;
    if (!probe_line(c, ax, delta, npts, &nf, fv)) return;
    for (int j = 0; j < n; j++) {
        for (int k = 0; k < nf; k++) col[k] = fv[(size_t) k * n + j];
        double scale = fabs(c->g0[j]), rough = rough_values(nf, col);
        int inform = hc_ecnoise(nf, col, scale > 0.0 ? scale : 1.0, &sigma, &q);
        if (inform == 1)
            c->gnoise[j] = fmax(c->gnoise[j], HC_NOISE_BOUND * sigma);
        else if (inform == 3)
            /* too few points for noise, yet the values move beyond their rounding (a
             * component computed with cancellation): the highest difference's size */
            c->gnoise[j] = fmax(c->gnoise[j], HC_NOISE_BOUND * rough);
        c->gnoise[j] = fmax(c->gnoise[j], q);
#ifdef HC_DEBUG
        Rprintf("gnoise %d nf %d inform %d sigma %g rough %g q %g -> %g\n", j, nf, inform,
                sigma, rough, q, c->gnoise[j]);
#endif
    }
}

void hc_gnoise(hc_ctx *c, const hc_axis *ax)
{
    for (int j = 0; j < c->n; j++) c->gnoise[j] = 0.0;
    /* gr is one call for all components: its line has HC_NOISE_POINTS_MIN points at least */
    hc_gnoise_line(c, ax, HC_NOISE_DELTA, c->n > 3 ? 0 : HC_NOISE_POINTS_MIN);
}

/* .Call entry: the noise bound (HC_NOISE_BOUND standard deviations) of a function from its
 * values at equally spaced points (hc_ecnoise), 0 when no noise above rounding is seen;
 * for check_fit()'s probes along a direction, whose rounding can differ from the axes'. */
SEXP hc_noise_values(SEXP values, SEXP fscale)
{
    if (!hc_is_vec(values, REALSXP, -1) || XLENGTH(values) < 4 ||
        XLENGTH(values) > HC_NOISE_POINTS_MAX || !hc_is_vec(fscale, REALSXP, 1))
        Rf_error("hesscheck internal: bad arguments to hc_noise_values");
    int nf = (int) XLENGTH(values);
    double fv[HC_NOISE_POINTS_MAX], sigma = 0.0;
    memcpy(fv, REAL(values), nf * sizeof(double));
    int inform = hc_ecnoise(nf, fv, REAL(fscale)[0], &sigma, NULL);
    return Rf_ScalarReal(inform == 1 ? HC_NOISE_BOUND * sigma : 0.0);
}

/* The noise measured again along the probe's line, at HC_NOISE_STEP_DELTA of the steps
 * in ax; where it is above the noise used so far, it replaces it. */
void hc_step_noise(hc_ctx *c, hc_axis *ax)
{
    int inform;
    double sigma = hc_noise(c, ax, HC_NOISE_STEP_DELTA, HC_NOISE_STEP_POINTS, &inform);
#ifdef HC_DEBUG
    Rprintf("step noise %g inform %d (was %g)\n", sigma, inform, c->noise);
#endif
    if (sigma > c->noise) c->noise = sigma;
}
