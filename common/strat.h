/*
 * strat.h: stratified train/test splits and K-fold assignment, allocated per class the way
 * scikit-learn's StratifiedShuffleSplit and StratifiedKFold(shuffle=True) allocate them, with
 * rows drawn by our own seeded generator (rng.h): the counts match scikit-learn's, the rows
 * themselves do not; or (strat_split_sklearn) drawn as scikit-learn draws them, row for row.
 *
 * Rows are given as class indices cls[i] in [0, nclasses); every class must occur. Functions
 * that can fail return 0, or -1 with a one-line message (no program name) in err.
 */
#ifndef PIPEML_STRAT_H
#define PIPEML_STRAT_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Test rows for a fraction in (0, 1) of n rows: ceil(fraction · n), as scikit-learn. */
size_t strat_test_size(double fraction, size_t n);

/*
 * scikit-learn's _approximate_mode: split n_draws over the classes in proportion to counts,
 * flooring, then giving the leftover draws to the largest remainders (ties broken at random
 * with r). draws[nclasses] receives the result; it sums to n_draws when n_draws ≤ Σ counts.
 */
void strat_approximate_mode(const size_t *counts, size_t nclasses, size_t n_draws, struct rng *r,
                            size_t *draws);

/*
 * Stratified shuffle split of n rows into n - n_test train and n_test test rows: is_test[i]
 * is set to 1 for a test row, 0 for a train row. Fails, as scikit-learn does, when a class
 * has a single row or either half would have fewer rows than there are classes.
 */
int strat_shuffle_split(const uint32_t *cls, size_t n, size_t nclasses, size_t n_test,
                        struct rng *r, unsigned char *is_test, char *err, size_t errsize);

/*
 * scikit-learn's train_test_split(rows, test_size=n_test, stratify=labels, random_state=seed)
 * (its StratifiedShuffleSplit) drawn with numpy's RandomState(seed), with cls numbering the
 * classes in sorted label order as np.unique does: the same rows as scikit-learn's, in its
 * order, train[0 .. n - n_test) and test[0 .. n_test). Fails as strat_shuffle_split does.
 */
int strat_split_sklearn(const uint32_t *cls, size_t n, size_t nclasses, size_t n_test,
                        uint32_t seed, uint32_t *train, uint32_t *test, char *err, size_t errsize);

/*
 * Stratified K-fold: fold[i] in [0, k) for each row. With the rows sorted by class (classes
 * in the order of their first row, as scikit-learn numbers them), position p goes to fold
 * p mod k, so fold sizes differ by at most one and each fold's class counts equal
 * scikit-learn's; which rows of a class go to which fold is shuffled with r. Fails when
 * k < 2, k > n, or every class has fewer than k rows.
 */
int strat_kfold(const uint32_t *cls, size_t n, size_t nclasses, size_t k, struct rng *r,
                uint32_t *fold, char *err, size_t errsize);

#endif
