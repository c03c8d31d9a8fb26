"""The PyTorch family: pickled state dicts and modules (pytorch), TorchScript archives (torchscript), torch.export
programs (export), and what they share: the restricted torch pickle machinery (pickled) and aten operator facts
(aten_ops, also read by the ExecuTorch reader)."""
