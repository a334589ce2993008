"""A public corpus of broken implementations: one known bug each, planted in the reference.

Each entry names the catalogue diagnosis the grader must report, the check it
must be reported on (with the evidence text pinned as a regular expression),
and the checks that must lose points. ``passes`` lists checks that must still
pass, for bugs whose point is that something keeps working.
"""
from __future__ import annotations

from dataclasses import dataclass

SIGMOID_CORE = "y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)"
SIGMOID_BACKWARD = "return as_float_array(grad_y) * y * (1.0 - y)"
SOFTMAX_SHIFT = "shifted = z - z.max(axis=1, keepdims=True)\n        e = np.exp(shifted)"
SOFTMAX_SUM = "s = e / e.sum(axis=1, keepdims=True)"
SOFTMAX_VJP = "return s * (g - np.sum(g * s, axis=1, keepdims=True))"
JACOBIAN = "return s[:, :, None] * np.eye(s.shape[1], dtype=s.dtype) - s[:, :, None] * s[:, None, :]"
LINEAR_DW = "self.dW = (self.x.T @ g).astype(self.W.dtype, copy=False)"
LINEAR_DB = "self.db = g.sum(axis=0).astype(self.b.dtype, copy=False)"
LINEAR_RETURN = "return (g @ self.W.T).astype(g.dtype, copy=False)"
LINEAR_INIT = "self.W = rng.uniform(-bound, bound, size=(in_features, out_features))"
MSE_BACKWARD = "return 2.0 * self.diff / self.diff.size"
CE_CLIP = "self.probs = np.clip(probs, CE_EPS, 1.0)"
CE_FORWARD = "return float(-np.sum(self.target * np.log(self.probs)) / n)"
CE_BACKWARD = "return -self.target / self.probs / n"
SCE_BACKWARD = "return (self.probs - self.target) / self.probs.shape[0]"
STEP = "param -= lr * grad"
BACKWARD_LOOP = "for layer in reversed(self.layers):"
BACKWARD_BODY = BACKWARD_LOOP + "\n            grad_out = layer.backward(grad_out)"
MSE_FORWARD = "return float(np.mean(self.diff ** 2))"
SHUFFLE = "order = rng.permutation(n)\n        total = 0.0"


@dataclass(frozen=True)
class Broken:
    """One planted bug.

    Attributes
    ----------
    name : str
        Unique name of the corpus entry.
    diagnosis : str
        Catalogue id that must be reported.
    where : str
        The check that must carry the diagnosis; its evidence must match ``evidence``.
    evidence : str
        Regular expression the evidence text must match in full.
    replacements : tuple of (old, new)
        Text replacements applied to the reference (see ``tests/submissions.py``).
    loses : tuple of str
        Further checks that must lose points.
    also : tuple of str
        Further checks that must carry the same diagnosis (evidence not pinned).
    passes : tuple of str
        Checks that must still pass.
    message : str
        Regular expression the message of ``where`` must contain (checks added for the catalogue).
    """

    name: str
    diagnosis: str
    where: str
    evidence: str
    replacements: tuple[tuple[str, str], ...]
    loses: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    message: str = ""


def entry(name, diagnosis, where, evidence, *replacements, loses=(), also=(), passes=(), message="") -> Broken:
    return Broken(name, diagnosis, where, evidence, tuple(replacements), tuple(loses), tuple(also), tuple(passes),
                  message)


BROKEN = [
    # -- sign and update ------------------------------------------------------
    entry("mse_gradient_negated", "gradient_sign_flipped", "gradients.mse_backward",
          r"yours = -1\.000 x reference on 15/15 elements",
          (MSE_BACKWARD, "return -2.0 * self.diff / self.diff.size"), loses=("xor.mse",)),
    entry("mse_gradient_negated_in_training", "gradients_point_uphill", "xor.mse",
          r"the training loss rose on 2/2 seeds \(seed 0: 0\.2552 -> 0\.4999, rising on 100% of the steps\), "
          r"while every checked update was exactly -lr x the reported gradient",
          (MSE_BACKWARD, "return -2.0 * self.diff / self.diff.size")),
    entry("negated_backward_and_adding_step", "sign_errors_cancel", "gradients.network_backward",
          r"yours = -1\.000 x reference on 15/15 elements; Network\.step\(0\.1\) then moved every parameter "
          r"by \+0\.1 x your gradient",
          (BACKWARD_LOOP, "grad_out = -grad_out\n        " + BACKWARD_LOOP), (STEP, "param += lr * grad"),
          passes=("xor.softmax_ce", "xor.mse")),
    entry("step_adds", "gradient_ascent", "gradients.step",
          r"Network\.step\(0\.1\) moved W of Linear layer 0 by \+lr \* grad: yours = -1\.000 x reference on "
          r"15/15 elements change -lr \* grad",
          (STEP, "param += lr * grad"), loses=("xor.softmax_ce", "xor.mse"), also=("xor.softmax_ce", "xor.mse")),
    entry("step_rebinds_local", "update_not_applied", "gradients.step",
          r"after Network\.step\(0\.1\) all 15 elements of W of Linear layer 0 are unchanged \(its gradient is "
          r"not zero: max \|grad\| = 0\.03985\)",
          (STEP, "param = param - lr * grad"), loses=("xor.softmax_ce", "xor.mse"),
          also=("xor.softmax_ce", "xor.mse")),
    entry("step_assigns_gradient", "gradient_assigned", "gradients.step",
          r"after Network\.step\(0\.1\), W of Linear layer 0 = grad on 15/15 elements",
          (STEP, "param[:] = grad"), loses=("xor.softmax_ce",)),
    entry("step_updates_cached_inputs", "updated_activations", "gradients.step",
          r"after Network\.step\(0\.1\) all 15 elements of W of Linear layer 0 are unchanged .*; the cached "
          r"input Linear\.x of layer 0 changed on 18/18 elements",
          (LINEAR_RETURN, "self.grad_x = (g @ self.W.T).astype(g.dtype, copy=False)\n        return self.grad_x"),
          ("for param, grad in self.parameters():\n            " + STEP,
           "for layer in self.layers:\n            if hasattr(layer, 'grad_x'):\n"
           "                layer.x -= lr * layer.grad_x"),
          loses=("xor.softmax_ce",)),
    entry("linear_updates_itself_in_backward", "update_before_backprop", "jacobians.linear_backward",
          r"the returned gradient = grad_y @ \(W - 0\.1 \* dW\)\.T on 15/15 elements: W had already moved by "
          r"-0\.1 x dW",
          (LINEAR_DB, LINEAR_DB + "\n        self.W -= 0.1 * self.dW"), passes=("gradients.network_backward",
                                                                            "gradients.step")),
    entry("dW_accumulates", "gradient_accumulated", "gradients.no_accumulation",
          r"yours = 2\.000 x reference on 12/12 elements after two identical backward calls",
          (LINEAR_DW, "self.dW = (self.x.T @ g).astype(self.W.dtype, copy=False) + "
                      "(0 if self.dW is None else self.dW)")),
    # -- sigmoid --------------------------------------------------------------
    entry("sigmoid_of_sigmoid", "double_sigmoid", "forward.sigmoid",
          r"yours = sigmoid\(sigmoid\(x\)\) on 20/20 elements: every output lies in \(0\.5, 0\.7311\), and "
          r"x = 0 gives sigmoid\(0\.5\) = 0\.6225 instead of 0\.5",
          (SIGMOID_CORE, SIGMOID_CORE + "\n        y = 1.0 / (1.0 + np.exp(-y))")),
    entry("one_over_one_plus_expit", "double_sigmoid", "forward.sigmoid",
          r"yours = 1 / \(1 \+ sigmoid\(-x\)\) on 20/20 elements: every output lies in \(0\.5, 1\), and x = 0 "
          r"gives 1 / 1\.5 = 0\.6667 instead of 0\.5",
          (SIGMOID_CORE, "from scipy.special import expit\n        y = 1.0 / (1.0 + expit(-x))")),
    entry("sigmoid_exp_over_one_plus_exp", "sigmoid_overflow_nan", "forward.sigmoid_extreme",
          r"NaN at the 2 element\(s\) where x > 709\.78 \(exp\(x\) = inf\); the other values are right",
          (SIGMOID_CORE, "y = np.exp(x) / (1.0 + np.exp(x))")),
    entry("sigmoid_sign_inside_exp", "sigmoid_wrong_formula", "forward.sigmoid",
          r"Sigmoid\(\)\.forward\(\[0, 1, -1, 2\]\) returned \[0\.5, 0\.2689, 0\.7311, 0\.1192\]; expected "
          r"\[0\.5, 0\.7311, 0\.2689, 0\.8808\]: that is sigmoid\(-x\), the sign inside exp is flipped",
          (SIGMOID_CORE, "y = np.where(x >= 0, e / (1.0 + e), 1.0 / (1.0 + e)).astype(x.dtype, copy=False)")),
    entry("sigmoid_derivative_on_x", "sigmoid_derivative_of_input", "jacobians.sigmoid_backward",
          r"yours = g \* x \* \(1 - x\) on 20/20 elements",
          ("self.y = y\n        return y", "self.y = y\n        self.x = x\n        return y"),
          (SIGMOID_BACKWARD, "return as_float_array(grad_y) * self.x * (1.0 - self.x)")),
    entry("sigmoid_inside_derivative", "sigmoid_derivative_twice", "jacobians.sigmoid_backward",
          r"yours = g \* sigmoid\(y\) \* \(1 - sigmoid\(y\)\) on 20/20 elements",
          (SIGMOID_BACKWARD, "s = 1.0 / (1.0 + np.exp(-y))\n        return as_float_array(grad_y) * s * (1.0 - s)")),
    entry("sigmoid_derivative_of_grad", "sigmoid_derivative_of_error", "jacobians.sigmoid_backward",
          r"yours = g \* \(1 - g\) on 20/20 elements",
          (SIGMOID_BACKWARD, "return grad_y * (1.0 - grad_y)")),
    entry("sigmoid_backward_without_grad", "sigmoid_backward_ignores_gradient", "jacobians.sigmoid_backward",
          r"yours = y \* \(1 - y\), without g on 20/20 elements",
          (SIGMOID_BACKWARD, "return y * (1.0 - y)")),
    entry("sigmoid_derivative_plus", "sigmoid_derivative_wrong", "jacobians.sigmoid_backward",
          r"Sigmoid\(\)\.backward\(ones\) after forward\(\[0, 1, -1, 2\]\) returned \[0\.75, 1\.266, 0\.3413, "
          r"1\.657\]; expected \[0\.25, 0\.1966, 0\.1966, 0\.105\]",
          (SIGMOID_BACKWARD, "return as_float_array(grad_y) * y * (1.0 + y)")),
    # -- softmax --------------------------------------------------------------
    entry("jacobian_summed", "softmax_jacobian_row_sum", "jacobians.softmax_jacobian",
          r"all 15 returned values are 0 \(max \|yours\| = [0-9.e+-]+\) while the reference's reach 0\.2498; "
          r"shape \(5, 3\) instead of \(5, 3, 3\)",
          (JACOBIAN, "return (" + JACOBIAN[len("return "):] + ").sum(axis=1)")),
    entry("softmax_backward_diagonal", "softmax_jacobian_diagonal", "jacobians.softmax_backward",
          r"yours = g \* s \* \(1 - s\) on 15/15 elements", (SOFTMAX_VJP, "return g * s * (1.0 - s)")),
    entry("jacobian_diagonal", "softmax_jacobian_diagonal", "jacobians.softmax_jacobian",
          r"yours = diag\(s \* \(1 - s\)\) with zero off-diagonal entries on 45/45 elements",
          (JACOBIAN, "return s[:, :, None] * np.eye(s.shape[1], dtype=s.dtype) * (1.0 - s[:, :, None])")),
    entry("jacobian_from_logits", "softmax_jacobian_from_z", "jacobians.softmax_jacobian",
          r"yours = diag\(z\) - z z\^T on 45/45 elements",
          ("self.s = saved\n", "self.s = saved\n        s = as_float_array(z)\n")),
    entry("softmax_ce_times_softmax_derivative", "softmax_derivative_twice", "gradients.softmax_ce_backward",
          r"yours = reference \* p \* \(1 - p\) with p = softmax\(logits\) on 18/18 elements",
          (SCE_BACKWARD, SCE_BACKWARD + " * self.probs * (1.0 - self.probs)")),
    entry("softmax_without_shift", "softmax_no_max_subtraction", "forward.softmax_extreme",
          r"NaN at 8 of 12 elements, exactly where exp\(z\) overflows \(z > 709\.78\) or a whole row underflows "
          r"\(every z < -745\.13\); the other values match exp\(z\) / sum\(exp\(z\)\)",
          (SOFTMAX_SHIFT, "shifted = z\n        e = np.exp(shifted)")),
    entry("softmax_batch_max", "softmax_global_max", "forward.softmax_extreme",
          r"NaN in row\(s\) \[1\], whose maximum is more than 745 below the batch maximum 1000; every other "
          r"row is right",
          (SOFTMAX_SHIFT, "shifted = z - z.max()\n        e = np.exp(shifted)")),
    entry("softmax_over_columns", "softmax_wrong_axis", "forward.softmax",
          r"yours = softmax over each column \(axis=0\) on 15/15 elements; your row sums are \[.*\]",
          (SOFTMAX_SHIFT, "shifted = z - z.max(axis=0, keepdims=True)\n        e = np.exp(shifted)"),
          (SOFTMAX_SUM, "s = e / e.sum(axis=0, keepdims=True)")),
    entry("softmax_over_batch", "softmax_no_axis", "forward.softmax",
          r"yours = exp\(z\) / \(sum over the whole batch\): all values sum to 1 on 15/15 elements",
          (SOFTMAX_SHIFT, "shifted = z - z.max()\n        e = np.exp(shifted)"), (SOFTMAX_SUM, "s = e / e.sum()")),
    entry("softmax_sum_without_keepdims", "softmax_missing_keepdims", "forward.softmax_square",
          r"yours = e / e\.sum\(axis=1\) \(sum without keepdims\) on 16/16 elements",
          (SOFTMAX_SUM, "s = e / e.sum(axis=1)"), loses=("forward.softmax",)),
    entry("softmax_integer_buffer", "integer_output", "forward.softmax",
          r"returned dtype int64: 15 of 15 values differ from the reference",
          (SOFTMAX_SUM, "s = np.zeros(z.shape, dtype=int)\n        s[:] = e / e.sum(axis=1, keepdims=True)")),
    entry("softmax_shifts_its_input", "input_modified_in_place", "forward.inputs_unchanged",
          r"Softmax\.forward modified its argument z in place: 15/15 elements changed; "
          r"Softmax\.jacobian modified its argument z in place: 15/15 elements changed",  # one shared helper
          (SOFTMAX_SHIFT, "z -= z.max(axis=1, keepdims=True)\n        e = np.exp(z)"),
          passes=("forward.softmax", "xor.softmax_ce"),
          message=r"^A method modifies its input in place: Softmax\.forward modified its argument z \(15/15 "
                  r"elements changed\) in place when called as Softmax\(\)\.forward\(z\) with correct inputs\."),
    entry("softmax_backward_scales_its_gradient", "input_modified_in_place", "forward.inputs_unchanged",
          r"Softmax\.backward modified its argument grad_s in place: 15/15 elements changed",
          (SOFTMAX_VJP, "g -= np.sum(g * s, axis=1, keepdims=True)\n        g *= s\n        return g"),
          passes=("jacobians.softmax_backward",),
          message=r"^A method modifies its input in place: Softmax\.backward modified its argument grad_s"),
    entry("sigmoid_backward_scales_its_gradient", "input_modified_in_place", "forward.inputs_unchanged",
          r"Sigmoid\.backward modified its argument grad_y in place: 20/20 elements changed",
          (SIGMOID_BACKWARD, "grad_y = as_float_array(grad_y)\n        grad_y *= y * (1.0 - y)\n        return grad_y"),
          passes=("jacobians.sigmoid_backward", "xor.mse"),
          message=r"^A method modifies its input in place: Sigmoid\.backward modified its argument grad_y"),
    entry("mse_forward_subtracts_in_place", "input_modified_in_place", "forward.inputs_unchanged",
          r"MSELoss\.forward modified its argument pred in place: 15/15 elements changed",
          ("self.diff = pred - as_float_array(target).astype(pred.dtype, copy=False)",
           "pred -= as_float_array(target).astype(pred.dtype, copy=False)\n        self.diff = pred"),
          loses=("xor.mse",),  # in training pred is the output Sigmoid's cached y: its backward then goes wrong
          passes=("forward.mse", "gradients.mse_backward"),
          message=r"^A method modifies its input in place: MSELoss\.forward modified its argument pred"),
    entry("cross_entropy_clips_in_place", "input_modified_in_place", "forward.inputs_unchanged",
          r"CrossEntropyLoss\.forward modified its argument probs in place: 1/24 elements changed",
          (CE_CLIP, "self.probs = np.clip(probs, CE_EPS, 1.0, out=probs)"),
          passes=("forward.cross_entropy", "gradients.cross_entropy_backward"),
          message=r"^A method modifies its input in place: CrossEntropyLoss\.forward modified its argument probs"),
    # -- losses ---------------------------------------------------------------
    entry("cross_entropy_argmax_of_targets", "soft_targets_argmax", "forward.cross_entropy_soft",
          r"value \d\.\d+ = the cross-entropy of the argmax one-hot targets \(\d\.\d+\); with the soft rows it "
          r"is \d\.\d+",
          (CE_FORWARD, "return float(-np.sum(np.log(self.probs[np.arange(n), np.argmax(self.target, axis=1)])) / n)"),
          passes=("forward.cross_entropy", "gradients.cross_entropy_backward", "forward.softmax_ce_soft")),
    entry("softmax_ce_gradient_argmax_of_targets", "soft_targets_argmax", "forward.softmax_ce_soft",
          r"gradient = the gradient with the argmax one-hot targets on 18/18 elements; with the soft rows it differs",
          (SCE_BACKWARD, "labels = np.eye(self.target.shape[1])[np.argmax(self.target, axis=1)]\n"
                         "        return (self.probs - labels) / self.probs.shape[0]"),
          passes=("forward.softmax_ce", "gradients.softmax_ce_backward", "forward.cross_entropy_soft",
                  "xor.softmax_ce")),
    entry("cross_entropy_unclipped", "log_of_zero", "forward.cross_entropy",
          r"loss = nan while probs holds 1 exact zero\(s\): log\(0\) = -inf and 0 \* log\(0\) = nan",
          (CE_CLIP, "self.probs = probs")),
    entry("cross_entropy_summed", "batch_mean_vs_sum", "forward.cross_entropy",
          r"your loss = 6 x the reference's = n x reference \(n = 6 samples\): summed over the batch instead of "
          r"averaged",
          (CE_FORWARD, "return float(-np.sum(self.target * np.log(self.probs)))")),
    entry("softmax_ce_gradient_without_n", "batch_mean_vs_sum", "gradients.softmax_ce_backward",
          r"yours = 6\.000 x reference on 18/18 elements = n x reference \(n = 6 samples\): summed over the "
          r"batch instead of averaged",
          (SCE_BACKWARD, "return self.probs - self.target")),
    entry("cross_entropy_np_mean", "ce_mean_over_all_elements", "forward.cross_entropy",
          r"your loss = 0\.25 x the reference's = reference / k \(k = 4 classes\): divided by n\*k = 24 instead "
          r"of n = 6",
          (CE_FORWARD, "return float(-np.mean(self.target * np.log(self.probs)))")),
    entry("mse_divided_by_n", "mse_mean_over_samples", "forward.mse",
          r"your loss = 3 x the reference's = d x reference \(d = 3 outputs\): divided by n = 5 instead of "
          r"n\*d = 15",
          ("return float(np.mean(self.diff ** 2))", "return float(np.sum(self.diff ** 2) / self.diff.shape[0])")),
    entry("cross_entropy_log2", "log_base_wrong", "forward.cross_entropy",
          r"your loss = 1\.443 x the reference's = 1 / ln 2: np\.log2 was used",
          ("np.log(self.probs)", "np.log2(self.probs)")),
    entry("cross_entropy_without_minus", "loss_missing_minus", "forward.cross_entropy",
          r"your loss = -1 x the reference's = -1 x reference: the loss is negative",
          (CE_FORWARD, "return float(np.sum(self.target * np.log(self.probs)) / n)")),
    entry("mse_gradient_without_2", "mse_missing_factor_2", "gradients.mse_backward",
          r"yours = 0\.500 x reference on 15/15 elements = reference / 2: the factor 2 is missing",
          (MSE_BACKWARD, "return self.diff / self.diff.size")),
    entry("cross_entropy_with_fused_gradient", "gradient_of_other_loss", "gradients.cross_entropy_backward",
          r"yours = SoftmaxCrossEntropyLoss's \(probs - target\) / n on 24/24 elements",
          (CE_BACKWARD, "return (self.probs - self.target) / n")),
    # -- linear / backprop ----------------------------------------------------
    entry("dW_transposed", "weight_gradient_transposed", "jacobians.linear_backward",
          r"yours has shape \(4, 3\), the shape of W\.T, and equals reference\.T on 12/12 elements",
          (LINEAR_DW, "self.dW = (g.T @ self.x).astype(self.W.dtype, copy=False)")),
    entry("db_per_sample", "bias_gradient_not_summed", "jacobians.linear_backward",
          r"yours has shape \(5, 4\) and its sum over axis 0 equals the reference on 4/4 elements",
          (LINEAR_DB, "self.db = g.astype(self.b.dtype, copy=False)")),
    entry("db_total", "bias_gradient_scalar", "jacobians.linear_backward",
          r"yours is the single number -1\.143 = the sum of every element of the reference's 4 per-unit "
          r"values; expected shape \(4,\)",
          (LINEAR_DB, "self.db = g.sum().astype(self.b.dtype, copy=False)")),
    entry("db_mean", "bias_gradient_averaged", "jacobians.linear_backward",
          r"yours = 0\.200 x reference on 4/4 elements = reference / n \(n = 5 samples\)",
          (LINEAR_DB, "self.db = g.mean(axis=0).astype(self.b.dtype, copy=False)")),
    entry("grad_x_not_through_W", "hidden_delta_not_through_WT", "jacobians.linear_backward",
          r"the returned gradient equals grad_y itself \(shape \(5, 4\) instead of \(5, 3\)\): it never went "
          r"through W\.T",
          (LINEAR_RETURN, "return g")),
    entry("linear_without_bias", "linear_bias_missing", "forward.linear",
          r"yours = x @ W on 20/20 elements: b is missing",
          ("return (x @ self.W + self.b).astype(x.dtype, copy=False)",
           "return (x @ self.W).astype(x.dtype, copy=False)")),
    # -- initialisation -------------------------------------------------------
    entry("zero_init", "init_constant", "init.linear",
          r"all 100352 weights of Linear\(784, 128\) equal 0",
          (LINEAR_INIT, "self.W = np.zeros((in_features, out_features))"), passes=("xor.softmax_ce",),
          message=r"^Linear\(784, 128, rng\) with rng = np\.random\.default_rng\(20240\): every weight is 0\. "
                  r"Identical weights give every output unit the same value and the same gradient, so the units "
                  r"stay identical forever \(XOR then sticks at loss 0\.693 and 50% accuracy\)\.\nFix: draw W at "
                  r"random with zero mean"),
    entry("rand_init", "init_all_positive", "init.linear",
          r"all 100352 weights of Linear\(784, 128\) are positive \(min 3\.461e-06, mean 0\.5005, max 1\)",
          (LINEAR_INIT, "self.W = rng.random((in_features, out_features))"),
          message=r"the weights have mean 0\.5005 and standard deviation 0\.2882; a zero-mean distribution would "
                  r"give \|mean\| below 0\.0055 for 100352 weights\. Every weight is positive: rng\.random / "
                  r"np\.random\.rand draw from \[0, 1\)\."),
    entry("huge_init", "init_scale", "init.linear",
          r"the weights of Linear\(784, 128\) have standard deviation 9\.982; 1/sqrt\(in_features\) = 0\.03571",
          (LINEAR_INIT, "self.W = rng.normal(0.0, 10.0, size=(in_features, out_features))"),
          message=r"the weights have standard deviation 9\.982, outside the accepted range \[1e-06, 3\.0\]; about "
                  r"1/sqrt\(in_features\) = 0\.03571 is usual\."),
    # -- composition (the grader's stand-ins isolate the unit) -------------------
    entry("output_sigmoid_derivative_skipped", "output_activation_derivative_skipped", "gradients.network_backward",
          r"with the grader's layers and loss gradient, your Network\.backward gave exactly the dW and db of this "
          r"mistake on all 26 elements of the 3-4-2 network \(MSELoss\)",
          (BACKWARD_BODY, "layers = self.layers[:-1] if self.layers and type(self.layers[-1]).__name__ == "
                          "'Sigmoid' else self.layers\n        for layer in reversed(layers):\n"
                          "            grad_out = layer.backward(grad_out)"),
          passes=("jacobians.sigmoid_backward", "gradients.mse_backward", "gradients.step", "xor.train_function")),
    entry("hidden_sigmoid_derivative_skipped", "hidden_activation_derivative_skipped", "gradients.network_backward",
          r"with the grader's layers and loss gradient, your Network\.backward gave exactly the dW and db of this "
          r"mistake on all 38 elements of the 3-5-3 network \(SoftmaxCrossEntropyLoss\)",
          (BACKWARD_BODY, "for i in reversed(range(len(self.layers))):\n            layer = self.layers[i]\n"
                          "            if type(layer).__name__ == 'Sigmoid' and i < len(self.layers) - 1:\n"
                          "                continue\n            grad_out = layer.backward(grad_out)"),
          passes=("jacobians.sigmoid_backward", "gradients.step", "xor.train_function")),
    entry("train_without_shuffling", "train_loop_wrong", "xor.train_function",
          r"the trained parameters match a loop in which the batches were taken in the data's own order, without "
          r"rng\.permutation\(n\)",
          (SHUFFLE, "order = np.arange(n)\n        total = 0.0"), passes=("gradients.step", "gradients.network_backward")),
    entry("softmax_ce_backward_in_place", "loss_backward_modifies_cache", "gradients.softmax_ce_backward",
          r"the second backward\(\) differs from the first on \d+/18 elements",
          (SCE_BACKWARD, "self.probs -= self.target\n        return self.probs / self.probs.shape[0]"),
          message=r"called twice after one forward\(logits, target\) gave a different gradient the second time"),
    entry("softmax_backward_resoftmaxed", "softmax_elementwise_derivative_on_output", "jacobians.softmax_backward",
          r"yours = g \* softmax\(s\) \* \(1 - softmax\(s\)\) on (\d+)/\1 elements",
          (SOFTMAX_VJP, "e = np.exp(s - s.max(axis=1, keepdims=True))\n        f = e / e.sum(axis=1, keepdims=True)\n"
                        "        return g * f * (1 - f)")),
    entry("binary_cross_entropy", "binary_cross_entropy_on_softmax", "forward.cross_entropy",
          r"yours = -sum\(y log p \+ \(1 - y\) log\(1 - p\)\) / n on 1/1 elements",
          (CE_FORWARD, "return float(-np.sum(self.target * np.log(self.probs) + (1 - self.target) * "
                       "np.log(np.clip(1 - self.probs, CE_EPS, 1.0))) / n)")),
    entry("mse_half_sum_per_sample", "mse_half_sum", "forward.mse",
          r"your loss = 1\.5 x the reference's = d/2 x reference \(d = 3 outputs\): exactly 1/2 \* sum over the "
          r"outputs, averaged over the samples: you differentiated 1/2 \* sum",
          (MSE_FORWARD, "return float(0.5 * np.sum(self.diff ** 2) / self.diff.shape[0])"),
          (MSE_BACKWARD, "return self.diff / self.diff.shape[0]"), loses=("gradients.mse_backward",),
          also=("gradients.mse_backward",)),
]
