"""Audio frontends: the features a model is trained on, computed identically in Python and on the device.

`edgenn.frontend.mfcc` computes MFCCs with CMSIS-DSP's `arm_mfcc_f32` through the `cmsisdsp` package;
`edgenn.frontend.csrc` writes the same computation as C (CMSIS-DSP's own sources plus the tables) and
`edgenn.frontend.build` compiles and runs it for the host or a Cortex-M4.
"""
