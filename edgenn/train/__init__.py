"""Build a Keras 3 model from a recipe and train it."""
