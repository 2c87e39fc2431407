/* Difference formulas, their Richardson-extrapolated forms and error estimates.
 *
 * Every routine returns the estimate of a derivative, an estimate of its truncation error
 * and a bound on its rounding (noise) error given e, a bound on the error of one function
 * value; tmodel is the truncation with the noise in it taken out, for the step search. Values are passed as v[k] = g(t_k) for the stencil points listed with each routine.
 * Coefficients: Fornberg (1988), "Generation of finite difference formulas on arbitrarily
 * spaced grids", Math. Comp. 51, 699-706; error model: Richardson (1911) with the Taylor
 * Taylor coefficients f^(k)/k! assumed to decrease geometrically, as they do for a
 * function analytic in a disc (Cauchy's estimates), so f^(6) ~ 2.5 (f^(4))^2 / f''. */
#include <math.h>
#include "hesscheck.h"

/* Safety factor on the modelled truncation error of an extrapolated value. */
#define HC_TRUNC_SAFETY 4.0

/* Second derivative, central: v = g(h), g(-h), g(2h), g(-2h).
 * lo = (g(h) - 2 g0 + g(-h)) / h^2, error h^2 g''''/12;
 * hi = Richardson of lo at h and 2h, the 5-point formula, error -h^4 g^(6)/90.
 * With h^4 g'''' = -12 h^2 (hi - lo) and h^6 g^(6) ~ 2.5 (h^4 g'''')^2 / (h^2 g''),
 * |err(hi)| ~ 2.5 * 144 (hi - lo)^2 / (90 |hi|) = 4 (hi - lo)^2 / |hi|.
 * Rounding: sum |c| = (1 + 16 + 30 + 16 + 1) / 12 = 16/3. `scale` is a lower bound for the
 * curvature used in the model (the curvature expected from the diagonal for a pair). */
void hc_d2_central(const double *v, double g0, double h, double e, double scale,
                   double *est, double *trunc, double *round, double *curv,
                   double *tmodel)
{
    double a1 = (v[0] - g0) + (v[1] - g0);
    double a2 = (v[2] - g0) + (v[3] - g0);
    double h2 = h * h;
    double lo = a1 / h2;
    double hi = (16.0 * a1 - a2) / (12.0 * h2);
    double d = fabs(hi - lo);
    double den = fmax(fmax(fabs(hi), d), scale);
    *est = hi;
    *trunc = den > 0 ? HC_TRUNC_SAFETY * 4.0 * d * d / den : 0.0;
    *round = (16.0 / 3.0) * e / h2;
    *curv = fabs(a1);
    /* hi - lo = (4 a1 - a2) / 12 h^2 carries noise up to (16/12) e / h^2; the step search
     * models truncation from what stands above it. */
    double dm = fmax(0.0, d - (4.0 / 3.0) * e / h2);
    *tmodel = den > 0 ? 4.0 * dm * dm / den : 0.0;
}

/* Second derivative, one-sided: v = g(h), ..., g(5h) (h may be negative).
 * hi: 6 points, error -0.761 h^4 g^(6); lo: 5 points, error 0.833 h^3 g^(5).
 * The truncation estimate is |hi - lo| (the error of lo), kept conservative at a bound.
 * Rounding: sum |c| = (45 + 154 + 214 + 156 + 61 + 10) / 12 = 160/3. */
void hc_d2_forward(const double *v, double g0, double h, double e,
                   double *est, double *trunc, double *round, double *curv,
                   double *tmodel)
{
    double h2 = h * h;
    double hi = (45.0 * g0 - 154.0 * v[0] + 214.0 * v[1] - 156.0 * v[2] + 61.0 * v[3] -
                 10.0 * v[4]) / (12.0 * h2);
    double lo = (35.0 * g0 - 104.0 * v[0] + 114.0 * v[1] - 56.0 * v[2] + 11.0 * v[3]) /
                (12.0 * h2);
    *est = hi;
    *trunc = fabs(hi - lo);
    *round = (160.0 / 3.0) * e / h2;
    *curv = fabs((g0 - v[0]) - (v[0] - v[1]));
    *tmodel = fmax(0.0, *trunc - (80.0 / 3.0) * e / h2);   /* noise in hi - lo */
}

/* First derivative, central: v = G(h), G(-h), G(2h), G(-2h).
 * lo = (G(h) - G(-h)) / 2h, error h^2 G'''/6; hi = (8 (G(h) - G(-h)) - (G(2h) - G(-2h))) / 12h,
 * error -h^4 G^(5)/30. With h^2 G''' = -6 (hi - lo) and G^(5) ~ 2.5 G'''^2 / G' (G = f'):
 * |err(hi)| ~ 2.5 * 36 (hi - lo)^2 / (30 |hi|) = 3 (hi - lo)^2 / |hi|.
 * Rounding: sum |c| = (8 + 8 + 1 + 1) / 12 = 3/2. */
void hc_d1_central(const double *v, double h, double e, double scale,
                   double *est, double *trunc, double *round, double *tmodel)
{
    double b1 = v[0] - v[1];
    double b2 = v[2] - v[3];
    double lo = b1 / (2.0 * h);
    double hi = (8.0 * b1 - b2) / (12.0 * h);
    double d = fabs(hi - lo);
    double den = fmax(fmax(fabs(hi), d), scale);
    *est = hi;
    *trunc = den > 0 ? HC_TRUNC_SAFETY * 3.0 * d * d / den : 0.0;
    *round = 1.5 * e / fabs(h);
    double dm = fmax(0.0, d - 0.5 * e / fabs(h));   /* noise in hi - lo */
    *tmodel = den > 0 ? 3.0 * dm * dm / den : 0.0;
}

/* First derivative, one-sided: v = G(h), ..., G(4h), h signed.
 * hi: 5 points, error -0.2 h^4 G^(5); lo: 4 points, error 0.25 h^3 G''''.
 * Rounding: sum |c| = (25 + 48 + 36 + 16 + 3) / 12 = 32/3. */
void hc_d1_forward(const double *v, double g0, double h, double e,
                   double *est, double *trunc, double *round, double *tmodel)
{
    double hi = (-25.0 * g0 + 48.0 * v[0] - 36.0 * v[1] + 16.0 * v[2] - 3.0 * v[3]) /
                (12.0 * h);
    double lo = (-11.0 * g0 + 18.0 * v[0] - 9.0 * v[1] + 2.0 * v[2]) / (6.0 * h);
    *est = hi;
    *trunc = fabs(hi - lo);
    *round = (32.0 / 3.0) * e / fabs(h);
    *tmodel = fmax(0.0, *trunc - 4.0 * e / fabs(h));   /* noise in hi - lo */
}

/* Noise of a function from nf values at equally spaced points: Moré & Wild (2011),
 * "Estimating computational noise", SIAM J. Sci. Comput. 33(3), 1292-1314. The k-th
 * differences of pure noise of standard deviation sigma have mean square
 * sigma^2 (2k)! / (k!)^2; the estimate is accepted at the first order k whose neighbours
 * agree within a factor 4 and whose differences change sign. fv is overwritten.
 * Returns 1 (noise found, *sigma set), 2 (values too close: step too small) or 3 (no
 * noise seen: step too large, or the function is smooth at this resolution). The spread
 * of the values is judged against fscale too, so that f = 0 at the point is no failure. */
#define HC_ECNOISE_MAXF 16
int hc_ecnoise(int nf, double *fv, double fscale, double *sigma)
{
    double level[HC_ECNOISE_MAXF];
    int sign_change[HC_ECNOISE_MAXF];
    double vmin = fv[0], vmax = fv[0];
    for (int k = 1; k < nf; k++) {
        vmin = fmin(vmin, fv[k]);
        vmax = fmax(vmax, fv[k]);
    }
    *sigma = 0.0;
    if (vmax - vmin > 0.1 * fmax(fmax(fabs(vmax), fabs(vmin)), fscale)) return 3;
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
        if (j == 1 && 2 * zeros >= nf) return 2;
        gamma *= 0.5 * j / (2.0 * j - 1.0);   /* (j!)^2 / (2j)! */
        level[j - 1] = sqrt(gamma * ss / (nf - j));
        sign_change[j - 1] = emin * emax < 0.0;
    }
    for (int k = 0; k + 2 < nf - 1; k++) {
        double lmin = fmin(level[k], fmin(level[k + 1], level[k + 2]));
        double lmax = fmax(level[k], fmax(level[k + 1], level[k + 2]));
        if (lmax <= 4.0 * lmin && sign_change[k]) {
            *sigma = level[k];
            return 1;
        }
    }
    return 3;
}
