"""Recurrent layers with torch's names, arguments, defaults, shapes, parameter names, reprs and
errors: ``RNN`` (tanh or relu), ``LSTM``, ``GRU`` and the cells ``RNNCell``, ``LSTMCell``,
``GRUCell``.

Each layer and direction is one node of ``glassnet/ops/recurrent.py`` (``RNNLayer``,
``LSTMLayer``, ``GRULayer``), where the loop over time steps, backpropagation through time and
what a node keeps for ``glassnet.explain`` are written down; a cell is that node with one time
step.  The parameters are torch's, in torch's order and gate order (``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, ``_reverse`` for the second direction;
LSTM i, f, g, o; GRU r, z, n), so a ``state_dict`` crosses to torch unchanged.

Input may be a ``PackedSequence`` (``nn.utils.rnn``): the padded batch then runs with each
sequence's own length (``batch_sizes``; see ``ops/recurrent.py``).  ``LSTM(proj_size=P)`` adds
torch's ``weight_hr_l{k}`` (P, H): h_t = W_hr·(o ⊙ tanh c_t) is P wide (so are h_0, h_n, the
output's features and ``weight_hh``'s columns), c stays H wide.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..ops.recurrent import GRULayer, LSTMLayer, RNNLayer
from ..tensors.creation import cat, empty, stack, zeros
from ..tensors.tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence, packed_rows, padded_rows

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: torch's arguments, checks, parameters, init and
    repr, and the forward over layers and directions."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability "
                             "of an element being zeroed")
        self.dropout = float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, real_hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                if proj_size > 0:                    # LSTM with projections: h = W_hr·(o ⊙ tanh c)
                    names.append(f"weight_hr_l{layer}{suffix}")
                    shapes.append((proj_size, hidden_size))
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    def _init_flat_weights(self) -> None:
        """torch's list of the parameters in order (also rebuilt after crossing from torch)."""
        self._flat_weights = [getattr(self, n, None) for n in self._flat_weights_names]
        self.__dict__.pop("_flat_weight_refs", None)

    def flatten_parameters(self) -> None:
        """A no-op, as torch's is on the CPU (it packs the weights for cuDNN)."""

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def reset_parameters(self) -> None:
        """torch's init: every weight and bias U(−1/√hidden_size, 1/√hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- forward ---------------------------------------------------------------------------
    def _check(self, input: Tensor, hx, batch: int) -> None:
        weight = getattr(self, self._flat_weights_names[0])
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")
        LD = self.num_layers * (2 if self.bidirectional else 1)
        states = hx if isinstance(hx, tuple) else (hx,)
        for k, h in enumerate(states):
            expected = (LD, batch, self.proj_size if self.proj_size and k == 0 else self.hidden_size)
            if h is not None and tuple(h.shape) != expected:
                which = f"hidden[{k}] size" if self.mode == "LSTM" else "hidden size"
                raise RuntimeError(f"Expected {which} {expected}, got {list(h.shape)}")

    def _run(self, input, hx):
        """The layers and directions; hx: (h0,) or (h0, c0), each (L·D, B, H) or None."""
        cls = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        if input.dim() not in (2, 3):
            raise ValueError(f"{cls}: Expected input to be 2D or 3D, got {input.dim()}D "
                             f"{'tensor ' if cls != 'LSTM' else ''}instead")
        is_batched = input.dim() == 3
        lstm = self.mode == "LSTM"
        if hx is not None:
            states = tuple(hx) if lstm else (hx,)
            want = 3 if is_batched else 2
            if any(h.dim() != want for h in states):
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                if lstm:
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                       f"({states[0].dim()}-D, {states[1].dim()}-D) tensors")
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                   f"{states[0].dim()}-D tensor")
            if not is_batched:
                states = tuple(h.unsqueeze(1) for h in states)
        else:
            states = (None, None) if lstm else (None,)
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        x = input.transpose(0, 1) if self.batch_first else input
        output, finals = self._layers(x, states)
        output = output.transpose(0, 1) if self.batch_first else output
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            finals = [f.squeeze(1) for f in finals]
        return output, finals

    def _run_packed(self, input, hx):
        """A PackedSequence: its rows laid out as (T, B, *) (sorted by length), the layers run with
        each sequence's own length, the output packed again and h_n in the caller's order."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        bs = np.asarray(batch_sizes.tolist() if hasattr(batch_sizes, "tolist") else batch_sizes, dtype=np.int64)
        lstm = self.mode == "LSTM"
        states = (tuple(hx) if lstm else (hx,)) if hx is not None else ((None, None) if lstm else (None,))
        if sorted_indices is not None and hx is not None:
            order = np.asarray(sorted_indices.tolist(), dtype=np.int64)
            states = tuple(h[:, order] for h in states)
        output, finals = self._layers(padded_rows(data, bs), states, bs)
        if unsorted_indices is not None:
            order = np.asarray(unsorted_indices.tolist(), dtype=np.int64)
            finals = [f[:, order] for f in finals]
        return PackedSequence(packed_rows(output, bs), batch_sizes, sorted_indices, unsorted_indices), finals

    def _layers(self, x, states, batch_sizes=None):
        """x (T, B, I); states (h0,) or (h0, c0), each (L·D, B, H) or None → output, [h_n(, c_n)]."""
        lstm = self.mode == "LSTM"
        T, B = x.shape[0], x.shape[1]
        self._check(x, states if lstm else states[0], B)
        D, H, P = (2 if self.bidirectional else 1), self.hidden_size, self.proj_size
        widths = (P or H, H) if lstm else (H,)           # h (proj_size wide with projections), c
        zero = {}
        finals: list = [[] for _ in states]
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                init_states = []
                for h, width in zip(states, widths):
                    if h is None:
                        if width not in zero:
                            zero[width] = zeros(B, width, dtype=x.dtype)
                        init_states.append(zero[width])
                    else:
                        init_states.append(h[k])
                weights = [getattr(self, n) for n in self._all_weights[k]]
                kw = {"reverse": d == 1, "batch_sizes": batch_sizes}
                if lstm and P:                            # h rows padded to H (ops/recurrent.py)
                    out = LSTMLayer.apply(layer_input, *init_states, *weights, **kw, proj=True)
                    outs.append(out[:T, :, :P])
                    finals[0].append(out[T, :, :P])
                    finals[1].append(out[T + 1])
                    continue
                if lstm:
                    out = LSTMLayer.apply(layer_input, *init_states, *weights, **kw)
                elif self.mode == "GRU":
                    out = GRULayer.apply(layer_input, *init_states, *weights, **kw)
                else:
                    out = RNNLayer.apply(layer_input, *init_states, *weights, **kw,
                                         nonlinearity="relu" if self.mode == "RNN_RELU" else "tanh")
                outs.append(out[:T])                      # (T, B, H): the states in time order
                for j, f in enumerate(finals):            # then h_T (and c_T)
                    f.append(out[T + j])
            layer_input = outs[0] if D == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, [stack(f, 0) for f in finals]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) (or relu), stacked
    ``num_layers`` deep, optionally in both directions.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)`` returns
    ``(output, h_n)``: output (T, B, D·H) (``batch_first``: (B, T, D·H)), h_n (L·D, B, H).
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o; see ``ops/recurrent.py``'s ``LSTMLayer``).

    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``; with ``proj_size=P``
    h_0, h_n and the output's features are P wide (h_t = W_hr·(o ⊙ tanh c_t)), c_0 and c_n H wide.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n with torch's n = tanh(W_in·x + b_in + r ⊙ (W_hn·h +
    b_hn)); see ``ops/recurrent.py``'s ``GRULayer``). ``forward(input, hx=None)`` → ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, hx)
        return output, h_n


# -- cells ------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (G·H, I), ``weight_hh`` (G·H, H), ``bias_ih``,
    ``bias_hh`` (G·H,), U(−1/√H, 1/√H), and the repr.  A cell step is its layer's node
    (``ops/recurrent.py``) run over one time step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty((num_chunks * hidden_size,), dtype=dtype, device=device))
            self.bias_hh = Parameter(empty((num_chunks * hidden_size,), dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        """torch's init: every weight and bias U(−1/√hidden_size, 1/√hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, op, input, states, **params):
        """(is_batched, the node's output (1 or 2, B, H)) for one step from ``states`` (or zeros)."""
        cls = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{cls}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(-1)} expected "
                               f"{self.input_size}")
        B = input.shape[0]
        if states is None:
            zero = zeros(B, self.hidden_size, dtype=input.dtype)
            states = (zero,) * (2 if op is LSTMLayer else 1)
        else:
            states = tuple(s if is_batched else s.unsqueeze(0) for s in states)
            for k, s in enumerate(states):
                if tuple(s.shape) != (B, self.hidden_size):
                    raise RuntimeError(f"hidden{k if len(states) > 1 else ''} has inconsistent hidden_size: "
                                       f"got {s.size(-1)}, expected {self.hidden_size}"
                                       if s.size(-1) != self.hidden_size else
                                       f"Input batch size {B} doesn't match hidden{k if len(states) > 1 else ''} "
                                       f"batch size {s.size(0)}")
        weights = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        return is_batched, op.apply(input.unsqueeze(0), *states, *weights, **params)


class RNNCell(RNNCellBase):
    """h′ = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        batched, out = self._step(RNNLayer, input, None if hx is None else (hx,),
                                  nonlinearity=self.nonlinearity)
        return out[1] if batched else out[1, 0]


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c)=None)`` → ``(h′, c′)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        batched, out = self._step(LSTMLayer, input, None if hx is None else tuple(hx))
        return (out[1], out[2]) if batched else (out[1, 0], out[2, 0])


class GRUCell(RNNCellBase):
    """One GRU step: ``forward(input, h=None)`` → ``h′``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        batched, out = self._step(GRULayer, input, None if hx is None else (hx,))
        return out[1] if batched else out[1, 0]
