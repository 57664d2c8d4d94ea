"""`tinydistill search`: the best distilled student that fits a board, searched with Optuna.

space.py (the parameterized students), teacher.py (data and teacher per window, made once),
trial.py (budget before training, then training and validation score), study.py (storage,
heartbeats, a worker's loop, the Pareto front), run.py (`run_search` and the picked run directory).
"""

from .run import SearchConfig, SearchResult, format_front, run_search

__all__ = ["SearchConfig", "SearchResult", "run_search", "format_front"]
