"""Training: teacher and student families, the distillation loss, and the `train` step."""
