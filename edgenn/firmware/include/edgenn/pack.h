#ifndef EDGENN_PACK_H
#define EDGENN_PACK_H

#include "concatenation.h"

/* PACK, int8: a concatenation along a new axis; every input's copy_size is the inner dims after it. */
void edgenn_pack(const edgenn_concatenation_params *p, int8_t *output);

#endif /* EDGENN_PACK_H */
