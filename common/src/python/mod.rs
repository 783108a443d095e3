//! Python packaging primitives.
