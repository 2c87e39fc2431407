/* Stencil geometry and difference formulas, each evaluated at two steps so that every
 * estimate carries a second opinion.
 *
 * Every stencil is laid on the offsets k h for a power-of-two step h (steps.c makes
 * x + k h exact), and every routine returns, in an hc_est, the estimate at step h, the
 * same formula at step 2h (the second opinion: in the asymptotic range their difference
 * is (2^p - 1) times the error of the first, and where fn stops behaving like a
 * polynomial, or noise dominates, it grows with that), the lower-order estimates at h and
 * 2h (whose difference calibrates the truncation of the mixed elements), and the sum of
 * the absolute coefficients per unit of noise in one value, which bounds the rounding.
 * Coefficients: Fornberg (1988), "Generation of finite difference formulas on arbitrarily
 * spaced grids", Math. Comp. 51, 699-706. */
#include <math.h>
#include "hesscheck.h"

/* Offsets, in units of h: central +1, -1, +2, -2, +4, -4; one-sided s * (1, 2, 3, 4, 6, 8). */
static const double hc_central_k[HC_NPTS_MAX] = {1.0, -1.0, 2.0, -2.0, 4.0, -4.0};
static const double hc_forward_k[HC_NPTS_MAX] = {1.0, 2.0, 3.0, 4.0, 6.0, 8.0};

int hc_npoints(int side, int gmode)
{
    return side == 0 ? 6 : (gmode ? 5 : 6);
}

double hc_offset(int side, int k, double h)
{
    return side == 0 ? hc_central_k[k] * h : side * hc_forward_k[k] * h;
}

/* Second derivative, central, v = f(h), f(-h), f(2h), f(-2h), f(4h), f(-4h).
 * D(s) = (f(s) + f(-s) - 2 f0) / s^2, error s^2 f''''/12;
 * R(s) = (4 D(s) - D(2s)) / 3, the five-point formula, error -s^4 f^(6)/90.
 * est = R(h), alt = R(2h); rounding sum |c| of R(h): (1 + 16 + 30 + 16 + 1) / 12 = 16/3. */
void hc_d2_central(const double *v, double f0, double h, hc_est *r)
{
    double s1 = (v[0] - f0) + (v[1] - f0), s2 = (v[2] - f0) + (v[3] - f0);
    double s4 = (v[4] - f0) + (v[5] - f0), h2 = h * h;
    double d1 = s1 / h2, d2 = s2 / (4.0 * h2), d4 = s4 / (16.0 * h2);
    r->est = (4.0 * d1 - d2) / 3.0;
    r->alt = (4.0 * d2 - d4) / 3.0;
    r->lo = d1;
    r->lo2 = d2;
    r->rcoef = (16.0 / 3.0) / h2;
    r->order = 4;
    r->deriv = 2;
    hc_extrapolate(r);
}

/* Second derivative, one-sided, v = f(t) at t = h, 2h, 3h, 4h, 6h, 8h (h signed).
 * F(s) = (35 f0 - 104 f(s) + 114 f(2s) - 56 f(3s) + 11 f(4s)) / (12 s^2), error
 * -(5/6) s^3 f^(5); L(s) = (2 f0 - 5 f(s) + 4 f(2s) - f(3s)) / s^2, error (11/12) s^2 f''''.
 * est = F(h), alt = F(2h) (from 2h, 4h, 6h, 8h); rounding (35+104+114+56+11)/12 = 80/3. */
void hc_d2_forward(const double *v, double f0, double h, hc_est *r)
{
    double h2 = h * h;
    r->est = (35.0 * f0 - 104.0 * v[0] + 114.0 * v[1] - 56.0 * v[2] + 11.0 * v[3]) /
             (12.0 * h2);
    r->alt = (35.0 * f0 - 104.0 * v[1] + 114.0 * v[3] - 56.0 * v[4] + 11.0 * v[5]) /
             (48.0 * h2);
    r->lo = (2.0 * f0 - 5.0 * v[0] + 4.0 * v[1] - v[2]) / h2;
    r->lo2 = (2.0 * f0 - 5.0 * v[1] + 4.0 * v[3] - v[4]) / (4.0 * h2);
    r->rcoef = (80.0 / 3.0) / h2;
    r->order = 3;
    r->deriv = 2;
    hc_extrapolate(r);
}

/* First derivative, central, v = G(h), G(-h), G(2h), G(-2h), G(4h), G(-4h) (one component
 * of gr, or fn). C(s) = (G(s) - G(-s)) / 2s, error s^2 G'''/6;
 * R(s) = (4 C(s) - C(2s)) / 3 = (8 (G(s) - G(-s)) - (G(2s) - G(-2s))) / 12s, error
 * -s^4 G^(5)/30. est = R(h), alt = R(2h); rounding (8 + 8 + 1 + 1) / 12 = 3/2. */
void hc_d1_central(const double *v, int stride, double h, hc_est *r)
{
    double b1 = v[0] - v[stride], b2 = v[2 * stride] - v[3 * stride];
    double b4 = v[4 * stride] - v[5 * stride];
    double c1 = b1 / (2.0 * h), c2 = b2 / (4.0 * h), c4 = b4 / (8.0 * h);
    r->est = (4.0 * c1 - c2) / 3.0;
    r->alt = (4.0 * c2 - c4) / 3.0;
    r->lo = c1;
    r->lo2 = c2;
    r->rcoef = 1.5 / fabs(h);
    r->order = 4;
    r->deriv = 1;
    hc_extrapolate(r);
}

/* First derivative, one-sided, v = G(t) at t = h, 2h, 3h, 4h, 6h[, 8h] (h signed).
 * Four points: F(s) = (-11 G0 + 18 G(s) - 9 G(2s) + 2 G(3s)) / 6s, error -s^3 G''''/4;
 * three points L(s) = (-3 G0 + 4 G(s) - G(2s)) / 2s, error -s^2 G'''/3.
 * est = F(h), alt = F(2h) (from 2h, 4h, 6h); rounding (11 + 18 + 9 + 2) / 6 = 20/3. */
void hc_d1_forward(const double *v, int stride, double g0, double h, hc_est *r)
{
    double a = v[0], b = v[stride], c3 = v[2 * stride], d = v[3 * stride];
    double e6 = v[4 * stride];
    r->est = (-11.0 * g0 + 18.0 * a - 9.0 * b + 2.0 * c3) / (6.0 * h);
    r->alt = (-11.0 * g0 + 18.0 * b - 9.0 * d + 2.0 * e6) / (12.0 * h);
    r->lo = (-3.0 * g0 + 4.0 * a - b) / (2.0 * h);
    r->lo2 = (-3.0 * g0 + 4.0 * b - d) / (4.0 * h);
    r->rcoef = (20.0 / 3.0) / fabs(h);
    r->order = 3;
    r->deriv = 1;
    hc_extrapolate(r);
}

/* One more Richardson level from the two steps: where est and alt are in the asymptotic
 * range, ext is of order p + 2 (central) or p + 1; where they are not, |ext - est| is
 * |est - alt| / (2^p - 1), so |est - alt| 2^p / (2^p - 1) bounds ext's truncation whenever
 * |est - alt| bounds est's: the bound is as honest as est's and the value more accurate.
 * Rounding: the triangle inequality over the two formulas (alt's is 2^-deriv of est's). */
void hc_extrapolate(hc_est *r)
{
    double q = ldexp(1.0, r->order) - 1.0;
    r->ext = r->est + (r->est - r->alt) / q;
    r->ext_trunc = fabs(r->est - r->alt) * (q + 1.0) / q;
    r->ext_rcoef = r->rcoef * ((q + 1.0) + ldexp(1.0, -r->deriv)) / q;
}

/* Second derivative along a direction, unit step, central from f at t = 1, -1, 2, -2:
 * est = R(1), lo = D(1), lo2 = D(2) (no R(2): hc_line_trunc's model stands in for it; a
 * one-sided line, at t = 1, 2, 3, 4, 6, 8, is hc_d2_forward's with its two steps). */
void hc_d2_line(const double *v, double f0, hc_est *r)
{
    double d1 = (v[0] - f0) + (v[1] - f0), d2 = ((v[2] - f0) + (v[3] - f0)) / 4.0;
    r->est = (4.0 * d1 - d2) / 3.0;
    r->alt = r->est;
    r->lo = d1;
    r->lo2 = d2;
    r->rcoef = 16.0 / 3.0;
    r->order = 4;
    r->deriv = 2;
}

/* Truncation bound of hc_d2_line's estimate, which has no second step of its own.
 * Central: R - D(1) = (D(1) - D(2)) / 3 = d; with Taylor coefficients decreasing
 * geometrically (Richardson 1911; Cauchy's estimates for a function analytic in a disc)
 * g^(6) ~ 2.5 (g^(4))^2 / g'', so |err(R)| ~ 2.5 * 144 d^2 / (90 |R|) = 4 d^2 / |R|, times
 * HC_TRUNC_SAFETY; and, where the axes measured it, their ratio rho of the second
 * correction (R(h) - R(2h)) to the first (D(h) - D(2h)) times this line's first
 * correction, times HC_RHO_SAFETY. D(1) - D(2) carries noise up to (4 + 1) e: only what
 * stands above it counts. */
#define HC_TRUNC_SAFETY 4.0
#define HC_RHO_SAFETY 2.0
double hc_line_trunc(const hc_est *r, double rho, double e)
{
    double corr = fmax(0.0, fabs(r->lo - r->lo2) - 5.0 * e);
    double d = corr / 3.0, den = fmax(fabs(r->est), d);
    double model = den > 0.0 ? HC_TRUNC_SAFETY * 4.0 * d * d / den : 0.0;
    double cal = rho >= 0.0 ? HC_RHO_SAFETY * rho * corr : 0.0;
    return fmax(model, cal);
}
