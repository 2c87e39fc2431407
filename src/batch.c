/* Batches of points for fn or gr: the points of one stage of a Hessian (a group's
 * stencils, a chunk of pairs' lines, a noise probe's line), evaluated one at a time from C
 * (callback.c's hc_eval) or all at once by an R function (parallel backends), the same
 * points in the same order either way. A point is x with one or two coordinates set, or
 * x + k dir along the batch's line: the batch knows no more of where its points come
 * from. */
#include <math.h>
#include <string.h>
#include "hesscheck.h"

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

/* Write point p into xw (equal to x before), and restore xw afterwards. A point on the
 * batch's line (ia = -1) is x + k dir for k = va, each coordinate kept within the bounds
 * lo, up of its axis. */
void hc_batch_point(const hc_ctx *c, int p, double *xw)
{
    const hc_batch *b = c->b;
    if (b->ia[p] < 0) {
        double k = b->va[p];
        for (int i = 0; i < c->n; i++)
            xw[i] = fmin(fmax(c->x[i] + k * b->dir[i], b->bounds[i].lo), b->bounds[i].up);
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
    /* Once per batch, as hc_eval does every HC_INTERRUPT_EVERY points: a Ctrl-C or a time
     * limit that arrived while the workers ran is seen here, whatever R's own checks on
     * the way did. */
    R_CheckUserInterrupt();
}
