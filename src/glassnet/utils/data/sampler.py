"""``glassnet.utils.data.sampler``: torch's module path of the samplers
(``from torch.utils.data.sampler import RandomSampler``)."""
from ...data.samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                              WeightedRandomSampler)

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]
