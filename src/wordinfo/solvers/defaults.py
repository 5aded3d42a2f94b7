"""Default values that the solvers and the front ends share, in a module that imports nothing heavy."""

DEFAULT_PRECISION = 0.03      # the default solver's target standard error of each word's log sigma (3%)
