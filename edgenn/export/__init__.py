"""Model → C: the .tflite as a byte array for TFLM firmware."""
