"""Speed and agreement benchmark (cases A, B and scaling): the same as ``wordinfo bench``.

    python benchmarks/bench_speed.py [--quick] [--out benchmarks/results/bench.json]
"""

from wordinfo.cli import app

if __name__ == "__main__":
    import sys
    app(["bench", *sys.argv[1:]])
