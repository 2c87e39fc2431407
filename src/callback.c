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

/* Signal a classed error through the R-level handler; does not return. */
void hc_signal(hc_fun *f, const char *what, const double *x)
{
    SEXP xs = PROTECT(Rf_allocVector(REALSXP, f->n));
    for (int k = 0; k < f->n; k++) REAL(xs)[k] = x[k];
    SEXP val = PROTECT(Rf_ScalarInteger(f->id));
    SEXP w = PROTECT(Rf_mkString(what));
    SEXP cl = PROTECT(Rf_lang4(f->handler, val, xs, w));
    Rf_eval(cl, f->rho);
    UNPROTECT(4);
    Rf_error("hesscheck internal: handler returned");
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
        XLENGTH(v) != f->m) {
        UNPROTECT(1);
        hc_signal(f, "type", x);
    }
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

/* ---- batches of points ------------------------------------------------------------- */

/* Add a point to the batch; returns its index. */
int hc_batch_add(hc_ctx *c, int ia, double va, int jb, double vb)
{
    hc_batch *b = c->b;
    if (b->k >= b->cap) Rf_error("hesscheck internal: batch overflow");
    int p = b->k++;
    b->ia[p] = ia;
    b->va[p] = va;
    b->jb[p] = jb;
    b->vb[p] = vb;
    return p;
}

/* Write point p into xw (equal to x before), and restore xw afterwards. */
void hc_batch_point(const hc_ctx *c, int p, double *xw)
{
    const hc_batch *b = c->b;
    if (b->ia[p] < 0) {
        hc_probe_point(c, b->pax, b->va[p], xw);
        return;
    }
    xw[b->ia[p]] = b->va[p];
    if (b->jb[p] >= 0) xw[b->jb[p]] = b->vb[p];
}

void hc_batch_unpoint(const hc_ctx *c, int p, double *xw)
{
    const hc_batch *b = c->b;
    if (b->ia[p] < 0) {
        memcpy(xw, c->x, c->n * sizeof(double));
        return;
    }
    xw[b->ia[p]] = c->x[b->ia[p]];
    if (b->jb[p] >= 0) xw[b->jb[p]] = c->x[b->jb[p]];
}

/* The progress function: it returns the number of evaluations until its next call. */
static int progress(hc_ctx *c, int done)
{
    SEXP d = PROTECT(Rf_ScalarInteger(done));
    SEXP cl = PROTECT(Rf_lang2(c->progress, d));
    int next = Rf_asInteger(Rf_eval(cl, c->rho));
    UNPROTECT(2);
    return next == NA_INTEGER || next < 0 ? 0 : next;
}

/* Evaluate the batch with f: values to b->vals, finiteness to b->ok. Serial: one point at
 * a time from C (hc_eval: its checks, interrupts and error handling). Parallel: the
 * points as the columns of a matrix, to the R evaluator, which returns the m values of
 * each (NA where not finite) or raises the error serial mode would have raised at the
 * first failing point. */
void hc_batch_run(hc_ctx *c, hc_fun *f)
{
    hc_batch *b = c->b;
    int m = f->m, n = c->n, k = b->k;
    if (k == 0) return;
    if (c->evaluator == R_NilValue) {
        for (int p = 0; p < k; p++) {
            hc_batch_point(c, p, c->xw);
            b->ok[p] = hc_eval(f, c->xw, b->vals + (size_t) p * m);
            hc_batch_unpoint(c, p, c->xw);
            if (c->tick > 0 && --c->tick == 0) c->tick = progress(c, f->count);
        }
        return;
    }
    SEXP X = PROTECT(Rf_allocMatrix(REALSXP, n, k));
    double *px = REAL(X);
    for (int p = 0; p < k; p++) {
        double *col = px + (size_t) p * n;
        memcpy(col, c->x, n * sizeof(double));
        hc_batch_point(c, p, col);
    }
    SEXP id = PROTECT(Rf_ScalarInteger(f->id));
    SEXP cl = PROTECT(Rf_lang3(c->evaluator, X, id));
    SEXP v = PROTECT(Rf_eval(cl, c->rho));
    if (!hc_is_vec(v, REALSXP, (R_xlen_t) m * k))
        Rf_error("hesscheck internal: the batch evaluator returned a malformed value");
    const double *pv = REAL(v);
    for (int p = 0; p < k; p++) {
        int ok = 1;
        for (int r = 0; r < m; r++) {
            double val = pv[(size_t) p * m + r];
            b->vals[(size_t) p * m + r] = val;
            if (!R_FINITE(val)) ok = 0;
        }
        b->ok[p] = ok;
    }
    f->count += k;
    UNPROTECT(4);
}
