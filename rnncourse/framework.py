"""TensorFlow / Keras set-up for the book notebooks and the reference maker.

``setup()`` is the first line of every TF notebook: it imports TensorFlow without its C++ start-up
notices (which would otherwise land as stderr blocks in the rendered pages), seeds Python, numpy
and TensorFlow, and makes TF's kernels deterministic, so every page and every reference output is
the same on each run.

Why the notices need more than ``TF_CPP_MIN_LOG_LEVEL``: TensorFlow's shared libraries log through
absl *before* absl is initialised and before TensorFlow reads that variable, e.g.::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:... port.cc:153] oneDNN custom operations are on. You may see slightly ...
    I0000 00:00:... cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use ...

Which of them appear depends on the processor (oneDNN is on by default on x86 CPUs with AVX512,
for example) and on the environment the kernel was started with. They are written by C++ straight
to the process's file descriptor 2, which ``sys.stderr`` never sees, and a Jupyter kernel forwards
that descriptor into the cell's output. So ``setup()`` points fd 2 at a scratch file while it
imports TensorFlow and Keras and runs a first op, then points it back: errors written later still
show. (If the import fails, what was written meanwhile is shown with the error.)

``setup()`` also sets ``TF_CPP_MIN_LOG_LEVEL=3`` (FATAL only) before the import, overriding the
environment: TensorFlow's own logging reads it once, at its first message, and would otherwise log
at run time (an "E ... node_def_util.cc" line during ``model.fit`` at level 0, for instance).
``TF_ENABLE_ONEDNN_OPTS`` is left alone: oneDNN stays on, only its notice is hidden. To see
TensorFlow's logs, import it yourself instead of calling ``setup()``.
"""

import contextlib
import os
import sys
import tempfile

# Read by TensorFlow's C++ logging at its first message: must be in the environment before import.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


@contextlib.contextmanager
def os_stderr_silenced():
    """Point this process's file descriptor 2 elsewhere for the block, then restore it.

    Catches what C/C++ code writes to fd 2 directly (``sys.stderr`` is a Python object that such
    writes bypass; in a Jupyter kernel it is not fd 2 at all). If the block raises, the captured
    text is written to ``sys.stderr`` before the exception propagates, so nothing that explains a
    failure is lost. Without an fd 2 (a closed stderr) the block simply runs.
    """
    for stream in (sys.stderr, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()  # what Python buffered so far belongs before the redirection
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    sink = tempfile.TemporaryFile()
    try:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
    except BaseException:
        sink.seek(0)
        captured = sink.read().decode("utf-8", errors="replace")
        if captured:
            sys.stderr.write(captured)
        raise
    finally:
        os.close(saved)
        sink.close()


def setup(seed=0):
    """Import TensorFlow and Keras quietly and deterministically; return ``(tf, keras)``."""
    import logging
    import warnings

    os.environ.update(QUIET_ENV)
    with os_stderr_silenced():
        import tensorflow as tf
        import keras

        # The first op creates the CPU device and loads the (oneDNN) kernels: more start-up notices.
        tf.linalg.matmul(tf.ones((2, 2)), tf.ones((2, 2))).numpy()

    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="keras")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf, keras


def print_prediction(inputs, idx2char, target):
    """A Keras callback for the character models (chapters 03 and 04): after each epoch, run the model
    on ``inputs`` (one sequence, as a batch of one), decode the most probable character at each step
    with ``idx2char`` and print it; stop training once it reads ``target``."""
    import keras
    import numpy as np

    class PrintPrediction(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            probs = self.model(inputs, training=False)[0]  # (time, vocab)
            predicted = "".join(idx2char[i] for i in np.argmax(probs, axis=-1))
            print(f"epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  -> {predicted!r}")
            if predicted == target:
                self.model.stop_training = True

    return PrintPrediction()


def tape_gradients(tf, layer, inputs, run, upstream):
    """``tf.GradientTape``'s gradients, in float64, of ``sum(out * d)`` over the pairs of ``run``'s outputs
    and the ``upstream`` gradients, w.r.t. ``inputs`` and the weights of ``layer`` (a Keras recurrent
    layer or cell built with ``dtype="float64"``): ``[*d_inputs, dkernel, drecurrent_kernel, dbias]``.

    The gradient of that loss with respect to each output is exactly its upstream gradient, so these are
    the gradients a backward pass given those upstream gradients must return. ``run(*inputs)`` returns
    one tensor or a tuple of tensors (as many as ``upstream``); the inputs are numpy arrays.
    """
    import numpy as np

    inputs = [tf.constant(v, tf.float64) for v in inputs]
    cell = getattr(layer, "cell", layer)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = run(*inputs)
        if not isinstance(outputs, (tuple, list)):
            outputs, upstream = [outputs], [upstream]
        loss = tf.add_n([tf.reduce_sum(out * tf.constant(d, tf.float64)) for out, d in zip(outputs, upstream)])
    grads = tape.gradient(loss, [*inputs, cell.kernel, cell.recurrent_kernel, cell.bias])
    return [np.asarray(g, dtype=np.float64) for g in grads]
