"""Import TensorFlow's v1 graph API the same way on TF 1.15 and TF 2.x."""
import os
import sys


def tf_v1(verbose=False):
    """tf.compat.v1 in graph mode, quiet unless verbose (the first call in a process decides)."""
    first = "tensorflow" not in sys.modules
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF 2.16+: BasicLSTMCell needs tf-keras
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow.compat.v1 as tf
    if first and not verbose:
        tf.logging.set_verbosity(tf.logging.ERROR)
    tf.disable_v2_behavior()
    return tf
