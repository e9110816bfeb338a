"""How big each benchmark runs: ``full`` for the published figures, ``quick`` for a check in a few
minutes, ``tiny`` for the test suite.

A new benchmark that needs its own size adds a field with a default here (the default serves every size
that does not name it).
"""
from dataclasses import dataclass

NOTES = (4, 3, 2, 1)
DEEP5 = (4,) * 5 + (1,)                  # the comparison network of the symbolic goal: [4]*5 + [1]


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is: ``full`` for the figures, ``quick`` for under a minute, ``tiny`` for tests."""

    name: str
    symbolic_nets: tuple
    naive_cap: float                     # seconds before the naive sympy.diff child is killed
    backprop_layers: tuple
    batch: int
    repeats: int                         # interleaved pairs (numpy, torch)
    peak_n: int                          # the large product is peak_n x peak_n times peak_n x peak_n
    fd_layers: tuple
    fd_samples: int
    answers: int                         # graded answers in the throughput run
    sheet: bool = True                   # time the sheet command (a child process)
    sheet_repeats: int = 3
    torch: bool = True                   # compare with torch when it is installed
    code_check_layers: tuple = (784, 128, 64, 10)   # the network of the code-check row
    code_check_repeats: int = 3
    peer_nets: tuple = (NOTES, DEEP5, (16, 16, 16, 1), (32, 32, 32, 1), (58, 58, 58, 58, 1))   # the symengine race
    peer_repeats: int = 5                # interleaved pairs on networks under 1,000 weights (1 above)
    peer_cap: float = 120.0              # seconds before symengine's child is killed
    startup_repeats: int = 15            # runs of each command in the start-up row, in turns


SIZES = {s.name: s for s in [
    Sizes("full", (NOTES, DEEP5, (4,) * 7 + (1,), (8, 8, 8, 8, 1), (16, 16, 16, 16, 1), (32, 32, 32, 32, 1),
                   (58, 58, 58, 58, 1)),
          naive_cap=90.0, backprop_layers=(256, 512, 512, 512, 10), batch=1024, repeats=15, peak_n=2048,
          fd_layers=(32, 64, 64, 32, 1), fd_samples=16, answers=1000),
    Sizes("quick", (NOTES, DEEP5, (16, 16, 16, 16, 1)),
          naive_cap=8.0, backprop_layers=(256, 512, 512, 512, 10), batch=1024, repeats=5, peak_n=1536,
          fd_layers=(16, 32, 32, 1), fd_samples=8, answers=60, sheet_repeats=1, code_check_repeats=1,
          peer_nets=(NOTES, DEEP5, (16, 16, 16, 1)), peer_repeats=3, peer_cap=20.0, startup_repeats=5),
    Sizes("tiny", (NOTES, (3, 2, 1)), naive_cap=20.0, backprop_layers=(8, 16, 4), batch=8, repeats=2, peak_n=64,
          fd_layers=(3, 4, 1), fd_samples=2, answers=4, sheet=False, torch=False, code_check_layers=NOTES,
          code_check_repeats=1, peer_nets=(NOTES, (3, 2, 1)), peer_repeats=1, peer_cap=20.0, startup_repeats=1),
]}
