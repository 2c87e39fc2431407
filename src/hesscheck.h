/* hesscheck: declarations shared by the C sources. */
#ifndef HESSCHECK_H
#define HESSCHECK_H

#define USE_FC_LEN_T
#include <R.h>
#include <Rinternals.h>

/* Evaluating the user's R function from C (callback.c). */
typedef struct hc_fun {
    SEXP call;     /* fn(x, ...) as a LANGSXP; x is its CADR */
    SEXP rho;      /* environment the call is evaluated in */
    SEXP handler;  /* function(value, x, what) that signals a classed error */
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

/* Step selection and noise (steps.c). */
typedef struct hc_axis {
    double h;       /* step */
    int side;       /* 0 central, +1 / -1 one-sided towards upper / lower */
    double est;     /* f mode: H_ii; g mode: the diagonal element of column i */
    double trunc;   /* truncation error estimate of est */
    double round;   /* rounding (noise) error bound of est */
    double rcoef;   /* round per unit of noise: round = rcoef * max(noise, rfloor) */
    double rfloor;  /* rounding floor from the magnitude of the values used */
    double curv;    /* |second difference of f| along the step, in f units */
    double tmodel;  /* truncation with the noise taken out, for the step search */
    int resolved;   /* 1 if the curvature rose above the noise */
    double lo, up;  /* the bounds, narrowed to where fn was found finite */
} hc_axis;

#define HC_CACHE 40       /* stencil points remembered per parameter during a search */
#define HC_NPTS_MAX 5     /* points of the largest stencil (one-sided, f mode) */

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
    double noise;       /* absolute noise level of one fn value */
    int max_search;     /* step-search iterations per parameter */
    double *xw;         /* work point, length n, equal to x between evaluations */
    double *vals;       /* HC_NPTS_MAX * m values of the accepted stencil */
    double *trial;      /* HC_NPTS_MAX * m values of the stencil being tried */
    double ct[HC_CACHE];/* cache: offsets along the current axis ... */
    int cok[HC_CACHE];  /* ... whether the value there was finite ... */
    double *cv;         /* ... and the values, HC_CACHE * m */
    int cn;
} hc_ctx;

double hc_first_step(double x, int gmode);
int hc_npoints(const hc_ctx *c, int side);
double hc_offset(int side, int k, double h);
void hc_tune_axis(hc_ctx *c, int i, double h0, int search, hc_axis *ax);
double hc_noise(hc_ctx *c, const hc_axis *ax, int *inform);

/* Difference formulas (stencil.c). */
void hc_d2_central(const double *v, double g0, double h, double e, double scale,
                   double *est, double *trunc, double *round, double *curv,
                   double *tmodel);
void hc_d2_forward(const double *v, double g0, double h, double e,
                   double *est, double *trunc, double *round, double *curv,
                   double *tmodel);
void hc_d1_central(const double *v, double h, double e, double scale,
                   double *est, double *trunc, double *round, double *tmodel);
void hc_d1_forward(const double *v, double g0, double h, double e,
                   double *est, double *trunc, double *round, double *tmodel);
int hc_ecnoise(int nf, double *fv, double fscale, double *sigma);

/* Reading and building R lists (rlist.c). */
SEXP hc_list_get(SEXP list, const char *name);
void hc_set_names(SEXP x, const char **labels, int n);
SEXP hc_named_list(const char **labels, int n);
SEXP hc_new_elt(SEXP list, int k, SEXPTYPE type, int nrow, int ncol);

/* Entry points (.Call). */
SEXP hc_hessian(SEXP fcall, SEXP gcall, SEXP rho, SEXP par, SEXP lower,
                SEXP upper, SEXP f0, SEXP g0, SEXP control, SEXP handler,
                SEXP where);
SEXP hc_classify(SEXP H, SEXP E, SEXP g, SEXP ge, SEXP x, SEXP lower, SEXP upper,
                 SEXP tol_bound);
SEXP hc_newton(SEXP vectors, SEXP values, SEXP use, SEXP gs, SEXP gse, SEXP d,
               SEXP posdef);
SEXP hc_jacobian(SEXP call, SEXP rho, SEXP par, SEXP step, SEXP lower, SEXP upper,
                 SEXP f0, SEXP handler, SEXP where);

#endif
