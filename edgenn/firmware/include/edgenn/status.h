/* Status codes of generated entry points. Rendered from edgenn/export/status.py: do not edit. */
#ifndef EDGENN_STATUS_H
#define EDGENN_STATUS_H

typedef enum {
    EDGENN_OK = 0, /* success */
    EDGENN_ERROR_NULL_ARGUMENT = 1, /* an input or output pointer is NULL */
} edgenn_status;

#endif /* EDGENN_STATUS_H */
