/* Reading and building R lists from C: the control lists R passes in and the named
 * results the entry points return. */
#include <string.h>
#include "hesscheck.h"

/* The element of a named list; a missing name cannot happen (R fills in defaults). */
SEXP hc_list_get(SEXP list, const char *name)
{
    SEXP names = Rf_getAttrib(list, R_NamesSymbol);
    for (R_xlen_t k = 0; k < XLENGTH(list); k++)
        if (strcmp(CHAR(STRING_ELT(names, k)), name) == 0) return VECTOR_ELT(list, k);
    Rf_error("hesscheck internal: control element '%s' missing", name);
    return R_NilValue;
}

/* Whether x is a vector of the type and, when len >= 0, of that length: the entry points'
 * checks of what their R callers pass. */
int hc_is_vec(SEXP x, SEXPTYPE type, R_xlen_t len)
{
    return (SEXPTYPE) TYPEOF(x) == type && (len < 0 || XLENGTH(x) == len);
}

/* Set names(x) to labels[0 .. n-1]. */
static void hc_set_names(SEXP x, const char **labels, int n)
{
    SEXP nms = PROTECT(Rf_allocVector(STRSXP, n));
    for (int k = 0; k < n; k++) SET_STRING_ELT(nms, k, Rf_mkChar(labels[k]));
    Rf_setAttrib(x, R_NamesSymbol, nms);
    UNPROTECT(1);
}

/* A list with names labels[0 .. n-1]; the caller protects it. */
SEXP hc_named_list(const char **labels, int n)
{
    SEXP res = PROTECT(Rf_allocVector(VECSXP, n));
    hc_set_names(res, labels, n);
    UNPROTECT(1);
    return res;
}

/* A new vector (ncol < 0) or matrix stored as element k of list, which protects it. */
SEXP hc_new_elt(SEXP list, int k, SEXPTYPE type, int nrow, int ncol)
{
    SEXP x = ncol < 0 ? Rf_allocVector(type, nrow) : Rf_allocMatrix(type, nrow, ncol);
    SET_VECTOR_ELT(list, k, x);
    return x;
}
