"""Model optimizations applied before conversion: magnitude pruning (edgenn.optimize.prune)."""
