"""Wirewatch: a real-time news event processor on Kafka."""

__version__ = "0.1.0"
