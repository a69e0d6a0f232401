"""``torch.nn.parallel``: ``DataParallel`` and ``DistributedDataParallel``, as they are without GPUs.

``DataParallel(model)`` on a machine with no GPU is, in torch, a wrapper that calls the module
(``state_dict`` keys gain ``module.``); glassnet's is the same.  ``DistributedDataParallel`` needs
a process group, which glassnet has not (``torch.distributed``): it raises torch's error for
that case with what to do instead.
"""
from __future__ import annotations

from ..module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


class DataParallel(Module):
    """Calls ``module`` (torch does the same when no GPU is present)."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module, self.device_ids, self.output_device, self.dim = module, [], None, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """The functional ``DataParallel``: torch without a GPU finds no device type to spread the
    batch over and raises; so does glassnet (programs guard it with ``input.is_cuda and
    self.ngpu > 1``, as pytorch/examples' DCGAN does, and call the module otherwise)."""
    raise RuntimeError("device type could not be determined (glassnet runs on the CPU: call "
                       "module(inputs) instead of nn.parallel.data_parallel)")


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, *args, **kwargs):
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group. (glassnet has no torch.distributed: use the module "
                         "itself, or `glassnet train --engine torch --nproc N`)")
