"""Distillation losses and the Distiller, a keras.Model that owns only the loss.

Classification (Hinton et al. 2015), softmax on the last axis:

    loss = (1 - alpha) * CE(y, softmax(z_s)) + alpha * T^2 * KL(softmax(z_t/T) || softmax(z_s/T))

so alpha = 0 is plain training and alpha = 1 pure imitation; T^2 keeps the gradient
of the soft term comparable across temperatures. Regression (forecast) and
autoencoders (anomaly) use the same mixture with squared errors: the teacher's
prediction (or reconstruction) is the soft target. With privileged information the
teacher simply sees a different input (more channels, or the window plus the
intermediate time up to the target) than the student.
An optional hint term adds `hint_weight * MSE(regressor(f_s), f_t)` between the
`features` layers of student and teacher (FitNets); the regressor is a Dense layer
trained with the student and thrown away.
"""

from __future__ import annotations

import keras
from keras import ops


def soft_target_loss(y, student_logits, teacher_logits, temperature: float, alpha: float):
    """Per-example Hinton loss; `y` integer class ids, or class probabilities (one more axis, float:
    mixed windows' mixed labels). Returns a [batch] tensor.

    Examples labelled -1 (the transfer set's unlabeled windows) get the soft term only.
    """
    if len(y.shape) == len(student_logits.shape) and "float" in str(y.dtype):
        ce = -ops.sum(ops.cast(y, "float32") * ops.log_softmax(student_logits, axis=-1), axis=-1)
    else:
        labeled = ops.cast(ops.greater_equal(y, 0), "float32")
        ce = keras.losses.sparse_categorical_crossentropy(ops.maximum(y, 0), student_logits, from_logits=True) * labeled
    if isinstance(alpha, (int, float)) and alpha == 0:
        return ce
    t = float(temperature) if isinstance(temperature, (int, float)) else temperature
    p_t = ops.softmax(teacher_logits / t, axis=-1)
    log_p_t = ops.log_softmax(teacher_logits / t, axis=-1)
    log_p_s = ops.log_softmax(student_logits / t, axis=-1)
    kl = ops.sum(p_t * (log_p_t - log_p_s), axis=-1)
    return (1.0 - alpha) * ce + alpha * t * t * kl


def regression_loss(y, student_pred, teacher_pred, alpha: float):
    """Per-example (1 - alpha) * MSE(y, s) + alpha * MSE(t, s), averaged over all but the batch axis."""
    def mse(a, b):
        d = ops.reshape(ops.square(ops.cast(a, "float32") - b), (ops.shape(b)[0], -1))
        return ops.mean(d, axis=-1)

    plain = mse(y, student_pred)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return plain
    return (1.0 - alpha) * plain + alpha * mse(teacher_pred, student_pred)


class Distiller(keras.Model):
    """Trains `student` against labels and a frozen `teacher`; `call()` returns the student's output.

    Inputs are a dict {"student": x_s, "teacher": x_t}: the teacher may see privileged
    channels or time. `task` (a tasks.Task or its name) selects the loss by its `loss` kind;
    for a task that `reconstructs`, the targets are the student's own input windows. With alpha = 0 and no
    hint the teacher is never run: that is the baseline, trained by the same code.
    `teacher_slice` picks the teacher output channels the student imitates (autoencoders
    whose teacher reconstructs privileged channels too).
    With `tunable=True`, T and alpha are variables changed by `set_mixture()`, so one
    compiled Distiller trains a whole grid of candidates without tracing its step again.
    """

    def __init__(self, student, teacher, task: str, temperature: float = 4.0, alpha: float = 0.5,
                 hint_weight: float = 0.0, teacher_slice=None, tunable: bool = False, **kwargs):
        super().__init__(**kwargs)
        from .models import with_features

        from ..tasks import get_task

        self.task = get_task(task)
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.hint_weight = float(hint_weight)
        self.teacher_slice = list(teacher_slice) if teacher_slice is not None else None
        self.mixture = None
        if tunable:
            self.mixture = keras.Variable([self.temperature, self.alpha], trainable=False, name="mixture")
        self.uses_teacher = teacher is not None and (self.alpha > 0 or self.hint_weight > 0 or tunable)
        self.student = with_features(student)
        self.teacher = with_features(teacher) if self.uses_teacher else None
        if self.teacher is not None:
            self.teacher.trainable = False
        self.regressor = None
        if self.hint_weight > 0:
            self.regressor = keras.layers.Dense(int(self.teacher.outputs[1].shape[-1]), name="hint_regressor")
            self.regressor.build(tuple(self.student.outputs[1].shape))

    def set_mixture(self, temperature: float, alpha: float) -> None:
        """New T and alpha for a tunable Distiller (takes effect at the next step)."""
        self.temperature, self.alpha = float(temperature), float(alpha)
        self.mixture.assign([self.temperature, self.alpha])

    def call(self, x, training=False):
        out, features = self.student(x["student"], training=training)
        return (out, features)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        out, s_features = y_pred
        t_out = t_features = None
        if self.uses_teacher:
            t_out, t_features = self.teacher(x["teacher"], training=False)
            if self.teacher_slice is not None:
                t_out = ops.take(t_out, self.teacher_slice, axis=-1)
        temperature, alpha = (self.temperature, self.alpha) if self.mixture is None else \
            (self.mixture[0], self.mixture[1])
        if not self.uses_teacher:  # without a teacher (a baseline) the labels are the whole loss
            alpha = 0.0
        if self.task.loss == "soft_targets":
            per_example = soft_target_loss(y, out, t_out, temperature, alpha)
        else:
            target = x["student"] if self.task.reconstructs else ops.reshape(y, (-1, 1))
            per_example = regression_loss(target, out, t_out, alpha)
        loss = ops.mean(per_example)
        if self.regressor is not None:
            loss = loss + self.hint_weight * ops.mean(ops.square(self.regressor(s_features) - t_features))
        return loss
