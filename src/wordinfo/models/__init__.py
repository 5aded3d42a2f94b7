"""Model adapters: turn a model into the multi-target function a solver explains."""
