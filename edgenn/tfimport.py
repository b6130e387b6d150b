"""Import TensorFlow only where a command needs it, quietly, with a clear error when absent."""

from __future__ import annotations

import os

from edgenn.errors import EdgeNNError


def tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-stable float results across runs
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from edgenn.console import native_quiet

    try:
        with native_quiet():
            import keras  # noqa: F401  (its import logs too)
            import tensorflow as tf
    except ImportError:
        raise EdgeNNError(None, "this command needs TensorFlow: pip install 'edgenn[train]'") from None
    tf.get_logger().setLevel("ERROR")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    return tf
