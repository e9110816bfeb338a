"""The benchmark's PyTorch side: one forward and backward pass with torch's CPU autograd, on the same network,
point and loss as numeric backprop. torch is optional (the ``bench`` extra); without it the comparison is
left out and the report says so. Each activation is torch's own kernel, read from the one activation
table (``numeric/activations.py``, its ``torch_f`` column).
"""
from gradproof.numeric.activations import activation


def torch_with_threads(n_threads):
    """torch with the given thread count, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(n_threads)
    return torch


def torch_step(torch, spec, x, y, W, b):
    """A closure doing one forward and backward pass with torch autograd (squared loss, summed)."""
    acts = [activation(name).torch_f for name in spec.activations]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tW = [torch.from_numpy(w.copy()).requires_grad_() for w in W]
    tb = [torch.from_numpy(v.copy()).requires_grad_() for v in b]

    def step():
        for t in tW + tb:
            t.grad = None
        O = tx
        for w, v, f in zip(tW, tb, acts):
            O = f(torch, torch.addmm(v, O, w))
        loss = ((ty - O) ** 2).sum()
        loss.backward()
        return loss, [w.grad for w in tW]
    return step
