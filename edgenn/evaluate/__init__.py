"""Run every variant behind one predict(), compare them, and write the report."""
