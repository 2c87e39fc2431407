/* hesscheck: declarations shared by the C sources. */
#ifndef HESSCHECK_H
#define HESSCHECK_H

#define USE_FC_LEN_T
#include <math.h>
#include <float.h>
#include <R.h>
#include <Rinternals.h>

/* Evaluating the user's R function from C (callback.c). */
typedef struct hc_fun {
    SEXP call;     /* fn(x, ...) as a LANGSXP; x is its CADR */
    SEXP rho;      /* environment the call is evaluated in */
    SEXP handler;  /* function(id, x, what, value) that signals a classed error */
    int *where;    /* tells R which function was running when an error escaped */
    int n;         /* length of x */
    int m;         /* length of the value: 1 for fn, n for gr */
    int id;        /* 1 for fn, 2 for gr */
    int count;     /* evaluations so far */
} hc_fun;

void hc_fun_init(hc_fun *f, SEXP call, SEXP rho, SEXP handler, int *where,
                 int n, int m, int id);
int hc_eval(hc_fun *f, const double *x, double *out);
void hc_signal(hc_fun *f, const char *what, const double *x);

/* Batches of points (batch.c). */
struct hc_ctx;
void hc_batch_point(const struct hc_ctx *c, int p, double *xw);
void hc_batch_unpoint(const struct hc_ctx *c, int p, double *xw);
int hc_batch_add(struct hc_ctx *c, int ia, double va, int jb, double vb);
void hc_batch_run(struct hc_ctx *c, hc_fun *f);

/* One estimate from a stencil and its second opinion (stencil.c). */
typedef struct hc_est {
    double est;     /* the estimate at step h */
    double alt;     /* the same formula at step 2h */
    double lo;      /* the lower-order estimate at h ... */
    double lo2;     /* ... and at 2h: lo - lo2 is the first correction */
    double rcoef;   /* sum of |coefficients| of est: its rounding per unit of noise */
    int order;      /* order of the truncation of est in h */
    int deriv;      /* order of the derivative: rounding scales as h^-deriv */
    double ext;     /* est and alt extrapolated (Richardson): est + (est - alt) / (2^order - 1) */
    double ext_trunc;  /* bound of ext's truncation: |est - alt| 2^order / (2^order - 1) */
    double ext_rcoef;  /* rounding of ext per unit of noise */
} hc_est;

#define HC_NPTS_MAX 6     /* points of a stencil, f(x) not counted */
#define HC_CACHE 32       /* stencil points remembered per parameter during a search */
#define HC_TRIED 16       /* stencils remembered per parameter (not tried twice) */
/* Parameters whose step searches run in lockstep, their stencils one batch: f mode
 * (after the first parameter alone, whose search teaches the others their first step),
 * and gr mode (where each value is a vector of n: one at a time, as the memory allows). */
#define HC_GROUP_F 16
#define HC_GROUP_G 1
#define HC_PAIR_CHUNK 32  /* mixed elements computed in lockstep, their lines one batch */
#define HC_NOISE_POINTS_MAX 16  /* points of the noise probe's line, at most */
#define HC_MAX_NONFINITE 60     /* non-finite values tolerated per call (the one rule) */

/* A batch of points for fn or gr (batch.c): x with coordinate ia (and jb, unless -1)
 * set to va (vb), or, for ia = -1, x + va dir within the bounds lo, up of the axes (the
 * batch's line: the noise probe's, set by its caller). Evaluated one at a
 * time in C (serial), or all at once by an R function (parallel backends); either way the
 * same points in the same order, so that the results do not depend on the backend. */
typedef struct hc_batch {
    int cap;           /* points at most */
    int k;             /* points now */
    int *ia, *jb;
    double *va, *vb;
    double *vals;      /* cap * m values */
    int *ok;           /* 1 if every value of the point is finite */
    double *dir;                /* the line's direction (n values, ia = -1) ... */
    const struct hc_axis *bounds;  /* ... and its bounds: the axes' lo and up */
} hc_batch;

/* Status of a parameter's differences (the `status` attribute). */
enum { HC_OK = 0, HC_STAIRS = 1, HC_KINK = 2 };

/* The rounding floor of one value v of fn or gr: HC_ROUND_EPS eps |v| (the one place it is
 * written). */
#define HC_ROUND_EPS 4.0
static inline double hc_round_floor(double v)
{
    return HC_ROUND_EPS * DBL_EPSILON * fabs(v);
}

/* The spacing of doubles at a > 0: its unit in the last place, at least the smallest
 * positive double (HC_TINY also where a is 0 or not a number). */
#define HC_TINY 4.9406564584124654e-324   /* the smallest positive double */
static inline double hc_ulp_above(double a)
{
    int e;
    if (!(a > 0.0)) return HC_TINY;
    frexp(a, &e);                 /* a = m 2^e, m in [0.5, 1) */
    double u = ldexp(1.0, e - 53);
    return u > HC_TINY ? u : HC_TINY;
}

/* Step selection (steps.c) and noise (noise.c). */
typedef struct hc_axis {
    double h;       /* step: a power of two with x + k h exact for |k| <= 8 */
    int side;       /* 0 central, +1 / -1 one-sided towards upper / lower */
    double est;     /* f mode: H_ii; g mode: the diagonal element of column i */
    double trunc;   /* |est - alt|: truncation (and noise) seen between steps h and 2h */
    double rcoef;   /* rounding of est per unit of noise */
    double rfloor;  /* rounding floor of one value: a few eps times the largest |value| */
    double round;   /* rounding bound of est, set once the noise is known */
    double rho;     /* |est - alt| / |lo - lo2| on this axis, or -1 when not measured */
    double rho_line;   /* the pairs' calibration of their lines (steps.c's search_finish):
                          rho, or where it was lost in the noise at this step, the largest
                          measured at a longer step scaled down to this one as h^2 */
    double g;       /* f mode: the first derivative, its truncation and rounding per noise */
    double gtrunc;
    double grcoef;
    double gtau;    /* g mode: the largest relative truncation over the column */
    int resolved;   /* 1 if the estimate stands above its rounding */
    int credible;   /* 0 if the two steps disagree at the order of the estimate itself
                       (far outside the polynomial range: its bound means nothing) */
    int asymptotic; /* credible, and the second correction small against the first */
    int inconsistent;  /* 1 if estimates at other steps disagree with this one beyond
                          their combined bounds (the bound was widened to cover them) */
    double quartic, quartic_err;  /* f mode, central: the fourth-order term of the second
                                     differences, q in D(s) = H_ii + q s^2, and its error */
    int slope_kink; /* 1 if the stencil's differences grow as 1 / h, as those of |x| at 0;
                       -1 if they are lost in the rounding */
    int slope;      /* 1 if the first derivative (g mode: another element of the column)
                       stands above its rounding */
    double odd;     /* how far beyond its polynomial range the slope is at this step
                       (above 1: beyond it; steps.c's odd_excess) */
    int status;     /* HC_OK, or HC_STAIRS: fn piecewise constant along the axis */
    double lo, up;  /* the bounds, narrowed to where fn was found finite */
} hc_axis;

#define HC_RESOLVE 4.0   /* an estimate is resolved above this many rounding bounds */

/* A curvature lost in the rounding at a step where the slope's differences are far
 * outside the polynomial range (fn rounded to a few digits, rough at the step's scale):
 * what was measured at this axis's step is not established there. */
static inline int hc_axis_rough(const hc_axis *a)
{
    return !a->resolved && a->odd > 1.0;
}

typedef struct hc_ctx {
    hc_fun *f;          /* objective */
    hc_fun *g;          /* gradient, or NULL in f-only mode */
    int n;
    int m;              /* values per point: 1 (f mode) or n (g mode) */
    const double *x;    /* the point */
    const double *lo;
    const double *up;
    double f0;          /* fn at x */
    const double *g0;   /* gr at x (g mode) */
    double fscale;      /* typical magnitude of fn */
    double noise;       /* absolute noise bound of one fn value */
    double *gnoise;     /* g mode: noise bound of each component of gr, length n */
    int max_search;     /* step-search iterations per parameter */
    int nonfinite;      /* non-finite values met so far (all parameters) */
    double *xw;         /* work point, length n, equal to x between evaluations */
    hc_batch *b;        /* the points of the current stage */
    SEXP evaluator;     /* R function(X, id) evaluating the columns of X, or R_NilValue:
                           one at a time from C */
    SEXP progress;      /* R function(done) -> evaluations until the next call (0: never) */
    SEXP rho;
    int tick;           /* evaluations left before progress is called (0: never) */
    struct hc_search *slots;  /* the searches of a group (HC_GROUP_F or HC_GROUP_G) */
    int probe_axis;     /* a parameter whose stencils looked noisy: the noise is measured
                           along its axis before the next round (-1: none) */
    int probes_left;    /* such probes left (f mode; 0 with gr or a given noise) */
    struct hc_axis *tmp_ax;  /* n axes of scratch */
    int fine_state;     /* the first probe: 0 not run; 1 no noise found from few points
                           (extendable); 2 done; 3 to be extended */
    int fine_nf;        /* its points, spacing, axes and values */
    double fine_delta;
    struct hc_axis *fine_ax;
    double fine_fv[HC_NOISE_POINTS_MAX];
    double *gscratch;   /* g mode: HC_NOISE_POINTS_MAX * n values of a probe's line */
} hc_ctx;

/* One parameter's step search, advanced one stencil at a time (steps.c). */
typedef struct hc_search {
    int i;              /* the parameter */
    int active, have, it, ntried, side, np, search;
    double h, lo, up;
    double h_flat;      /* the largest step at which fn was exactly flat (a staircase?) */
    double h_bad;       /* the shortest step found far outside the polynomial range */
    double h_moving, g_moving, est_moving;  /* the longest step at which fn moved, and the
                                               slope and estimate its stencil gave */
    double tried[HC_TRIED];     /* steps tried, with their sides */
    int tried_side[HC_TRIED];
    double tried_est[HC_TRIED];  /* their estimates, truncation, rounding per unit noise
                                    and rounding floor, and whether credible */
    double tried_trunc[HC_TRIED];
    double tried_rcoef[HC_TRIED];
    double tried_rfloor[HC_TRIED];
    double tried_rho[HC_TRIED];
    int tried_cred[HC_TRIED];
    int nslope_kink, nmeasured;  /* stencils measured above the rounding, and those of
                                    them that looked like |x| at 0 */
    int smooth_seen;    /* a credible, resolved stencil was measured */
    int probed;         /* its axis's noise was measured */
    int src[HC_NPTS_MAX];   /* batch index of each point of the stencil, -1 if cached */
    int tok[HC_NPTS_MAX];   /* whether each value is finite */
    double ct[HC_CACHE];    /* cache: offsets along the axis, whether finite, values */
    int cok[HC_CACHE];
    int cn, cnext;
    double *cv;         /* HC_CACHE * m */
    double *trial;      /* HC_NPTS_MAX * m values of the stencil being tried */
    double *vals;       /* HC_NPTS_MAX * m values of the accepted stencil */
} hc_search;

double hc_exact_step(double x, double h);
double hc_first_step(double x, int gmode);
void hc_tune_group(hc_ctx *c, int i0, int count, const double *h0, int search, hc_axis *ax);
hc_search *hc_alloc_slots(int count, int m);
int hc_choose_side(double x, double lo, double up, int gmode, double *h);
int hc_wall(hc_ctx *c, hc_fun *f, double off, double *lo, double *up, int i);
void hc_probe_axes(const hc_ctx *c, const double *user_step, hc_axis *ax);
double hc_noise(hc_ctx *c, const hc_axis *ax, double delta, int npts, int *inform);
void hc_renoise(const hc_ctx *c, hc_axis *ax);
int hc_ecnoise(int nf, double *fv, double fscale, double *sigma, double *quantum);
void hc_step_noise(hc_ctx *c, hc_axis *ax);
#define HC_NOISE_STEP_POINTS 8              /* points of the second probe's line */
#define HC_AXIS_PROBES 3   /* noise probes along single axes per Hessian, at most */
#define HC_NOISE_DELTA (1.0 / 1048576.0)   /* the first probe's spacing, of the steps */
#define HC_NOISE_STEP_DELTA (1.0 / 16.0)   /* the second's, of the steps chosen */
void hc_gnoise(hc_ctx *c, const hc_axis *ax);
void hc_gnoise_line(hc_ctx *c, const hc_axis *ax, double delta, int npts);
int hc_fine_extend(hc_ctx *c);

/* Difference formulas (stencil.c). */
int hc_npoints(int side, int gmode);
double hc_offset(int side, int k, double h);
void hc_d2_central(const double *v, double f0, double h, hc_est *r);
void hc_d2_forward(const double *v, double f0, double h, hc_est *r);
void hc_d1_central(const double *v, int stride, double h, hc_est *r);
void hc_d1_forward(const double *v, int stride, double g0, double h, hc_est *r);
void hc_d2_line(const double *v, double f0, hc_est *r);
/* The side of x with more room in [lo, up]: 1 upwards, -1 downwards. */
static inline int hc_room_side(double x, double lo, double up)
{
    return up - x >= x - lo ? 1 : -1;
}
double hc_line_trunc(const hc_est *r, double rho, double e);
void hc_extrapolate(hc_est *r);

/* The elements whose estimates at different steps disagreed beyond their combined bounds
 * are marked, while the Hessian is assembled, by the sign of their (non-negative) error
 * bound, so that no n x n flag matrix is needed; hessian.c's unmark() returns them as
 * the 1-based positions R reads (usually none) and restores the bounds. */
static inline double hc_mark(double err, int inconsistent)
{
    return inconsistent ? -fabs(err) - DBL_MIN : err;
}

/* The mixed elements (pairs.c): a pair's state, allocated by the caller, HC_PAIR_CHUNK of
 * them. */
struct pair_state;
size_t hc_pair_size(void);
void hc_mixed_all(hc_ctx *c, const hc_axis *ax, struct pair_state *ps, double hmax,
                  double *ph, double *pe, int *nsecond);

/* Reading and building R lists (rlist.c). */
SEXP hc_list_get(SEXP list, const char *name);
int hc_is_vec(SEXP x, SEXPTYPE type, R_xlen_t len);
SEXP hc_named_list(const char **labels, int n);
SEXP hc_new_elt(SEXP list, int k, SEXPTYPE type, int nrow, int ncol);

/* Entry points (.Call). */
SEXP hc_hessian(SEXP fcall, SEXP gcall, SEXP rho, SEXP par, SEXP lower,
                SEXP upper, SEXP f0, SEXP g0, SEXP control, SEXP handler,
                SEXP where, SEXP evaluator, SEXP progress);
SEXP hc_noise_values(SEXP values, SEXP fscale);
SEXP hc_jacobian(SEXP call, SEXP rho, SEXP par, SEXP step, SEXP lower, SEXP upper,
                 SEXP f0, SEXP handler, SEXP where);

#endif
