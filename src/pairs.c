/* The mixed elements of a Hessian in f mode: each pair (i, j) from second differences
 * along lines through x in the plane of parameters i and j (the axes' steps and diagonal
 * from steps.c, the line formulas from stencil.c), the pairs of a chunk in lockstep, their
 * lines one batch. */
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

/* Points of a line stencil and the offset of point k, in units of the direction: the
 * axes' first four, t = 1, -1, 2, -2 (central), or their six, t = 1, 2, 3, 4, 6, 8
 * (one-sided: two steps of its own). */
static int line_np(int central)
{
    return central ? 4 : hc_npoints(1, 0);
}

static double line_t(int central, int k)
{
    return hc_offset(central ? 0 : 1, k, 1.0);
}

/* Second derivative of f along the line through x with direction (di, dj) (unit step in
 * t), with its truncation (stencil.c's model, calibrated by rho) and rounding bounds;
 * extra (unless NULL): the truncation calibrated by rho_line beyond that. */
static void line_d2(hc_ctx *c, const double *v, int central, double rho, double rho_line,
                    double *est, double *trunc, double *round, double *corr, double *extra)
{
    hc_est r;
    if (central) hc_d2_line(v, c->f0, &r);
    else hc_d2_forward(v, c->f0, 1.0, &r);
    double e = fmax(c->noise, hc_round_floor(c->f0));
    for (int k = 0; k < line_np(central); k++) e = fmax(e, hc_round_floor(v[k]));
    if (central) {
        *est = r.est;
        *round = r.rcoef * e;
        *trunc = hc_line_trunc(&r, rho, e);
        if (extra) *extra = fmax(0.0, hc_line_trunc(&r, rho_line, e) - *trunc);
        corr[0] = r.lo;
        corr[1] = r.lo2;
        corr[2] = e;
    } else {
        /* two steps of its own, as on the axes */
        *est = r.ext;
        *round = r.ext_rcoef * e;
        *trunc = r.ext_trunc;
        if (extra) *extra = 0.0;
    }
}

/* The scale of parameter i's curvature: |H_ii|, at least HC_SCALE_FLOOR of the largest. */
static double diag_scale(const hc_axis *ax, int i, double hmax)
{
    return fmax(fabs(ax[i].est), HC_SCALE_FLOOR * hmax);
}

/* A mixed element's computation, advanced one line of four points at a time, so that the
 * pairs of a chunk run in lockstep (their lines one batch).
 *
 * H_ij from the second derivative along d = (d_i, d_j): d' H d = d_i^2 H_ii + 2 d_i d_j H_ij
 * + d_j^2 H_jj (four evaluations, central, inheriting the diagonal's error); where that
 * error bound is large or the pair nearly collinear, also from the cross stencil along d
 * and d' = (d_i, -d_j): H_ij = (d'H d - d'' H d'') / (4 d_i d_j), diagonal-free (four more).
 * The two estimates' disagreement beyond their bounds widens the error reported. Where a
 * parameter's curvature was not resolved its step may have grown to HC_FLAT_CAP, far past
 * the polynomial range of the pair, so the pair tries that step shortened by
 * HC_PAIR_REFINE_RATIO (up to HC_PAIR_REFINE times) while its error bound falls, and keeps
 * the best. A line with a non-finite value is tried again with its direction halved. */
enum { PAIR_BASE, PAIR_CROSS, PAIR_REDO, PAIR_DONE };
typedef struct pair_state {
    int i, j, stage, central, tries, k, fi, fj, first, src;
    double fdi, fdj;          /* the steps of this try, before the one-sided signs */
    double di, dj, ei, ej;    /* the direction d, and d' for the cross */
    double rho, sc;
    double rho_line;          /* the axes' rho_line: the calibration of the bound kept */
    double ratio;             /* sqrt(|H_jj| / |H_ii|), their diag_scale()s */
    double s, ts, rs, p, ep;  /* along d, and the first estimate */
    double s2, ts2, rs2;      /* along d' */
    double xtry, xij;         /* the truncation by rho_line beyond that by rho, of this
                                 try's estimate and of the best: added to the bound kept,
                                 not to the bounds that choose */
    double corr[3], corr2[3]; /* the central lines' D(1), D(2) and noise, along d and d' */
    double hij, eij;          /* the best so far (eij without xij) */
    int inconsistent;         /* the kept try's two estimates disagreed beyond their
                                 combined bounds */
    int try_inconsistent;     /* the same of the try being made */
} pair_state;

/* The size of a pair's state, for the workspace hessian.c allocates. */
size_t hc_pair_size(void)
{
    return sizeof(pair_state);
}

/* A try with steps (di, dj): one-sided along the diagonal, t = 1..8, into the side with
 * room, unless both axes are central. */
static void pair_try(const hc_ctx *c, const hc_axis *ax, pair_state *ps, double di, double dj)
{
    int i = ps->i, j = ps->j;
    ps->fdi = di;
    ps->fdj = dj;
    ps->central = ax[i].side == 0 && ax[j].side == 0;
    if (!ps->central) {
        int si = ax[i].side, sj = ax[j].side;
        if (!si) si = hc_room_side(c->x[i], ax[i].lo, ax[i].up);
        if (!sj) sj = hc_room_side(c->x[j], ax[j].lo, ax[j].up);
        /* the one-sided line reaches 8 d: half the step of a central axis (room 4 h) */
        di *= ax[i].side == 0 ? 0.5 * si : si;
        dj *= ax[j].side == 0 ? 0.5 * sj : sj;
    }
    ps->di = di;
    ps->dj = dj;
    ps->stage = PAIR_BASE;
    ps->tries = 0;
}

static void pair_start(const hc_ctx *c, const hc_axis *ax, pair_state *ps, int i, int j,
                       double hmax)
{
    ps->i = i;
    ps->j = j;
    ps->rho = fmax(ax[i].rho, ax[j].rho);
    ps->rho_line = fmax(ax[i].rho_line, ax[j].rho_line);
    ps->sc = sqrt(diag_scale(ax, i, hmax) * diag_scale(ax, j, hmax));
    ps->ratio = sqrt(diag_scale(ax, j, hmax) / diag_scale(ax, i, hmax));
    /* shorter steps for a parameter whose curvature was not resolved, or whose step
     * lies beyond the polynomial range of its slope (the pair's line would too) */
    ps->fi = !ax[i].resolved || ax[i].odd > 1.0;
    ps->fj = !ax[j].resolved || ax[j].odd > 1.0;
    ps->first = 1;
    ps->inconsistent = ps->try_inconsistent = 0;
    ps->k = 0;
    double di = ax[i].h, dj = ax[j].h;
    pair_try(c, ax, ps, di, dj);
}

/* The four points of the pair's current line, added to the batch. */
static void pair_plan(hc_ctx *c, pair_state *ps)
{
    int cross = ps->stage == PAIR_CROSS, central = ps->stage == PAIR_BASE ? ps->central : 1;
    double di = cross ? ps->ei : ps->di, dj = cross ? ps->ej : ps->dj;
    for (int k = 0; k < line_np(central); k++) {
        double t = line_t(central, k);
        int p = hc_batch_add(c, ps->i, c->x[ps->i] + t * di, ps->j, c->x[ps->j] + t * dj);
        if (k == 0) ps->src = p;
    }
}

/* The axes' own truncation at the pair's steps, in the natural scales of the parameters
 * (f_iiiiij ~ f_iiiiii sqrt(|H_jj| / |H_ii|), the Cauchy estimate the line model rests
 * on): what the odd terms of a line's truncation, led by d_i^4 f_iiiiij / 30 (and
 * d_j^4 f_ijjjjj / 30), amount to at least; they need not show in the line's
 * corrections (their D(1) - D(2) can cancel). (trunc, |est - alt|, carries the axis's
 * noise too: on a noisy fn this floor is conservative.) */
static double axes_trunc(const hc_axis *ax, const pair_state *ps)
{
    double ri = ps->di / ax[ps->i].h, rj = ps->dj / ax[ps->j].h;
    ri *= ri;
    rj *= rj;
    return ax[ps->i].trunc * ri * ri * ps->ratio + ax[ps->j].trunc * rj * rj / ps->ratio;
}

/* A try's result (h, e): kept if it is the first or better; then the next shorter try,
 * or the end. */
static void pair_tried(const hc_ctx *c, const hc_axis *ax, pair_state *ps, double h, double e)
{
    /* no estimate claims less than the axes' own truncation at its steps */
    e = fmax(e, axes_trunc(ax, ps));
    int bad = ps->try_inconsistent;
    ps->try_inconsistent = 0;
    if (ps->first) {
        ps->first = 0;
        ps->hij = h;
        ps->eij = e;
        ps->xij = ps->xtry;
        ps->inconsistent = bad;
        if (!(ps->fi || ps->fj)) {
            ps->stage = PAIR_DONE;
            return;
        }
    } else {
        if (!(e < ps->eij)) {
            ps->stage = PAIR_DONE;
            return;
        }
        ps->hij = h;
        ps->eij = e;
        ps->xij = ps->xtry;
        ps->inconsistent = bad;
        ps->k++;
    }
    if (!(ps->k < HC_PAIR_REFINE && ps->eij > HC_PAIR_RISK * ps->sc)) {
        ps->stage = PAIR_DONE;
        return;
    }
    double di = ps->fdi, dj = ps->fdj;
    if (ps->fi) di = hc_exact_step(c->x[ps->i], di / HC_PAIR_REFINE_RATIO);
    if (ps->fj) dj = hc_exact_step(c->x[ps->j], dj / HC_PAIR_REFINE_RATIO);
    pair_try(c, ax, ps, di, dj);
}

/* The estimate from d and d' (the cross): the better bound of the two, widened by their
 * disagreement beyond their bounds. */
static void pair_combine(const hc_ctx *c, const hc_axis *ax, pair_state *ps, int *nsecond)
{
    (*nsecond)++;
    double dx = 4.0 * ps->di * ps->dj;
    /* The truncation of the difference of the two lines, from the difference of their
     * corrections (stencil.c's model): what moves fn along one axis alone is the same on
     * both lines and cancels, however large the step along it. */
    hc_est dq;
    dq.est = ps->s - ps->s2;
    dq.lo = ps->corr[0] - ps->corr2[0];
    dq.lo2 = ps->corr[1] - ps->corr2[1];
    double tq = hc_line_trunc(&dq, ps->rho, ps->corr[2] + ps->corr2[2]);
    double q = dq.est / dx, eq = (tq + ps->rs + ps->rs2) / fabs(dx);
    /* what the difference cannot see: the axes' own truncation at the pair's steps */
    eq = fmax(eq, axes_trunc(ax, ps));
    double best = eq <= ps->ep ? q : ps->p, ebest = fmin(eq, ps->ep);
    if (eq <= ps->ep) {
        /* the cross kept: its calibrated truncation beyond tq, in place of the line's */
        double tq_line = hc_line_trunc(&dq, ps->rho_line, ps->corr[2] + ps->corr2[2]);
        ps->xtry = fmax(0.0, tq_line - tq) / fabs(dx);
    }
    if (!(fabs(q - ps->p) <= eq + ps->ep)) {
        ebest += fabs(q - ps->p);
        ps->try_inconsistent = 1;
    }
    pair_tried(c, ax, ps, best, ebest);
}

/* The pair after its line's values came back. */
static void pair_consume(hc_ctx *c, const hc_axis *ax, pair_state *ps, double hmax,
                         int *nsecond)
{
    const hc_batch *b = c->b;
    int i = ps->i, j = ps->j, central = ps->stage == PAIR_BASE ? ps->central : 1;
    double v[HC_NPTS_MAX];
    int bad = -1;
    for (int k = 0; k < line_np(central); k++) {
        v[k] = b->vals[ps->src + k];
        if (bad < 0 && !b->ok[ps->src + k]) bad = k;
    }
    if (bad >= 0) {
        if (++ps->tries > HC_PAIR_TRIES || ++c->nonfinite > HC_MAX_NONFINITE) {
            hc_batch_point(c, ps->src + bad, c->xw);
            hc_signal(c->f, "nonfinite", c->xw);
        }
        if (ps->stage == PAIR_CROSS) {
            ps->ei *= HC_PAIR_SHRINK;
            ps->ej *= HC_PAIR_SHRINK;
        } else {
            ps->di *= HC_PAIR_SHRINK;
            ps->dj *= HC_PAIR_SHRINK;
        }
        return;
    }
    if (ps->stage == PAIR_CROSS) {
        line_d2(c, v, 1, ps->rho, ps->rho_line, &ps->s2, &ps->ts2, &ps->rs2, ps->corr2,
                NULL);
        if (ps->ei != ps->di) {
            /* d' was shrunk by a non-finite value: redo d at the same steps for the cross. */
            ps->di = ps->ei;
            ps->dj = -ps->ej;
            ps->stage = PAIR_REDO;
            ps->tries = 0;
            return;
        }
        pair_combine(c, ax, ps, nsecond);
        return;
    }
    double xs;
    line_d2(c, v, central, ps->rho, ps->rho_line, &ps->s, &ps->ts, &ps->rs, ps->corr, &xs);
    if (ps->stage == PAIR_REDO) {
        pair_combine(c, ax, ps, nsecond);
        return;
    }
    double di = ps->di, dj = ps->dj;
    double ci = di * di * ax[i].est, cj = dj * dj * ax[j].est;
    double den = 2.0 * di * dj;
    double p = (ps->s - ci - cj) / den;
    double ep = (ps->ts + ps->rs + di * di * (ax[i].trunc + ax[i].round) +
                 dj * dj * (ax[j].trunc + ax[j].round)) / fabs(den);
    ps->p = p;
    ps->ep = ep;
    ps->xtry = xs / fabs(den);
    double sc = ps->sc;
    /* What matters for the standard errors is the error against the smaller curvature
     * of the pair: the ratio of the smaller to the larger |eigenvalue| of the scaled
     * 2 x 2 block (1 - |scaled H_ij| for a positive definite one). */
    double a = ax[i].est / diag_scale(ax, i, hmax), bb = ax[j].est / diag_scale(ax, j, hmax);
    double rr = p / sc, mid = 0.5 * (a + bb), rad = sqrt(0.25 * (a - bb) * (a - bb) + rr * rr);
    double lmax = fabs(mid) + rad, lmin = fabs(fabs(mid) - rad);
    double valley = fmax(lmax > 0.0 ? lmin / lmax : 1.0, HC_PAIR_VALLEY_MIN);
#ifdef HC_DEBUG
    Rprintf("pair %d %d p %g ep/sc %g valley %g ts %g rs %g\n", i, j, p, ep / sc, valley,
            ps->ts / fabs(den), ps->rs / fabs(den));
#endif
    /* The cross shares the pair's own rounding: it helps only where the diagonal's
     * errors or the truncation dominate. */
    double own = ps->rs / fabs(den);
    if (!ps->central || !(ep > HC_PAIR_RISK * valley * sc) || !(ep - own > own)) {
        pair_tried(c, ax, ps, p, ep);
        return;
    }
    /* The second opinion: the cross, with the same steps along d' = (d_i, -d_j). */
    ps->ei = di;
    ps->ej = -dj;
    ps->stage = PAIR_CROSS;
    ps->tries = 0;
}

/* The mixed elements, HC_PAIR_CHUNK pairs at a time in lockstep, in the order
 * (0,1), (0,2), (1,2), (0,3), ... */
void hc_mixed_all(hc_ctx *c, const hc_axis *ax, pair_state *ps, double hmax,
                  double *ph, double *pe, int *nsecond)
{
    int n = c->n, i = 0, j = 1;
    while (j < n) {
        int cnt = 0;
        for (; j < n && cnt < HC_PAIR_CHUNK; cnt++) {
            pair_start(c, ax, ps + cnt, i, j, hmax);
            if (++i == j) {
                i = 0;
                j++;
            }
        }
        for (;;) {
            int running = 0;
            c->b->k = 0;
            for (int k = 0; k < cnt; k++) {
                if (ps[k].stage == PAIR_DONE) continue;
                pair_plan(c, ps + k);
                running++;
            }
            if (!running) break;
            hc_batch_run(c, c->f);
            for (int k = 0; k < cnt; k++)
                if (ps[k].stage != PAIR_DONE) pair_consume(c, ax, ps + k, hmax, nsecond);
        }
        for (int k = 0; k < cnt; k++) {
            const pair_state *p = ps + k;
            size_t ij = p->i + (size_t) p->j * n, ji = p->j + (size_t) p->i * n;
            /* an element measured along an axis whose curvature was lost in the rounding
             * is lost in the same rounding unless it stands above its own bound: its
             * bound rests on the noise that failed to resolve the axis */
            double e = p->eij + p->xij;
            int lost = (hc_axis_rough(ax + p->i) || hc_axis_rough(ax + p->j)) &&
                !(fabs(p->hij) > HC_RESOLVE * e);
            ph[ij] = ph[ji] = p->hij;
            pe[ij] = pe[ji] = hc_mark(e, p->inconsistent || lost);
        }
    }
}
