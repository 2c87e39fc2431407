/* The .Call entry point that assembles a Hessian: steps per parameter (steps.c), the
 * noise of fn and gr (noise.c), the diagonal and mixed differences (stencil.c; the mixed
 * elements of f mode: pairs.c), and for every element an
 * error bound made of truncation (measured between two steps), rounding (from the
 * measured noise) and, where a second estimate was made, their disagreement. */
#include <math.h>
#include <float.h>
#include <string.h>
#include "hesscheck.h"

#define HC_LEARN_MAX 16.0     /* first steps shrink for what the searches before them
                                 learned, unless that is more than this factor */
#define HC_LEARN_GROW 16.0    /* and grow by at most this factor */

/* The marks of hc_mark() (hesscheck.h) removed: the marked elements' 1-based positions,
 * as R reads them (usually none), and their bounds restored. */
static SEXP unmark(double *pe, R_xlen_t nn)
{
    R_xlen_t k = 0;
    for (R_xlen_t t = 0; t < nn; t++) k += pe[t] < 0.0;
    SEXP idx = PROTECT(Rf_allocVector(REALSXP, k));
    k = 0;
    for (R_xlen_t t = 0; t < nn; t++) {
        if (pe[t] < 0.0) {
            REAL(idx)[k++] = (double) t + 1.0;
            pe[t] = -pe[t];
        }
    }
    UNPROTECT(1);
    return idx;
}

/* Whether the noise must be measured again at the scale of the steps: where some axis's
 * differences do not behave as a smooth fn's in the asymptotic range. There the second
 * correction (R(h) - R(2h)) is of order h^2 against the first (D(h) - D(2h)): a ratio rho
 * above HC_RHO_SUSPECT, or estimates at different steps that disagree beyond their
 * bounds, mean that something between the first probe's spacing and the steps (an
 * oscillation, rounding of fn to a few digits) moves the values. */
#define HC_RHO_SUSPECT 0.01
static int step_probe_needed(const hc_ctx *c, const hc_axis *ax)
{
    for (int i = 0; i < c->n; i++)
        if (ax[i].rho > HC_RHO_SUSPECT || ax[i].inconsistent) return 1;
    return 0;
}

/* f mode: the gradient component i from the accepted stencil of axis i, at no cost. */
static void gradient_f(const hc_ctx *c, const hc_axis *ax, double *gi, double *gerr)
{
    double e = fmax(c->noise, ax->rfloor);
    *gi = ax->g;
    *gerr = ax->gtrunc + ax->grcoef * e;
}

/* g mode: column i of the Jacobian of gr, its truncation and rounding, from the values
 * of the accepted stencil. */
static void column_g(hc_ctx *c, const hc_axis *ax, const double *vals, double *col,
                     double *err)
{
    int n = c->n, np = hc_npoints(ax->side, 1);
    for (int j = 0; j < n; j++) {
        hc_est r;
        if (ax->side == 0) hc_d1_central(vals + j, n, ax->h, &r);
        else hc_d1_forward(vals + j, n, c->g0[j], ax->side * ax->h, &r);
        col[j] = r.ext;
        double mag = fabs(c->g0[j]);
        for (int k = 0; k < np; k++) mag = fmax(mag, fabs(vals[(size_t) k * n + j]));
        /* the floor sqrt(F |H_jj|) is applied once the diagonal is known */
        err[j] = r.ext_trunc;
        col[n + j] = r.ext_rcoef;   /* scratch: rounding per unit noise */
        col[2 * n + j] = hc_round_floor(mag);
    }
}

/* The steps and diagonal of all parameters, a group at a time: the first parameter alone
 * (its search teaches the others their first step), then groups of `group` in lockstep.
 * g mode: each parameter's column from its accepted stencil as its group ends. */
static void tune_all(hc_ctx *c, hc_axis *ax, const double *user_step, const double *start,
                     int group,
                     double *ph, double *terr, double *fl, double *tmp)
{
    int n = c->n, gmode = c->g != NULL;
    double h0[HC_GROUP_F > HC_GROUP_G ? HC_GROUP_F : HC_GROUP_G];
    /* First trial steps: the user's, or hc_first_step() moved by the geometric mean of how
     * far the searches of the parameters before the group moved theirs (on problems whose
     * parameters share a scale, or a noise level, that saves most moves; the search
     * corrects it where they do not). `moved` sums their log ratios. */
    double moved = 0.0;
    int learned = 0;
    for (int done = 0; done < n;) {
        int cnt = done == 0 && !user_step ? 1 : (n - done < group ? n - done : group);
        double factor = learned ? exp(moved / learned) : 1.0;
        /* a large shrink is particular to the parameters that made it (a small scale, a
         * kink, an oscillation): the others start where their own scale says; growth is
         * learned up to HC_LEARN_GROW (parameters below their common scale) */
        if (factor < 1.0 / HC_LEARN_MAX) factor = 1.0;
        factor = fmin(factor, HC_LEARN_GROW);
        for (int k = 0; k < cnt; k++) {
            int i = done + k;
            h0[k] = user_step ? user_step[i] :
                (start ? start[i] : hc_first_step(c->x[i], gmode) * factor);
        }
        hc_tune_group(c, done, cnt, h0, user_step == NULL, ax);
        /* only searches that ended resolved within the polynomial range teach (a kink,
         * a flat parameter, or one whose search ran out far outside the range says
         * nothing of the others) */
        if (!user_step && !start)
            for (int k = 0; k < cnt; k++) {
                const hc_axis *a = ax + done + k;
                if (!a->credible || !a->resolved || a->status != HC_OK) continue;
                moved += log(a->h / hc_first_step(c->x[done + k], gmode));
                learned++;
            }
        if (c->g) {
            for (int k = 0; k < cnt; k++) {
                int i = done + k;
                column_g(c, ax + i, c->slots[k].vals, tmp, terr + (size_t) i * n);
                /* the diagonal's bound as the search left it (widened by a kink or by
                 * the other steps' estimates) */
                terr[i + (size_t) i * n] = fmax(terr[i + (size_t) i * n], ax[i].trunc);
                for (int j = 0; j < n; j++) {
                    ph[j + (size_t) i * n] = tmp[j];
                    fl[j + (size_t) i * n] = tmp[2 * n + j];
                }
            }
        }
        done += cnt;
    }
}

/* The slots of hc_hessian()'s result, by name (hr_labels in the same order). */
enum hc_result_slot {
    HR_HESSIAN, HR_ERROR, HR_STEP, HR_SIDE, HR_RESOLVED, HR_NOISE, HR_EVALUATIONS,
    HR_GRADIENT, HR_GRADIENT_ERROR, HR_SECOND, HR_STATUS, HR_INCONSISTENT, HR_QUARTIC,
    HR_NSLOTS
};
static const char *hr_labels[HR_NSLOTS] = {
    "hessian", "error", "step", "side", "resolved", "noise", "evaluations", "gradient",
    "gradient_error", "second", "status", "inconsistent", "quartic"};

/* One Hessian's computation: fn (and gr), the context the searches and stencils share,
 * the workspace allocated once, the axes, and what the control list gave. */
typedef struct hc_run {
    int n, gmode, group, noise_given;
    hc_fun f, g;
    hc_ctx c;
    hc_batch batch;
    struct pair_state *ps;
    hc_axis *ax;
    const double *user_step, *start;
    /* f mode: the noise probe's first estimate and its inform (0, 0 when not run) */
    double sigma;
    int inform;
    int nsecond;        /* mixed elements that got a second estimate */
} hc_run;

/* The run set up from hc_hessian()'s arguments (checked there): the functions, the
 * context, and the workspace: the searches of a group, the batch (a group's stencils, a
 * chunk of pairs' lines, or the noise probe's line) and the pairs. */
static void hessian_init(hc_run *r, SEXP fcall, SEXP gcall, SEXP rho, SEXP par,
                         SEXP lower, SEXP upper, SEXP f0, SEXP g0, SEXP control,
                         SEXP handler, SEXP where, SEXP evaluator, SEXP progress)
{
    int n = (int) XLENGTH(par), gmode = !Rf_isNull(gcall);
    r->n = n;
    r->gmode = gmode;
    SEXP noise_s = hc_list_get(control, "noise"), step_s = hc_list_get(control, "step");
    SEXP start_s = hc_list_get(control, "start");
    int max_search = Rf_asInteger(hc_list_get(control, "max_search"));
    int tick = Rf_asInteger(hc_list_get(control, "tick"));

    hc_fun_init(&r->f, fcall, rho, handler, INTEGER(where), n, 1, 1);
    if (gmode) hc_fun_init(&r->g, gcall, rho, handler, INTEGER(where), n, n, 2);

    hc_ctx *c = &r->c;
    c->f = &r->f;
    c->g = gmode ? &r->g : NULL;
    c->n = n;
    c->m = gmode ? n : 1;
    c->x = REAL(par);
    c->lo = REAL(lower);
    c->up = REAL(upper);
    c->f0 = REAL(f0)[0];
    c->g0 = gmode ? REAL(g0) : NULL;
    c->fscale = c->f0 != 0.0 ? fabs(c->f0) : 1.0;
    int noise_given = R_FINITE(REAL(noise_s)[0]);
    r->noise_given = noise_given;
    c->noise = noise_given ? REAL(noise_s)[0] : 0.0;
    c->gnoise = NULL;
    c->max_search = max_search;
    c->nonfinite = 0;
    c->probe_axis = -1;
    c->probes_left = noise_given ? 0 : HC_AXIS_PROBES;
    c->gscratch = gmode ? (double *) R_alloc((size_t) HC_NOISE_POINTS_MAX * n, sizeof(double))
                        : NULL;
    c->xw = (double *) R_alloc(n, sizeof(double));
    memcpy(c->xw, c->x, n * sizeof(double));
    c->evaluator = evaluator;
    c->progress = progress;
    c->rho = rho;
    c->tick = Rf_isNull(progress) || tick == NA_INTEGER || tick < 0 ? 0 : tick;
    int group = gmode ? HC_GROUP_G : HC_GROUP_F;
    r->group = group;
    int nslots = n < group ? n : group;
    size_t npairs = (size_t) n * (n - 1) / 2;
    int chunk = npairs < HC_PAIR_CHUNK ? (int) npairs : HC_PAIR_CHUNK;
    c->slots = hc_alloc_slots(nslots, c->m);
    hc_batch *batch = &r->batch;
    int cap = HC_NPTS_MAX * nslots;
    if (!gmode && cap < HC_NPTS_MAX * chunk) cap = HC_NPTS_MAX * chunk;
    if (cap < HC_NOISE_POINTS_MAX) cap = HC_NOISE_POINTS_MAX;
    batch->cap = cap;
    batch->k = 0;

    int *iw = (int *) R_alloc(3 * (size_t) cap, sizeof(int));
    batch->ia = iw;
    batch->jb = iw + cap;
    batch->ok = iw + 2 * (size_t) cap;
    double *dw = (double *) R_alloc((2 + (size_t) c->m) * cap + (size_t) n, sizeof(double));
    batch->va = dw;
    batch->vb = dw + cap;
    batch->vals = dw + 2 * (size_t) cap;
    batch->dir = batch->vals + (size_t) c->m * cap;
    batch->bounds = NULL;
    c->b = batch;
    r->ps = gmode || chunk == 0 ? NULL : (struct pair_state *) R_alloc(chunk, hc_pair_size());
    /* the axes (those of the noise probes along one axis, and the first probe's when
     * it may be extended, are allocated where needed) */
    r->ax = (hc_axis *) R_alloc(n, sizeof(hc_axis));
    c->tmp_ax = c->fine_ax = NULL;
    c->fine_state = noise_given || gmode ? 2 : 0;
    r->user_step = Rf_isNull(step_s) ? NULL : REAL(step_s);
    r->start = Rf_isNull(start_s) ? NULL : REAL(start_s);
    r->sigma = 0.0;
    r->inform = 0;
    r->nsecond = 0;
}

/* A curvature measured only far beyond the parameter's own scale, where fn's noise had
 * grown orders of magnitude above its noise at that scale (fn rounded relative to its
 * value, so that no step resolves it better): the average curvature of fn over the step,
 * which is the Hessian only if fn is quadratic that far; a structure on the parameter's
 * scale (a sin(x) term) is averaged away unseen. */
#define HC_NOISE_GREW 1e3
#define HC_STEP_REMOTE 64.0
static int remote(const hc_run *r, const hc_axis *a, int i)
{
    const hc_ctx *c = &r->c;
    return !r->noise_given && r->sigma > 0.0 && c->noise > HC_NOISE_GREW * r->sigma &&
        a->h > HC_STEP_REMOTE * fmax(fabs(c->x[i]), 1.0);
}

/* f mode: 1. the noise, measured first so that the steps are chosen for it; 2. steps and
 * diagonal; 2b. the noise again at the scale of the steps; 3. the mixed elements. */
static void assemble_f(hc_run *r, double *ph, double *pe, double *pg, double *pge)
{
    hc_ctx *c = &r->c;
    hc_axis *ax = r->ax;
    int n = r->n;
    const double *user_step = r->user_step, *start = r->start;
    if (!r->noise_given && n > 1) {
        hc_probe_axes(c, user_step ? user_step : start, ax);
        r->sigma = hc_noise(c, ax, HC_NOISE_DELTA, 0, &r->inform);
#ifdef HC_DEBUG
        Rprintf("FINE %g inform %d\n", r->sigma, r->inform);
#endif
        c->noise = r->sigma;
    }
    tune_all(c, ax, user_step, start, r->group, NULL, NULL, NULL, NULL);
    /* 2b. The noise again, at the scale of the steps chosen: noise that is smooth far
     * below them (an oscillation, a rounding of fn to a few digits) but rough at
     * theirs counts in the bounds of the diagonal and of the mixed elements. */
    if (!r->noise_given && n > 1 && step_probe_needed(c, ax)) {
        hc_step_noise(c, ax);
        hc_renoise(c, ax);
    }
    double hmax = 0.0;
    for (int i = 0; i < n; i++) {
        ph[i + (size_t) i * n] = ax[i].est;
        /* a curvature lost in the rounding (hc_axis_rough): a curvature near 0 is not
         * established there (steps.c's search_finish flags the other case, a longer
         * step found non-polynomial) */
        pe[i + (size_t) i * n] = hc_mark(ax[i].trunc + ax[i].round,
                                         ax[i].inconsistent || hc_axis_rough(ax + i) ||
                                         remote(r, ax + i, i));
        gradient_f(c, ax + i, pg + i, pge + i);
        hmax = fmax(hmax, fabs(ax[i].est));
    }
    /* 3. Mixed elements. */
    hc_mixed_all(c, ax, r->ps, hmax, ph, pe, &r->nsecond);
}

/* g mode: 1. the noise of each component of gr (cancellation inside gr included); 2.
 * steps, from the columns' diagonal elements, and the columns; then each element's
 * error, and the two columns' estimates of it symmetrised. */
static void assemble_g(hc_run *r, double *ph, double *pe, double *pg, double *pge)
{
    hc_ctx *c = &r->c;
    hc_axis *ax = r->ax;
    int n = r->n;
    c->gnoise = (double *) R_alloc(n, sizeof(double));
    for (int i = 0; i < n; i++) c->gnoise[i] = 0.0;
    double *tmp = (double *) R_alloc(3 * (size_t) n, sizeof(double));
    double *terr = (double *) R_alloc((size_t) n * n, sizeof(double));
    double *fl = (double *) R_alloc((size_t) n * n, sizeof(double));
    hc_probe_axes(c, r->user_step ? r->user_step : r->start, ax);
    hc_gnoise(c, ax);
    tune_all(c, ax, r->user_step, r->start, r->group, ph, terr, fl, tmp);
    for (int i = 0; i < n; i++) {
        pg[i] = c->g0[i];
        pge[i] = c->gnoise[i];
    }
    /* Element (j, i): truncation + rounding of gr_j (its measured noise, at least eps
     * times its terms and sqrt(F |H_jj|)); then symmetrise, the two columns' estimates
     * being each other's second opinion: their disagreement counts in the error. */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            size_t ji = j + (size_t) i * n;
            double hjj = fabs(ph[j + (size_t) j * n]);
            double e = fmax(fmax(c->gnoise[j], fl[ji]),
                            hc_round_floor(sqrt(c->fscale) * sqrt(hjj)));
            terr[ji] += ax[i].rcoef * e;
        }
    }
    for (int j = 0; j < n; j++) {
        for (int i = 0; i <= j; i++) {
            size_t ij = i + (size_t) j * n, ji = j + (size_t) i * n;
            double a = ph[ij], b = ph[ji];
            double ea = terr[ij], eb = terr[ji];
            double err = 0.5 * (ea + eb);
            int bad = !(fabs(a - b) <= ea + eb);
            if (bad) err += 0.5 * fabs(a - b);
            else err = fmax(err, 0.5 * fabs(a - b));
            ph[ij] = ph[ji] = 0.5 * (a + b);
            pe[ij] = pe[ji] = hc_mark(err, bad || (i == j && ax[i].inconsistent));
        }
    }
}

/* The rest of the result: the inconsistent elements (their marks removed from the
 * error bounds), per parameter its step, side, resolution, status and quartic term, the
 * noise, the evaluations and the count of second estimates. */
static void pack(SEXP res, const hc_run *r, double *pe)
{
    int n = r->n;
    const hc_axis *ax = r->ax;
    SET_VECTOR_ELT(res, HR_INCONSISTENT, unmark(pe, (R_xlen_t) n * n));
    double *pstep = REAL(hc_new_elt(res, HR_STEP, REALSXP, n, -1));
    int *pside = INTEGER(hc_new_elt(res, HR_SIDE, INTSXP, n, -1));
    int *pres = LOGICAL(hc_new_elt(res, HR_RESOLVED, LGLSXP, n, -1));
    int *pstat = INTEGER(hc_new_elt(res, HR_STATUS, INTSXP, n, -1));
    double *pq = REAL(hc_new_elt(res, HR_QUARTIC, REALSXP, 2, n));
    for (int i = 0; i < n; i++) {
        pq[2 * (size_t) i] = ax[i].quartic;
        pq[2 * (size_t) i + 1] = ax[i].quartic_err;
        pstep[i] = ax[i].h;
        pside[i] = ax[i].side;
        pres[i] = ax[i].resolved;
        pstat[i] = ax[i].status;
    }
    double *pn = REAL(hc_new_elt(res, HR_NOISE, REALSXP, 3, -1));
    pn[0] = r->c.noise;
    pn[1] = r->sigma;
    pn[2] = r->inform;
    double *pev = REAL(hc_new_elt(res, HR_EVALUATIONS, REALSXP, 2, -1));
    pev[0] = r->f.count;
    pev[1] = r->gmode ? r->g.count : 0;
    INTEGER(hc_new_elt(res, HR_SECOND, INTSXP, 1, -1))[0] = r->nsecond;
}

SEXP hc_hessian(SEXP fcall, SEXP gcall, SEXP rho, SEXP par, SEXP lower, SEXP upper,
                SEXP f0, SEXP g0, SEXP control, SEXP handler, SEXP where, SEXP evaluator,
                SEXP progress)
{
    int n = (int) XLENGTH(par), gmode = !Rf_isNull(gcall);
    if (!hc_is_vec(par, REALSXP, -1) || !hc_is_vec(lower, REALSXP, n) ||
        !hc_is_vec(upper, REALSXP, n) || !hc_is_vec(f0, REALSXP, -1) ||
        !hc_is_vec(where, INTSXP, -1) || (gmode && !hc_is_vec(g0, REALSXP, n)) ||
        !(Rf_isNull(evaluator) || Rf_isFunction(evaluator)) ||
        !(Rf_isNull(progress) || Rf_isFunction(progress)))
        Rf_error("hesscheck internal: bad arguments to hc_hessian");
    hc_run r;
    hessian_init(&r, fcall, gcall, rho, par, lower, upper, f0, g0, control, handler, where,
                 evaluator, progress);
    SEXP res = PROTECT(hc_named_list(hr_labels, HR_NSLOTS));
    double *ph = REAL(hc_new_elt(res, HR_HESSIAN, REALSXP, n, n));
    double *pe = REAL(hc_new_elt(res, HR_ERROR, REALSXP, n, n));
    double *pg = REAL(hc_new_elt(res, HR_GRADIENT, REALSXP, n, -1));
    double *pge = REAL(hc_new_elt(res, HR_GRADIENT_ERROR, REALSXP, n, -1));
    if (!gmode) assemble_f(&r, ph, pe, pg, pge);
    else assemble_g(&r, ph, pe, pg, pge);
    pack(res, &r, pe);
    UNPROTECT(1);
    return res;
}
