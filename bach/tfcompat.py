"""Import TensorFlow's v1 graph API the same way on TF 1.15 and TF 2.x."""
import os
import sys


def tf_v1(verbose=False):
    """tf.compat.v1 in graph mode, quiet unless verbose (the first call in a process decides)."""
    first = "tensorflow" not in sys.modules
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF 2.16+: BasicLSTMCell needs tf-keras
    if verbose or not first or "TF_CPP_MIN_LOG_LEVEL" in os.environ:  # the user chose a level
        import tensorflow.compat.v1 as tf
    else:
        # TF 2.x logs oneDNN/CUDA notices at import, before TF_CPP_MIN_LOG_LEVEL is read, and a
        # cuInit error per session on CPU-only machines at level 2: hide both.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            import tensorflow.compat.v1 as tf
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    if first and not verbose:
        tf.logging.set_verbosity(tf.logging.ERROR)
    tf.disable_v2_behavior()
    return tf
