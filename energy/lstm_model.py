"""The chapter's `lstm_model` as a tf.compat.v1 graph, predict, and the training loop (its
`fit` with the ValidationMonitor). TensorFlow comes in as an argument (runtime.setup_tensorflow),
so importing this module imports no TensorFlow."""

import warnings

import numpy as np

OPTIMIZERS = {
    "adagrad": "AdagradOptimizer",
    "adam": "AdamOptimizer",
    "rmsprop": "RMSPropOptimizer",
    "sgd": "GradientDescentOptimizer",
}
LR_DECAY_STEPS = 1000  # --lr_decay multiplies the learning rate once every this many steps


class Graph(object):
    """The tensors and ops of one model; built once, fed numpy batches."""


def lstm_model(tf, g, settings, scope="lstm_model"):
    """The chapter's network: stacked BasicLSTMCells unrolled over the window (its
    tf.unstack + static_rnn), optional ReLU dense layers, a linear regression head."""
    # TF 2.x warns that BasicLSTMCell and tf.layers are deprecated: known, and the point.
    with tf.variable_scope(scope), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cells = [tf.nn.rnn_cell.BasicLSTMCell(units) for units in settings["rnn_layers"]]
        # The chapter's optional DropoutWrapper (its layer['keep_prob']), here off
        # outside training: the chapter's model_fn kept it on when predicting too.
        if settings.get("keep_prob", 1.0) < 1.0:
            cells = [
                tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=g.keep_prob)
                for cell in cells
            ]
        stacked_lstm = tf.nn.rnn_cell.MultiRNNCell(cells)
        steps = tf.unstack(g.inputs, num=settings["timesteps"], axis=1)
        outputs, _ = tf.nn.static_rnn(stacked_lstm, steps, dtype=tf.float32)
        hidden = outputs[-1]
        for units in settings["dense_layers"]:
            hidden = tf.layers.dense(hidden, units, activation=tf.nn.relu)
        weights = tf.get_variable("weights", [hidden.shape[1], 1])
        bias = tf.get_variable("bias", [1], initializer=tf.zeros_initializer())
        return tf.add(tf.matmul(hidden, weights), bias, name="prediction")


def ensemble_model(tf, g, settings):
    """--ensemble K: K networks with their own initial weights (op seeds drawn from the graph
    seed) on the same minibatches; the forecast is their mean, the loss the mean of their
    losses (so each learns on its own). K = 1 is the chapter's single lstm_model."""
    k = settings.get("ensemble", 1)
    if k == 1:
        predictions = [lstm_model(tf, g, settings)]
    else:
        predictions = [lstm_model(tf, g, settings, "lstm_model_%d" % i) for i in range(k)]
    losses = [tf.reduce_mean(tf.square(p - g.targets)) for p in predictions]
    g.prediction = tf.identity(tf.add_n(predictions) / float(k), name="prediction")
    g.loss = tf.identity(tf.add_n(losses) / float(k), name="loss")


def training_ops(tf, g, settings):
    """The optimizer's step, and ops that put kept weights back (best-weights restore)."""
    g.global_step = tf.train.get_or_create_global_step()
    learning_rate = settings["learning_rate"]
    if settings.get("lr_decay", 1.0) != 1.0:
        learning_rate = tf.train.exponential_decay(
            learning_rate, g.global_step, LR_DECAY_STEPS, settings["lr_decay"]
        )
    optimizer = getattr(tf.train, OPTIMIZERS[settings["optimizer"]])(learning_rate)
    g.train_op = optimizer.minimize(g.loss, global_step=g.global_step)
    g.model_vars = tf.trainable_variables()
    # Keeping the best weights in memory: assign ops fed from numpy copies.
    g.assign_feeds = [tf.placeholder(v.dtype.base_dtype, v.shape) for v in g.model_vars]
    g.assign_op = tf.group(*[v.assign(p) for v, p in zip(g.model_vars, g.assign_feeds)])


def build_graph(tf, settings, seed=None):
    """Placeholders, the chapter's lstm_model, MSE loss, optimizer, initializer, Saver."""
    g = Graph()
    g.graph = tf.Graph()
    with g.graph.as_default():
        if seed is not None:
            tf.set_random_seed(seed)
        # float32, not the chapter's float64: ample for a 5-unit LSTM, and faster on CPU.
        shape = [None, settings["timesteps"], settings["n_features"]]
        g.inputs = tf.placeholder(tf.float32, shape, "inputs")
        g.targets = tf.placeholder(tf.float32, [None, 1], "targets")
        g.keep_prob = tf.placeholder_with_default(1.0, [], "keep_prob")
        ensemble_model(tf, g, settings)
        training_ops(tf, g, settings)
        g.init = tf.global_variables_initializer()
        g.saver = tf.train.Saver(
            g.model_vars + [g.global_step], max_to_keep=None, save_relative_paths=True
        )
    return g


def predict(session, g, inputs, batch=8192):
    return np.concatenate(
        [
            session.run(g.prediction, {g.inputs: inputs[lo : lo + batch]})
            for lo in range(0, len(inputs), batch)
        ]
        or [np.zeros((0, 1))]
    )


def mean_loss(session, g, inputs, targets):
    return float(np.mean((predict(session, g, inputs) - targets) ** 2))


def minibatches(n_windows, batch, rng):
    """Index batches like contrib.learn's DataFeeder: a fresh random order each epoch."""
    order, cursor = rng.permutation(n_windows), 0
    while True:
        if cursor + batch > len(order):
            order, cursor = rng.permutation(n_windows), 0
        yield order[cursor : cursor + batch]
        cursor += batch


class Evaluations(object):
    """Validation losses as training goes, the best step and its weights."""

    def __init__(self):
        self.history = {"step": [], "train_loss": [], "val_loss": []}
        self.best_loss, self.best_step, self.best_weights = np.inf, 0, None

    def add(self, session, g, step, train_losses, val_loss):
        self.history["step"].append(step)
        self.history["train_loss"].append(float(np.mean(train_losses)))
        self.history["val_loss"].append(val_loss)
        if val_loss < self.best_loss:
            self.best_loss, self.best_step = val_loss, step
            self.best_weights = session.run(g.model_vars)

    def progress_line(self, step, total_steps, loss_units):
        return "step %d/%d: training loss %.6f, validation loss %.6f (best %.6f at step %d)" % (
            step,
            total_steps,
            self.history["train_loss"][-1] * loss_units,
            self.history["val_loss"][-1] * loss_units,
            self.best_loss * loss_units,
            self.best_step,
        )


def train_loop(session, g, data, settings, seed, eval_every=100, early_stopping=1000,
               log=print, on_eval=None, loss_units=1.0):
    """The chapter's fit with its ValidationMonitor: minibatches in a fresh random order each
    epoch, validation every `eval_every` steps, stop after `early_stopping` steps without a
    better validation loss, then the best weights are put back. Returns the history."""
    (x_train, y_train), (x_val, y_val) = data["train"], data["val"]
    batches = minibatches(len(x_train), settings["batch_size"], np.random.RandomState(seed))
    keep_prob = settings.get("keep_prob", 1.0)
    evals, losses, step = Evaluations(), [], 0
    for step in range(1, settings["steps"] + 1):
        idx = next(batches)
        feed = {g.inputs: x_train[idx], g.targets: y_train[idx], g.keep_prob: keep_prob}
        losses.append(session.run([g.train_op, g.loss], feed)[1])
        if not (eval_every and step % eval_every == 0):
            continue
        evals.add(session, g, step, losses, mean_loss(session, g, x_val, y_val))
        losses = []
        if on_eval:
            on_eval(step, evals.history["train_loss"][-1], evals.history["val_loss"][-1])
        if step % (10 * eval_every) == 0:
            log(evals.progress_line(step, settings["steps"], loss_units))
        if early_stopping and step - evals.best_step >= early_stopping and step < settings["steps"]:
            log("early stopping at step %d: no better validation loss for %d steps"
                % (step, early_stopping))
            break
    if evals.best_weights is not None:
        session.run(g.assign_op, dict(zip(g.assign_feeds, evals.best_weights)))
    history = evals.history
    history.update(steps=step, best_step=evals.best_step or step,
                   best_val_loss=float(evals.best_loss))
    return history
