"""TensorFlow / Keras set-up for the book notebooks and the reference maker.

``setup()`` is the first line of every TF notebook: it silences TensorFlow's C++ start-up
log (which would otherwise land as stderr blocks in the rendered pages), seeds Python, numpy
and TensorFlow, and makes TF's kernels deterministic, so every page and every reference
output is the same on each run.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # must be set before TensorFlow is imported


def setup(seed=0):
    """Import TensorFlow and Keras quietly and deterministically; return ``(tf, keras)``."""
    import logging
    import warnings

    import tensorflow as tf
    import keras

    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="keras")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf, keras
