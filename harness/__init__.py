"""flowharness: a testing harness for WhatsApp Flows endpoints."""

__version__ = "0.1.0"
