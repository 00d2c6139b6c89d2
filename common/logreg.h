/*
 * logreg.h: binary logistic regression with scikit-learn's objective,
 *   l2:         ½‖w‖² + C·Σ sᵢ·log(1 + exp(−ỹᵢ(wᵀxᵢ + b)))
 *   l1:         ‖w‖₁ + C·Σ sᵢ·logloss
 *   elasticnet: ρ‖w‖₁ + (1 − ρ)/2·‖w‖² + C·Σ sᵢ·logloss   (ρ = l1_ratio)
 *   none:       C·Σ sᵢ·logloss
 * with ỹᵢ = ±1, sᵢ the sample weight (1, or n / (2·n_class) for class_weight=balanced) and
 * the intercept b unpenalised unless penalize_intercept (then b joins w, as LIBLINEAR's
 * bias feature and scikit-learn's liblinear solver with intercept_scaling = 1).
 * Smooth problems (l2, none) are solved by Newton's method and a line search (the Hessian
 * formed and factored up to 48 parameters, conjugate gradients on Hessian-vector products
 * above); l1 and elasticnet by proximal Newton (newGLMNET-like: coordinate descent on the
 * quadratic model, then a line search on the full objective). Passes over the rows run on
 * cfg->threads threads in fixed blocks, so the result does not depend on their number.
 */
#ifndef PIPEML_LOGREG_H
#define PIPEML_LOGREG_H

#include <stddef.h>

#include "dataset.h"
#include "model.h"
#include "search.h"

enum logreg_penalty { PENALTY_NONE, PENALTY_L1, PENALTY_L2, PENALTY_ELASTICNET };
/* scikit-learn's solver names; they choose the penalties allowed, not the algorithm. */
enum logreg_solver { SOLVER_NEWTON_CG, SOLVER_LBFGS, SOLVER_LIBLINEAR, SOLVER_SAG, SOLVER_SAGA };

struct logreg_config {
	enum logreg_solver solver;   /* lbfgs */
	enum logreg_penalty penalty; /* l2 */
	double C;                    /* 1 */
	double l1_ratio;             /* NaN = unset (required by elasticnet) */
	double tol;                  /* 1e-8: stop when ‖∇f‖₂ ≤ tol·‖∇f(0)‖₂ */
	long max_iter;               /* 100 (Newton iterations) */
	int fit_intercept;           /* 1 */
	int penalize_intercept;      /* -1: as scikit-learn (only for solver liblinear) */
	int class_weight_balanced;   /* 0 */
	int threads;                 /* 1: threads for the passes over the rows */
};

struct logreg_fit {
	size_t nfeatures;
	double *coef; /* nfeatures */
	double intercept;
	long iterations;
	double objective;
	double grad_norm; /* ‖∇f‖₂ (l1/elasticnet: of the minimum-norm subgradient) */
	int converged;
};

extern const struct model_kind logreg_kind;
extern const struct learner logreg_learner;

void logreg_config_default(struct logreg_config *cfg);
/* Set one parameter from text: 0, -1 invalid value, -2 unknown name (message in err). */
int logreg_set_param(struct logreg_config *cfg, const char *name, const char *value, char *err,
                     size_t errsize);
/* scikit-learn 1.2's rules for solver × penalty (and l1_ratio): 0, or -1 with its message. */
int logreg_check(const struct logreg_config *cfg, char *err, size_t errsize);
/* Fit on d (any layout): the fit, or NULL with the reason in err. */
struct logreg_fit *logreg_train(const struct logreg_config *cfg, const struct dataset *d, char *err,
                                size_t errsize);
void logreg_fit_free(struct logreg_fit *f);

#endif
