"""float64 gradcheck of the data-movement primitives (ops/shape.py): RepeatInterleave, Scatter,
ScatterAdd, Roll, Flip, IndexPut (an in-place write in the graph), Contiguous; and bmm/baddbmm."""
import pytest

import glassnet
from glassnet.autograd import gradcheck


def _x(*shape):
    return glassnet.randn(*shape, dtype=glassnet.float64, requires_grad=True)


INDEX = glassnet.tensor([[0, 1, 2, 0], [2, 0, 1, 1]])

CASES = {
    "repeat_interleave_int": (lambda a: a.repeat_interleave(3, dim=1), [(2, 3)]),
    "repeat_interleave_tensor": (lambda a: a.repeat_interleave(glassnet.tensor([2, 0, 1]), dim=1), [(2, 3)]),
    "repeat_interleave_flat": (lambda a: a.repeat_interleave(2), [(2, 3)]),
    "index_select": (lambda a: a.index_select(1, glassnet.tensor([2, 0, 2])), [(2, 3)]),
    "scatter_src": (lambda a, s: a.scatter(1, glassnet.tensor([[0, 2], [1, 0]]), s), [(2, 3), (2, 3)]),
    "scatter_value": (lambda a: a.scatter(0, INDEX[:, :3], 0.5), [(3, 3)]),
    "scatter_add": (lambda a, s: a.scatter_add(1, INDEX, s), [(2, 3), (2, 5)]),
    "roll": (lambda a: a.roll((1, -2), (0, 1)), [(3, 4)]),
    "roll_flat": (lambda a: a.roll(2), [(3, 4)]),
    "flip": (lambda a: a.flip((0, 2)), [(2, 3, 2)]),
    "contiguous": (lambda a: a.transpose(0, 1).contiguous().view(-1), [(3, 4)]),
    "bmm": (lambda a, b: glassnet.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    "baddbmm": (lambda c, a, b: glassnet.baddbmm(c, a, b, beta=0.5, alpha=2.0), [(3, 2), (2, 3, 4), (2, 4, 2)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    fn, shapes = CASES[name]
    assert gradcheck(fn, [_x(*s) for s in shapes])


def test_gradcheck_of_an_in_place_write_in_the_graph():
    def f(a, v):
        b = a * 2
        b[0, 1:] = v          # IndexPut: b takes the write's history
        b[1] = 0.25
        return b.exp()
    assert gradcheck(f, [_x(3, 3), _x(2)])
