/* Registration of the .Call entry points. */
#include <R_ext/Rdynload.h>
#include "hesscheck.h"

/* (through void (*)(void), the generic function type, so that -Wextra's
 * -Wcast-function-type sees no cast between incompatible types) */
#define CALLDEF(name, n) {#name, (DL_FUNC) (void (*)(void)) &name, n}

static const R_CallMethodDef CallEntries[] = {
    CALLDEF(hc_hessian, 13),
    CALLDEF(hc_jacobian, 9),
    CALLDEF(hc_noise_values, 2),
    {NULL, NULL, 0}
};

void R_init_hesscheck(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, CallEntries, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
