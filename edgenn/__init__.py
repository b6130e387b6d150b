"""edgenn: from a Keras model to int8 C on a microcontroller, with honest numbers."""

__version__ = "0.1.0"
