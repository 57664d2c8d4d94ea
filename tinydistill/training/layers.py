"""Custom Keras layers of the project's model families, registered for loading."""
