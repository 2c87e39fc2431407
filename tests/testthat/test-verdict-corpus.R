# The rule set as a whole, on a corpus with known truth (helper-corpus.R): well-posed
# fits through the supported classes are minima (or ill-conditioned minima) with SEs
# within 1% of an exact reference, defects get their verdict (never a minimum), and no
# case errors.

test_that("the corpus: every well-posed fit a minimum with its SEs, every defect named", {
  for (cs in verdict_corpus()) {
    for (p in cs$needs) skip_if_not_installed(p)
    r <- run_corpus_case(cs)
    expect_identical(r$error, NA_character_, label = cs$name)
    expect_true(r$verdict %in% cs$expect, label = paste(cs$name, "->", r$verdict))
    if (cs$kind == "defect") {
      expect_false(r$verdict %in% c("minimum", "ill_conditioned"), label = cs$name)
    }
    if (!is.na(r$se_error)) expect_lte(r$se_error, 0.01, label = cs$name)
  }
})
