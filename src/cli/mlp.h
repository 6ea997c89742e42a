/*
 * mlp.h: a hidden-layer network over the engine's hashed features, as an
 * experiment of `kindred train --try-mlp H` (mlp.c); nothing is written.
 */
#ifndef KD_MLP_H
#define KD_MLP_H

#include "cli/linear.h"

/* Trains an H-unit network on the examples of tr with ytr[i] >= 0 and
 * prints train and dev macro-F1 after each epoch on stderr (dv may be
 * NULL).  Returns 0 or -1 (out of memory, H out of range). */
int mlp_try(const lin_data *tr, const int *ytr, const lin_data *dv, const int *ydv, size_t K,
	    size_t H, const lin_opts *o, const char *what);

#endif
