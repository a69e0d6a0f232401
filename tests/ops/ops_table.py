"""Every differentiable engine op, written once against a torch-like module ``lib``
(glassnet or torch), with the number of inputs and a domain for its inputs."""
import numpy as np

# name: (function(lib, *tensors), number of inputs, domain)
# domain: "any", "positive" (log, sqrt, pow base), "nonzero" (divisor; second input)
UNARY = {
    "neg": (lambda lib, a: -a, "any"),
    "exp": (lambda lib, a: lib.exp(a), "any"),
    "log": (lambda lib, a: lib.log(a), "positive"),
    "sqrt": (lambda lib, a: lib.sqrt(a), "positive"),
    "abs": (lambda lib, a: lib.abs(a), "nonzero"),
    "sin": (lambda lib, a: lib.sin(a), "any"),
    "cos": (lambda lib, a: lib.cos(a), "any"),
    "asin": (lambda lib, a: lib.asin(a * 0.4), "any"),
    "sinh": (lambda lib, a: lib.sinh(a), "any"),
    "cosh": (lambda lib, a: lib.cosh(a), "any"),
    "relu": (lambda lib, a: lib.relu(a), "nonzero"),
    "sigmoid": (lambda lib, a: lib.sigmoid(a), "any"),
    "tanh": (lambda lib, a: lib.tanh(a), "any"),
    "leaky_relu": (lambda lib, a: a.leaky_relu(0.1) if hasattr(a, "leaky_relu") and lib.__name__ == "glassnet"
                   else lib.nn.functional.leaky_relu(a, 0.1), "nonzero"),
    "clamp": (lambda lib, a: lib.clamp(a, -0.5, 0.7), "off_bounds"),
    "pow_scalar": (lambda lib, a: a ** 3, "any"),
    "pow_frac": (lambda lib, a: a ** 1.5, "positive"),
    "rpow": (lambda lib, a: 2.0 ** a, "any"),
    "softmax": (lambda lib, a: lib.softmax(a, dim=-1), "any"),
    "log_softmax": (lambda lib, a: lib.log_softmax(a, dim=-1), "any"),
    "sum": (lambda lib, a: a.sum(), "any"),
    "sum_dim": (lambda lib, a: a.sum(dim=-1, keepdim=True), "any"),
    "mean": (lambda lib, a: a.mean(), "any"),
    "mean_dim": (lambda lib, a: a.mean(dim=0), "any"),
    "max": (lambda lib, a: a.max(), "distinct"),
    "max_dim": (lambda lib, a: a.max(dim=-1)[0], "distinct"),
    "min_dim": (lambda lib, a: a.min(dim=0, keepdim=True)[0], "distinct"),
    "reshape": (lambda lib, a: a.reshape(-1) * 2, "any"),
    "transpose": (lambda lib, a: a.transpose(0, -1) * 2 if a.dim() > 1 else a * 2, "any"),
    "T": (lambda lib, a: a.T * 2, "any"),
    "unsqueeze_flatten": (lambda lib, a: a.unsqueeze(0).flatten() * 3, "any"),
    "expand": (lambda lib, a: a.unsqueeze(0).expand(3, *a.shape) * 2, "any"),
    "index_int": (lambda lib, a: a[0] * 2, "any"),
    "index_slice": (lambda lib, a: a[..., ::2] * 2, "any"),
    "index_repeated": (lambda lib, a: a.flatten()[lib.tensor([0, 0, -1, 0])] * 2, "any"),
    "index_mask": (lambda lib, a: a[a > 0] * 2, "nonzero"),
    "var": (lambda lib, a: a.var(), "any"),
    "max_pool1d": (lambda lib, a: lib.nn.functional.max_pool1d(a.reshape(1, 1, -1), 2, ceil_mode=True), "distinct"),
    "avg_pool1d": (lambda lib, a: lib.nn.functional.avg_pool1d(a.reshape(1, 1, -1), 2, 1, 1), "any"),
    "pad": (lambda lib, a: lib.nn.functional.pad(a, (1, 2), value=0.5), "any"),
    "interpolate_linear": (lambda lib, a: lib.nn.functional.interpolate(a.reshape(1, 1, -1), scale_factor=2.5,
                                                                        mode="linear"), "any"),
}

BINARY = {
    "add": (lambda lib, a, b: a + b, "any"),
    "sub": (lambda lib, a, b: a - b, "any"),
    "mul": (lambda lib, a, b: a * b, "any"),
    "div": (lambda lib, a, b: a / b, "nonzero"),
    "pow": (lambda lib, a, b: a ** b, "positive"),
    "where": (lambda lib, a, b: lib.where(a > 0, a, b), "nonzero"),
    "where_products": (lambda lib, a, b: lib.where(a > 0, a * b, b * 2), "nonzero"),
}


def make_inputs(rng, shapes, domain, dtype):
    """Arrays for an op's inputs, kept away from its kinks and poles."""
    arrays = []
    for shape in shapes:
        x = rng.uniform(-2.0, 2.0, size=shape)
        if domain == "positive":
            x = np.abs(x) + 0.5
        elif domain in ("nonzero", "off_bounds", "distinct"):
            x = np.where(np.abs(x) < 0.1, 0.3, x)
            if domain == "off_bounds":
                x = np.where(np.abs(x + 0.5) < 0.05, 0.0, x)
                x = np.where(np.abs(x - 0.7) < 0.05, 0.0, x)
                x = np.where(np.abs(x) < 0.01, 0.2, x)
            if domain == "distinct":
                x = x + np.arange(x.size).reshape(shape) * 1e-2 if x.size else x
        arrays.append(x.astype(dtype))
    return arrays
