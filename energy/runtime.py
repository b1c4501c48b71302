"""What every energy script needs from its surroundings, standard library only: the check
that this Python is one the requirements serve, the one-line user error, and TensorFlow's
set-up (compat.v1, quiet unless --verbose).

    python energy/runtime.py    # exit 2 with one line when this Python is not served
"""

import contextlib
import os
import sys

# requirements.txt installs TensorFlow 1.15.5 on Python 3.7 and TensorFlow 2.16-2.21 on
# Python 3.10-3.13 (the versions those wheels exist for); 3.8 and 3.9 get no TensorFlow.
TF1_PYTHON = (3, 7)
TF2_PYTHONS = ((3, 10), (3, 13))


class UserError(Exception):
    """A problem the user can fix; main() prints it as one line and exits with code 2."""


def unsupported_python_message(version_info=None):
    """One line saying why this Python gets no TensorFlow from requirements.txt, or None."""
    major_minor = tuple((version_info or sys.version_info)[:2])
    low, high = TF2_PYTHONS
    if major_minor == TF1_PYTHON or low <= major_minor <= high:
        return None
    return (
        "error: Python %d.%d is not supported: requirements.txt installs TensorFlow for "
        "Python 3.7 (TF 1.15.5) or Python %d.%d-%d.%d (TF 2.x); rerun with one of those, "
        "e.g. 'make test PYTHON=python3.11'" % (major_minor + low + high)
    )


def exit_unless_supported_python(version_info=None):
    """Call before importing numpy or TensorFlow: on an unserved Python they are missing."""
    message = unsupported_python_message(version_info)
    if message:
        sys.stderr.write(message + "\n")
        sys.exit(2)


@contextlib.contextmanager
def muted_stderr():
    """File descriptor 2 goes to /dev/null (C++ logging does not pass through sys.stderr)."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def setup_tensorflow(verbose):
    """tensorflow.compat.v1 with v2 behaviour off; its log lines only with `verbose`."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF 2.16+: BasicLSTMCell needs tf-keras
    if verbose or "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import tensorflow.compat.v1 as tf
    else:
        # TF 2.x prints oneDNN/CUDA notices at import whatever the log level, then a cuInit
        # error per session at level 2: stderr is muted for the import, level 3 after it.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        with muted_stderr():
            import tensorflow.compat.v1 as tf

    tf.logging.set_verbosity(tf.logging.INFO if verbose else tf.logging.ERROR)
    tf.disable_v2_behavior()
    return tf


if __name__ == "__main__":
    exit_unless_supported_python()
