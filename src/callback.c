/* Evaluating the user's fn and gr from C: one prebuilt call per function, the argument
 * vector reused between evaluations unless the user kept a reference to it, a type and
 * length check on every value, and an interrupt check every HC_INTERRUPT_EVERY calls. */
#include <math.h>
#include <string.h>
#include "hesscheck.h"

#define HC_INTERRUPT_EVERY 128

void hc_fun_init(hc_fun *f, SEXP call, SEXP rho, SEXP handler, int *where,
                 int n, int m, int id)
{
    f->call = call;
    f->rho = rho;
    f->handler = handler;
    f->where = where;
    f->n = n;
    f->m = m;
    f->id = id;
    f->count = 0;
    if (TYPEOF(call) != LANGSXP || !hc_is_vec(CADR(call), REALSXP, n))
        Rf_error("hesscheck internal: malformed call");
}

/* Signal a classed error through the R-level handler, handing it the value that was
 * wrong (R_NilValue where there is none: a value not finite near x, or no room), quoted
 * so that a value that is itself a call or a symbol reaches it as it is; does not
 * return. */
static void signal_value(hc_fun *f, const char *what, const double *x, SEXP value)
{
    SEXP xs = PROTECT(Rf_allocVector(REALSXP, f->n));
    for (int k = 0; k < f->n; k++) REAL(xs)[k] = x[k];
    SEXP val = PROTECT(Rf_ScalarInteger(f->id));
    SEXP w = PROTECT(Rf_mkString(what));
    SEXP v = PROTECT(Rf_lang2(Rf_install("quote"), value));
    SEXP cl = PROTECT(Rf_lang5(f->handler, val, xs, w, v));
    Rf_eval(cl, f->rho);
    UNPROTECT(5);
    Rf_error("hesscheck internal: handler returned");
}

void hc_signal(hc_fun *f, const char *what, const double *x)
{
    signal_value(f, what, x, R_NilValue);
}

/* Evaluate at x, storing m values in out. Returns 1 when every value is finite, 0 when
 * some value is NA, NaN or infinite (the caller then shrinks its step). A value of the
 * wrong type or length is an error raised through the handler. */
int hc_eval(hc_fun *f, const double *x, double *out)
{
    SEXP xv = CADR(f->call);
    /* The user's function may have kept x (assigned it somewhere): then write a fresh
     * vector, so that what it kept is not changed under it. */
    if (MAYBE_SHARED(xv)) {
        SEXP old = xv;
        xv = PROTECT(Rf_allocVector(REALSXP, f->n));
        DUPLICATE_ATTRIB(xv, old);   /* allocates: xv must be protected until stored */
        SETCADR(f->call, xv);
        UNPROTECT(1);
    }
    double *px = REAL(xv);
    for (int k = 0; k < f->n; k++) px[k] = x[k];

    if (++f->count % HC_INTERRUPT_EVERY == 0) R_CheckUserInterrupt();
    *f->where = f->id;
    SEXP v = PROTECT(Rf_eval(f->call, f->rho));
    *f->where = 0;

    int ok = 1;
    if (!(TYPEOF(v) == REALSXP || TYPEOF(v) == INTSXP || TYPEOF(v) == LGLSXP) ||
        XLENGTH(v) != f->m)
        signal_value(f, "type", x, v);   /* (v stays protected: no return) */
    if (TYPEOF(v) == REALSXP) {
        const double *pv = REAL(v);
        for (int k = 0; k < f->m; k++) {
            out[k] = pv[k];
            if (!R_FINITE(pv[k])) ok = 0;
        }
    } else {
        const int *pv = (TYPEOF(v) == INTSXP) ? INTEGER(v) : LOGICAL(v);
        for (int k = 0; k < f->m; k++) {
            if (pv[k] == NA_INTEGER) {
                out[k] = NA_REAL;
                ok = 0;
            } else {
                out[k] = (double) pv[k];
            }
        }
    }
    UNPROTECT(1);
    return ok;
}
