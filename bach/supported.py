"""Whether this Python is one the requirements serve, standard library only: every bach
script calls it before importing numpy or TensorFlow, which an unserved Python lacks.

    python bach/supported.py    # exit 2 with one line when this Python is not served
"""
import sys

# requirements.txt installs TensorFlow 1.15.5 on Python 3.7 and TensorFlow 2.16-2.21 on
# Python 3.10-3.13; 3.8 and 3.9 get no TensorFlow.
SERVED = ((3, 7), (3, 10), (3, 11), (3, 12), (3, 13))


def unsupported_python_message(version_info=None):
    """One line saying why this Python gets no TensorFlow from requirements.txt, or None."""
    major_minor = tuple((version_info or sys.version_info)[:2])
    if major_minor in SERVED:
        return None
    return ("error: Python %d.%d is not supported: requirements.txt installs TensorFlow for "
            "Python 3.7 (TF 1.15.5) or Python 3.10-3.13 (TF 2.x); rerun with one of those, "
            "e.g. 'make test PYTHON=python3.11'" % major_minor)


def exit_unless_supported_python(version_info=None):
    message = unsupported_python_message(version_info)
    if message:
        sys.stderr.write(message + "\n")
        sys.exit(2)


if __name__ == "__main__":
    exit_unless_supported_python()
